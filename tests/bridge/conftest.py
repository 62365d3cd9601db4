"""Fixtures for the bridge tests (the worker's Python, web/python/pynn_worker/); they run on CPython
and, unchanged, inside Pyodide.

The built site gives the facts: build.json's `datasets`, the default model and the MNIST shards
(site/data/mnist/train-0.u8.gz, test-0.u8.gz; site/ or PYNN_SITE_DIR). Inside Pyodide the shards
and pixels reach the worker's Python as real JS typed arrays, exactly as web/worker/ sends them.
"""
import gzip
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


def read_shard(dataset_id, split, k=0):
    """The gunzipped bytes of a shard the site ships: count * 784 pixel bytes, then count labels."""
    path = site_dir() / "data" / dataset_id / f"{split}-{k}.u8.gz"
    if not path.exists():
        pytest.fail(f"{path} not found: run `python3 build.py` first (or set PYNN_SITE_DIR).")
    return gzip.decompress(path.read_bytes())


def _shard_arrays(dataset_id, split, k=0, inputs=784):
    """(images uint8 (count, inputs), labels uint8 (count,)) of a shard."""
    raw = np.frombuffer(read_shard(dataset_id, split, k), dtype=np.uint8)
    count = raw.size // (inputs + 1)
    return raw[:count * inputs].reshape(count, inputs), raw[count * inputs:]


@pytest.fixture(scope="session")
def shard_arrays():
    """`shard_arrays(dataset_id, split, k=0)` -> (images uint8 (count, 784), labels uint8 (count,))."""
    return _shard_arrays


@pytest.fixture(scope="session")
def site_path():
    """The built site's folder (site/ or PYNN_SITE_DIR)."""
    return site_dir()


@pytest.fixture(scope="session")
def build_info():
    path = site_dir() / "build.json"
    if not path.exists():
        pytest.fail(f"{path} not found: run `python3 build.py` first (or set PYNN_SITE_DIR).")
    info = json.loads(path.read_text())
    if "datasets" not in info:
        pytest.fail("build.json has no `datasets`: rebuild the site with `python3 build.py`.")
    return info


@pytest.fixture(scope="session")
def datasets_json(build_info):
    """build.json's `datasets`, as the worker passes them to WorkerState."""
    return json.dumps(build_info["datasets"])


@pytest.fixture(scope="session")
def shape(build_info):
    """MNIST's sizes: {"side": 28, "inputs": 784, "classes": 10, "train": 60000, "test": 10000}."""
    mnist = next(d for d in build_info["datasets"] if d["id"] == "mnist")
    return {"side": mnist["side"], "inputs": mnist["side"] ** 2, "classes": len(mnist["classes"]),
            "train": mnist["train"]["count"], "test": mnist["test"]["count"]}


@pytest.fixture(scope="session")
def default_model_text(build_info):
    return (site_dir() / build_info["model"]).read_text()


@pytest.fixture(scope="session")
def shards():
    """{"train": MNIST's first training shard, "test": its test shard}: gunzipped bytes."""
    return {split: read_shard("mnist", split) for split in ("train", "test")}


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
def session(datasets_json, shards, default_model_text):
    """A WorkerState with MNIST's first training shard and its test shard loaded (10,000 + 10,000
    digits, as a fit of up to 10,000 samples loads them) and the default model active."""
    from pynn_worker import WorkerState

    s = WorkerState(datasets_json)
    for split, data in shards.items():
        s.add_shard("mnist", split, _typed(np.frombuffer(data, dtype=np.uint8)))
    s.load_model(default_model_text)
    return s
