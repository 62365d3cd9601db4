"""The training benchmark (`python3 build.py bench`): one epoch in CPython and in Pyodide
(Node.js), `@` vs `einsum` vs the WebAssembly SIMD kernel (`simd`, Pyodide only), printed as
markdown tables; then the browser comparison of
tools/bench_web.py (py_nn in the page vs TensorFlow.js wasm vs CPython, start-up, bytes)."""
import json
import sys
import tempfile
from pathlib import Path

from tools.env import clean_env, run, section
from tools.paths import ROOT, SITE, TESTS
from tools.pins import PYODIDE_VERSION
from tools.site import build_site
from tools.suites import node_binary, node_version
from tools.wheel import install_wheel


KERNEL_LABELS = {"matmul": "`@`", "einsum": "`einsum`", "simd": "`simd` (WebAssembly SIMD)"}


def median(values):
    """Median of a non-empty list."""
    ordered = sorted(values)
    mid = len(ordered) // 2
    return ordered[mid] if len(ordered) % 2 else (ordered[mid - 1] + ordered[mid]) / 2


def run_bench():
    """Build, then time one epoch in CPython and in Pyodide; print a markdown table."""
    build_site()
    wheel = SITE / json.loads((SITE / "build.json").read_text())["wheel"]
    install_wheel(wheel)
    bench_py = TESTS / "pyodide" / "bench_pynn.py"
    section("Benchmark: CPython (native NumPy)")
    with tempfile.TemporaryDirectory(prefix="pynn-bench-") as tmp:
        out = Path(tmp) / "cpython.json"
        run([sys.executable, bench_py, "--data", SITE / "data", "--out", out,
             "--configs", "float64:matmul,float32:matmul,float32:einsum", "--runs", "5"],
            cwd=tmp, env=clean_env(PYNN_REQUIRE_INSTALLED=1), what="CPython benchmark")
        cpython = json.loads(out.read_text())
        section("Benchmark: Pyodide in Node.js (WebAssembly)")
        out2 = Path(tmp) / "pyodide.json"
        run([node_binary(), TESTS / "pyodide" / "bench.mjs", "--site", SITE,
             "--wheel", wheel, "--bench", bench_py, "--data", SITE / "data", "--out", out2,
             "--configs", "float64:matmul,float32:matmul,float32:einsum,float32:simd",
             "--runs", "5"],
            cwd=ROOT, what="Pyodide benchmark")
        pyodide = json.loads(out2.read_text())

    rows = [("CPython", r) for r in cpython["results"]] + [("Pyodide (Node)", r) for r in pyodide["results"]]
    section("Results")
    print("One epoch of [784, 128, 10] ReLU / softmax / cross-entropy, SGD momentum 0.9, "
          f"{cpython['samples']:,} MNIST digits; median of n runs (seconds). CPython: NumPy "
          f"{cpython['numpy']}, single-threaded BLAS; Pyodide {PYODIDE_VERSION}: NumPy "
          f"{pyodide['numpy']} in Node.js {node_version()}.\n")
    print("| runtime | dtype | kernel | batch 32 | batch 128 | runs |")
    print("|---|---|---|---|---|---|")
    table = {}
    for runtime, r in rows:
        key = (runtime, r["dtype"], r["kernel"])
        table[key] = r
        kernel = KERNEL_LABELS.get(r["kernel"], r["kernel"])
        print(f"| {runtime} | {r['dtype']} | {kernel} | {median(r['epoch_32']):.3f} s | "
              f"{median(r['epoch_128']):.3f} s | {len(r['epoch_32'])} |")
    print()
    pm = table.get(("Pyodide (Node)", "float32", "matmul"))
    pe = table.get(("Pyodide (Node)", "float32", "einsum"))
    ps = table.get(("Pyodide (Node)", "float32", "simd"))
    cm = table.get(("CPython", "float32", "matmul"))
    ce = table.get(("CPython", "float32", "einsum"))
    print("| ratio | batch 32 | batch 128 |")
    print("|---|---|---|")
    for label, a, b in [("Pyodide: `@` time / `einsum` time (einsum speed-up)", pm, pe),
                        ("Pyodide: `einsum` time / `simd` time (SIMD kernel speed-up)", pe, ps),
                        ("CPython: `einsum` time / `@` time (`@` speed-up)", ce, cm),
                        ("Pyodide `einsum` / CPython `@` (float32)", pe, cm),
                        ("Pyodide `simd` / CPython `@` (float32; target at most 2x)", ps, cm)]:
        if a and b:
            print(f"| {label} | {median(a['epoch_32']) / median(b['epoch_32']):.2f}x | "
                  f"{median(a['epoch_128']) / median(b['epoch_128']):.2f}x |")
    print()
    for runtime, data in (("CPython", cpython), ("Pyodide (Node)", pyodide)):
        lat = data.get("predict_ms")
        if lat:
            print(f"- {runtime}: predict one digit, median {median(lat):.2f} ms over {len(lat)} calls "
                  f"(default kernel `{data.get('default_kernel')}`)")
    print(f"- Pyodide {PYODIDE_VERSION} startup in Node (loadPyodide + numpy + py_nn): "
          f"{pyodide.get('startup_s', 0):.1f} s")
    from tools.bench_web import run_web_bench  # the browser comparison (py_nn page vs TF.js)
    run_web_bench()
    return 0
