"""The tests run against the built wheel when build.py asks for it."""
import os
import sys
from pathlib import Path

import py_nn


def test_py_nn_comes_from_the_installed_wheel_when_required():
    location = Path(py_nn.__file__).resolve()
    if os.environ.get("PYNN_REQUIRE_INSTALLED") == "1":
        assert "site-packages" in location.parts, f"py_nn imported from {location}"
    assert py_nn.__version__ == "0.1.0"
    if sys.platform == "emscripten":
        assert py_nn.kernels.active == "simd"  # the wheel ships the WebAssembly SIMD kernel
