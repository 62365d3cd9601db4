"""py_nn on CPython, the native reference of the web benchmark (tools/bench_browser.py runs it).

Trains exactly what the page's worker trains for ``pynn.fit({optimizer: "sgd", ...})``:
float32 digits scaled to 0..1, ReLU hidden layers, softmax + categorical cross-entropy, SGD
momentum 0.9, seed 0, shuffled batches, the held-out digits evaluated after every epoch, with
the installed py_nn wheel. Writes per-epoch wall and CPU times (between epoch events) as JSON::

    python -P tests/bench/pynn_cpython.py --data site/data --out cpython.json \
        --runs '[{"hidden": [128], "batchSize": 32}]' --epochs 6 --lr 0.01
"""
import argparse
import gzip
import json
import os
import sys
import time
from pathlib import Path


def read_u8(path):
    """Bytes of ``path`` or of ``path``.gz, as uint8 of shape (n_bytes,)."""
    import numpy as np

    path = Path(path)
    if path.exists():
        return np.fromfile(path, dtype=np.uint8)
    packed = path.with_name(path.name + ".gz")
    if packed.exists():
        return np.frombuffer(gzip.decompress(packed.read_bytes()), dtype=np.uint8)
    raise SystemExit(f"{path} (or {packed.name}) is missing: build the site with `python3 build.py`.")


def load_digits(data_dir):
    """(x_train (10000, 784) float32, y_train (n,) int64, x_test (10000, 784), y_test): MNIST's
    first training shard and its test shard (data_dir/mnist/), what the page's worker loads."""
    import numpy as np

    def shard(name):
        raw = read_u8(Path(data_dir) / "mnist" / f"{name}.u8")
        n = raw.size // 785
        x = raw[:n * 784].reshape(n, 784).astype(np.float32)
        x *= np.float32(1.0 / 255.0)
        return x, raw[n * 784:].astype(np.int64)

    return (*shard("train-0"), *shard("test-0"))


def fit_timed(data, hidden, batch_size, epochs, lr, samples):
    """One fit; returns {"epoch_s": [...], "accuracy", "loss"} (held-out, after the last epoch)."""
    import py_nn

    x_train, y_train, x_test, y_test = data
    layers = [784, *hidden, 10]
    net = py_nn.NeuralNetwork(layers=layers, hidden_activation="relu", output_activation="softmax",
                              loss="categorical_crossentropy",
                              optimizer=py_nn.get_optimizer("sgd", lr=lr), dtype="float32", seed=0)
    steps = net.fit_steps(x_train[:samples], y_train[:samples], batch_size=batch_size, epochs=epochs,
                          categorical=True, validation_data=(x_test, y_test), shuffle=True)
    epoch_s, epoch_cpu_s, last = [], [], None
    started, cpu_started = time.perf_counter(), time.process_time()
    for event in steps:
        if event["event"] == "epoch":
            now, cpu_now = time.perf_counter(), time.process_time()
            epoch_s.append(now - started)
            epoch_cpu_s.append(cpu_now - cpu_started)
            started, cpu_started, last = now, cpu_now, event
    return {"layers": layers, "batchSize": batch_size, "epoch_s": epoch_s, "epoch_cpu_s": epoch_cpu_s,
            "accuracy": float(last["val_accuracy"]), "loss": float(last["val_loss"])}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", required=True, help="the built site's data/ folder")
    parser.add_argument("--out", required=True, help="where to write the JSON results")
    parser.add_argument("--runs", required=True, help='JSON list of {"hidden": [...], "batchSize": n}')
    parser.add_argument("--epochs", type=int, required=True)
    parser.add_argument("--lr", type=float, required=True)
    parser.add_argument("--samples", type=int, default=8000)
    args = parser.parse_args(argv)
    import numpy as np
    import py_nn

    if os.environ.get("PYNN_REQUIRE_INSTALLED") == "1" and "site-packages" not in py_nn.__file__:
        raise SystemExit(f"py_nn was imported from {py_nn.__file__}, not the installed wheel")
    data = load_digits(args.data)
    results = []
    for run in json.loads(args.runs):
        row = fit_timed(data, run["hidden"], run["batchSize"], args.epochs, args.lr, args.samples)
        print(f"   CPython {'-'.join(map(str, row['layers']))} batch {row['batchSize']}: "
              + " ".join(f"{s:.3f}" for s in row["epoch_s"]) + f" s; accuracy {row['accuracy']:.4f}",
              flush=True)
        results.append(row)
    info = {"python": sys.version.split()[0], "numpy": np.__version__, "py_nn": py_nn.__version__,
            "kernel": getattr(getattr(py_nn, "kernels", None), "active", None),
            "blas_threads": os.environ.get("OPENBLAS_NUM_THREADS")}
    Path(args.out).write_text(json.dumps({"info": info, "results": results}, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
