"""Memory on a tablet's budget: training on all 60,000 MNIST digits keeps the worker under 512 MB.

The worker reports its WebAssembly memory with every fit (``memory.wasmBytes``; wasm memory never
shrinks, so after the fit it is the fit's peak); the JS side of the worker (V8 heap and
ArrayBuffers) is read over the DevTools protocol, as the benchmark reads it
(tools/bench_browser.py). One epoch: the peak is reached in the first (the data are loaded and
the run's buffers made then). A memory budget, not a timing.
"""
import sys

from app_page import ROOT

if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
from tools.bench_browser import WorkerHeap  # noqa: E402

BUDGET = 512 * 2**20  # a tablet's share for one tab's worker
MB = 2**20


def test_a_fit_on_all_60000_digits_stays_within_512_mb(open_app):
    app = open_app()
    heap = WorkerHeap(app.page.context, app.page)
    at_ready = heap.usage()
    result = app.page.evaluate("""() => window.pynn.fit({samples: 60000, epochs: 1})
        .then((r) => ({committed: r.committed, accuracy: r.evaluation.accuracy, memory: r.memory,
                       trained: r.history.loss.length}))""")
    after = heap.usage()
    assert result["committed"] and result["trained"] == 1
    assert result["accuracy"] > 0.9                     # it trained on the digits
    wasm = result["memory"]["wasmBytes"]
    assert wasm >= 47 * MB, f"{wasm / MB:.0f} MB: less than the 60,000 digits' own 47 MB?"
    assert wasm < BUDGET, f"the worker's WebAssembly memory reached {wasm / MB:.0f} MB"
    js = max(s["totalSize"] + s["backingStorageSize"] for s in (at_ready, after))
    assert wasm + js < BUDGET, (f"wasm {wasm / MB:.0f} MB + JS side {js / MB:.0f} MB "
                                f"= {(wasm + js) / MB:.0f} MB")
