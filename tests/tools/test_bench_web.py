"""The web benchmark's plumbing (tools/bench_serve.py, tools/bench_report.py): what counts as
bytes on the wire, which epochs are timed, how targets are judged. Nothing here times anything."""
import gzip
import urllib.error
import urllib.request

import pytest

from tools import bench_report, bench_serve
from tools.pins import BENCH_NPM_PACKAGES


def test_wire_bytes_gzips_text_and_wasm_counts_archives_raw_and_every_response(tmp_path):
    page = b"<!doctype html>" + b"<p>hello</p>" * 500
    wasm = bytes(range(256)) * 40
    wheel = b"PK" + bytes(5000)
    (tmp_path / "index.html").write_bytes(page)
    (tmp_path / "a.wasm").write_bytes(wasm)
    (tmp_path / "w.whl").write_bytes(wheel)
    log = [(0, "/", 200), (0, "/index.html?nosw", 200), (0, "/a.wasm", 200), (0, "/w.whl", 200),
           (0, "/missing.js", 404)]
    wire = bench_serve.wire_bytes(tmp_path, log)
    gz = {name: len(gzip.compress(data, compresslevel=6)) for name, data in
          (("index.html", page), ("a.wasm", wasm))}
    rows = {row["path"]: row for row in wire["files"]}
    assert rows["index.html"]["responses"] == 2  # "/" is index.html; the query string is ignored
    assert rows["index.html"]["wire"] == 2 * gz["index.html"] < len(page)
    assert rows["a.wasm"]["wire"] == gz["a.wasm"]
    assert rows["w.whl"]["wire"] == rows["w.whl"]["raw"] == len(wheel)  # already compressed: raw
    assert rows["missing.js"]["wire"] == 0 and rows["missing.js"]["status"] == 404
    assert wire["responses"] == 5
    assert wire["wire"] == 2 * gz["index.html"] + gz["a.wasm"] + len(wheel)
    assert wire["wire_one_copy_each"] == gz["index.html"] + gz["a.wasm"] + len(wheel)


def test_recording_server_logs_every_response_with_its_status(tmp_path):
    (tmp_path / "build.json").write_text("{}")
    server = bench_serve.RecordingServer(tmp_path)
    try:
        with urllib.request.urlopen(server.url + "build.json", timeout=10) as answer:
            assert answer.read() == b"{}"
        with pytest.raises(urllib.error.HTTPError):
            urllib.request.urlopen(server.url + "nothing.u8", timeout=10)
    finally:
        server.close()
    assert [(path, code) for _, path, code in server.log] == [("/build.json", 200), ("/nothing.u8", 404)]


def test_tfjs_pins_are_exact_versions_with_sha512_and_name_the_files_taken():
    assert set(BENCH_NPM_PACKAGES) == set(bench_serve.TFJS_FILES)
    for name, (version, integrity) in BENCH_NPM_PACKAGES.items():
        assert version == "4.22.0", name
        assert integrity.startswith("sha512-") and len(integrity) == 7 + 88, name


def _results(page_ms, tfjs_ms, cpython_s, page_acc, tfjs_acc):
    run = {"hidden": [128], "batchSize": 32,
           "pynn": {"epochMs": page_ms, "accuracy": page_acc, "source": "test", "cpuS": None},
           "tfjs": {"epochMs": tfjs_ms, "valAccuracy": tfjs_acc, "cpuS": None}}
    native = {"layers": [784, 128, 10], "batchSize": 32, "epoch_s": cpython_s,
              "epoch_cpu_s": cpython_s, "accuracy": page_acc}
    return {
        "machine": {"date": "d", "cpu": "c", "cores": 2, "load_before": [1, 1, 1], "load_after": [1, 1, 1]},
        "git": {"commit": "abc", "dirty": False},
        "settings": {"timed_epochs": "2..4", "momentum": 0.9, "learning_rate": 0.01, "epochs": 4},
        "cpython": {"info": {"python": "3", "numpy": "2"}, "results": [native]},
        "browser": {"chromium": "1", "runs": [run],
                    "predict": {"ms": [0.5] * 189 + [9.0] * 11, "correct": 200},
                    "tfjs": {"tfjs": "4.22.0", "backend": "wasm", "simd": True, "threads": False,
                             "wasm_fetched": ["tfjs-backend-wasm-simd.wasm"]}},
        "visits": {"first_ms": [1400, 1000, 1600], "repeat_ms": [900, 700, 800],
                   "wire": {"responses": 3, "wire": 8_000_000, "raw": 20_000_000, "by_ready": 5_000_000,
                            "wire_one_copy_each": 8_000_000}},
    }


def test_summary_times_epochs_after_the_warm_up_and_judges_each_target():
    # epoch 1 (the warm-up) is huge on purpose: it must not move the medians
    results = _results(page_ms=[9000, 200, 250, 300], tfjs_ms=[9000, 1000, 1000, 1000],
                       cpython_s=[9.0, 0.1, 0.1, 0.1], page_acc=0.95, tfjs_acc=0.94)
    summary = bench_report.summarize(results)
    row = summary["rows"][0]
    assert row["page_s"] == pytest.approx(0.25) and row["tfjs_s"] == pytest.approx(1.0)
    assert row["page_over_tfjs"] == pytest.approx(0.25)
    assert row["page_over_cpython"] == pytest.approx(2.5)
    met = {t["target"].split(" (")[0]: t["met"] for t in summary["targets"]}
    assert met["epoch, page / TF.js wasm <= 0.25"] is True
    assert met["epoch, page / CPython <= 2x"] is False
    assert met["Ready, first visit <= 1.5 s"] is True        # median 1.4 s
    assert met["Ready, repeat visit <= 0.8 s"] is True       # median 0.8 s
    assert met["predict p95 <= 3 ms"] is False               # 11 of 200 calls (more than 5%) at 9 ms
    assert met["first visit on the wire <= 9 MB"] is True
    assert met["held-out accuracy, page >= TF.js"] is True
    assert summary["targets_met"] == len(summary["targets"]) - 2
    results["summary"] = summary
    table = bench_report.markdown(results)
    assert "| 784-128-10 | 32 | 0.250 s | 1.000 s | 0.100 s | 0.25 | 2.50x |" in table
    assert "| epoch, page / CPython <= 2x (784-128-10, batch 32) | 2.50x | no |" in table


def test_equal_accuracy_counts_as_met_although_tfjs_reports_float32():
    results = _results(page_ms=[1, 1, 1], tfjs_ms=[1, 1, 1], cpython_s=[1, 1, 1],
                       page_acc=0.9215, tfjs_acc=0.921500027179718)  # float32(0.9215) as TF.js reports it
    met = [t["met"] for t in bench_report.summarize(results)["targets"] if t["target"].startswith("held-out")]
    assert met == [True]
    results = _results(page_ms=[1, 1, 1], tfjs_ms=[1, 1, 1], cpython_s=[1, 1, 1],
                       page_acc=0.921, tfjs_acc=0.9215)  # one digit fewer right
    met = [t["met"] for t in bench_report.summarize(results)["targets"] if t["target"].startswith("held-out")]
    assert met == [False]


def test_the_epoch_of_60000_digits_is_its_second_epoch_against_one_second():
    results = _results(page_ms=[1, 1, 1], tfjs_ms=[1, 1, 1], cpython_s=[1, 1, 1], page_acc=0.9, tfjs_acc=0.9)
    assert bench_report.summarize(results)["full_epoch_s"] is None  # older results: no such target
    results["browser"]["full_epoch"] = {"epochMs": [5000, 1400], "cpuS": None}  # the first fetches and warms up
    summary = bench_report.summarize(results)
    assert summary["full_epoch_s"] == pytest.approx(1.4)
    target = [t for t in summary["targets"] if t["target"].startswith("epoch of 60,000")]
    assert target == [{"target": "epoch of 60,000 digits, page <= 1 s (784-128-10, batch 64)", "measured": "1.40 s", "met": False}]
    results["summary"] = summary
    assert "| epoch of all 60,000 MNIST training digits, py_nn page, 784-128-10, batch 64" in bench_report.markdown(results)


def test_the_workers_peak_memory_in_the_60000_digit_fit_is_a_row_and_a_target_of_512_mb():
    results = _results(page_ms=[1, 1, 1], tfjs_ms=[1, 1, 1], cpython_s=[1, 1, 1], page_acc=0.9, tfjs_acc=0.9)
    results["browser"]["full_epoch"] = {"epochMs": [5000, 900], "cpuS": None, "memory": {"wasmBytes": 300 * 2**20}}
    assert bench_report.summarize(results)["worker_mb"] is None  # a run before the JS side was measured
    results["browser"]["full_epoch"]["memory"] = {"wasmBytes": 400 * 2**20, "jsHeapBytes": 20 * 2**20,
                                                  "arrayBufferBytes": 100 * 2**20, "totalBytes": 520 * 2**20}
    summary = bench_report.summarize(results)
    target = [t for t in summary["targets"] if t["target"].startswith("worker's peak memory")]
    assert target == [{"target": "worker's peak memory, 60,000-digit fit <= 512 MB", "measured": "520 MB", "met": False}]
    results["summary"] = summary
    assert "| 520 MB = 400 + 20 + 100 (1.02 of 512 MB) |" in bench_report.markdown(results)
