"""Fixtures for the bridge tests (the worker's Python, web/python/pynn_worker/); they run on CPython
and, unchanged, inside Pyodide.

The built site gives the facts: build.json's `shape`, the default model and the MNIST bytes
(site/, or PYNN_SITE_DIR / PYNN_MNIST_DIR). Inside Pyodide the digits and pixels reach the
worker's Python as real JS typed arrays, exactly as web/worker/ sends them.
"""
import json
import os
import sys
from pathlib import Path

import numpy as np
import pytest

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "web" / "python"))  # `import pynn_worker`, as the worker does


def site_dir():
    return Path(os.environ.get("PYNN_SITE_DIR", REPO / "site"))


def mnist_dir():
    return Path(os.environ.get("PYNN_MNIST_DIR", site_dir() / "data"))


@pytest.fixture(scope="session")
def build_info():
    path = site_dir() / "build.json"
    if not path.exists():
        pytest.fail(f"{path} not found: run `python3 build.py` first (or set PYNN_SITE_DIR).")
    info = json.loads(path.read_text())
    if "shape" not in info:
        pytest.fail("build.json has no `shape`: rebuild the site with `python3 build.py`.")
    return info


@pytest.fixture(scope="session")
def shape(build_info):
    """build.json's shape, e.g. {"side": 28, "inputs": 784, "classes": 10, "train": 8000, "test": 2000}."""
    return build_info["shape"]


@pytest.fixture(scope="session")
def default_model_text(build_info):
    return (site_dir() / build_info["model"]).read_text()


@pytest.fixture(scope="session")
def digits():
    """(images uint8 (count * inputs,), labels uint8 (count,)) as the site ships them."""
    folder = mnist_dir()
    if not (folder / "mnist.json").exists():
        pytest.fail(f"MNIST digits not found in {folder}: run `python3 build.py` first (or set PYNN_MNIST_DIR).")
    images = np.fromfile(folder / "mnist-images.u8", dtype=np.uint8)
    labels = np.fromfile(folder / "mnist-labels.u8", dtype=np.uint8)
    return images, labels


def _typed(array):
    """What the worker passes for `array`: a JS typed array inside Pyodide, the array on CPython."""
    array = np.ascontiguousarray(array)
    if sys.platform != "emscripten":
        return array
    import js  # Pyodide's bridge to JavaScript

    kind = {np.dtype(np.uint8): js.Uint8Array, np.dtype(np.float32): js.Float32Array}[array.dtype]
    out = kind.new(array.size)
    out.assign(array)
    return out


@pytest.fixture(scope="session")
def typed():
    """`typed(ndarray of uint8 or float32)` -> what the worker would pass for it."""
    return _typed


@pytest.fixture
def session(shape, digits, default_model_text):
    """A WorkerState with the digits loaded and the default model active."""
    from pynn_worker import WorkerState

    s = WorkerState(json.dumps(shape))
    s.load_data(_typed(digits[0]), _typed(digits[1]))
    s.load_model(default_model_text)
    return s
