"""The web benchmark of `python3 build.py bench`: py_nn in the page against TensorFlow.js 4.22.

One run, one headless Chromium (Debian's, through Playwright), side by side on the built site's
MNIST digits (8,000 training, 2,000 held out) and the same models (784-128-10, 784-256-128-10;
ReLU, softmax, categorical cross-entropy, SGD momentum 0.9, batch 32 and 128, shuffled):

- py_nn through ``window.pynn`` in the built site (tests/bench/pynn_driver.js, injected);
- TensorFlow.js 4.22, wasm backend with SIMD and no threads (tests/bench/tfjs_bench.{html,js}),
  fetched with ``npm pack``, checked against pinned sha512 values and served from a temporary
  folder: it is never copied into site/;
- py_nn on CPython with the installed wheel, float32 (tests/bench/pynn_cpython.py), the native
  reference;
- Ready on a first visit (fresh profile) and a repeat visit (same profile), medians of 3;
  predict latency over 200 real digits; bytes a compressing static host sends on a first visit.

Writes bench-results/latest.json and bench-results/latest.md and prints the table
(tools/bench_report.py formats it). Run: ``.venv/bin/python -m tools.bench_web [--epochs N]``.
"""
import argparse
import datetime
import gzip
import json
import os
import platform
import shutil
import subprocess
import sys
import tarfile
import tempfile
import threading
import time
import urllib.parse
from pathlib import Path

if __package__ in (None, ""):  # run as a script: make `tools` importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tools import bench_report  # noqa: E402
from tools.downloads import extract_member, npm_tarball  # noqa: E402
from tools.env import BuildError, clean_env, ensure_venv, in_venv, run, section  # noqa: E402
from tools.paths import ROOT, SITE, TESTS  # noqa: E402
from tools.pins import BENCH_NPM_PACKAGES  # noqa: E402
from tools.serve import make_server  # noqa: E402
from tools.suites import ensure_chromium  # noqa: E402
from tools.wheel import install_wheel  # noqa: E402

BENCH_SRC = TESTS / "bench"
RESULTS = ROOT / "bench-results"

TFJS_FILES = {
    "@tensorflow/tfjs": ["dist/tf.min.js"],
    "@tensorflow/tfjs-backend-wasm": ["dist/tf-backend-wasm.min.js", "dist/tfjs-backend-wasm.wasm",
                                      "dist/tfjs-backend-wasm-simd.wasm",
                                      "dist/tfjs-backend-wasm-threaded-simd.wasm"],
}
BENCH_PAGE_FILES = ["tfjs_bench.html", "tfjs_bench.js"]

MODELS = [[128], [256, 128]]
BATCHES = [32, 128]
LEARNING_RATE = 0.01
MOMENTUM = 0.9  # py_nn's SGD default; TF.js gets tf.train.momentum(lr, 0.9)
CHROMIUM_FLAGS = ["--no-sandbox", "--disable-background-networking", "--disable-component-update",
                  "--disable-sync", "--no-first-run"]
# What a compressing static host gzips; everything else (.whl, .zip, .png, .gz ...) goes raw.
COMPRESSIBLE = {".html", ".js", ".mjs", ".css", ".json", ".map", ".svg", ".txt", ".md", ".wasm",
                ".u8", ".webmanifest", ".ico"}
VISIT_TIMEOUT_MS = 180_000


# ---------------------------------------------------------------------------- small helpers

def machine_info():
    """CPU model, cores, load average, OS and date of this run."""
    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {"cpu": cpu, "cores": os.cpu_count(), "os": platform.platform(),
            "python": platform.python_version(),
            "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
            "load_before": [round(v, 2) for v in os.getloadavg()]}


def git_state():
    """The commit the site was built from, and whether the work tree had changes."""
    def git(*args):
        out = subprocess.run(["git", "-C", str(ROOT), *args], capture_output=True, text=True)
        return out.stdout.strip()
    return {"commit": git("rev-parse", "--short", "HEAD"), "branch": git("rev-parse", "--abbrev-ref", "HEAD"),
            "dirty": bool(git("status", "--porcelain", "--untracked-files=no"))}


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


# ---------------------------------------------------------------------------- TF.js folder

def make_bench_folder(tmp):
    """A folder with the TF.js page, TF.js and its wasm binaries, and a link to site/data."""
    folder = Path(tmp) / "bench-site"
    folder.mkdir()
    for name in TFJS_FILES:
        tgz = npm_tarball(name, pins=BENCH_NPM_PACKAGES)
        with tarfile.open(tgz) as tar:
            for member in TFJS_FILES[name]:
                extract_member(tar, f"package/{member}", folder / Path(member).name)
    for name in BENCH_PAGE_FILES:
        shutil.copy2(BENCH_SRC / name, folder / name)
    (folder / "data").symlink_to((SITE / "data").resolve(), target_is_directory=True)
    return folder


# ---------------------------------------------------------------------------- servers

class RecordingServer:
    """build.make_server on a free port in a thread, logging (time, path, status) of every response."""

    def __init__(self, directory):
        self.directory = Path(directory)
        self.log = []
        self.server = make_server(self.directory, 0, quiet=True)
        log = self.log

        class Recording(self.server.RequestHandlerClass):
            def send_response(self, code, message=None):
                log.append((time.monotonic(), self.path, code))
                super().send_response(code, message)

        self.server.RequestHandlerClass = Recording
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def wait_quiet(self, seconds=1.5, limit=60.0):
        """Wait until no response was started for ``seconds`` (at most ``limit`` seconds)."""
        deadline = time.monotonic() + limit
        while time.monotonic() < deadline:
            last = self.log[-1][0] if self.log else 0.0
            if time.monotonic() - last >= seconds:
                return
            time.sleep(0.2)

    def close(self):
        self.server.shutdown()
        self.server.server_close()


def wire_bytes(directory, entries, _gz_cache={}):
    """What a compressing host sends for ``entries`` [(time, path, status)]: per-file rows and sums.

    Compressible types count as their gzip -6 size; others raw. Non-200 answers count 0.
    """
    files = {}
    for _, path, code in entries:
        rel = urllib.parse.unquote(urllib.parse.urlsplit(path).path).lstrip("/")
        if rel == "" or rel.endswith("/"):
            rel += "index.html"
        row = files.setdefault(rel, {"path": rel, "responses": 0, "raw": 0, "wire": 0, "status": code})
        row["responses"] += 1
        target = Path(directory) / rel
        if code != 200 or not target.is_file():
            continue
        raw = target.stat().st_size
        wire = raw
        if target.suffix.lower() in COMPRESSIBLE:
            key = (str(target), target.stat().st_mtime_ns)
            if key not in _gz_cache:
                _gz_cache[key] = len(gzip.compress(target.read_bytes(), compresslevel=6))
            wire = _gz_cache[key]
        row["raw"] += raw
        row["wire"] += wire
        row["one_copy"] = wire
    rows = sorted(files.values(), key=lambda r: -r["wire"])
    return {"responses": len(entries), "raw": sum(r["raw"] for r in rows),
            "wire": sum(r["wire"] for r in rows),
            "wire_one_copy_each": sum(r.get("one_copy", 0) for r in rows), "files": rows}


# ---------------------------------------------------------------------------- browser runs

def launch_options():
    return {"executable_path": ensure_chromium(), "headless": True, "args": CHROMIUM_FLAGS}


def wait_ready(page):
    """ms from navigation start to pynn.ready resolving (recorded by tests/bench/ready_hook.js)."""
    page.wait_for_function("() => window.__pynnBenchReadyAt !== undefined || "
                           "window.__pynnBenchReadyError !== undefined", timeout=VISIT_TIMEOUT_MS)
    error = page.evaluate("() => window.__pynnBenchReadyError")
    if error:
        raise BuildError(f"the page did not become Ready: {error}")
    return page.evaluate("() => window.__pynnBenchReadyAt")


# The first visit writes its start-up snapshot (web/snapshot-store.js) in the background after
# Ready, as <build_id>.snapshot once complete: wait for it (at most 60 s) before the repeat visit.
WAIT_SNAPSHOT_SAVED = """async () => {
    const { build, stages } = await window.pynn.ready;
    if (stages.snapshot !== 'saved') return stages.snapshot;
    const t0 = performance.now();
    while (performance.now() - t0 < 60000) {
        try {
            const dir = await (await navigator.storage.getDirectory()).getDirectoryHandle('pynn-snapshots');
            await dir.getFileHandle(`${build.build_id}.snapshot`);
            return 'written';
        } catch (e) { await new Promise((r) => setTimeout(r, 200)); }
    }
    return 'not written';
}"""


def measure_visits(pw, site, rounds):
    """Ready on first and repeat visits (a fresh profile per round) and the first visit's bytes."""
    hook = (BENCH_SRC / "ready_hook.js").read_text()
    first, repeat, wire, seen, how = [], [], None, [], []
    for number in range(rounds):
        with tempfile.TemporaryDirectory(prefix="pynn-bench-profile-") as profile:
            context = pw.chromium.launch_persistent_context(profile, **launch_options())
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


def measure_training(pw, site, bench, epochs, predict_calls, tmp):
    """Predict latency, then every (model, batch) in py_nn's page, TF.js's page and CPython, the
    order rotating from one configuration to the next so that a busy machine slows all alike."""
    browser = pw.chromium.launch(**launch_options())
    try:
        context = browser.new_context(bypass_csp=True)  # the driver is an injected script; the page runs as served
        page = context.new_page()
        page.goto(site.url + "?nosw")  # no service-worker precache competing with the timings
        page.evaluate("() => window.pynn.ready")
        page.add_script_tag(path=str(BENCH_SRC / "pynn_driver.js"))
        predict = page.evaluate("(o) => window.pynnBench.predictLatency(o)", {"count": predict_calls, "warmup": 10})
        p50, p95 = (bench_report.percentile(predict["ms"], q) for q in (50, 95))
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
        wasm = sorted({Path(p).name for _, p, _ in bench.log if p.endswith(".wasm")})
        return {"chromium": browser.version, "predict": predict, "runs": runs,
                "tfjs": {**tfjs_info, "wasm_fetched": wasm}}, {"info": cpython_info, "results": cpython_rows}
    finally:
        browser.close()


# ---------------------------------------------------------------------------- CPython reference

def measure_cpython(hidden, batch, epochs, tmp):
    """py_nn on CPython (installed wheel, float32, one BLAS thread): one fit, as a result row."""
    out = Path(tmp) / "cpython.json"
    cmd = [sys.executable, "-P", BENCH_SRC / "pynn_cpython.py", "--data", SITE / "data", "--out", out,
           "--runs", json.dumps([{"hidden": hidden, "batchSize": batch}]), "--epochs", str(epochs),
           "--lr", str(LEARNING_RATE)]
    run(cmd, cwd=tmp, env=clean_env(PYNN_REQUIRE_INSTALLED=1), what="CPython reference")
    return json.loads(out.read_text())


# ---------------------------------------------------------------------------- entry point

def run_web_bench(epochs=6, visits=3, predict_calls=200, out_dir=RESULTS):
    """Run everything on the built site; write ``out_dir``/latest.{json,md}; return the results."""
    from playwright.sync_api import sync_playwright

    build_json = SITE / "build.json"
    if not build_json.exists():
        raise BuildError("site/ is not built: run `python3 build.py` first (or `python3 build.py bench`).")
    if epochs < 2:
        raise BuildError(f"--epochs must be at least 2 (one warm-up epoch, then timed ones); got {epochs}.")
    build_info = json.loads(build_json.read_text())
    install_wheel(SITE / build_info["wheel"])
    chromium = ensure_chromium()
    results = {"machine": machine_info(), "git": git_state(), "settings": {
        "epochs": epochs, "timed_epochs": f"2..{epochs} (epoch 1 is the warm-up)", "visits": visits,
        "predict_calls": predict_calls, "learning_rate": LEARNING_RATE, "momentum": MOMENTUM,
        "models": [[784, *h, 10] for h in MODELS], "batches": BATCHES, "chromium_path": chromium,
        "chromium_flags": CHROMIUM_FLAGS, "tfjs_npm": {k: v[0] for k, v in BENCH_NPM_PACKAGES.items()}},
        "site": {k: build_info.get(k) for k in ("version", "pyodide", "build_id", "default_model")}}
    with tempfile.TemporaryDirectory(prefix="pynn-bench-") as tmp:
        bench_dir = make_bench_folder(tmp)
        site, bench = RecordingServer(SITE), RecordingServer(bench_dir)
        try:
            with sync_playwright() as pw:
                section("Web benchmark: Ready on first and repeat visits")
                results["visits"] = measure_visits(pw, site, visits)
                section("Web benchmark: predict latency, then py_nn page vs TF.js wasm vs CPython")
                results["browser"], results["cpython"] = measure_training(pw, site, bench, epochs,
                                                                          predict_calls, tmp)
        finally:
            site.close()
            bench.close()
    results["machine"]["load_after"] = [round(v, 2) for v in os.getloadavg()]
    return write_results(results, out_dir)


def write_results(results, out_dir):
    """Summarize ``results``, write ``out_dir``/latest.{json,md}, print the table; return results."""
    results["summary"] = bench_report.summarize(results)
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "latest.json").write_text(json.dumps(results, indent=1) + "\n")
    table = bench_report.markdown(results)
    (out_dir / "latest.md").write_text(table)
    section("Web benchmark: results")
    print(table, flush=True)
    print(f"\n(written to {out_dir / 'latest.json'} and latest.md)", flush=True)
    return results


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m tools.bench_web", description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=6, help="epochs per fit; the first is the warm-up (6)")
    parser.add_argument("--visits", type=int, default=3, help="first/repeat visit rounds (3)")
    parser.add_argument("--predict", type=int, default=200, help="timed predict calls (200)")
    parser.add_argument("--out", type=Path, default=RESULTS, help="results folder (bench-results/)")
    parser.add_argument("--render", action="store_true",
                        help="measure nothing: summarize OUT/latest.json again and rewrite latest.md")
    args = parser.parse_args(argv)
    if args.render:
        write_results(json.loads((args.out / "latest.json").read_text()), args.out)
        return 0
    if not in_venv():
        python = ensure_venv()
        os.execve(str(python), [str(python), str(Path(__file__).resolve()), *sys.argv[1:]],
                  clean_env())
    run_web_bench(args.epochs, args.visits, args.predict, args.out)
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except BuildError as error:
        print(f"\nBENCH FAILED: {error}", file=sys.stderr, flush=True)
        sys.exit(1)
