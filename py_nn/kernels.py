"""The matrix-product kernels behind py_nn's three products, picked per platform.

The network calls three products, each with an optional ``out=`` (returned when given):

    mm(a, b)      a (m, k), b (k, n)  ->  a @ b    (m, n)
    mm_tn(a, b)   a (k, m), b (k, n)  ->  a.T @ b  (m, n)
    mm_nt(a, b)   a (m, k), b (n, k)  ->  a @ b.T  (m, n)

Three kernels compute them:

- ``"matmul"``: NumPy's ``np.matmul``. On CPython it calls BLAS; the default there.
- ``"einsum"``: ``np.einsum``. Pyodide's NumPy has no BLAS; there ``einsum`` runs about
  twice as fast as ``@``.
- ``"simd"``: a WebAssembly SIMD (simd128) float32 kernel, the role BLAS plays on CPython:
  C source in ``py_nn/_simd/sgemm.c``, shipped compiled in the wheel as an Emscripten side
  module (``py_nn/_simd/sgemm.wasm``) that ``ctypes.CDLL`` loads and that works directly on
  NumPy's buffers, no copies. It exists only under WebAssembly (Pyodide), where it is the
  default. It covers float32 operands whose rows are contiguous (C-contiguous arrays and row
  slices of them) and a float32 ``out`` with contiguous rows (an ``out`` that overlaps an
  operand goes through a temporary). Anything else (float64, transposed or strided views,
  other types) goes to ``einsum``, with the same result within float32 rounding.

The wheel also ships a second build of the same source, ``sgemm-relaxed.wasm`` (relaxed SIMD:
fused multiply-add, about 10% faster epochs where the engine has it). It is NOT the default:
relaxed SIMD lets each engine choose whether to fuse, so the same seed would train other
weights in another browser (Chromium fuses, Safari's engine has no relaxed SIMD). The plain
build rounds the same way in every engine, so a seed means the same weights everywhere;
``use("simd", relaxed=True)`` opts into the fast one (``simd_variant()`` names the file in
use). The side module is loaded on the first product, not at import. If it cannot be
loaded, the products fall back to ``einsum`` for good, ``active`` becomes ``"einsum"`` and
``simd_error()`` says why; nothing crashes. ``use(name)`` switches the kernel (benchmarks,
tests); ``gemm()`` is the accumulating form ``out = alpha * op(a) @ op(b) + beta * out``.
"""
import sys
from pathlib import Path

import numpy as np

SIMD_FILE = Path(__file__).with_name("_simd") / "sgemm.wasm"
RELAXED_NAME = "sgemm-relaxed.wasm"         # optional, next to SIMD_FILE; opt-in (see above)
_F32 = np.dtype(np.float32)
_NN, _TN, _NT = 0, 1, 2                     # the side module's ``trans`` codes


def _einsum(spec):
    def product(a, b, out=None):
        return np.einsum(spec, a, b, out=out, casting="same_kind")
    return product


_KERNELS = {
    # name: (a @ b, a.T @ b, a @ b.T)
    "matmul": (
        lambda a, b, out=None: np.matmul(a, b, out=out),
        lambda a, b, out=None: np.matmul(a.T, b, out=out),
        lambda a, b, out=None: np.matmul(a, b.T, out=out),
    ),
    "einsum": (_einsum("ij,jk->ik"), _einsum("ji,jk->ik"), _einsum("ij,kj->ik")),
}


# ---------------------------------------------------------------- the SIMD side module

class _SimdLibrary:
    """The loaded side module: its entry point and its scratch buffer.

    Raw addresses do not keep arrays alive, so every array whose address is passed is held
    by a Python name for the whole call (the operands are the caller's arguments; the
    scratch buffer is ``self.work``, alive as long as this object).
    """

    def __init__(self, path):
        import ctypes

        lib = ctypes.CDLL(str(path))
        self.path = Path(path)
        self.fn = lib.pynn_sgemm             # no argtypes: plain ints convert ~4 us faster
        self.fn.restype = ctypes.c_int
        self.work = np.zeros(int(lib.pynn_sgemm_work_size()), dtype=np.float32)
        self.c_float = ctypes.c_float
        self.one, self.zero = ctypes.c_float(1.0), ctypes.c_float(0.0)
        self.lib = lib                       # keeps the module loaded
        empty, addressof = ctypes.c_char * 0, ctypes.addressof

        def writable_address(x):
            """Address of x's first element if x is writable and C-contiguous (1 us), else
            None."""
            try:
                return addressof(empty.from_buffer(x))
            except (TypeError, ValueError, BufferError):
                return None

        self.writable_address = writable_address
        self.work_addr = writable_address(self.work)


_simd_state = {"lib": None, "error": None, "loaded": {}}   # lib: the build the products use


def simd_available():
    """True when the SIMD kernel can run here: under WebAssembly, with its file shipped and
    not failed to load."""
    return (sys.platform == "emscripten" and _simd_state["error"] is None
            and SIMD_FILE.exists())


def simd_error():
    """Why the SIMD kernel is not in use (``None`` if nothing went wrong)."""
    if sys.platform != "emscripten":
        return f"the 'simd' kernel exists only under WebAssembly (Pyodide); this is {sys.platform}"
    if _simd_state["error"] is None and not SIMD_FILE.exists():
        return f"{SIMD_FILE} is missing (this py_nn was built without its WebAssembly kernel)"
    return _simd_state["error"]


def simd_variant():
    """The side module file in use (``"sgemm-relaxed.wasm"`` or ``"sgemm.wasm"``), or None
    when the SIMD kernel is not loaded."""
    lib = _simd_state["lib"]
    return lib.path.name if lib is not None else None


def _library(path):
    """The side module at ``path``, loaded on first use and kept (raises if it cannot load)."""
    loaded = _simd_state["loaded"]
    if path.name not in loaded:
        loaded[path.name] = _SimdLibrary(path)
    return loaded[path.name]


def _load_simd():
    """The loaded library, loading it now if needed; ``None`` (and an error) if it cannot."""
    if _simd_state["lib"] is None and _simd_state["error"] is None:
        try:
            if not SIMD_FILE.exists():
                raise FileNotFoundError(f"{SIMD_FILE} is missing")
            _simd_state["lib"] = _library(SIMD_FILE)
        except Exception as error:            # any failure means: use einsum instead
            _simd_state["error"] = f"could not load {SIMD_FILE.name}: {type(error).__name__}: {error}"
    return _simd_state["lib"]


def _use_relaxed(relaxed):
    """Point the SIMD products at the relaxed build (``relaxed``) or the plain one; raises
    ValueError (and keeps the build in use) when the relaxed build is absent or cannot load."""
    if not relaxed:
        _simd_state["lib"] = _library(SIMD_FILE)
        return
    path = SIMD_FILE.with_name(RELAXED_NAME)
    if not path.exists():
        raise ValueError(f"relaxed=True: {RELAXED_NAME} is not in this wheel (it was built without "
                         f"LLVM 16+). Use kernels.use('simd') instead.")
    try:
        _simd_state["lib"] = _library(path)
    except Exception as error:                # e.g. Node 20 without --experimental-wasm-relaxed-simd
        raise ValueError(f"relaxed=True: this engine cannot run relaxed SIMD ({type(error).__name__}: "
                         f"{error}). Use kernels.use('simd') instead.") from None


def _operand(x, writable_address):
    """(address, rows, cols, row stride in floats) of a 2-D float32 array whose rows are
    contiguous, else None. ``writable_address`` is the loaded library's fast path."""
    if type(x) is not np.ndarray or x.ndim != 2 or (x.dtype is not _F32 and x.dtype != _F32):
        return None
    rows, cols = x.shape
    addr = writable_address(x)                # C-contiguous and writable: the usual case
    if addr is not None:
        return addr, rows, cols, cols
    s0, s1 = x.strides
    if s1 != 4 and cols > 1:
        return None
    if rows <= 1:
        ld = cols
    elif s0 % 4 or s0 < 4 * cols:             # negative, overlapping or odd row strides
        return None
    else:
        ld = s0 // 4
    return x.__array_interface__["data"][0], rows, cols, ld


def _end(addr, rows, cols, ld):
    """One past the last byte of a (rows, cols) float32 operand with row stride ld."""
    return addr + 4 * ((rows - 1) * ld + cols)


def _simd_gemm(trans, a, b, out, alpha, beta):
    """The side module's product, or None when it does not cover these operands."""
    lib = _simd_state["lib"] or _load_simd()
    if lib is None:
        _fall_back_for_good()
        return None
    # a, b and out stay bound to names for the whole call: their addresses stay valid.
    ra, rb = _operand(a, lib.writable_address), _operand(b, lib.writable_address)
    if ra is None or rb is None:
        return None
    if trans == _NN:
        (addr_a, m, k, ld_a), (addr_b, kb, n, ld_b) = ra, rb
    elif trans == _TN:
        (addr_a, k, m, ld_a), (addr_b, kb, n, ld_b) = ra, rb
    else:
        (addr_a, m, k, ld_a), (addr_b, n, kb, ld_b) = ra, rb
    if k != kb or m == 0 or n == 0:
        return None                           # einsum raises (or returns) the usual way
    if out is None:
        if beta != 0.0:
            return None
        out = np.empty((m, n), dtype=np.float32)
        addr_c, ld_c = lib.writable_address(out), n
    else:
        rc = _operand(out, lib.writable_address)
        if rc is None or out.shape != (m, n) or not out.flags.writeable:
            return None
        addr_c, ld_c = rc[0], rc[3]
        end_c = _end(*rc)
        if (addr_c < _end(*ra) and addr_a < end_c) or (addr_c < _end(*rb) and addr_b < end_c):
            if beta != 0.0:                   # out overlaps an operand: not in place
                return None
            np.copyto(out, _simd_gemm(trans, a, b, None, alpha, 0.0))
            return out
    fa = lib.one if alpha == 1.0 else lib.c_float(alpha)
    fb = lib.zero if beta == 0.0 else lib.c_float(beta)
    status = lib.fn(trans, m, n, k, fa, addr_a, ld_a, addr_b, ld_b, fb, addr_c, ld_c,
                    lib.work_addr)
    if status != 0:
        raise RuntimeError(f"pynn_sgemm rejected trans={trans} m={m} n={n} k={k} "
                           f"lda={ld_a} ldb={ld_b} ldc={ld_c} (status {status})")
    return out


def _simd_product(trans, fallback):
    def product(a, b, out=None):
        result = _simd_gemm(trans, a, b, out, 1.0, 0.0)
        return fallback(a, b, out=out) if result is None else result
    product.__name__ = ("mm", "mm_tn", "mm_nt")[trans]
    return product


_KERNELS["simd"] = (_simd_product(_NN, _KERNELS["einsum"][0]),
                    _simd_product(_TN, _KERNELS["einsum"][1]),
                    _simd_product(_NT, _KERNELS["einsum"][2]))


# ---------------------------------------------------------------- choosing a kernel

def default():
    """``"simd"`` inside WebAssembly when its side module ships (and has not failed to load),
    else ``"einsum"`` there; ``"matmul"`` (BLAS) everywhere else."""
    if sys.platform != "emscripten":
        return "matmul"
    return "simd" if simd_available() else "einsum"


active = default()
mm, mm_tn, mm_nt = _KERNELS[active]


def use(name="auto", relaxed=False):
    """Select the kernel: ``"auto"`` (per platform, see ``default()``), ``"einsum"``,
    ``"matmul"`` or ``"simd"`` (WebAssembly only; loaded now, so that a failure shows here).
    ``relaxed=True`` (with ``"simd"``, or ``"auto"`` where that is simd) runs the relaxed-SIMD
    build: faster, but its weights differ from engine to engine (see the module's docstring).
    Returns the name now active; on a ValueError nothing changes."""
    global active, mm, mm_tn, mm_nt
    choice = default() if name == "auto" else name
    if choice not in _KERNELS:
        raise ValueError(f"Unknown kernel {name!r}; valid: auto, {', '.join(_KERNELS)}.")
    if choice == "simd" and (not simd_available() or _load_simd() is None):
        raise ValueError(f"The 'simd' kernel cannot be used: {simd_error()}. "
                         f"Use 'auto', 'einsum' or 'matmul' instead.")
    if relaxed and choice != "simd":
        raise ValueError(f"relaxed=True applies to the 'simd' kernel only; got {choice!r}.")
    if choice == "simd":
        _use_relaxed(relaxed)
    active = choice
    mm, mm_tn, mm_nt = _KERNELS[choice]
    return active


def simd_library():
    """The loaded side module (``.lib`` the ctypes library, ``.fn`` pynn_sgemm, ``.work_addr``,
    ``.writable_address``) when the active kernel is ``"simd"``, else None. For callers that
    cache array addresses (``py_nn.fastpath``); they must keep those arrays alive."""
    return _simd_state["lib"] or _load_simd() if active == "simd" else None


def _fall_back_for_good():
    """The side module failed to load: switch the module-level products to einsum."""
    global active, mm, mm_tn, mm_nt
    if active == "simd":
        active = "einsum"
        mm, mm_tn, mm_nt = _KERNELS["einsum"]


def gemm(a, b, out, alpha=1.0, beta=0.0, trans_a=False, trans_b=False):
    """``out[...] = alpha * op(a) @ op(b) + beta * out``, in place, with the active kernel.

    op(x) is ``x.T`` when ``trans_?`` is set (not both). ``beta == 0`` never reads ``out``
    (it may hold garbage). The SIMD kernel does it in one pass (useful to fold e.g. SGD
    momentum into a gradient product); the other kernels compute the product, then combine.

    Parameters
    ----------
    a : ndarray of shape (m, k), or (k, m) with ``trans_a``
    b : ndarray of shape (k, n), or (n, k) with ``trans_b``
    out : ndarray of shape (m, n), updated in place and returned
    """
    if trans_a and trans_b:
        raise ValueError("gemm: trans_a and trans_b cannot both be set; pass a @ b and "
                         "transpose the result instead.")
    trans = _TN if trans_a else _NT if trans_b else _NN
    if active == "simd" and _simd_gemm(trans, a, b, out, float(alpha), float(beta)) is not None:
        return out
    product = (mm, mm_tn, mm_nt)[trans](a, b)
    if beta == 0.0:
        np.multiply(product, alpha, out=out, casting="same_kind")
    else:
        out *= beta
        out += alpha * product if alpha != 1.0 else product
    return out
