"""Tests of tools/pyc.py and tools/pyc_compile.py: the built site ships Python bytecode that
Pyodide really imports, with a pyodide-lock.json whose sha256 match the files; and the wheel
rewriting on small archives.

The site tests read ``$PYNN_SITE_DIR`` (default: site/) and need ``python3 build.py`` first;
the import check runs Pyodide in Node.js (``tools/pyc_compile.mjs check``).
"""
import base64
import csv
import hashlib
import io
import json
import marshal
import os
import shutil
import subprocess
import zipfile
from pathlib import Path

import pytest

from tools import pyc, pyc_compile
from tools.pyodide_dist import WORKER_PACKAGES, lock_closure

ROOT = Path(__file__).resolve().parents[2]
SITE = Path(os.environ.get("PYNN_SITE_DIR", ROOT / "site"))
PYODIDE = SITE / "pyodide"
# This one fails to import from the original wheel as well (a build-time module).
FAIL_IN_ORIGINAL_TOO = {"numpy._core.cversions"}


def sha256(path):
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


@pytest.fixture(scope="module")
def lock():
    path = PYODIDE / "pyodide-lock.json"
    assert path.exists(), f"{path} is missing: build the site first with `python3 build.py`"
    return json.loads(path.read_text())


@pytest.fixture(scope="module")
def packages(lock):
    """The packages whose wheels were compiled: what the worker loads, with dependencies."""
    return lock_closure(lock, WORKER_PACKAGES)


@pytest.fixture(scope="module")
def imports_report(tmp_path_factory, packages):
    """What pyc_compile.check_imports() reports from Pyodide started from the built site."""
    node = shutil.which("node")
    assert node, "node (Node.js 18+) is needed on PATH to start Pyodide"
    out = tmp_path_factory.mktemp("pyc") / "report.json"
    result = subprocess.run([node, ROOT / "tools" / "pyc_compile.mjs", "check", "--pyodide", PYODIDE,
                             "--packages", ",".join(packages), "--report", out],
                            capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stdout + result.stderr
    return json.loads(out.read_text())


# --- the built site -----------------------------------------------------------------------------

def test_lock_sha256_equals_every_shipped_package_file(lock, packages):
    shipped = sorted(p.name for p in PYODIDE.iterdir() if p.suffix in (".whl", ".zip") and p.name != "python_stdlib.zip")
    by_file = {entry["file_name"]: entry for entry in lock["packages"].values()}
    assert shipped, f"no package files in {PYODIDE}"
    for name in shipped:
        assert name in by_file, f"{name} is shipped but pyodide-lock.json does not name it"
        assert by_file[name]["sha256"] == sha256(PYODIDE / name), f"lock sha256 of {name} is stale"
    for package in packages:
        assert lock["packages"][package]["file_name"] in shipped, f"{package}'s wheel is not shipped"


def test_compiled_wheels_hold_bytecode_and_a_true_record(lock, packages):
    assert {"numpy", "micropip", "packaging"} <= set(packages)
    for package in packages:
        path = PYODIDE / lock["packages"][package]["file_name"]
        assert "-py3-" not in path.name, f"{path.name}: a compiled wheel is tagged for its interpreter"
        with zipfile.ZipFile(path) as z:
            names = z.namelist()
            assert not [n for n in names if n.endswith(".py")], f"{path.name} still holds .py files"
            assert f"{package}/__init__.pyc" in names
            record_name = next(n for n in names if n.endswith(".dist-info/RECORD"))
            rows = list(csv.reader(io.StringIO(z.read(record_name).decode())))
            assert sorted(r[0] for r in rows) == sorted(n for n in names if not n.endswith("/"))
            for name, digest, size in rows:
                if name == record_name:
                    continue
                data = z.read(name)
                want = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
                assert (digest, size) == (f"sha256={want}", str(len(data))), f"RECORD row of {name}"
            wheel = z.read(record_name.replace("RECORD", "WHEEL")).decode()
            assert f"Tag: {pyc_compile.wheel_tag(path.name)}\n" in wheel


def test_numpy_wheel_drops_stubs_and_headers(lock):
    with zipfile.ZipFile(PYODIDE / lock["packages"]["numpy"]["file_name"]) as z:
        names = z.namelist()
    assert not [n for n in names if n.endswith((".pyi", ".pxd", ".a"))]
    assert not [n for n in names if n.startswith("numpy/_core/include/")]
    assert "numpy/f2py/__init__.pyc" in names  # `from numpy import *` needs it: the stub
    assert [n for n in names if n.startswith("numpy/f2py/")] == ["numpy/f2py/__init__.pyc"]
    for kept in ("linalg", "random", "fft", "polynomial", "ma", "testing"):  # what learners import
        assert f"numpy/{kept}/__init__.pyc" in names, kept
    assert "numpy/linalg/_umath_linalg.cpython-312-wasm32-emscripten.so" in names


def test_stdlib_zip_holds_bytecode_only_and_no_dropped_module():
    with zipfile.ZipFile(PYODIDE / "python_stdlib.zip") as z:
        names = set(z.namelist())
    assert not [n for n in names if n.endswith(".py")], "python_stdlib.zip still holds .py files"
    for kept in ("json/__init__.pyc", "asyncio/base_events.pyc", "socketserver.pyc", "_pyodide/_base.pyc"):
        assert kept in names
    for dropped in ("cgi.pyc", "xmlrpc/client.pyc", "multiprocessing/__init__.pyc", "http/server.pyc"):
        assert dropped not in names
    assert not [n for n in names if n.startswith("multiprocessing/")]


def test_every_kept_module_imports_from_bytecode_in_pyodide(imports_report):
    report = imports_report
    assert set(report["failed"]) == FAIL_IN_ORIGINAL_TOO, report["failed"]
    assert report["from_source"] == []
    assert report["modules"] > 600


def test_docstrings_gone_from_the_stdlib_only(imports_report):
    assert imports_report["stdlib_docstring"] is None
    assert imports_report["numpy_docstrings"] is True
    assert imports_report["pyodide_docstring"] is True


def test_bytecode_has_no_column_tables_and_the_source_file_names(imports_report):
    assert imports_report["column_positions"] is False
    assert imports_report["co_filename"] == "/lib/python312.zip/json/decoder.py"


# --- the functions, on small archives (compiled by this CPython) ----------------------------------

def make_wheel(path, files):
    """A wheel ``path`` holding ``files`` {name: text} plus dist-info WHEEL and RECORD."""
    dist = path.name.split("-")[0] + "-" + path.name.split("-")[1] + ".dist-info"
    tag = pyc_compile.wheel_tag(path.name)
    with zipfile.ZipFile(path, "w") as z:
        for name, text in files.items():
            z.writestr(name, text)
        z.writestr(f"{dist}/WHEEL", f"Wheel-Version: 1.0\nRoot-Is-Purelib: true\nTag: {tag}\n")
        z.writestr(f"{dist}/RECORD", "stale,,\n")


def test_precompile_wheel_compiles_drops_and_rewrites_the_record(tmp_path):
    src = tmp_path / "demo-1.0-py3-none-any.whl"
    make_wheel(src, {"demo/__init__.py": '"""Doc."""\nX = 1\n', "demo/a.pyi": "X: int\n",
                     "demo/data.txt": "kept"})
    dst = tmp_path / pyc_compile.compiled_wheel_name(src.name, "cp312")
    counts = pyc_compile.precompile_wheel(src, dst, "/site", drop=("*.pyi",))
    assert counts == {"compiled": 1, "dropped": 1, "copied": 3}
    assert dst.name == "demo-1.0-cp312-none-any.whl"
    with zipfile.ZipFile(dst) as z:
        assert sorted(z.namelist()) == ["demo-1.0.dist-info/RECORD", "demo-1.0.dist-info/WHEEL",
                                        "demo/__init__.pyc", "demo/data.txt"]
        assert "Tag: cp312-none-any\n" in z.read("demo-1.0.dist-info/WHEEL").decode()
        record = z.read("demo-1.0.dist-info/RECORD").decode()
        assert "demo/__init__.pyc,sha256=" in record and "stale" not in record


def test_a_stub_replaces_one_file_of_a_dropped_folder(tmp_path):
    src = tmp_path / "demo-1.0-py3-none-any.whl"
    make_wheel(src, {"demo/__init__.py": "X = 1\n", "demo/big/__init__.py": "import demo.big.huge\n",
                     "demo/big/huge.py": "Y = 2\n"})
    dst = tmp_path / "demo-1.0-cp312-none-any.whl"
    counts = pyc_compile.precompile_wheel(src, dst, "/site", drop=("demo/big",),
                                  stubs={"demo/big/__init__.py": "SMALL = True\n"})
    assert counts == {"compiled": 2, "dropped": 1, "copied": 2}
    with zipfile.ZipFile(dst) as z:
        names = sorted(z.namelist())
        code = marshal.loads(z.read("demo/big/__init__.pyc")[16:])
    assert "demo/big/huge.pyc" not in names and "demo/big/__init__.pyc" in names
    namespace = {}
    exec(code, namespace)
    assert namespace["SMALL"] is True
    with pytest.raises(ValueError, match="matched nothing.*demo/none.py"):
        pyc_compile.precompile_wheel(src, tmp_path / "out.whl", "/site", stubs={"demo/none.py": "Z = 3\n"})


def test_a_drop_pattern_that_matches_nothing_is_an_error(tmp_path):
    src = tmp_path / "demo-1.0-py3-none-any.whl"
    make_wheel(src, {"demo/__init__.py": "X = 1\n"})
    with pytest.raises(ValueError, match="matched nothing.*demo/gone"):
        pyc_compile.precompile_wheel(src, tmp_path / "out.whl", "/site", drop=("demo/gone",))


def test_an_archive_with_bytecode_is_refused(tmp_path):
    src = tmp_path / "python_stdlib.zip"
    with zipfile.ZipFile(src, "w") as z:
        z.writestr("os.pyc", b"\0")
    with pytest.raises(ValueError, match="already holds bytecode"):
        pyc_compile.precompile_stdlib(src, tmp_path / "out.zip", "/lib/python312.zip", drop=())


def test_without_docstrings_strips_docstrings_and_keeps_asserts():
    import ast

    tree = pyc_compile.without_docstrings(ast.parse('"""M."""\nclass C:\n    "c"\ndef f():\n    "f"\n    assert 0\n'))
    namespace = {}
    exec(compile(tree, "<m>", "exec"), namespace)
    assert namespace["C"].__doc__ is None and namespace["f"].__doc__ is None
    with pytest.raises(AssertionError):
        namespace["f"]()


def test_update_lock_sets_name_and_sha256_and_names_unknown_packages(tmp_path):
    lock_path = tmp_path / "pyodide-lock.json"
    lock_path.write_text(json.dumps({"info": {}, "packages": {"demo": {"file_name": "old.whl", "sha256": "0"}}}))
    wheel = tmp_path / "demo-1.0-cp312-none-any.whl"
    wheel.write_bytes(b"wheel bytes")
    pyc.update_lock(lock_path, {"demo": wheel})
    entry = json.loads(lock_path.read_text())["packages"]["demo"]
    assert entry == {"file_name": wheel.name, "sha256": hashlib.sha256(b"wheel bytes").hexdigest()}
    with pytest.raises(KeyError, match="'nope' is not in"):
        pyc.update_lock(lock_path, {"nope": wheel})
