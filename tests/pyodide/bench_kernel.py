"""Benchmark py_nn's matrix-product kernels inside Pyodide (run by bench_kernel.mjs).

Prints, per product shape of an MNIST MLP, the GFLOP/s of each kernel (median and best of
several timed loops on initialised arrays), then the median time of one training epoch of
784-128-10 (float32, ReLU, softmax + cross-entropy, SGD momentum 0.9, 8,000 digits) with
each kernel at batch 32 and 128. Under Node.js the times are the process's CPU time (so a
machine shared with other jobs does not inflate them); elsewhere wall-clock time. Writes the
numbers as JSON to ``--out``.

    python bench_kernel.py --data DIR --out result.json [--kernels einsum,simd] [--runs 5]
"""
import argparse
import gzip
import json
import statistics
import sys
import time
from pathlib import Path

import numpy as np

# (label, trans, m, k, n): the products of one training step (forward a @ W, weight
# gradient a.T @ delta, back-propagated delta @ W.T) and one-digit prediction.
SHAPES = [
    ("fwd x@W1      b32", "nn", 32, 784, 128),
    ("fwd h@W2      b32", "nn", 32, 128, 10),
    ("grad h.T@d2   b32", "tn", 128, 32, 10),
    ("back d2@W2.T  b32", "nt", 32, 10, 128),
    ("grad x.T@d1   b32", "tn", 784, 32, 128),
    ("fwd x@W1      b128", "nn", 128, 784, 128),
    ("fwd h@W2      b128", "nn", 128, 128, 10),
    ("grad h.T@d2   b128", "tn", 128, 128, 10),
    ("back d2@W2.T  b128", "nt", 128, 10, 128),
    ("grad x.T@d1   b128", "tn", 784, 128, 128),
    ("fwd x@W1 256  b128", "nn", 128, 784, 256),
    ("back d@W.T 256 b128", "nt", 128, 128, 256),
    ("predict x@W1  b1", "nn", 1, 784, 128),
]


def host_cpu_clock():
    """(clock, name): this process's CPU seconds when the host can tell (Node.js's
    process.cpuUsage, which a busy machine does not inflate), else wall-clock seconds."""
    try:
        from js import process

        process.cpuUsage()
    except Exception:                             # CPython, or a browser worker
        return time.perf_counter, "wall time"

    def clock():
        usage = process.cpuUsage()
        return (usage.user + usage.system) / 1e6

    return clock, "CPU time"


CLOCK, CLOCK_NAME = host_cpu_clock()


def time_product(fn, a, b, out, flops, runs, budget_s=0.02):
    """GFLOP/s of fn(a, b, out=out): (median, best) over ``runs`` loops of ~``budget_s`` each.

    The first loop (not timed) also lets V8 tier the kernel up from its baseline compiler.
    """
    started, reps = time.perf_counter(), 0
    while time.perf_counter() - started < budget_s:
        fn(a, b, out=out)
        reps += 1
    rates = []
    for _ in range(runs):
        started = CLOCK()
        for _ in range(reps):
            fn(a, b, out=out)
        rates.append(flops * reps / (CLOCK() - started) / 1e9)
    return statistics.median(rates), max(rates)


def bench_products(kernel_names, runs):
    from py_nn import kernels

    rng = np.random.default_rng(0)
    warm = rng.standard_normal((64, 64)).astype(np.float32)
    for name in kernel_names:                     # load the side module, tier it up
        kernels.use(name)
        for _ in range(200):
            kernels.mm(warm, warm)
    rows = []
    for label, trans, m, k, n in SHAPES:
        a = rng.standard_normal((k, m) if trans == "tn" else (m, k)).astype(np.float32)
        b = rng.standard_normal((n, k) if trans == "nt" else (k, n)).astype(np.float32)
        out = np.empty((m, n), np.float32)
        row = {"shape": label, "trans": trans, "m": m, "k": k, "n": n}
        for name in kernel_names:
            kernels.use(name)
            fn = {"nn": kernels.mm, "tn": kernels.mm_tn, "nt": kernels.mm_nt}[trans]
            row[name], row[f"{name}_best"] = time_product(fn, a, b, out, 2.0 * m * k * n, runs)
        kernels.use("auto")
        rows.append(row)
        print(f"   {label:20s} " + "  ".join(f"{name} {row[name]:5.1f} ({row[name + '_best']:5.1f})"
                                           for name in kernel_names)
              + "  GFLOP/s, median (best)", flush=True)
    return rows


def load_train(data_dir):
    """The first 8,000 of MNIST's training digits (its first shard) as float32 in 0..1, and their
    integer labels."""
    raw = np.frombuffer(gzip.decompress((Path(data_dir) / "mnist" / "train-0.u8.gz").read_bytes()),
                        dtype=np.uint8)  # a shard: n * 784 pixel bytes, then n labels
    n = raw.size // 785
    images, labels = raw[:n * 784].reshape(n, 784)[:8000], raw[n * 784:][:8000].astype(np.int64)
    return (images / 255.0).astype(np.float32), labels


def epoch_seconds(x, y, batch_size):
    import py_nn

    net = py_nn.NeuralNetwork([x.shape[1], 128, 10], "relu", "softmax",
                              "categorical_crossentropy", py_nn.SGD(lr=0.01, momentum=0.9),
                              dtype="float32", seed=0)
    started = CLOCK()
    net.fit(x, y, batch_size=batch_size, epochs=1, categorical=True, verbose=False)
    return CLOCK() - started


def bench_epochs(data_dir, kernel_names, runs, batches=(32, 128)):
    from py_nn import kernels

    x, y = load_train(data_dir)
    times = {(name, b): [] for name in kernel_names for b in batches}
    for name in kernel_names:                     # warm-up, not timed
        kernels.use(name)
        epoch_seconds(x[:1024], y[:1024], batches[0])
    for run in range(runs):                       # round-robin: a busy machine slows all alike
        for name in kernel_names:
            kernels.use(name)
            for b in batches:
                times[(name, b)].append(epoch_seconds(x, y, b))
        print(f"   epoch run {run + 1}/{runs}: " + "; ".join(
            f"{name} " + "/".join(f"{times[(name, b)][-1]:.3f}" for b in batches)
            for name in kernel_names) + f" s (batch {'/'.join(map(str, batches))})", flush=True)
    kernels.use("auto")
    return [{"kernel": name, "batch": b, "median_s": statistics.median(times[(name, b)]),
             "best_s": min(times[(name, b)]), "runs_s": times[(name, b)]}
            for name in kernel_names for b in batches]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", required=True)
    parser.add_argument("--out", required=True)
    parser.add_argument("--kernels", default="einsum,simd")
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args(argv)
    import py_nn
    from py_nn import kernels

    names = [n for n in args.kernels.split(",") if n]
    print(f"   py_nn {py_nn.__version__} on {sys.platform}; default kernel {kernels.active}; "
          f"numpy {np.__version__}; timed in {CLOCK_NAME}", flush=True)
    products = bench_products(names, args.runs)
    epochs = bench_epochs(args.data, names, args.runs)
    print("   epoch 784-128-10 float32, median (best): " + "; ".join(
        f"{e['kernel']} batch {e['batch']} {e['median_s']:.3f} ({e['best_s']:.3f}) s"
        for e in epochs), flush=True)
    Path(args.out).write_text(json.dumps({"platform": sys.platform, "clock": CLOCK_NAME,
                                          "products_gflops": products,
                                          "epochs": epochs, "default_kernel": kernels.active},
                                         indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
