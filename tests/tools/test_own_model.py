"""Publishing at build time: build.json's "lazy" list (the files a published copy must also take),
and ``python3 build.py --default-model FILE``, whose bad files fail the build at once with a message
saying what is wrong, before site/ is touched. (The good path: a real build, README "Publish".)"""
import json
import subprocess
import sys

import pytest

from tools.paths import BUILD_PY, SITE
from tools.site import assemble

SITE_FILES = {"index.html": b"<p>", "sw.js": b"//", "data/mnist/train-0.u8.gz": b"\x1f\x8b",
              "vendor/fflate.mjs": b"//", "worker/worker.js.map": b"{}", "pyodide/pyodide.js": b"//",
              "page/embed-example/index.html": b"<p>"}


def test_lazy_lists_what_is_loaded_on_first_use_and_precache_and_lazy_cover_the_site(tmp_path):
    site = tmp_path / "site"
    info = assemble(site, lambda out: [((out / n).parent.mkdir(parents=True, exist_ok=True), (out / n).write_bytes(b))
                                       for n, b in SITE_FILES.items()] and {"version": "1"})
    assert info["lazy"] == ["data/mnist/train-0.u8.gz", "page/embed-example/index.html", "vendor/fflate.mjs"]
    assert info["precache"] == ["build.json", "index.html", "sw.js"]
    assert json.loads((site / "build.json").read_text())["lazy"] == info["lazy"]


MODEL = {"format": "py_nn.model", "version": 1}


@pytest.mark.parametrize("case,content,message", [
    ("missing", None, "no such file"),
    ("not-json", "hello", "not a py_nn model (Not valid JSON"),
    ("not-a-model", json.dumps({"shape": [1, 2]}), "not a py_nn model"),
    ("carries-code", json.dumps({**MODEL, "metadata": {"code": {"source": "x = 1"}}}), "carries Python code"),
])
def test_a_bad_default_model_fails_the_build_with_a_clear_message(tmp_path, case, content, message):
    path = tmp_path / f"{case}.json"
    if content is not None:
        path.write_text(content)
    before = (SITE / "build.json").read_bytes() if (SITE / "build.json").exists() else None
    done = subprocess.run([sys.executable, BUILD_PY, "--default-model", path], capture_output=True, text=True)
    assert done.returncode == 1, done.stdout[-2000:]
    assert f"BUILD FAILED: --default-model {path}: " in done.stderr and message in done.stderr, done.stderr
    if before is not None:
        assert (SITE / "build.json").read_bytes() == before, "a refused model changed site/"


def test_a_model_of_the_wrong_shape_fails_the_build(tmp_path):
    sys.path.insert(0, str(BUILD_PY.parent))
    done = subprocess.run([sys.executable, "-c", "import py_nn, sys; sys.stdout.write(py_nn.NeuralNetwork([4, 3, 2], seed=0).to_json())"],
                          capture_output=True, text=True, cwd=BUILD_PY.parent, check=True)
    path = tmp_path / "small.json"
    path.write_text(done.stdout)
    failed = subprocess.run([sys.executable, BUILD_PY, "--default-model", path], capture_output=True, text=True)
    assert failed.returncode == 1
    assert "the model has layers [4, 3, 2], but the page needs 784 inputs and 10 outputs" in failed.stderr, failed.stderr
