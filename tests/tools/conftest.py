"""Fixtures for the build tools' tests (tools/): temporary folders only, no network.

``python3 build.py test`` runs them with the venv's CPython; alone:
``.venv/bin/python -m pytest tests/tools``. The repository goes on sys.path so that
``import tools`` works (these tests never import py_nn).
"""
import os
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


def _tree(folder):
    folder = Path(folder)
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in folder.rglob("*") if p.is_file()}


@pytest.fixture
def tree():
    """A function: folder -> {relative path: bytes} of every file under it (a snapshot)."""
    return _tree


@pytest.fixture
def fake_npm(tmp_path, monkeypatch):
    """An ``npm`` first on PATH whose ``npm pack NAME@VERSION --pack-destination DIR`` writes
    ``DIR/NAME-VERSION.tgz`` with the bytes of the file named by $FAKE_NPM_CONTENT.
    Returns a function that sets those bytes."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    script = bin_dir / "npm"
    script.write_text(
        f"#!{sys.executable}\n"
        "import os, sys\n"
        "args = sys.argv[1:]\n"
        "assert args[0] == 'pack', args\n"
        "name, version = args[1].rsplit('@', 1)\n"
        "dest = args[args.index('--pack-destination') + 1]\n"
        "data = open(os.environ['FAKE_NPM_CONTENT'], 'rb').read()\n"
        "open(os.path.join(dest, f'{name}-{version}.tgz'), 'wb').write(data)\n")
    script.chmod(0o755)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    content = tmp_path / "npm-content"

    def serve_bytes(data):
        content.write_bytes(data)
        monkeypatch.setenv("FAKE_NPM_CONTENT", str(content))

    return serve_bytes
