"""Fixtures for py_nn's unit tests; they run on CPython and, unchanged, inside Pyodide."""
import json
import os
from pathlib import Path

import numpy as np
import pytest

REPO = Path(__file__).resolve().parents[2]


def mnist_dir():
    """Where build.py wrote the MNIST digits (env PYNN_MNIST_DIR inside Pyodide)."""
    return Path(os.environ.get("PYNN_MNIST_DIR", REPO / "site" / "data"))


@pytest.fixture(scope="session")
def mnist():
    """(x_train (8000, 784), y_train (8000,), x_test (2000, 784), y_test (2000,)), x in 0..1."""
    folder = mnist_dir()
    meta_path = folder / "mnist.json"
    if not meta_path.exists():
        pytest.fail(f"MNIST digits not found in {folder}: run `python3 build.py` first "
                    f"(or set PYNN_MNIST_DIR).")
    meta = json.loads(meta_path.read_text())
    images = np.fromfile(folder / "mnist-images.u8", dtype=np.uint8)
    labels = np.fromfile(folder / "mnist-labels.u8", dtype=np.uint8)
    x = images.reshape(meta["count"], meta["rows"] * meta["cols"]) / 255.0
    train, test = meta["train"], meta["test"]
    return x[:train], labels[:train], x[-test:], labels[-test:]


@pytest.fixture
def rng():
    return np.random.default_rng(1234)
