"""web/'s layout says where code runs (README, "Architecture"): page/ on the main thread, worker/
in the Web Worker, python/ the worker's Python package, shared/ pure modules both sides import.
Imports run page -> shared <- worker; no folder mixes languages or sides; sources stay readable."""
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
WEB = ROOT / "web"
SIDES = ("page", "worker", "python", "shared")
IMPORT = re.compile(r"""(?:^|\s)(?:import|export)\s[^'"]*?from\s+['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]""", re.M)
MAX_LINES = 400
MAX_SOURCES = 20


def sources(side, suffix=".js"):
    return sorted((WEB / side).rglob(f"*{suffix}"))


def relative_imports(path):
    """The modules a JS file imports by relative path, resolved."""
    out = []
    for match in IMPORT.finditer(path.read_text()):
        spec = match.group(1) or match.group(2)
        if spec.startswith("."):
            out.append((path.parent / spec).resolve())
    return out


def side_of(path):
    rel = path.resolve().relative_to(WEB.resolve())
    return rel.parts[0] if len(rel.parts) > 1 else "top"


@pytest.mark.parametrize("side,allowed", [("page", {"page", "shared"}), ("worker", {"worker", "shared"}),
                                          ("shared", {"shared"})])
def test_imports_run_one_way(side, allowed):
    wrong = [(p.relative_to(WEB).as_posix(), side_of(t)) for p in sources(side)
             for t in relative_imports(p) if side_of(t) not in allowed]
    assert wrong == []


def test_shared_modules_are_pure():
    """shared/ touches neither the DOM nor the worker's globals, and imports only shared/."""
    for path in sources("shared"):
        text = re.sub(r"/\*.*?\*/|//[^\n]*", "", path.read_text(), flags=re.S)  # code, not comments
        assert not re.search(r"\b(document|window|self|postMessage|localStorage|indexedDB)\b", text), path.name


def test_no_folder_mixes_languages_and_none_is_crowded():
    for folder in [WEB, *[p for p in WEB.rglob("*") if p.is_dir() and "__pycache__" not in p.parts]]:
        files = [p for p in folder.iterdir() if p.is_file()]
        kinds = {p.suffix for p in files if p.suffix in (".js", ".py")}
        assert len(kinds) <= 1, f"{folder.relative_to(ROOT)} mixes {kinds}"
        assert len(files) <= MAX_SOURCES, f"{folder.relative_to(ROOT)} holds {len(files)} files"
    assert sorted(p.name for p in WEB.iterdir() if p.is_file()) == ["index.html", "style.css", "sw.js"]
    assert sorted(p.name for p in WEB.iterdir() if p.is_dir()) == sorted(SIDES)


def test_every_source_is_readable_in_one_sitting():
    long = {p.relative_to(ROOT).as_posix(): n for p in [*WEB.rglob("*.js"), *WEB.rglob("*.py"),
                                                        *(ROOT / "tools").glob("*.py"), *(ROOT / "py_nn").glob("*.py")]
            if (n := len(p.read_text().splitlines())) > MAX_LINES}
    assert long == {}


def test_no_class_name_is_defined_twice_across_the_sides():
    seen = {}
    for path in [*WEB.rglob("*.js"), *WEB.rglob("*.py"), *(ROOT / "py_nn").rglob("*.py")]:
        for name in re.findall(r"^\s*(?:export\s+)?class\s+([A-Za-z_]\w*)", path.read_text(), re.M):
            seen.setdefault(name, []).append(path.relative_to(ROOT).as_posix())
    assert {n: where for n, where in seen.items() if len(where) > 1} == {}
