"""The built wheel is pure, depends only on numpy, and installs and works in a fresh venv.

build.py passes the wheel's path in PYNN_WHEEL.
"""
import os
import subprocess
import sys
import venv
import zipfile
from pathlib import Path

import pytest

WHEEL = Path(os.environ.get("PYNN_WHEEL", "missing"))


@pytest.fixture(scope="module")
def wheel():
    if not WHEEL.is_file():
        pytest.fail(f"PYNN_WHEEL={WHEEL} is not a file: run `python3 build.py test`.")
    return WHEEL


def metadata(wheel, name):
    with zipfile.ZipFile(wheel) as zf:
        member = next(n for n in zf.namelist() if n.endswith(f".dist-info/{name}"))
        return zf.read(member).decode()


def test_wheel_is_pure_python(wheel):
    assert wheel.name.endswith("-py3-none-any.whl")
    wheel_file = metadata(wheel, "WHEEL")
    assert "Root-Is-Purelib: true" in wheel_file and "Tag: py3-none-any" in wheel_file
    with zipfile.ZipFile(wheel) as zf:
        packages = {n.split("/")[0] for n in zf.namelist()}
        assert not [n for n in zf.namelist() if n.endswith((".so", ".pyd", ".c"))]
    version = wheel.name.split("-")[1]
    assert packages == {"py_nn", f"py_nn-{version}.dist-info"}


def test_wheel_depends_only_on_numpy(wheel):
    requires = [line.split(":", 1)[1].strip() for line in metadata(wheel, "METADATA").splitlines()
                if line.startswith("Requires-Dist:")]
    assert [r.split()[0].split(";")[0] for r in requires] == ["numpy"]


def test_wheel_installs_and_trains_in_a_fresh_virtual_environment(wheel, tmp_path):
    env_dir = tmp_path / "venv"
    venv.create(env_dir, with_pip=True)
    python = env_dir / ("Scripts/python.exe" if os.name == "nt" else "bin/python")
    # numpy comes from the registry (or pip's cache); nothing else is installed beforehand
    subprocess.run([python, "-m", "pip", "install", "--disable-pip-version-check", "-q", wheel],
                   check=True, timeout=600)
    script = (
        "import numpy as np, py_nn, sys\n"
        "assert 'site-packages' in py_nn.__file__, py_nn.__file__\n"
        "x = np.random.default_rng(0).normal(size=(60, 4)); y = (x[:, 0] > 0).astype(int)\n"
        "net = py_nn.NeuralNetwork([4, 8, 2], 'relu', 'softmax', 'categorical_crossentropy',\n"
        "                          py_nn.Adam(lr=0.05), seed=0)\n"
        "net.fit(x, y, 10, 20, categorical=True, verbose=False)\n"
        "print(py_nn.__version__, net.score(x, y, accuracy=True))\n")
    out = subprocess.run([python, "-c", script], check=True, capture_output=True, text=True,
                         cwd=tmp_path, timeout=300).stdout.split()
    assert out[0] == "0.1.0" and float(out[1]) > 0.9
