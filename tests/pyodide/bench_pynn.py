"""Time one py_nn training epoch and one-digit predictions (for `python3 build.py bench`).

Runs unchanged on CPython (build.py calls it with the installed wheel) and inside Pyodide
(bench.mjs loads it into the in-memory file system). Prints nothing but progress lines;
writes the measurements as JSON to ``--out``.

    python tests/pyodide/bench_pynn.py --data site/data --out bench.json \
        --configs float64:matmul,float32:matmul,float32:einsum --runs 5
"""
import argparse
import gzip
import json
import os
import sys
import time
from pathlib import Path


def load_train(data_dir):
    """The first 8,000 of MNIST's training digits (its first shard) as float64 in 0..1, and their
    integer labels."""
    import numpy as np

    raw = np.frombuffer(gzip.decompress((Path(data_dir) / "mnist" / "train-0.u8.gz").read_bytes()),
                        dtype=np.uint8)  # a shard: n * 784 pixel bytes, then n labels
    n = raw.size // 785
    images, labels = raw[:n * 784].reshape(n, 784)[:8000], raw[n * 784:][:8000].astype(np.int64)
    return images / 255.0, labels


def new_net(dtype):
    """The benchmark network: [784, 128, 10] ReLU/softmax/CE, SGD with momentum 0.9."""
    import py_nn

    return py_nn.NeuralNetwork([784, 128, 10], "relu", "softmax", "categorical_crossentropy",
                               py_nn.SGD(lr=0.01, momentum=0.9), dtype=dtype, seed=0)


def time_epoch(x, y, dtype, batch_size):
    """Seconds for one epoch of fit() on a fresh network."""
    net = new_net(dtype)
    started = time.perf_counter()
    net.fit(x, y, batch_size=batch_size, epochs=1, categorical=True, verbose=False)
    return time.perf_counter() - started


def bench(data_dir, configs, runs, batches=(32, 128), predict_calls=50):
    """Return the measurements: per (dtype, kernel) the epoch times for each batch size."""
    import numpy as np
    import py_nn

    x64, y = load_train(data_dir)
    xs = {dtype: x64.astype(dtype) for dtype, _ in configs}
    results = [{"dtype": dtype, "kernel": kernel, **{f"epoch_{b}": [] for b in batches}}
               for dtype, kernel in configs]
    for row in results:  # warm-up (imports, allocations), not timed
        py_nn.kernels.use(row["kernel"])
        time_epoch(xs[row["dtype"]][:1024], y[:1024], row["dtype"], batches[0])
    # Round-robin over the configurations, so that a busy machine slows them all alike.
    for run in range(runs):
        for row in results:
            py_nn.kernels.use(row["kernel"])
            for batch_size in batches:
                row[f"epoch_{batch_size}"].append(time_epoch(xs[row["dtype"]], y, row["dtype"], batch_size))
        print(f"   run {run + 1}/{runs}: " + "; ".join(
            f"{r['dtype']} {r['kernel']} " + "/".join(f"{r[f'epoch_{b}'][-1]:.3f}" for b in batches)
            for r in results) + " s (batch " + "/".join(map(str, batches)) + ")", flush=True)
    py_nn.kernels.use("auto")
    net = new_net("float32")
    digit = x64[:1].astype("float32")
    for _ in range(5):
        net.predict(digit)
    latency = []
    for _ in range(predict_calls):
        started = time.perf_counter()
        net.predict(digit)
        latency.append((time.perf_counter() - started) * 1000)
    return {"samples": int(len(y)), "results": results, "predict_ms": latency,
            "default_kernel": py_nn.kernels.active, "platform": sys.platform,
            "numpy": np.__version__, "py_nn": py_nn.__version__}


def parse_configs(text):
    """'float32:matmul,float32:einsum' -> [('float32', 'matmul'), ('float32', 'einsum')]."""
    return [tuple(item.split(":")) for item in text.split(",") if item]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", required=True)
    parser.add_argument("--out", required=True)
    parser.add_argument("--configs", default="float32:matmul,float32:einsum")
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args(argv)
    import py_nn

    if os.environ.get("PYNN_REQUIRE_INSTALLED") == "1" and "site-packages" not in py_nn.__file__:
        raise SystemExit(f"py_nn was imported from {py_nn.__file__}, not the installed wheel")
    result = bench(args.data, parse_configs(args.configs), args.runs)
    Path(args.out).write_text(json.dumps(result, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
