"""pynn_worker.usercode (web/python/): running a learner's code, the generated code, templates, and the exported
script. Runs on CPython and inside Pyodide (the exported script is run only on CPython)."""
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import py_nn

from pynn_worker import codegen  # noqa: E402
from pynn_worker import usercode  # noqa: E402

SETTINGS = {"hidden": [64], "optimizer": "sgd", "learningRate": 0.1, "epochs": 1,
            "batchSize": 32, "samples": 8000, "seed": 0}


@pytest.fixture(scope="module")
def digits(shard_arrays):
    """(x_train (2000, 784), y_train, x_test (1000, 784), y_test), float32 in 0..1: MNIST's
    first training shard and its official test digits, as the site ships them."""
    x, y = shard_arrays("mnist", "train")
    xt, yt = shard_arrays("mnist", "test")
    return (x[:2000].astype(np.float32) / 255, y[:2000].astype(np.int64),
            xt[:1000].astype(np.float32) / 255, yt[:1000].astype(np.int64))


# ------------------------------------------------------------------ run_code
def test_generated_code_is_the_seeds_style_and_runs():
    code = codegen.generated_code(SETTINGS)
    for line in ["hidden_activation = (relu, d_relu)",
                 "output_activation = (softmax, d_softmax)",
                 "loss = (categorical_crossentropy, d_categorical_crossentropy)",
                 "optimizer = SGD(lr=0.1, momentum=0.9)", "layers = [784, 64, 10]"]:
        assert f"\n{line}\n" in code
    run = usercode.run_code(code, SETTINGS)
    assert run["ok"] and run["error"] is None and run["output"] == ""
    assert run["defined"] == list(usercode.NAMES)
    net = py_nn.NeuralNetwork(**run["network"], seed=0)
    assert net.layers == [784, 64, 10]
    assert (net.hidden_activation.name, net.output_activation.name, net.loss.name) == \
        ("relu", "softmax", "categorical_crossentropy")
    assert type(net.optimizer) is py_nn.SGD and net.optimizer.lr == 0.1


def test_generated_code_follows_the_form():
    code = codegen.generated_code({"hidden": [256, 32], "optimizer": "adam",
                                    "learningRate": 0.002, "hiddenActivation": "tanh"})
    assert "optimizer = Adam(lr=0.002)\n" in code and "layers = [784, 256, 32, 10]\n" in code
    assert "hidden_activation = (tanh, d_tanh)\n" in code
    run = usercode.run_code(code, SETTINGS)
    assert run["ok"] and run["network"]["hidden_activation"].name == "tanh"
    assert isinstance(run["network"]["optimizer"], py_nn.Adam)


def test_names_the_code_leaves_out_take_the_forms_values():
    run = usercode.run_code("layers = [784, 32, 16, 10]\n", SETTINGS)
    assert run["ok"] and run["defined"] == ["layers"]
    network = run["network"]
    assert network["layers"] == [784, 32, 16, 10]
    assert network["hidden_activation"] == "relu" and network["loss"] == "categorical_crossentropy"
    assert isinstance(network["optimizer"], py_nn.SGD) and network["optimizer"].lr == 0.1


def test_print_output_is_captured_now_and_later():
    source = ("import sys\n"
              "import numpy as np\n"
              "print('hello', 42)\n"
              "sys.stdout.write('written\\n')\n"
              "def act(z):\n"
              "    print('act on', z.shape)\n"
              "    return np.tanh(z)\n"
              "hidden_activation = (act, lambda z: 1 - np.tanh(z) ** 2)\n")
    run = usercode.run_code(source, SETTINGS)
    assert run["ok"] and run["output"] == "hello 42\nwritten\n"
    run["network"]["hidden_activation"][0](np.zeros((2, 3)))
    assert run["printer"].take() == "act on (2, 3)\n"


def test_syntax_error_comes_back_with_its_line():
    run = usercode.run_code("x = 1\ny = (2,\nz = 3 +\n", SETTINGS)
    assert not run["ok"] and run["network"] is None
    assert run["error"]["message"].startswith("SyntaxError: ")
    assert run["error"]["line"] in (2, 3)


def test_runtime_error_comes_back_with_its_line_and_the_output_so_far():
    source = "print('before')\n\ndef f():\n    return 1 / 0\n\nf()\n"
    run = usercode.run_code(source, SETTINGS)
    assert not run["ok"] and run["output"] == "before\n"
    assert run["error"]["message"] == "ZeroDivisionError: division by zero"
    assert run["error"]["line"] == 4
    assert 'File "code.py", line 6' in run["error"]["traceback"]
    assert "usercode.py" not in run["error"]["traceback"]


def test_exit_in_the_code_is_an_error_not_an_exit():
    run = usercode.run_code("raise SystemExit(3)\n", SETTINGS)
    assert not run["ok"] and run["error"]["message"] == "SystemExit: 3"
    assert run["error"]["line"] == 1


def test_errors_inside_user_functions_during_training_point_at_their_line(digits):
    source = ("import numpy as np\n"
              "def act(z):\n"
              "    return np.tanh(z)\n"
              "def d_act(z):\n"
              "    return np.ones(3)  # wrong\n"
              "hidden_activation = (act, d_act)\n"
              "layers = [784, 8, 10]\n")
    run = usercode.run_code(source, SETTINGS)
    assert run["ok"]
    net = py_nn.NeuralNetwork(**run["network"], seed=0)
    with pytest.raises(ValueError) as caught:
        next(net.fit_steps(digits[0][:64], digits[1][:64], 32, 1, categorical=True))
    info = usercode.error_info(caught.value)
    assert "ValueError" in info["message"]
    source = source.replace("return np.ones(3)  # wrong", "return np.ones(3) + z")
    net = py_nn.NeuralNetwork(**usercode.run_code(source, SETTINGS)["network"], seed=0)
    with pytest.raises(ValueError) as caught:
        next(net.fit_steps(digits[0][:64], digits[1][:64], 32, 1, categorical=True))
    info = usercode.error_info(caught.value)
    assert info["line"] == 5 and "could not be broadcast" in info["message"]


def test_bad_values_are_explained_at_their_assignment():
    run = usercode.run_code("class Mine:\n    def update(self, p, g):\n        return p - g\n"
                            "\noptimizer = Mine\n", SETTINGS)
    assert run["error"] == {"message": "optimizer: optimizer is the class Mine, not an object: "
                                       "create one, e.g. optimizer = Mine().", "line": 5,
                            "traceback": ""}
    run = usercode.run_code("x = 1\nlayers = [784, 10, 5]\n", SETTINGS)
    assert run["error"]["line"] == 2
    assert "must start with 784 (one input per pixel) and end with 10" in run["error"]["message"]
    run = usercode.run_code("hidden_activation = 'relux'\n", SETTINGS)
    assert "Unknown hidden_activation 'relux'" in run["error"]["message"]
    run = usercode.run_code("layers = [784, 100000, 1000, 10]\n", SETTINGS)
    assert "Use smaller hidden layers" in run["error"]["message"]


def test_every_run_gets_a_fresh_namespace():
    assert usercode.run_code("secret = 1\n", SETTINGS)["ok"]
    run = usercode.run_code("print(secret)\n", SETTINGS)
    assert run["error"]["message"] == "NameError: name 'secret' is not defined"


# ------------------------------------------------------------------ check_code and templates
def test_check_code_reports_each_component_the_code_defines():
    source = ("import numpy as np\n"
              "def cube(z):\n    return z ** 3\n"
              "def d_cube(z):\n    return 2 * z ** 2  # should be 3 z**2\n"
              "hidden_activation = (cube, d_cube)\n"
              "optimizer = 'adam'\n")
    result = usercode.check_code(source, SETTINGS)
    assert not result["ok"] and result["error"] is None
    assert set(result["components"]) == {"hidden_activation", "optimizer"}
    cube = result["components"]["hidden_activation"]
    assert not cube["ok"] and cube["maxRelError"] == pytest.approx(1 / 3, rel=1e-3)
    assert result["components"]["optimizer"]["ok"]
    broken = usercode.check_code(source.replace("2 * z ** 2", "undefined * z"), SETTINGS)
    assert broken["components"]["hidden_activation"]["line"] == 5
    assert "NameError" in broken["components"]["hidden_activation"]["message"]


def test_warnings_from_the_code_are_shown_with_their_line():
    source = ("import warnings\n"
              "warnings.warn('careful')\n"
              "def act(z):\n    warnings.warn('inside act', RuntimeWarning)\n    return z\n"
              "hidden_activation = (act, lambda z: 1 + 0 * z)\n")
    run = usercode.run_code(source, SETTINGS)
    assert run["ok"] and run["output"] == "UserWarning: careful (line 2)\n"
    result = usercode.check_code(source, SETTINGS)
    assert result["ok"] and "RuntimeWarning: inside act (line 4)" in result["output"]


@pytest.mark.skipif(sys.platform == "emscripten",
                    reason="WebAssembly has no floating-point flags, so NumPy cannot warn")
def test_numpy_overflow_warnings_are_shown_with_their_line():
    run = usercode.run_code("import numpy as np\nbig = np.exp(np.float64(1000))\n", SETTINGS)
    assert run["ok"] and run["output"] == "RuntimeWarning: overflow encountered in exp (line 2)\n"


@pytest.mark.parametrize("name", sorted(codegen.TEMPLATES))
def test_templates_run_pass_the_check_and_train(name, digits):
    template = codegen.TEMPLATES[name]
    assert template["title"] and template["source"].startswith('"""')
    result = usercode.check_code(template["source"], SETTINGS)
    assert result["ok"], result
    custom = [c for c in result["components"].values() if c["maxRelError"] is not None]
    assert name == "optimizer" or custom  # a derivative of its own was really checked
    run = usercode.run_code(template["source"], SETTINGS)
    net = py_nn.NeuralNetwork(**run["network"], dtype="float32", seed=0)
    x_train, y_train, x_test, y_test = digits
    net.fit(x_train, y_train, batch_size=32, epochs=1, categorical=True, verbose=False)
    assert net.score(x_test, y_test, accuracy=True) > 0.8


# ------------------------------------------------------------------ Export as Python
def test_python_script_fills_in_what_the_code_leaves_out():
    source = codegen.TEMPLATES["swish"]["source"]
    source = source[:source.index("# Any object with")]  # drops optimizer and layers
    script = codegen.python_script(SETTINGS, source)
    compile(script, "train_py_nn.py", "exec")
    head, form = script.split("the Train form's values for what your code leaves out")
    assert "hidden_activation = (swish, d_swish)" in head
    assert "optimizer = SGD(lr=0.1, momentum=0.9)" in form and "layers = [784, 64, 10]" in form
    assert "hidden_activation =" not in form
    with pytest.raises(ValueError, match="syntax error on line 2"):
        codegen.python_script(SETTINGS, "x = 1\ny = (\n")


@pytest.mark.skipif(sys.platform == "emscripten", reason="no subprocess inside Pyodide")
def test_exported_script_trains_on_cpython(tmp_path, site_path):
    source = codegen.TEMPLATES["swish"]["source"]
    script = tmp_path / "train_py_nn.py"
    script.write_text(codegen.python_script(SETTINGS, source))
    for name in ("train-0.u8.gz", "test-0.u8.gz"):  # the files the page offers with the script
        shutil.copy(site_path / "data" / "mnist" / name, tmp_path / name)
    env = dict(os.environ, PYTHONPATH=str(Path(py_nn.__file__).resolve().parents[1]))
    env.setdefault("OPENBLAS_NUM_THREADS", "1")  # as build.py runs tests: BLAS threads thrash
    done = subprocess.run([sys.executable, str(script)], cwd=tmp_path, env=env, timeout=600,
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.replace("\r", "\n").splitlines()
    assert "py_nn 0.1.0: 8000 training samples, 10000 held out" in lines
    accuracy = float(lines[-1].split("held-out accuracy: ")[1])
    assert accuracy > 0.85, done.stdout[-2000:]
