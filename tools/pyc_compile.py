"""Inside Pyodide: its stdlib zip and package wheels rewritten with .pyc in place of .py, compiled
by Pyodide's own interpreter, and the check that every kept module imports from that bytecode.

``tools/pyc_compile.mjs`` loads this file alone into the unmodified Pyodide in Node, so it
imports only the standard library: :func:`run_job` (:func:`precompile_stdlib`,
:func:`precompile_wheel`) compiles what a job lists, with what to drop written into the job by
tools/pyc.py (from tools/pyc_rules.py); :func:`check_imports` checks a built site. The bytecode
must be Pyodide's CPython 3.12's; the job runs with ``PYTHONNODEBUGRANGES=1`` (no column tables).

A .pyc sits where its .py was (``numpy/__init__.pyc``); with no .py beside it, the import
system loads it as a sourceless module without checking any timestamp. It is hash-based and
unchecked (PEP 552): the same input gives the same bytes. ``co_filename`` is the path the
module had from source (``/lib/python312.zip/json/decoder.py``), so tracebacks name the same files.
"""
import ast
import base64
import csv
import hashlib
import io
import json
import marshal
import os
import zipfile
from pathlib import Path, PurePosixPath


def without_docstrings(tree):
    """Remove the docstring of the module and of every class and function in an AST.

    What ``python -OO`` strips, and nothing else: asserts and ``__debug__`` blocks stay.
    A body left empty gets a ``pass`` at the docstring's line.
    """
    for node in ast.walk(tree):
        if not isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
            continue
        body = node.body
        if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant) \
                and isinstance(body[0].value.value, str):
            doc = body.pop(0)
            if not body:
                body.append(ast.copy_location(ast.Pass(), doc))
    return tree


def pyc_bytes(source, filename, strip_docstrings=False):
    """The bytes of an unchecked hash-based .pyc (PEP 552) of ``source`` (bytes), compiled by
    this interpreter with ``filename`` as ``co_filename``, docstrings dropped first if
    ``strip_docstrings``. Raises SyntaxError naming ``filename`` if the source does not compile.
    """
    import importlib.util

    tree = ast.parse(source, filename)
    if strip_docstrings:
        tree = without_docstrings(tree)
    code = compile(tree, filename, "exec", dont_inherit=True, optimize=0)
    flags = (0b01).to_bytes(4, "little")  # hash-based, check_source = 0
    return importlib.util.MAGIC_NUMBER + flags + importlib.util.source_hash(source) + marshal.dumps(code)


def _matches(name, patterns):
    """True if an archive member ``name`` is one of ``patterns`` (file, folder or "*.ext")."""
    return any(name.endswith(p[1:]) if p.startswith("*.") else name == p or name.startswith(p + "/")
               for p in patterns)


def _rewrite_zip(src, drop, compile_member, stubs=None):
    """Read zip ``src`` and return its new members as [(ZipInfo, bytes)]: members matching
    ``drop`` left out (but a name in ``stubs`` is kept, its source replaced by ``stubs[name]``),
    every .py replaced by ``compile_member(name, source) -> pyc bytes`` named name + "c". Also
    returns the counts {compiled, dropped, copied}. Raises ValueError for a drop pattern or stub
    that matched nothing (the list is stale) or an archive with .pyc."""
    used, members = set(), []
    stubs = dict(stubs or {})
    counts = {"compiled": 0, "dropped": 0, "copied": 0}
    with zipfile.ZipFile(src) as zin:
        for item in zin.infolist():
            name = item.filename
            hits = [] if name in stubs else [p for p in drop if _matches(name, (p,))]
            if hits:
                used.update(hits)
                counts["dropped"] += 1
                continue
            if name.endswith(".pyc"):
                raise ValueError(f"{src} already holds bytecode ({name}); give the original archive")
            data = stubs.pop(name).encode() if name in stubs else zin.read(name)
            out = zipfile.ZipInfo(name, date_time=item.date_time)
            out.external_attr = item.external_attr
            out.compress_type = zipfile.ZIP_STORED if item.is_dir() else zipfile.ZIP_DEFLATED
            if name.endswith(".py"):
                out.filename = name + "c"
                data = compile_member(name, data)
                counts["compiled"] += 1
            else:
                counts["copied"] += 1
            members.append((out, data))
    stale = [p for p in drop if p not in used] + sorted(stubs)
    if stale:
        raise ValueError(f"drop patterns or stubs matched nothing in {Path(src).name}: {stale}; "
                         f"remove them from tools/pyc_rules.py")
    return members, counts


def _write_zip(dst, members):
    """Write [(ZipInfo, bytes)] to a new zip ``dst`` (deflated at level 9)."""
    with zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as zout:
        for info, data in members:
            zout.writestr(info, data)


def precompile_stdlib(src_zip, dst_zip, prefix, drop=(), keep_docstrings=()):
    """Write ``dst_zip``: Pyodide's python_stdlib.zip with every .py compiled, docstrings
    stripped (except in ``keep_docstrings`` packages) and the ``drop`` entries left out.

    ``prefix`` is where Pyodide mounts the zip (its entry on ``sys.path``, e.g.
    ``/lib/python312.zip``); it prefixes ``co_filename``. Returns the counts {compiled, dropped, copied}.
    """
    def compile_member(name, source):
        strip = not _matches(name, keep_docstrings)
        return pyc_bytes(source, f"{prefix}/{name}", strip_docstrings=strip)

    members, counts = _rewrite_zip(src_zip, drop, compile_member)
    _write_zip(dst_zip, members)
    return counts


def wheel_tag(filename):
    """The tag of a wheel file name: ``numpy-2.0.2-cp312-cp312-pyodide_2024_0_wasm32.whl`` ->
    ``cp312-cp312-pyodide_2024_0_wasm32``. Raises ValueError for a name that is not a wheel's."""
    parts = filename[:-4].split("-")
    if not filename.endswith(".whl") or len(parts) != 5:
        raise ValueError(f"{filename!r} is not a wheel name <name>-<version>-<python>-<abi>-<platform>.whl")
    return "-".join(parts[2:])


def compiled_wheel_name(filename, python_tag):
    """The name of a wheel after compiling: a pure ``py3-none-any`` wheel becomes
    ``<python_tag>-none-any`` (as pyodide-build names it); one already tagged for an
    interpreter keeps its name.

    >>> compiled_wheel_name("micropip-0.9.0-py3-none-any.whl", "cp312")
    'micropip-0.9.0-cp312-none-any.whl'
    """
    python, abi, platform = wheel_tag(filename).split("-")
    if not python.startswith("py"):
        return filename
    return filename[: -len(wheel_tag(filename)) - 4] + f"{python_tag}-{abi}-{platform}.whl"


def _record_row(name, data):
    """One RECORD row: name, urlsafe-base64 sha256 without padding, size."""
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
    return [name, f"sha256={digest}", str(len(data))]


def _fix_dist_info(members, old_tag, new_tag):
    """In a wheel's members [(ZipInfo, bytes)]: the WHEEL file's Tag line becomes ``new_tag``
    and RECORD lists the files really there, with their hashes."""
    record = [i for i, (info, _) in enumerate(members) if info.filename.endswith(".dist-info/RECORD")]
    if len(record) != 1:
        raise ValueError(f"a wheel holds one .dist-info/RECORD; found {len(record)}")
    rows = []
    for i, (info, data) in enumerate(members):
        if info.filename.endswith(".dist-info/WHEEL"):
            data = data.replace(f"Tag: {old_tag}\n".encode(), f"Tag: {new_tag}\n".encode())
            members[i] = (info, data)
        if i != record[0] and not info.is_dir():
            rows.append(_record_row(info.filename, data))
    rows.append([members[record[0]][0].filename, "", ""])
    text = io.StringIO()
    csv.writer(text, lineterminator="\n").writerows(rows)
    members[record[0]] = (members[record[0]][0], text.getvalue().encode())


def precompile_wheel(src_whl, dst_whl, prefix, drop=(), strip_docstrings=False, stubs=None):
    """Write ``dst_whl``: the wheel with every .py compiled (``co_filename`` under ``prefix``,
    where Pyodide installs it), ``drop`` entries left out, ``stubs`` ({name: source}) compiled
    from their replacement source, and a RECORD and WHEEL tag that match
    (the tag is read from the two file names). Docstrings stay unless ``strip_docstrings``
    (NumPy needs its own: ``add_docstring``). Returns the counts {compiled, dropped, copied}."""
    def compile_member(name, source):
        return pyc_bytes(source, f"{prefix}/{name}", strip_docstrings=strip_docstrings)

    members, counts = _rewrite_zip(src_whl, drop, compile_member, stubs)
    _fix_dist_info(members, wheel_tag(Path(src_whl).name), wheel_tag(Path(dst_whl).name))
    _write_zip(dst_whl, members)
    return counts


def run_job(job):
    """Inside Pyodide: compile what ``job`` lists; return a JSON report.

    ``job`` (a dict or its JSON text), paths in Pyodide's file system, what to drop or replace
    as tools/pyc_rules.py says (every key but the paths and names optional)::

        {"stdlib": {"src": ".../python_stdlib.zip", "dst": ".../python_stdlib.zip",
                    "drop": [...], "keep_docstrings": [...]},
         "wheels": [{"name": "numpy", "src": ".../numpy-...whl", "drop": [...],
                     "stubs": {name: source}}, ...], "out_dir": "..."}

    Each wheel is written to ``out_dir`` under :func:`compiled_wheel_name`. The report:
    {"python": "3.12.7", "stdlib": counts, "wheels": {name: {"file_name", **counts}}}.
    Where the zip is mounted and where wheels are installed come from the interpreter itself.
    """
    import site
    import sys

    if isinstance(job, str):
        job = json.loads(job)
    if sys.platform != "emscripten":
        raise RuntimeError(f"run_job compiles with Pyodide's interpreter; this is {sys.platform}")
    zip_prefix = next(p for p in sys.path if p.endswith(".zip"))
    site_prefix = site.getsitepackages()[0]
    python_tag = f"cp{sys.version_info[0]}{sys.version_info[1]}"
    report = {"python": sys.version.split()[0], "stdlib": None, "wheels": {}}
    if job.get("stdlib"):
        stdlib = job["stdlib"]
        report["stdlib"] = precompile_stdlib(stdlib["src"], stdlib["dst"], prefix=zip_prefix,
                                             drop=stdlib.get("drop", ()),
                                             keep_docstrings=stdlib.get("keep_docstrings", ()))
    for wheel in job.get("wheels", []):
        file_name = compiled_wheel_name(PurePosixPath(wheel["src"]).name, python_tag)
        counts = precompile_wheel(wheel["src"], f"{job['out_dir']}/{file_name}", prefix=site_prefix,
                                  drop=wheel.get("drop", ()), stubs=wheel.get("stubs"))
        report["wheels"][wheel["name"]] = {"file_name": file_name, **counts}
    return json.dumps(report)


def check_imports(packages):
    """Inside a Pyodide started from a built site (``packages`` loaded): import every module of
    the stdlib zip and of ``packages`` (``__main__`` modules aside). Returns JSON text
    {"modules": n, "failed": {module: error}, "from_source": [module whose file is a .py],
    and facts about one stdlib function and NumPy: docstrings, column positions, co_filename}."""
    import contextlib
    import importlib
    import importlib.metadata
    import sys
    import warnings

    names = set()
    zip_path = next(p for p in sys.path if p.endswith(".zip"))
    with zipfile.ZipFile(zip_path) as z:
        files = [n for n in z.namelist() if not n.startswith("site-packages/")]
    for package in packages:
        dist = importlib.metadata.distribution(package)
        files += [str(f) for f in dist.files if not str(f).startswith(("..", f"{dist.name}-"))]
    for name in files:
        stem, ext = os.path.splitext(name)
        if ext in (".py", ".pyc") and "-" not in stem and not stem.endswith("__main__"):
            names.add(stem.replace("/", ".").removesuffix(".__init__"))
    failed, from_source = {}, []
    with warnings.catch_warnings(), contextlib.redirect_stdout(io.StringIO()):
        warnings.simplefilter("ignore")
        try:  # imports every name of numpy.__all__ (f2py included)
            exec("from numpy import *", {})
        except BaseException as error:
            failed["from numpy import *"] = f"{type(error).__name__}: {error}"
        for name in sorted(names):
            try:
                module = importlib.import_module(name)
            except BaseException as error:  # SystemExit and the like count as failures too
                failed[name] = f"{type(error).__name__}: {error}"
                continue
            spec = getattr(module, "__spec__", None)
            if spec is not None and spec.origin and spec.origin.endswith(".py") and spec.origin != "frozen":
                from_source.append(name)
    import json.decoder as stdlib_module
    import numpy
    import pyodide.code

    code = stdlib_module.JSONDecoder.decode.__code__
    facts = {"stdlib_docstring": stdlib_module.JSONDecoder.decode.__doc__,
             "numpy_docstrings": bool(numpy.add.__doc__) and bool(numpy.mean.__doc__),
             "pyodide_docstring": bool(pyodide.code.eval_code.__doc__),
             "column_positions": any(p[2] is not None for p in code.co_positions()),
             "co_filename": code.co_filename}
    return json.dumps({"modules": len(names), "failed": failed, "from_source": from_source, **facts})

