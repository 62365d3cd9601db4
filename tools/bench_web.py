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

This module runs it: tools/bench_serve.py serves the two folders and counts bytes,
tools/bench_browser.py drives the browser and measures, tools/bench_report.py summarizes, writes
bench-results/latest.json and bench-results/latest.md and prints the table.
Run: ``.venv/bin/python -m tools.bench_web [--epochs N]``.
"""
import argparse
import datetime
import json
import os
import platform
import subprocess
import sys
import tempfile
from pathlib import Path

if __package__ in (None, ""):  # run as a script: make `tools` importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tools.bench_browser import (BATCHES, CHROMIUM_FLAGS, LEARNING_RATE, MODELS, MOMENTUM,  # noqa: E402
                                 Chromium, measure_training, measure_visits)
from tools.bench_report import write_results  # noqa: E402
from tools.bench_serve import RecordingServer, make_bench_folder  # noqa: E402
from tools.env import BuildError, clean_env, ensure_venv, in_venv, section  # noqa: E402
from tools.paths import ROOT, SITE  # noqa: E402
from tools.pins import BENCH_NPM_PACKAGES  # noqa: E402
from tools.suites import ensure_chromium  # noqa: E402
from tools.wheel import install_wheel  # noqa: E402

RESULTS = ROOT / "bench-results"


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


def firefox_ready(rounds):
    """Firefox's Ready (tools/bench_firefox.py); a failure is reported in the table, not fatal."""
    from tools.bench_firefox import measure_firefox_ready
    try:
        return measure_firefox_ready(rounds)
    except BuildError as err:
        return {"error": str(err).splitlines()[0][:200]}


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
                engine = Chromium(pw)
                section("Web benchmark: Ready on first and repeat visits")
                results["visits"] = measure_visits(engine, site, visits)
                section("Web benchmark: predict latency, then py_nn page vs TF.js wasm vs CPython")
                results["browser"], results["cpython"] = measure_training(engine, site, bench, epochs,
                                                                          predict_calls, tmp)
        finally:
            site.close()
            bench.close()
    section("Web benchmark: Ready in Firefox ESR (first and repeat visits)")
    results["firefox"] = firefox_ready(visits)
    results["machine"]["load_after"] = [round(v, 2) for v in os.getloadavg()]
    return write_results(results, out_dir)


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
