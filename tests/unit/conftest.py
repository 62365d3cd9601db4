"""Fixtures for py_nn's unit tests; they run on CPython and, unchanged, inside Pyodide."""
import gzip
import os
from pathlib import Path

import numpy as np
import pytest

REPO = Path(__file__).resolve().parents[2]


def mnist_dir():
    """Where build.py wrote the data sets' shards (site/data; env PYNN_MNIST_DIR inside Pyodide)."""
    return Path(os.environ.get("PYNN_MNIST_DIR", REPO / "site" / "data"))


def _shard(path):
    """(images uint8 (n, 784), labels uint8 (n,)) of a shard: gzip of n*784 pixel bytes, then n labels."""
    raw = np.frombuffer(gzip.decompress(path.read_bytes()), dtype=np.uint8)
    n = raw.size // 785
    return raw[:n * 784].reshape(n, 784), raw[n * 784:]


@pytest.fixture(scope="session")
def mnist():
    """(x_train (8000, 784), y_train (8000,), x_test (10000, 784), y_test (10000,)), x in 0..1:
    the first 8,000 digits of MNIST's first training shard and its 10,000 official test digits."""
    folder = mnist_dir() / "mnist"
    if not (folder / "test-0.u8.gz").exists():
        pytest.fail(f"MNIST shards not found in {folder}: run `python3 build.py` first "
                    f"(or set PYNN_MNIST_DIR).")
    images, labels = _shard(folder / "train-0.u8.gz")
    test_images, test_labels = _shard(folder / "test-0.u8.gz")
    return images[:8000] / 255.0, labels[:8000], test_images / 255.0, test_labels


@pytest.fixture(scope="session")
def mnist_pixels():
    """(x uint8 (2000, 784) 0..255, y uint8 (2000,)): the first 2,000 digits of MNIST's first
    training shard as the page's worker keeps them."""
    images, labels = _shard(mnist_dir() / "mnist" / "train-0.u8.gz")
    return images[:2000], labels[:2000]


@pytest.fixture
def rng():
    return np.random.default_rng(1234)
