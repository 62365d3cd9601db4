"""The web benchmark's measurements: browsers launched and driven, numbers taken.

- Ready on a first visit (fresh profile) and a repeat visit (same profile), and the first visit's
  requests, through an *engine* (:class:`Chromium`; see below for a second one);
- predict latency through ``window.pynn``, then one fit per (model, batch) in py_nn's page
  (tests/bench/pynn_driver.js, injected), in TF.js's page (tests/bench/tfjs_bench.{html,js}) and
  on CPython (tests/bench/pynn_cpython.py, the native reference), in rotating order.

Each function returns plain data for tools/bench_report.py; progress lines are printed.

**The engine seam.** :func:`measure_visits` drives a browser only through ``engine.name`` and
``engine.open_profile(folder)``, which returns a browser context with Playwright's
BrowserContext calls used there: ``add_init_script(js)``, ``on("request", f)``, ``new_page()``
(a page with ``goto(url, wait_until=)``, ``evaluate(js)``, ``wait_for_function(js, timeout=)``,
``close()``) and ``close()``. Another engine (Firefox over WebDriver BiDi, say) is a class with
those, measured as ``measure_visits(Firefox(...), site, rounds)``.
"""
import json
import os
import sys
import tempfile
from pathlib import Path

from tools.bench_report import percentile
from tools.bench_serve import BENCH_SRC, wire_bytes
from tools.env import BuildError, clean_env, run
from tools.paths import SITE
from tools.suites import ensure_chromium

MODELS = [[128], [256, 128]]
BATCHES = [32, 128]
LEARNING_RATE = 0.01
MOMENTUM = 0.9  # py_nn's SGD default; TF.js gets tf.train.momentum(lr, 0.9)
# All of MNIST's 60,000 training digits through the page, 784-128-10, batch 64: the second epoch
# is the measurement (the first fetches the six training shards and warms up).
FULL_EPOCH = {"hidden": [128], "batchSize": 64, "epochs": 2, "learningRate": LEARNING_RATE,
              "samples": 60000}
CHROMIUM_FLAGS = ["--no-sandbox", "--disable-background-networking", "--disable-component-update",
                  "--disable-sync", "--no-first-run"]
VISIT_TIMEOUT_MS = 180_000


# ---------------------------------------------------------------------------- CPU time

def tree_cpu_seconds():
    """CPU seconds (user + system) used so far by the processes this one started (Chromium's);
    None where /proc is missing. Less sensitive than wall time to other work on the machine."""
    if not Path("/proc/self/stat").exists():
        return None
    tick = os.sysconf("SC_CLK_TCK")
    parent, cpu = {}, {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            text = Path(entry.path, "stat").read_text()
        except OSError:
            continue
        fields = text[text.rindex(")") + 2:].split()  # state, ppid, ..., utime (12th), stime (13th)
        parent[int(entry.name)] = int(fields[1])
        cpu[int(entry.name)] = (int(fields[11]) + int(fields[12])) / tick
    mine, grew = {os.getpid()}, True
    while grew:
        new = {pid for pid, ppid in parent.items() if ppid in mine} - mine
        mine |= new
        grew = bool(new)
    return sum(cpu[pid] for pid in mine if pid != os.getpid())


def cpu_timed(call):
    """call() -> dict, with "cpuS": the CPU seconds Chromium (and any child) spent meanwhile."""
    before = tree_cpu_seconds()
    result = call()
    after = tree_cpu_seconds()
    result["cpuS"] = None if before is None else after - before
    return result


# ---------------------------------------------------------------------------- engines

class Chromium:
    """Debian's Chromium, headless through Playwright (``pw``: a started sync_playwright())."""

    name = "Chromium"

    def __init__(self, pw):
        self.pw = pw
        self.options = {"executable_path": ensure_chromium(), "headless": True, "args": CHROMIUM_FLAGS}

    def open_profile(self, folder):
        """A browser context on the profile in ``folder`` (kept on disk, as a person's)."""
        return self.pw.chromium.launch_persistent_context(folder, **self.options)

    def launch(self):
        """A browser with fresh in-memory contexts (the training comparison)."""
        return self.pw.chromium.launch(**self.options)


# ---------------------------------------------------------------------------- visits

def wait_ready(page):
    """ms from navigation start to pynn.ready resolving (recorded by tests/bench/ready_hook.js)."""
    page.wait_for_function("() => window.__pynnBenchReadyAt !== undefined || "
                           "window.__pynnBenchReadyError !== undefined", timeout=VISIT_TIMEOUT_MS)
    error = page.evaluate("() => window.__pynnBenchReadyError")
    if error:
        raise BuildError(f"the page did not become Ready: {error}")
    return page.evaluate("() => window.__pynnBenchReadyAt")


# The first visit writes its start-up snapshot in the background after Ready; the page says when
# it is written and read back (pynn.snapshotSaved): wait for it (at most 60 s) before the repeat visit.
WAIT_SNAPSHOT_SAVED = """async () => {
    const late = new Promise((r) => setTimeout(() => r({ state: 'not written within 60 s' }), 60000));
    return (await Promise.race([window.pynn.snapshotSaved, late])).state;
}"""


def measure_visits(engine, site, rounds):
    """Ready on first and repeat visits of ``site`` (a RecordingServer) in ``engine``, a fresh
    profile per round, and the first visit's bytes."""
    hook = (BENCH_SRC / "ready_hook.js").read_text()
    first, repeat, wire, seen, how = [], [], None, [], []
    for number in range(rounds):
        with tempfile.TemporaryDirectory(prefix="pynn-bench-profile-") as profile:
            context = engine.open_profile(profile)
            try:
                context.add_init_script(hook)
                requests = []
                context.on("request", lambda r: requests.append(r.url))
                start = len(site.log)
                page = context.new_page()
                page.goto(site.url, wait_until="commit")
                first.append(wait_ready(page))
                at_ready = len(site.log)
                page.evaluate("() => navigator.serviceWorker && Promise.race([navigator.serviceWorker.ready, "
                              "new Promise((ok) => setTimeout(ok, 60000))])")
                page.evaluate(WAIT_SNAPSHOT_SAVED)  # a repeat visit starts from it once it is written
                site.wait_quiet()
                if number == 0:
                    wire = wire_bytes(site.directory, site.log[start:])
                    wire["by_ready"] = wire_bytes(site.directory, site.log[start:at_ready])["wire"]
                    wire["browser_requests"] = len(requests)
                page.close()
                page = context.new_page()
                page.goto(site.url, wait_until="commit")
                repeat.append(wait_ready(page))
                seen.append(page.evaluate("() => window.pynn.buildInfo() && window.pynn.buildInfo().build_id"))
                how.append(page.evaluate("() => window.pynn.ready.then((r) => r.stages.snapshot)"))
            finally:
                context.close()
        print(f"   visit round {number + 1}/{rounds}: Ready first {first[-1] / 1000:.2f} s, "
              f"repeat {repeat[-1] / 1000:.2f} s (snapshot: {how[-1]})", flush=True)
    return {"first_ms": first, "repeat_ms": repeat, "repeat_snapshot": how, "wire": wire,
            "build_id": seen[0] if seen else None}


# ---------------------------------------------------------------------------- training

def measure_training(engine, site, bench, epochs, predict_calls, tmp):
    """Predict latency, then every (model, batch) in py_nn's page, TF.js's page and CPython, the
    order rotating from one configuration to the next so that a busy machine slows all alike."""
    browser = engine.launch()
    try:
        context = browser.new_context(bypass_csp=True)  # the driver is an injected script; the page runs as served
        page = context.new_page()
        page.goto(site.url + "?nosw")  # no service-worker precache competing with the timings
        page.evaluate("() => window.pynn.ready")
        page.add_script_tag(path=str(BENCH_SRC / "pynn_driver.js"))
        predict = page.evaluate("(o) => window.pynnBench.predictLatency(o)", {"count": predict_calls, "warmup": 10})
        p50, p95 = (percentile(predict["ms"], q) for q in (50, 95))
        print(f"   predict: p50 {p50:.2f} ms, p95 {p95:.2f} ms ({predict['correct']}/{predict_calls} correct)",
              flush=True)
        tf_page = context.new_page()
        tf_page.goto(bench.url + "tfjs_bench.html")
        tfjs_info = tf_page.evaluate("() => window.tfjsBench.ready")
        runs, cpython_rows, cpython_info = [], [], None
        for index, (hidden, batch) in enumerate((h, b) for h in MODELS for b in BATCHES):
            options = {"hidden": hidden, "batchSize": batch, "epochs": epochs,
                       "learningRate": LEARNING_RATE, "samples": 8000}
            sides = {
                "pynn": lambda: cpu_timed(lambda: page.evaluate("(o) => window.pynnBench.fit(o)", options)),
                "tfjs": lambda: cpu_timed(lambda: tf_page.evaluate("(o) => window.tfjsBench.run(o)",
                                                                   {**options, "momentum": MOMENTUM})),
                "cpython": lambda: measure_cpython(hidden, batch, epochs, tmp),
            }
            order = list(sides)[index % 3:] + list(sides)[:index % 3]
            row = {"hidden": hidden, "batchSize": batch, "order": order}
            for side in order:
                row[side] = sides[side]()
            native = row.pop("cpython")
            cpython_info = native["info"]
            cpython_rows.append(native["results"][0])
            runs.append(row)
            print(f"   {'-'.join(map(str, [784, *hidden, 10]))} batch {batch}: "
                  f"py_nn page {' '.join(f'{t / 1000:.3f}' for t in row['pynn']['epochMs'])} s; "
                  f"TF.js {' '.join(f'{t / 1000:.3f}' for t in row['tfjs']['epochMs'])} s", flush=True)
        full = cpu_timed(lambda: measure_full_fit(browser, site))
        mem = full["memory"]
        print(f"   60,000 digits, 784-128-10 batch 64: py_nn page "
              f"{' '.join(f'{t / 1000:.3f}' for t in full['epochMs'])} s per epoch; worker memory "
              f"{mem['totalBytes'] / 2**20:.0f} MB (wasm {mem['wasmBytes'] / 2**20:.0f} MB, JS heap "
              f"{mem['jsHeapBytes'] / 2**20:.0f} MB, ArrayBuffers {mem['arrayBufferBytes'] / 2**20:.0f} MB)",
              flush=True)
        wasm = sorted({Path(p).name for _, p, _ in bench.log if p.endswith(".wasm")})
        return {"chromium": browser.version, "predict": predict, "runs": runs, "full_epoch": full,
                "tfjs": {**tfjs_info, "wasm_fetched": wasm}}, {"info": cpython_info, "results": cpython_rows}
    finally:
        browser.close()


class WorkerHeap:
    """The V8 heap of the page's Web Worker, read over the Chrome DevTools Protocol: the page's
    session auto-attaches to its worker target, and ``Runtime.getHeapUsage`` is sent to it
    (``Target.sendMessageToTarget``: Playwright's CDP sessions cannot address a child session)."""

    def __init__(self, context, page):
        self.page, self.cdp = page, context.new_cdp_session(page)
        self.workers, self.replies, self.next_id = [], {}, 0
        self.cdp.on("Target.attachedToTarget", lambda ev: ev["targetInfo"]["type"] == "worker"
                    and self.workers.append(ev["sessionId"]))
        self.cdp.on("Target.receivedMessageFromTarget", self._reply)
        self.cdp.send("Target.setAutoAttach", {"autoAttach": True, "waitForDebuggerOnStart": False,
                                               "flatten": False})

    def _reply(self, event):
        message = json.loads(event["message"])
        if "id" in message:
            self.replies[message["id"]] = message.get("result")

    def usage(self, timeout_ms=10_000):
        """{usedSize, totalSize, backingStorageSize, ...} in bytes (Runtime.getHeapUsage)."""
        waited = 0
        while not self.workers and waited < timeout_ms:
            self.page.wait_for_timeout(50)  # Playwright delivers CDP events while it waits
            waited += 50
        if not self.workers:
            raise BuildError("the page's worker did not show up over the DevTools protocol")
        self.next_id += 1
        self.cdp.send("Target.sendMessageToTarget", {"sessionId": self.workers[0], "message": json.dumps(
            {"id": self.next_id, "method": "Runtime.getHeapUsage"})})
        while self.next_id not in self.replies and waited < timeout_ms:
            self.page.wait_for_timeout(20)
            waited += 20
        if self.next_id not in self.replies:
            raise BuildError("the page's worker did not answer Runtime.getHeapUsage")
        return self.replies.pop(self.next_id)


def measure_full_fit(browser, site):
    """All 60,000 MNIST training digits (FULL_EPOCH) in a fresh page, once its start-up snapshot is
    written: the epochs, and the worker's memory. ``wasmBytes``: the WebAssembly memory after the
    fit (it never shrinks: its peak); the JS side, sampled about every 0.25 s, at its largest: the
    V8 heap (``totalSize``) and the ArrayBuffers outside the wasm memory (``backingStorageSize``,
    which does not count the wasm memory: checked by growing one). ``totalBytes`` adds the two
    peaks, so it is at least the worker's true peak."""
    context = browser.new_context(bypass_csp=True)
    try:
        page = context.new_page()
        page.goto(site.url + "?nosw")
        page.evaluate("() => window.pynn.ready")
        page.evaluate(WAIT_SNAPSHOT_SAVED)  # the fit's epochs do not share the CPU with writing it
        page.add_script_tag(path=str(BENCH_SRC / "pynn_driver.js"))
        heap = WorkerHeap(context, page)
        samples = [heap.usage()]
        page.evaluate("(o) => { window.__full = null; window.pynnBench.fit(o).then((r) => { window.__full = r; }, "
                      "(e) => { window.__full = { error: String(e) }; }); }", FULL_EPOCH)
        while page.evaluate("() => window.__full") is None:
            samples.append(heap.usage())
            page.wait_for_timeout(250)
        result = page.evaluate("() => window.__full")
        if "error" in result:
            raise BuildError(f"the 60,000-digit fit failed: {result['error']}")
        samples.append(heap.usage())
    finally:
        context.close()
    wasm = result["memory"]["wasmBytes"]
    js = max(samples, key=lambda s: s["totalSize"] + s["backingStorageSize"])
    result["memory"] = {"wasmBytes": wasm, "jsHeapBytes": js["totalSize"],
                        "arrayBufferBytes": js["backingStorageSize"], "samples": len(samples),
                        "totalBytes": wasm + js["totalSize"] + js["backingStorageSize"]}
    return result


def measure_cpython(hidden, batch, epochs, tmp):
    """py_nn on CPython (installed wheel, float32, one BLAS thread): one fit, as a result row."""
    out = Path(tmp) / "cpython.json"
    cmd = [sys.executable, "-P", BENCH_SRC / "pynn_cpython.py", "--data", SITE / "data", "--out", out,
           "--runs", json.dumps([{"hidden": hidden, "batchSize": batch}]), "--epochs", str(epochs),
           "--lr", str(LEARNING_RATE)]
    run(cmd, cwd=tmp, env=clean_env(PYNN_REQUIRE_INSTALLED=1), what="CPython reference")
    return json.loads(out.read_text())
