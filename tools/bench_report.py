"""The web benchmark's numbers and table: medians, ratios and the performance issue's targets.

``summarize(results)`` turns the raw measurements of tools/bench_browser.py into a summary dict
(seconds, ratios, accuracies, targets); ``markdown(results)`` renders it as the table printed by
`python3 build.py bench` and written to bench-results/latest.md; ``write_results`` does both and
writes the files.
"""
import json
import statistics

from tools.env import section

# The performance issue's targets, as ratios from one run.
TARGET_TFJS_RATIO = 0.25      # epoch time, py_nn page / TF.js wasm, at most
TARGET_CPYTHON_RATIO = 2.0    # epoch time, py_nn page / py_nn CPython (float32), at most
TARGET_READY_FIRST_S = 1.5
TARGET_READY_REPEAT_S = 0.8
TARGET_PREDICT_P95_MS = 3.0
TARGET_WIRE_MB = 9.0
TARGET_FULL_EPOCH_S = 1.0     # one epoch of MNIST's 60,000 training digits, 784-128-10, batch 64
TARGET_WORKER_MB = 512        # the worker's peak memory in that fit: a tablet's budget (MB of 2**20 bytes)


def _median(values):
    return statistics.median(values) if values else None


def percentile(values, q):
    """Nearest-rank percentile (q in 0..100)."""
    ordered = sorted(values)
    rank = max(1, -(-len(ordered) * q // 100))
    return ordered[int(rank) - 1]


def _name(hidden):
    return "-".join(str(n) for n in [784, *hidden, 10])


def _cpu_row(run, native):
    """CPU seconds per epoch (whole fit / epochs) of each side, and the page's ratios; None if unmeasured."""
    epochs = len(run["pynn"]["epochMs"])
    page = run["pynn"].get("cpuS")
    tfjs = run["tfjs"].get("cpuS")
    cpython = sum(native["epoch_cpu_s"]) if native and "epoch_cpu_s" in native else None
    if page is None or tfjs is None:
        return None
    row = {"page_s": page / epochs, "tfjs_s": tfjs / epochs,
           "cpython_s": None if cpython is None else cpython / len(native["epoch_cpu_s"])}
    row["page_over_tfjs"] = row["page_s"] / row["tfjs_s"]
    row["page_over_cpython"] = row["page_s"] / row["cpython_s"] if row["cpython_s"] else None
    return row


def summarize(results):
    """Medians over the timed epochs (all but the first), ratios, and the targets, met or not."""
    cpython = {(tuple(r["layers"][1:-1]), r["batchSize"]): r for r in results["cpython"]["results"]}
    rows = []
    for run in results["browser"]["runs"]:
        key = (tuple(run["hidden"]), run["batchSize"])
        page_s = _median(run["pynn"]["epochMs"][1:]) / 1000
        tfjs_s = _median(run["tfjs"]["epochMs"][1:]) / 1000
        native = cpython.get(key)
        native_s = _median(native["epoch_s"][1:]) if native else None
        rows.append({
            "model": _name(run["hidden"]), "batch": run["batchSize"],
            "page_s": page_s, "tfjs_s": tfjs_s, "cpython_s": native_s,
            "page_over_tfjs": page_s / tfjs_s,
            "page_over_cpython": page_s / native_s if native_s else None,
            "accuracy": {"page": run["pynn"]["accuracy"], "tfjs": run["tfjs"]["valAccuracy"],
                         "cpython": native["accuracy"] if native else None},
            "epoch_time_source": run["pynn"]["source"],
            "cpu": _cpu_row(run, native),
        })
    visits = results["visits"]
    predict_ms = results["browser"]["predict"]["ms"]
    wire = visits["wire"]
    summary = {
        "rows": rows,
        "ready_first_s": _median(visits["first_ms"]) / 1000,
        "ready_repeat_s": _median(visits["repeat_ms"]) / 1000,
        "predict_p50_ms": percentile(predict_ms, 50),
        "predict_p95_ms": percentile(predict_ms, 95),
        "wire_mb": wire["wire"] / 1e6, "wire_raw_mb": wire["raw"] / 1e6,
        "wire_by_ready_mb": wire["by_ready"] / 1e6,
        "wire_one_copy_mb": wire["wire_one_copy_each"] / 1e6,
    }
    full = results["browser"].get("full_epoch")  # older results have none
    summary["full_epoch_s"] = _median(full["epochMs"][1:]) / 1000 if full else None
    memory = full.get("memory") if full else None  # older results have none
    summary["worker_mb"] = ({k: memory[f"{k}Bytes"] / 2**20 for k in ("total", "wasm", "jsHeap", "arrayBuffer")}
                            if memory and "totalBytes" in memory else None)
    targets = []
    for row in rows:
        where = f"{row['model']}, batch {row['batch']}"
        targets.append((f"epoch, page / TF.js wasm <= {TARGET_TFJS_RATIO} ({where})",
                        f"{row['page_over_tfjs']:.2f}", row["page_over_tfjs"] <= TARGET_TFJS_RATIO))
    for row in rows:
        if row["page_over_cpython"] is not None:
            where = f"{row['model']}, batch {row['batch']}"
            targets.append((f"epoch, page / CPython <= {TARGET_CPYTHON_RATIO:g}x ({where})",
                            f"{row['page_over_cpython']:.2f}x", row["page_over_cpython"] <= TARGET_CPYTHON_RATIO))
    targets += [
        (f"Ready, first visit <= {TARGET_READY_FIRST_S} s", f"{summary['ready_first_s']:.2f} s",
         summary["ready_first_s"] <= TARGET_READY_FIRST_S),
        (f"Ready, repeat visit <= {TARGET_READY_REPEAT_S} s", f"{summary['ready_repeat_s']:.2f} s",
         summary["ready_repeat_s"] <= TARGET_READY_REPEAT_S),
        (f"predict p95 <= {TARGET_PREDICT_P95_MS:g} ms", f"{summary['predict_p95_ms']:.2f} ms",
         summary["predict_p95_ms"] <= TARGET_PREDICT_P95_MS),
        (f"first visit on the wire <= {TARGET_WIRE_MB:g} MB", f"{summary['wire_mb']:.1f} MB",
         summary["wire_mb"] <= TARGET_WIRE_MB),
    ]
    if summary["full_epoch_s"] is not None:
        targets.append((f"epoch of 60,000 digits, page <= {TARGET_FULL_EPOCH_S:g} s (784-128-10, batch 64)",
                        f"{summary['full_epoch_s']:.2f} s", summary["full_epoch_s"] <= TARGET_FULL_EPOCH_S))
    if summary["worker_mb"] is not None:
        targets.append((f"worker's peak memory, 60,000-digit fit <= {TARGET_WORKER_MB} MB",
                        f"{summary['worker_mb']['total']:.0f} MB", summary["worker_mb"]["total"] <= TARGET_WORKER_MB))
    for row in rows:
        acc = row["accuracy"]
        targets.append((f"held-out accuracy, page >= TF.js ({row['model']}, batch {row['batch']})",
                        f"{acc['page']:.4f} vs {acc['tfjs']:.4f}",
                        round(acc["page"], 6) >= round(acc["tfjs"], 6)))  # TF.js reports float32
    summary["targets"] = [{"target": t, "measured": m, "met": bool(ok)} for t, m, ok in targets]
    summary["targets_met"] = sum(1 for _, _, ok in targets if ok)
    return summary


def _s(value):
    return "n/a" if value is None else f"{value:.3f} s"


def markdown(results):
    """The results as markdown: machine, one table of epochs and ratios, start-up, targets."""
    s = results["summary"]
    m, b, st = results["machine"], results["browser"], results["settings"]
    tf = b["tfjs"]
    lines = [
        f"Web benchmark, {m['date']}: {m['cpu']}, {m['cores']} cores, Chromium {b['chromium']}, "
        f"commit {results['git']['commit']}{' (modified)' if results['git']['dirty'] else ''}; "
        f"load average {'/'.join(map(str, m['load_before']))} before, "
        f"{'/'.join(map(str, m['load_after']))} after (the machine is shared).",
        "",
        f"Epoch: median of epochs {st['timed_epochs']}, 8,000 MNIST training digits (its first shard), SGD momentum {st['momentum']}, "
        f"lr {st['learning_rate']}, shuffled, MNIST's 10,000 test digits evaluated every epoch. py_nn page: "
        f"`window.pynn.fit` ({s['rows'][0]['epoch_time_source']}); TF.js {tf['tfjs']} `{tf['backend']}` "
        f"(SIMD {'on' if tf['simd'] else 'off'}, threads {'on' if tf['threads'] else 'off'}, "
        f"{', '.join(tf['wasm_fetched'])}); CPython {results['cpython']['info']['python']}, NumPy "
        f"{results['cpython']['info']['numpy']}, float32, one BLAS thread. Accuracy: held-out, after "
        f"{st['epochs']} epochs.",
        "",
        "| model | batch | py_nn page | TF.js wasm | py_nn CPython | page / TF.js | page / CPython "
        "| accuracy page / TF.js / CPython |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for r in s["rows"]:
        a = r["accuracy"]
        native = "n/a" if a["cpython"] is None else f"{a['cpython']:.4f}"
        over_native = "n/a" if r["page_over_cpython"] is None else f"{r['page_over_cpython']:.2f}x"
        lines.append(f"| {r['model']} | {r['batch']} | {_s(r['page_s'])} | {_s(r['tfjs_s'])} | "
                     f"{_s(r['cpython_s'])} | {r['page_over_tfjs']:.2f} | {over_native} | "
                     f"{a['page']:.4f} / {a['tfjs']:.4f} / {native} |")
    if all(r["cpu"] for r in s["rows"]):
        lines += ["", "CPU seconds per epoch (whole fit / epochs, warm-up included; Chromium's processes for "
                  "the pages, the process for CPython): less sensitive than wall time to a busy machine.", "",
                  "| model | batch | py_nn page | TF.js wasm | py_nn CPython | page / TF.js | page / CPython |",
                  "|---|---|---|---|---|---|---|"]
        for r in s["rows"]:
            c = r["cpu"]
            over_native = "n/a" if c["page_over_cpython"] is None else f"{c['page_over_cpython']:.2f}x"
            lines.append(f"| {r['model']} | {r['batch']} | {_s(c['page_s'])} | {_s(c['tfjs_s'])} | "
                         f"{_s(c['cpython_s'])} | {c['page_over_tfjs']:.2f} | {over_native} |")
    v = results["visits"]
    first = ", ".join(f"{t / 1000:.2f}" for t in v["first_ms"])
    repeat = ", ".join(f"{t / 1000:.2f}" for t in v["repeat_ms"])
    pred = b["predict"]
    lines += [
        "",
        "| start-up and size | measured |",
        "|---|---|",
        f"| Ready, first visit (fresh profile; median of {len(v['first_ms'])}) | {s['ready_first_s']:.2f} s ({first}) |",
        f"| Ready, repeat visit (same profile) | {s['ready_repeat_s']:.2f} s ({repeat}) |",
        *_firefox_rows(results.get("firefox")),
        f"| predict p50 / p95 ({len(pred['ms'])} held-out digits, default model) | "
        f"{s['predict_p50_ms']:.2f} / {s['predict_p95_ms']:.2f} ms ({pred['correct']} correct) |",
        *([f"| epoch of all 60,000 MNIST training digits, py_nn page, 784-128-10, batch 64 (the second; "
           f"10,000 test digits validated) | {s['full_epoch_s']:.2f} s |"] if s["full_epoch_s"] is not None else []),
        *([f"| the worker's peak memory in that fit, fresh page (WebAssembly memory + V8 heap + ArrayBuffers; "
           f"MB of 2^20 bytes) | {w['total']:.0f} MB = {w['wasm']:.0f} + {w['jsHeap']:.0f} + {w['arrayBuffer']:.0f} "
           f"({w['total'] / TARGET_WORKER_MB:.2f} of {TARGET_WORKER_MB} MB) |"] if (w := s.get("worker_mb")) else []),
        f"| first visit on the wire, gzip -6 where compressible ({v['wire']['responses']} responses, "
        f"service-worker precache included) | {s['wire_mb']:.1f} MB (raw {s['wire_raw_mb']:.1f} MB; "
        f"{s['wire_by_ready_mb']:.1f} MB by Ready; {s['wire_one_copy_mb']:.1f} MB counting each file once) |",
        "",
        "| target | measured | met? |",
        "|---|---|---|",
    ]
    for t in s["targets"]:
        lines.append(f"| {t['target']} | {t['measured']} | {'yes' if t['met'] else 'no'} |")
    lines.append(f"\n{s['targets_met']} of {len(s['targets'])} targets met.")
    return "\n".join(lines) + "\n"


def _firefox_rows(firefox):
    """The start-up rows of Firefox ESR (tools/bench_firefox.py), or one row saying why there are none."""
    if not firefox:
        return []
    if "error" in firefox:
        return [f"| Ready in Firefox ESR | not measured: {firefox['error']} |"]
    first = ", ".join(f"{t / 1000:.2f}" for t in firefox["first_ms"])
    repeat = ", ".join(f"{t / 1000:.2f}" for t in firefox["repeat_ms"])
    how = ", ".join(sorted(set(firefox.get("repeat_snapshot", []))))
    return [f"| Ready in Firefox ESR, first visit (median of {len(firefox['first_ms'])}) | "
            f"{firefox['first_median_ms'] / 1000:.2f} s ({first}) |",
            f"| Ready in Firefox ESR, repeat visit | {firefox['repeat_median_ms'] / 1000:.2f} s ({repeat}; snapshot: {how}) |"]


def write_results(results, out_dir):
    """Summarize ``results``, write ``out_dir``/latest.{json,md}, print the table; return results."""
    results["summary"] = summarize(results)
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "latest.json").write_text(json.dumps(results, indent=1) + "\n")
    table = markdown(results)
    (out_dir / "latest.md").write_text(table)
    section("Web benchmark: results")
    print(table, flush=True)
    print(f"\n(written to {out_dir / 'latest.json'} and latest.md)", flush=True)
    return results
