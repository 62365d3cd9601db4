"""site/: every part assembled in a sibling folder site.tmp-*, build.json written (what was
built, the data shape, the packages, the files to precache, a build id), then swapped in.
A failed or interrupted build leaves the previous site/ as it was."""
import hashlib
import json
import os
import shutil
import tempfile
import time
from pathlib import Path

from tools import mnist
from tools.datasets import DATASETS, build_datasets
from tools.default_model import check_first_visit_share, trained_model
from tools.editor import build_editor
from tools.env import info, section
from tools.paths import SITE, WEB
from tools.pins import NPM_PACKAGES, PYODIDE_VERSION
from tools.pyodide_dist import WORKER_PACKAGES, build_pyodide
from tools.vendor import build_chartjs, build_fflate
from tools.wheel import build_wheel, pynn_version
from tools.worker_bundle import bundle_worker

BUILD_JSON = "build.json"
NOT_PRECACHED = (".map",)  # source maps: only developer tools fetch them
# Loaded on first use, not at start-up: the data sets' shards (first Train / evaluate / Inside
# request; the Code panel offers them as downloads), the models of the data sets other than the
# default, Chart.js (first Train), CodeMirror (first use of the Code panel). Not precached: the
# service worker caches each when first fetched.
DEFAULT_DATASET = "mnist"  # its model is the page's default, loaded at start-up
# The other data sets' models are fetched when a person switches data set.
LAZY = ("data/", "vendor/", "page/embed-example/") + tuple(d["model"] for d in DATASETS if d["id"] != DEFAULT_DATASET)
# Shipped with Pyodide but never fetched by the page (the worker imports pyodide.mjs): not precached.
UNUSED = ("pyodide/pyodide.js",)


# web/'s folders say where code runs: page/ (the main thread), shared/ (pure modules both sides
# import), worker/ (the Web Worker: bundled into one file, below), python/ (the worker's Python
# package). Each goes into the site as it is, but worker/, whose place the bundle takes.
PYTHON_ROOT = "python/"
PYTHON_PACKAGE = "pynn_worker"
PYTHON_STATE = "WorkerState"  # the one object the worker creates from the package
BUNDLED = ("worker",)


def copy_web(out_dir, web_dir=WEB):
    """Copy web/ into the site (skipping editor and cache files and the bundled worker/ sources),
    then bundle the worker. Returns the number of top-level entries written."""
    if not web_dir.is_dir():
        info("NOTE: web/ does not exist yet; the site has no page")
        return 0
    ignore = shutil.ignore_patterns("__pycache__", ".*", "*~", "node_modules")
    count = 0
    for item in web_dir.iterdir():
        if item.name.startswith(".") or item.name in ("node_modules", "__pycache__", *BUNDLED):
            continue
        if item.is_dir():
            shutil.copytree(item, out_dir / item.name, ignore=ignore)
        else:
            shutil.copy2(item, out_dir / item.name)
        count += 1
    if (web_dir / "worker").is_dir():
        bundle_worker(out_dir, web_dir)
        count += 1
    info(f"web/: {count} entries copied or bundled")
    return count


def python_files(site_dir):
    """build.json's ``python``: the worker's Python package as the worker fetches it."""
    root = Path(site_dir) / PYTHON_ROOT
    files = sorted(p.relative_to(root).as_posix() for p in (root / PYTHON_PACKAGE).rglob("*.py"))
    return {"root": PYTHON_ROOT, "package": PYTHON_PACKAGE, "state": PYTHON_STATE, "files": files}


def site_files(site_dir):
    """Every file of a site as a sorted list of site-relative POSIX paths."""
    root = Path(site_dir)
    return sorted(p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file())


def precache_list(site_dir):
    """The files the service worker caches after Ready (what Ready and predict need offline):
    every site file but source maps, the lazily loaded ones (LAZY) and UNUSED, and build.json (listed
    even before it is written)."""
    files = [f for f in site_files(site_dir)
             if not f.endswith(NOT_PRECACHED) and not f.startswith(LAZY) and f not in UNUSED]
    return sorted(set(files) | {BUILD_JSON})


def lazy_list(site_dir):
    """The files loaded on first use (LAZY): not precached, but part of the site, listed so a
    published copy of the site (web/page/share/publish.js) takes every file it needs."""
    precached = set(precache_list(site_dir))
    return [f for f in site_files(site_dir)
            if f not in precached and not f.endswith(NOT_PRECACHED) and f not in UNUSED]


def build_id(site_dir, build_info):
    """16 hex chars of a sha256 over every site file but build.json (path and content) and over
    ``build_info`` (build.json's other keys): it changes whenever any site file changes."""
    root = Path(site_dir)
    digest = hashlib.sha256()
    for name in site_files(root):
        if name == BUILD_JSON:
            continue
        file_digest = hashlib.sha256((root / name).read_bytes()).hexdigest()
        digest.update(f"{name}\0{file_digest}\0".encode())
    facts = {k: v for k, v in build_info.items() if k != "build_id"}
    digest.update(json.dumps(facts, sort_keys=True).encode())
    return digest.hexdigest()[:16]


def write_build_json(site_dir, facts):
    """Write ``site_dir``/build.json: ``facts`` plus precache and build_id; return the dict."""
    build_info = dict(facts)
    build_info["precache"] = precache_list(site_dir)
    build_info["lazy"] = lazy_list(site_dir)
    build_info["build_id"] = build_id(site_dir, build_info)
    (Path(site_dir) / BUILD_JSON).write_text(json.dumps(build_info, indent=1) + "\n")
    return build_info


def assemble(site_dir, fill):
    """Build a complete site in ``site.tmp-*`` next to ``site_dir``, then swap it in.

    ``fill(tmp)`` writes every file into the folder ``tmp`` and returns build.json's facts
    (a dict); precache and build_id are added here. On any exception (Ctrl+C included) the
    temporary folder is removed and ``site_dir`` is left as it was. Returns build.json's dict.
    """
    site_dir = Path(site_dir)
    tmp = Path(tempfile.mkdtemp(prefix=f"{site_dir.name}.tmp-", dir=site_dir.parent))
    try:
        build_info = write_build_json(tmp, fill(tmp))
        swap_in(tmp, site_dir)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return build_info


def swap_in(new_dir, target):
    """Replace ``target`` by ``new_dir`` with renames (never a half-written target)."""
    os.chmod(new_dir, 0o755)
    old = None
    if target.exists():
        old = target.with_name(f"{target.name}.tmp-old-{os.getpid()}")
        os.replace(target, old)
    os.replace(new_dir, target)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


def fill_site(out, own_model=None):
    """Write every part of the site into ``out``; return build.json's facts (all but
    precache and build_id). ``own_model``: (text, summary) of own_model.read_own_model, the
    default model in place of the one trained here."""
    build_pyodide(out / "pyodide")
    build_chartjs(out / "vendor")
    build_fflate(out / "vendor")
    build_editor(out / "vendor")
    # The old digits (10,000 of MNIST's training digits from mnist@1.1.0) are not in the site any
    # more; the default model's summary still measures them (default_model.digits_accuracy).
    digits = mnist.mnist_files()
    (out / "data").mkdir()
    datasets, folders = build_datasets(out / "data")

    wheel = build_wheel()
    (out / "wheels").mkdir()
    shutil.copy2(wheel, out / "wheels" / wheel.name)

    (out / "models").mkdir()
    summaries = {}
    for dataset in datasets:
        old_digits = digits if dataset["id"] == DEFAULT_DATASET else None
        text, summaries[dataset["id"]] = trained_model(wheel, dataset["id"], folders[dataset["id"]],
                                                       old_digits)
        (out / dataset["model"]).write_text(text)
        dataset["model_test_accuracy"] = summaries[dataset["id"]]["test_accuracy"]
    default_path = next(d["model"] for d in datasets if d["id"] == DEFAULT_DATASET)
    if own_model is not None:  # --default-model: yours replaces the trained one, facts follow
        (out / default_path).write_text(own_model[0])
        summaries[DEFAULT_DATASET] = dict(own_model[1], digits_accuracy=None)
        for dataset in datasets:
            if dataset["model"] == default_path:
                dataset["model_test_accuracy"] = own_model[1]["test_accuracy"]
        info(f"default model: yours, {own_model[1]['layers']} (--default-model)")
    default = summaries[DEFAULT_DATASET]
    size = check_first_visit_share((out / default_path).read_text(), DEFAULT_DATASET)
    info(f"default model {default_path}: {size:,} bytes gzipped (its share of a first visit)")

    copy_web(out)
    return {
        "version": pynn_version(),
        "wheel": f"wheels/{wheel.name}",
        "model": default_path,
        "pyodide": PYODIDE_VERSION,
        "chartjs": NPM_PACKAGES["chart.js"][0],
        # test_accuracy: on the data set's official test split; digits_accuracy (old): on the
        # last 2,000 of mnist@1.1.0's digits (tools/mnist.py), MNIST training digits it has seen.
        "default_model": {"dataset": DEFAULT_DATASET, "layers": default["layers"],
                          "test_accuracy": default["test_accuracy"],
                          "digits_accuracy": default["digits_accuracy"]},
        "datasets": datasets,
        "python": python_files(out),
        "packages": list(WORKER_PACKAGES),
    }


def build_site(site_dir=SITE, default_model=None):
    """Build site/ and return its build.json dict. Leaves site/ untouched on failure.
    ``default_model``: the path of a model file of your own to ship as the default (checked
    first, so a bad file fails the build before anything else is done)."""
    started = time.perf_counter()
    section("Building site/")
    own = None
    if default_model is not None:
        from tools.own_model import read_own_model
        own = read_own_model(default_model, mnist.SHAPE["inputs"], mnist.SHAPE["classes"])
    build_info = assemble(site_dir, lambda out: fill_site(out, own))
    accuracy = build_info["default_model"]["test_accuracy"]
    info(f"site/ ready in {time.perf_counter() - started:.1f} s: {len(build_info['precache'])} files "
         f"to precache, build {build_info['build_id']} (default model: "
         f"{'accuracy not stated' if accuracy is None else f'{accuracy:.2%}'})")
    return build_info
