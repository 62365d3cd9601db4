"""py_nn.kernels: the SIMD kernel inside WebAssembly, and its fallbacks everywhere.

Under Pyodide (tests/pyodide/run_pytest.mjs runs this file against the installed wheel) the
"simd" tests run the real side module on NumPy's buffers and compare every product with a
float64 reference, within the float32 rounding bound that einsum's own result meets. On
CPython they check that "simd" is refused with a clear message and that the fallbacks work.
"""
import sys

import numpy as np
import pytest

import py_nn
from py_nn import kernels

WASM = sys.platform == "emscripten"
only_wasm = pytest.mark.skipif(not WASM, reason="the SIMD kernel exists only under WebAssembly")
only_cpython = pytest.mark.skipif(WASM, reason="checks the CPython side")
EPS32 = float(np.finfo(np.float32).eps)
TRANS = ("nn", "tn", "nt")


def operands(rng, trans, m, k, n, dtype=np.float32):
    """Random operands of the product (m, k) x (k, n) in the layout ``trans`` takes."""
    shape_a = (k, m) if trans == "tn" else (m, k)
    shape_b = (n, k) if trans == "nt" else (k, n)
    return (rng.standard_normal(shape_a).astype(dtype),
            rng.standard_normal(shape_b).astype(dtype))


def op(trans, a, b):
    """The operands as the plain product sees them: (op(a), op(b))."""
    return (a.T if trans == "tn" else a), (b.T if trans == "nt" else b)


def product(trans, a, b, out=None):
    """The active kernel's product for ``trans``."""
    fn = {"nn": kernels.mm, "tn": kernels.mm_tn, "nt": kernels.mm_nt}[trans]
    return fn(a, b) if out is None else fn(a, b, out=out)


def assert_within_rounding(result, trans, a, b):
    """|result - exact| <= 2 k eps32 (|op(a)| @ |op(b)|) + tiny, elementwise: the classic
    forward-error bound of a float32 dot product of length k, which einsum meets too."""
    x, y = (np.asarray(v, dtype=np.float64) for v in op(trans, a, b))
    exact = x @ y
    k = x.shape[1]
    bound = 2 * max(k, 1) * EPS32 * (np.abs(x) @ np.abs(y)) + 1e-30
    assert result.shape == exact.shape
    assert np.all(np.isfinite(result)), "the product left NaN or inf (an unwritten entry?)"
    worst = np.max(np.abs(result - exact) / bound) if result.size else 0.0
    assert worst <= 1.0, f"{trans} {x.shape}@{y.shape}: error {worst:.2f}x the float32 bound"


@pytest.fixture
def simd():
    """The SIMD kernel, active for one test; the platform default restored afterwards."""
    assert kernels.use("simd") == "simd"
    yield kernels
    kernels.use("auto")


def network_shapes(layers, batch):
    """(trans, m, k, n) of the products one training step of ``layers`` makes at ``batch``:
    forward a @ W, weight gradients a.T @ delta, back-propagated delta @ W.T."""
    shapes = []
    for fan_in, fan_out in zip(layers, layers[1:]):
        shapes.append(("nn", batch, fan_in, fan_out))
        shapes.append(("tn", fan_in, batch, fan_out))
    for fan_in, fan_out in zip(layers[1:-1], layers[2:]):
        shapes.append(("nt", batch, fan_out, fan_in))
    return shapes


NETWORK_CASES = sorted({s for layers in ([784, 128, 10], [784, 256, 128, 10])
                        for batch in (1, 32, 128) for s in network_shapes(layers, batch)})
ODD = (1, 3, 7, 17, 33, 100)


# ---------------------------------------------------------------- CPython: refused, fallbacks

@only_cpython
def test_simd_is_refused_outside_webassembly():
    before = kernels.active
    with pytest.raises(ValueError, match="only under WebAssembly"):
        kernels.use("simd")
    assert kernels.active == before == "matmul"
    assert kernels.default() == "matmul"
    assert "only under WebAssembly" in kernels.simd_error()


def test_unknown_kernel_lists_the_valid_names():
    with pytest.raises(ValueError, match="auto, matmul, einsum, simd"):
        kernels.use("blas")


@pytest.mark.parametrize("name", ["einsum", "matmul"])
def test_numpy_kernels_meet_the_rounding_bound(rng, name):
    try:
        kernels.use(name)
        for trans in TRANS:
            a, b = operands(rng, trans, 17, 33, 7)
            assert_within_rounding(product(trans, a, b), trans, a, b)
    finally:
        kernels.use("auto")


@pytest.mark.parametrize("trans", TRANS)
def test_gemm_accumulates_with_alpha_and_beta(rng, trans):
    a, b = operands(rng, trans, 9, 13, 11)
    x, y = op(trans, a.astype(np.float64), b.astype(np.float64))
    start = rng.standard_normal((9, 11)).astype(np.float32)
    out = start.copy()
    got = kernels.gemm(a, b, out, alpha=-0.5, beta=0.9,
                       trans_a=trans == "tn", trans_b=trans == "nt")
    assert got is out
    np.testing.assert_allclose(out, 0.9 * start - 0.5 * (x @ y), rtol=1e-4, atol=1e-4)
    garbage = np.full((9, 11), np.nan, dtype=np.float32)     # beta = 0 never reads out
    kernels.gemm(a, b, garbage, trans_a=trans == "tn", trans_b=trans == "nt")
    assert_within_rounding(garbage, trans, a, b)


def test_gemm_refuses_two_transposes(rng):
    a = np.ones((3, 3), np.float32)
    with pytest.raises(ValueError, match="cannot both"):
        kernels.gemm(a, a, a.copy(), trans_a=True, trans_b=True)


def test_a_side_module_that_fails_to_load_falls_back_to_einsum(rng, tmp_path, monkeypatch):
    """Loading never crashes: the error is recorded and einsum computes the product."""
    bogus = tmp_path / "sgemm.wasm"
    bogus.write_bytes(b"not a wasm file")
    monkeypatch.setattr(kernels, "SIMD_FILE", bogus)
    monkeypatch.setattr(kernels, "_simd_state", {"lib": None, "error": None})
    monkeypatch.setattr(kernels, "active", "simd")
    for name, fn in zip(("mm", "mm_tn", "mm_nt"), kernels._KERNELS["simd"]):
        monkeypatch.setattr(kernels, name, fn)               # restored after the test
    a, b = operands(rng, "nn", 5, 6, 7)
    assert_within_rounding(kernels.mm(a, b), "nn", a, b)     # computed by the fallback
    assert kernels.active == "einsum" and kernels.mm is kernels._KERNELS["einsum"][0]
    if WASM:
        assert "could not load sgemm.wasm" in kernels.simd_error()
        assert kernels.default() == "einsum"
    with pytest.raises(ValueError, match="cannot be used"):
        kernels.use("simd")


# ---------------------------------------------------------------- WebAssembly: the SIMD path

@only_wasm
def test_simd_is_the_default_under_webassembly():
    assert kernels.SIMD_FILE.is_file(), "the wheel must ship py_nn/_simd/sgemm.wasm"
    assert kernels.default() == "simd" == kernels.active
    assert kernels.simd_error() is None
    assert kernels.use("auto") == "simd"


@only_wasm
@pytest.mark.parametrize("trans,m,k,n", NETWORK_CASES)
def test_simd_matches_on_every_network_product(rng, simd, trans, m, k, n):
    a, b = operands(rng, trans, m, k, n)
    out = np.full((m, n), np.nan, dtype=np.float32)
    assert product(trans, a, b, out=out) is out
    assert_within_rounding(out, trans, a, b)
    kernels.use("einsum")
    assert_within_rounding(product(trans, a, b), trans, a, b)   # the reference path agrees


@only_wasm
@pytest.mark.parametrize("trans", TRANS)
def test_simd_matches_on_odd_sizes(rng, simd, trans):
    for m in ODD:
        for n in ODD:
            for k in (1, 7, 33, 100, 1100):       # 1100 > 1024: k is cut into slices
                a, b = operands(rng, trans, m, k, n)
                assert_within_rounding(product(trans, a, b), trans, a, b)


@only_wasm
def test_simd_handles_row_slices_and_falls_back_for_other_views(rng, simd):
    base = rng.standard_normal((64, 120)).astype(np.float32)
    w = rng.standard_normal((50, 9)).astype(np.float32)
    cases = [
        ("nn", base[3:20, 5:55], w),             # rows contiguous, row stride 60: SIMD
        ("nn", base[::2, :50], w),                # every other row: still SIMD (stride 240)
        ("nn", np.asfortranarray(base[:, :50]), w),   # column-major: einsum
        ("nn", base[:9, :50:1], w),
        ("nn", base[:17, 0:100:2], w),            # strided columns: einsum
        ("tn", base[:50, 1:18], w),               # (50, 17).T @ (50, 9)
        ("nt", base[:7, :9], w[:20]),             # (7, 9) @ (20, 9).T
        ("nn", base[:1, :50], w),                 # one row
        ("nn", base[:1, :50], base[:50, 3:40]),   # one row: B read in place, row stride 120
        ("tn", base[:50, 1:3], base[:50, 10:60]), # two rows of C, B read in place
    ]
    readonly = np.frombuffer(base[:5, :50].tobytes(), dtype=np.float32).reshape(5, 50)
    cases.append(("nn", readonly, w))             # read-only, as the worker's pixels are
    for trans, a, b in cases:
        assert_within_rounding(product(trans, a, b), trans, a, b)
    t = base[:50, :30].T                          # a transposed view as an operand
    assert_within_rounding(kernels.mm(t, w), "nn", t, w)
    out = np.zeros((30, 18), np.float32)[:, ::2]  # non-contiguous out: einsum writes it
    assert kernels.mm(t, w, out=out) is out
    assert_within_rounding(out, "nn", t, w)


@only_wasm
def test_simd_falls_back_for_float64_and_mixed_dtypes(rng, simd):
    a64, b64 = operands(rng, "nn", 17, 33, 7, dtype=np.float64)
    r = kernels.mm(a64, b64)
    assert r.dtype == np.float64
    np.testing.assert_allclose(r, a64 @ b64, rtol=1e-12, atol=1e-12)
    a32 = a64.astype(np.float32)
    assert_within_rounding(kernels.mm(a32, b64), "nn", a32, b64)


@only_wasm
def test_simd_out_reuse_and_overlap(rng, simd):
    a, b = operands(rng, "nn", 32, 100, 24)
    out = np.empty((32, 24), np.float32)
    for _ in range(3):                            # the same out, filled anew each time
        a += 1.0
        assert kernels.mm(a, b, out=out) is out
        assert_within_rounding(out, "nn", a, b)
    frozen = np.zeros((32, 24), np.float32)
    frozen.flags.writeable = False                # never written behind NumPy's back
    with pytest.raises(ValueError, match="read-only"):
        kernels.mm(a, b, out=frozen)
    assert not frozen.any()
    sq = rng.standard_normal((24, 24)).astype(np.float32)
    before = sq.copy()
    assert kernels.mm(sq, sq, out=sq) is sq       # out is an operand: computed safely
    assert_within_rounding(sq, "nn", before, before)


@only_wasm
def test_simd_survives_a_growing_heap(rng, simd):
    """Raw addresses stay valid when WebAssembly memory grows (it grows in place)."""
    a, b = operands(rng, "tn", 128, 128, 64)
    first = kernels.mm_tn(a, b)
    big = np.ones(48 * 1024 * 1024, dtype=np.float32)      # 192 MB: the heap must grow
    assert big[-1] == 1.0
    again = kernels.mm_tn(a, b)
    np.testing.assert_array_equal(first, again)
    c, d = operands(rng, "nn", 100, 784, 128)
    assert_within_rounding(kernels.mm(c, d), "nn", c, d)
    del big
    assert_within_rounding(kernels.mm_tn(a, b), "tn", a, b)


@only_wasm
@pytest.mark.parametrize("trans", TRANS)
def test_simd_gemm_accumulates_in_one_pass(rng, simd, trans):
    a, b = operands(rng, trans, 33, 100, 17)
    x, y = op(trans, a.astype(np.float64), b.astype(np.float64))
    start = rng.standard_normal((33, 17)).astype(np.float32)
    out = start.copy()
    kernels.gemm(a, b, out, alpha=0.25, beta=-2.0, trans_a=trans == "tn", trans_b=trans == "nt")
    np.testing.assert_allclose(out, -2.0 * start + 0.25 * (x @ y), rtol=1e-4, atol=1e-4)


@only_wasm
def test_training_with_simd_matches_einsum(rng):
    x = rng.standard_normal((300, 20)).astype(np.float32)
    labels = (x[:, 0] + x[:, 1] > 0).astype(int) + (x[:, 2] > 1).astype(int)
    params = {}
    try:
        for name in ("einsum", "simd"):
            kernels.use(name)
            net = py_nn.NeuralNetwork([20, 33, 17, 3], "relu", "softmax",
                                      "categorical_crossentropy", py_nn.SGD(lr=0.05, momentum=0.9),
                                      dtype="float32", seed=0)
            net.fit(x, labels, 32, 3, categorical=True, verbose=False)
            params[name] = net.params.copy()
    finally:
        kernels.use("auto")
    np.testing.assert_allclose(params["simd"], params["einsum"], rtol=2e-3, atol=2e-4)


@only_wasm
def test_the_plain_build_is_the_default_and_relaxed_simd_is_opt_in(rng, simd):
    """sgemm.wasm (plain SIMD: the same rounding in every engine, so a seed means the same
    weights everywhere) runs by default. ``use("simd", relaxed=True)`` switches to
    sgemm-relaxed.wasm (fused multiply-add) where the runtime compiles it (Chromium; Node 20
    only with --experimental-wasm-relaxed-simd); where it cannot, a ValueError says why and the
    plain build stays. Either way the products meet the float32 bound."""
    from js import Uint8Array, WebAssembly

    assert kernels.simd_variant() == "sgemm.wasm"
    relaxed = kernels.SIMD_FILE.with_name(kernels.RELAXED_NAME)
    if not relaxed.exists():
        pytest.skip("this wheel was built without the relaxed-SIMD variant (no LLVM 16+)")
    compiles = bool(WebAssembly.validate(Uint8Array.new(relaxed.read_bytes())))
    try:
        if compiles:
            assert kernels.use("simd", relaxed=True) == "simd"
            assert kernels.simd_variant() == kernels.RELAXED_NAME
        else:
            with pytest.raises(ValueError, match="cannot run relaxed SIMD"):
                kernels.use("simd", relaxed=True)
            assert kernels.simd_variant() == "sgemm.wasm"
        for trans, m, k, n in NETWORK_CASES[:6]:
            a, b = operands(rng, trans, m, k, n)
            assert_within_rounding(product(trans, a, b), trans, a, b)
    finally:
        kernels.use("auto")
    assert kernels.simd_variant() == "sgemm.wasm"
    with pytest.raises(ValueError, match="'simd' kernel only"):
        kernels.use("einsum", relaxed=True)
    assert kernels.active == "simd"
