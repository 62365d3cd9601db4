"""The py_nn wheel: files generated into py_nn/ first (generate_package_files), then the pure
wheel built offline with hatchling from .venv into dist/, and its installation into .venv."""
import sys
import zipfile

from tools.env import BuildError, clean_env, info, run
from tools.paths import DIST, PACKAGE, ROOT


def pynn_version():
    """Read ``__version__`` from py_nn/_version.py without importing the package."""
    source = PACKAGE / "_version.py"
    if not source.exists():
        raise BuildError("py_nn/_version.py does not exist: nothing to build a wheel from.")
    for line in source.read_text().splitlines():
        if line.startswith("__version__"):
            return line.split("=", 1)[1].strip().strip("\"'")
    raise BuildError("py_nn/_version.py has no __version__ line")


def generate_package_files(package_dir=PACKAGE):
    """Write the files that are generated into py_nn/ (not written by hand) before the wheel
    is built; return their paths. This is the one place such a step goes: add a call here
    and the wheel, the Pyodide tests and the site all get the file. Today: the WebAssembly
    SIMD kernel, py_nn/_simd/sgemm.wasm (tools/wasm_kernel.py; git-ignored, cached).
    """
    from tools.wasm_kernel import WasmKernelError, build_kernel

    try:
        written = [build_kernel(package_dir / "_simd" / "sgemm.wasm", log=info)]
    except WasmKernelError as error:
        raise BuildError(f"building the WebAssembly SIMD kernel: {error}") from None
    return written


def build_wheel():
    """Build the pure py_nn wheel into dist/ (offline: hatchling from .venv) and return it."""
    version = pynn_version()
    if not (ROOT / "README.md").exists():
        raise BuildError("README.md is missing: pyproject.toml uses it as the wheel's description.")
    generated = generate_package_files()
    for path in generated:
        info(f"generated {path.relative_to(ROOT)}")
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
    for path in ["py_nn/__init__.py"] + [p.relative_to(ROOT).as_posix() for p in generated]:
        if path not in names:
            raise BuildError(f"{wheel.name} does not contain {path}")
    info(f"{wheel.name}: {len([n for n in names if n.startswith('py_nn/')])} files, "
         f"{wheel.stat().st_size:,} bytes")
    return wheel


def install_wheel(wheel):
    """Install the built wheel into .venv (replacing any previous py_nn), offline."""
    run([sys.executable, "-m", "pip", "install", "--disable-pip-version-check", "-q",
         "--force-reinstall", "--no-deps", "--no-index", wheel],
        env=clean_env(), what=f"pip install {wheel.name}")
