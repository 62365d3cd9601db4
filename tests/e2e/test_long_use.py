"""Long use: many training runs and thousands of predictions in one page keep memory flat.

Measured through the DevTools protocol after a garbage collection: the page's JavaScript heap, and
in the worker its JavaScript heap, its ArrayBuffer backing stores and the size of Pyodide's
WebAssembly memory (read in the paused worker: it offers no request for it). WebAssembly memory only ever
grows, so a network, optimizer state or PyProxy kept per run would show there: each run below
trains a 784-128-10 network whose weights and Adam state take about 1.2 MB.
"""

import json
import time

RUNS = 24
PREDICTIONS = 3000
MB = 1e6

PREDICT_MANY = """async n => {
    const px = new Float32Array(784);
    for (let i = 0; i < n; i++) {
        for (let j = 0; j < 784; j++) px[j] = ((i * 31 + j * 7) % 97) / 96;
        const r = await window.pynn.predict(px);
        if (r.probabilities.length !== 10) throw new Error('bad prediction');
    }
    return n;
}"""

FIT_MANY = """async n => {
    for (let i = 0; i < n; i++) {
        const r = await window.pynn.fit({hidden: [128], epochs: 1, samples: 400, batchSize: 100, seed: i});
        if (!r.committed) throw new Error('a run did not finish');
    }
    return n;
}"""


class WorkerProbe:
    """Runtime calls in the page's worker over a non-flattened DevTools session."""

    def __init__(self, page):
        self.page = page
        self.cdp = page.context.new_cdp_session(page)
        self.replies = {}
        self.paused = []
        self.sessions = []
        self.cdp.on("Target.attachedToTarget", lambda e: self.sessions.append(e["sessionId"])
                    if e["targetInfo"]["type"] == "worker" else None)
        self.cdp.on("Target.receivedMessageFromTarget", self._received)
        self.cdp.send("Target.setAutoAttach", {"autoAttach": True, "waitForDebuggerOnStart": False, "flatten": False})
        self.next_id = 1

    def _received(self, event):
        msg = json.loads(event["message"])
        if "id" in msg:
            self.replies[msg["id"]] = msg
        elif msg.get("method") == "Debugger.paused":
            self.paused.append(msg["params"])

    def _until(self, done, what, timeout_s=30):
        deadline = time.monotonic() + timeout_s
        while not done():  # protocol events are delivered while Playwright runs, hence the short waits
            assert time.monotonic() < deadline, what
            self.page.wait_for_timeout(20)

    def send(self, method, params=None):
        self._until(lambda: self.sessions, "no worker target attached")
        mid, self.next_id = self.next_id, self.next_id + 1
        self.cdp.send("Target.sendMessageToTarget", {"sessionId": self.sessions[-1],
                                                      "message": json.dumps({"id": mid, "method": method, "params": params or {}})})
        self._until(lambda: mid in self.replies, f"no reply to {method} from the worker")
        reply = self.replies.pop(mid)
        assert "error" not in reply, reply
        return reply["result"]

    def wasm_memory(self) -> int:
        """Bytes of Pyodide's WebAssembly memory: pause the worker in its message handler (a
        prediction wakes it) and read `ctx.pyodide._module.HEAP8.length` (worker/context.js) in that frame."""
        self.paused.clear()
        self.send("Debugger.enable")
        self.send("Debugger.pause")
        self.page.evaluate("() => { window.pynn.predict(new Float32Array(784)); }")
        self._until(lambda: self.paused, "the worker never paused")
        frame = self.paused[0]["callFrames"][0]["callFrameId"]
        out = self.send("Debugger.evaluateOnCallFrame", {"callFrameId": frame, "returnByValue": True,
                                                         "expression": "ctx.pyodide._module.HEAP8.length"})
        self.send("Debugger.resume")
        self.send("Debugger.disable")
        assert out["result"].get("type") == "number", out
        return out["result"]["value"]


def measure(page, page_cdp, worker):
    page_cdp.send("HeapProfiler.collectGarbage")
    worker.send("HeapProfiler.collectGarbage")
    p = page_cdp.send("Runtime.getHeapUsage")
    w = worker.send("Runtime.getHeapUsage")
    return {"page_js": p["usedSize"], "worker_js": w["usedSize"], "worker_buffers": w.get("backingStorageSize", 0),
            "worker_wasm": worker.wasm_memory()}


def test_many_runs_and_predictions_keep_memory_flat(app):
    page = app.page
    # the start-up snapshot is written in the background after Ready (web/worker/snapshot/store.js):
    # let it finish, so the worker pauses in a request below and its buffers are not counted
    ready = page.evaluate("() => window.pynn.ready.then((r) => ({how: r.stages.snapshot, id: r.build.build_id}))")
    if ready["how"] == "saving":
        assert app.wait_snapshot_written(ready["id"]) is not None, "the start-up snapshot was not written within 60 s"
    page_cdp = page.context.new_cdp_session(page)
    worker = WorkerProbe(page)
    # warm up: first-use allocations are not a leak (Pyodide's memory grows to its working size
    # during the first few runs: 76 -> 91 MB, then stays there)
    page.evaluate(FIT_MANY, 6)
    page.evaluate(PREDICT_MANY, 300)
    before = measure(page, page_cdp, worker)
    for _ in range(4):
        page.evaluate(FIT_MANY, RUNS // 4)
        page.evaluate(PREDICT_MANY, PREDICTIONS // 4)
    after = measure(page, page_cdp, worker)

    growth = {k: after[k] - before[k] for k in before}
    print("\nlong use: %d training runs, %d predictions" % (RUNS, PREDICTIONS))
    for k in before:
        print(f"  {k:15s} before {before[k] / MB:8.2f} MB  after {after[k] / MB:8.2f} MB  growth {growth[k] / MB:+7.2f} MB")
    assert before["worker_wasm"] > 32 * MB, f"that is not Pyodide's memory (it holds the digits as float32): {before}"
    assert growth["page_js"] < 2 * MB, growth
    assert growth["worker_js"] < 2 * MB, growth
    assert growth["worker_buffers"] < 4 * MB, growth
    assert growth["worker_wasm"] < 8 * MB, growth
