"""The wheel ships the WebAssembly SIMD kernel, built from the current C source, as a side
module Pyodide can load (tests/tools/test_wasm_kernel.py tests the checker itself).

build.py passes the wheel's path in PYNN_WHEEL. The tool is loaded from its file (the
source tree is not importable in this suite).
"""
import importlib.util
import os
import zipfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
WHEEL = Path(os.environ.get("PYNN_WHEEL", "missing"))
MEMBER = "py_nn/_simd/sgemm.wasm"


def load_tool():
    spec = importlib.util.spec_from_file_location("wasm_kernel", REPO / "tools" / "wasm_kernel.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def tool():
    return load_tool()


@pytest.fixture(scope="module")
def shipped():
    if not WHEEL.is_file():
        pytest.fail(f"PYNN_WHEEL={WHEEL} is not a file: run `python3 build.py test`.")
    with zipfile.ZipFile(WHEEL) as zf:
        assert MEMBER in zf.namelist(), f"{WHEEL.name} does not ship {MEMBER}"
        return zf.read(MEMBER)


def test_the_wheel_ships_a_loadable_side_module(tool, shipped):
    info = tool.verify_side_module(shipped)
    assert info["first_section"] == "dylink.0"
    assert {"pynn_sgemm", "pynn_sgemm_work_size"} <= set(info["exports"])
    assert all(kind != "func" for _, _, kind in info["imports"]), info["imports"]
    assert len(shipped) < 64 * 1024


def test_the_shipped_kernel_is_built_from_the_current_source(tool, shipped):
    cached = tool.CACHE / f"sgemm-{tool.source_digest()[:20]}.wasm"
    assert cached.is_file(), f"no build of the current sgemm.c in {tool.CACHE}: rebuild the wheel"
    assert cached.read_bytes() == shipped, "the wheel's sgemm.wasm is stale: rebuild the wheel"
