"""Pyodide's Python precompiled to bytecode, the build's side: the stdlib zip and the package
wheels in site/pyodide replaced by versions with .pyc in place of .py, cached by input hash, and
pyodide-lock.json's sha256 updated.

Why: Pyodide never writes bytecode, so every start compiled the ~130 stdlib modules
``loadPyodide`` imports, then micropip's and NumPy's sources. Pyodide's own ``pyodide
py-compile`` (pyodide-build) does the same at its build time. The jobs, in one direction:

- tools/pyc_rules.py: what is dropped or replaced (plain data);
- this module: writes a job from those rules, runs it in Node (:func:`precompile_pyodide`),
  caches the outputs and copies them in, then :func:`update_lock`;
- tools/pyc_compile.mjs + tools/pyc_compile.py: the job run by Pyodide's own interpreter.
"""
import hashlib
import json
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from tools.pyc_rules import KEEP_DOCSTRINGS, STDLIB_DROP, WHEEL_DROP, WHEEL_STUBS

HERE = Path(__file__).resolve().parent
# Every file whose change changes the compiled output (with the inputs themselves).
CODE_FILES = ("pyc.py", "pyc_rules.py", "pyc_compile.py", "pyc_compile.mjs")


def update_lock(lock_path, files):
    """Point pyodide-lock.json's packages at rewritten wheels.

    ``files`` maps a package name to its new wheel (a path): the entry's ``file_name`` becomes
    the path's name and its ``sha256`` the file's. Raises KeyError naming a package the lock
    does not have. The lock keeps its key order and Pyodide's formatting (``json.dumps``).
    """
    from tools.downloads import sha256_file

    lock_path = Path(lock_path)
    lock = json.loads(lock_path.read_text())
    for name, path in files.items():
        if name not in lock["packages"]:
            raise KeyError(f"package {name!r} is not in {lock_path}; it has {sorted(lock['packages'])[:8]}...")
        entry = lock["packages"][name]
        entry["file_name"] = Path(path).name
        entry["sha256"] = sha256_file(path)
    lock_path.write_text(json.dumps(lock))


def _inputs_key(pyodide_dir, wheel_files):
    """Cache key: the bytes of the inputs and of the code that compiles them."""
    from tools.downloads import sha256_file

    digest = hashlib.sha256()
    for path in [*(HERE / name for name in CODE_FILES), pyodide_dir / "pyodide.asm.wasm",
                 pyodide_dir / "python_stdlib.zip", *wheel_files]:
        digest.update(f"{path.name}:{sha256_file(path)}\n".encode())
    return digest.hexdigest()[:20]


def make_job(pyodide_dir, wheels, out_dir):
    """The job tools/pyc_compile.py's run_job() takes: the stdlib zip and ``wheels`` {name: path}
    from ``pyodide_dir``, compiled into ``out_dir``, with tools/pyc_rules.py's drops and stubs."""
    stdlib = "python_stdlib.zip"
    return {"stdlib": {"src": str(pyodide_dir / stdlib), "dst": str(out_dir / stdlib),
                       "drop": list(STDLIB_DROP), "keep_docstrings": list(KEEP_DOCSTRINGS)},
            "wheels": [{"name": n, "src": str(w), "drop": list(WHEEL_DROP.get(n, ())),
                        "stubs": WHEEL_STUBS.get(n, {})} for n, w in wheels.items()],
            "out_dir": str(out_dir)}


def _compile_in_pyodide(node, pyodide_dir, wheels, folder):
    """Run the job (stdlib zip and ``wheels`` {name: path}) in Pyodide from ``pyodide_dir``,
    writing the outputs and report.json into a temporary folder renamed to ``folder`` at the
    end (a concurrent build of the same key may win; its output is the same)."""
    folder.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix="tmp-", dir=folder.parent))
    try:
        (tmp / "job.json").write_text(json.dumps(make_job(pyodide_dir, wheels, tmp)))
        result = subprocess.run(
            [node, HERE / "pyc_compile.mjs", "compile", "--pyodide", pyodide_dir,
             "--job", tmp / "job.json", "--report", tmp / "report.json"], capture_output=True, text=True)
        if result.returncode != 0 or not (tmp / "report.json").exists():
            raise RuntimeError(f"compiling Pyodide's Python to .pyc failed (exit {result.returncode}):\n"
                               f"{result.stdout}{result.stderr}")
        (tmp / "job.json").unlink()
        os.chmod(tmp, 0o755)  # mkdtemp's folder is private; the cache is shared
        try:
            os.replace(tmp, folder)
        except OSError:
            if not (folder / "report.json").exists():
                raise
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def precompile_pyodide(pyodide_dir, node, cache_dir, packages, log=print):
    """In a folder of Pyodide's unmodified files and the wheels of ``packages`` (names in
    pyodide-lock.json), replace python_stdlib.zip and those wheels by their compiled versions
    and update pyodide-lock.json. Returns {old wheel file name: new file name}.

    The compiled files are cached in ``cache_dir/<key>/`` by the hash of every input, so a
    rebuild with the same inputs only copies them. Raises RuntimeError with Node's output if
    the compile fails.
    """
    pyodide_dir = Path(pyodide_dir)
    lock = json.loads((pyodide_dir / "pyodide-lock.json").read_text())
    wheels = {name: pyodide_dir / lock["packages"][name]["file_name"] for name in packages}
    folder = Path(cache_dir) / _inputs_key(pyodide_dir, wheels.values())
    if not (folder / "report.json").exists():
        _compile_in_pyodide(node, pyodide_dir, wheels, folder)
    report = json.loads((folder / "report.json").read_text())
    old_size = (pyodide_dir / "python_stdlib.zip").stat().st_size
    shutil.copyfile(folder / "python_stdlib.zip", pyodide_dir / "python_stdlib.zip")
    log(f"python_stdlib.zip: {report['stdlib']['compiled']} modules compiled by Python {report['python']}, "
        f"{report['stdlib']['dropped']} entries dropped, {old_size:,} -> "
        f"{(pyodide_dir / 'python_stdlib.zip').stat().st_size:,} bytes")
    renamed, files = {}, {}
    for name, src in wheels.items():
        entry = report["wheels"][name]
        new = pyodide_dir / entry["file_name"]
        old_size = src.stat().st_size
        src.unlink()
        shutil.copyfile(folder / entry["file_name"], new)
        renamed[src.name], files[name] = new.name, new
        log(f"{new.name}: {entry['compiled']} modules compiled, {entry['dropped']} files dropped, "
            f"{old_size:,} -> {new.stat().st_size:,} bytes")
    update_lock(pyodide_dir / "pyodide-lock.json", files)
    return renamed
