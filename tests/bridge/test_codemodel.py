"""pynn_worker.codemodel (web/python/): models that carry code (saved, refused, trusted, tampered), and that
py_nn.from_json never runs anything. Runs on CPython and inside Pyodide."""
import builtins
import json

import numpy as np
import pytest

import py_nn
from py_nn.serialization import ModelFormatError

from pynn_worker import codegen  # noqa: E402
from pynn_worker import codemodel  # noqa: E402
from pynn_worker import usercode  # noqa: E402

SETTINGS = {"hidden": [16], "optimizer": "sgd", "learningRate": 0.1, "epochs": 1,
            "batchSize": 32, "samples": 200, "seed": 0}
MARK = "_pynn_code_ran"
# code that leaves a mark on builtins when it runs, and defines a custom activation
MARKING = ("import builtins\nimport numpy as np\nsetattr(builtins, %r, True)\n"
           "def cube(z):\n    return z ** 3 / 10\n"
           "def d_cube(z):\n    return 3 * z ** 2 / 10\n"
           "hidden_activation = (cube, d_cube)\n") % MARK


@pytest.fixture(autouse=True)
def no_mark():
    if hasattr(builtins, MARK):
        delattr(builtins, MARK)
    yield
    if hasattr(builtins, MARK):
        delattr(builtins, MARK)


def trained_document(source, settings=SETTINGS):
    """A small network built from ``source``, a few steps trained, saved with its code."""
    run = usercode.run_code(source, settings)
    assert run["ok"], run["error"]
    net = py_nn.NeuralNetwork(**run["network"], dtype="float32", seed=0)
    rng = np.random.default_rng(0)
    x, y = rng.random((64, 784), dtype=np.float32), rng.integers(0, 10, 64)
    net.fit(x, y, batch_size=32, epochs=1, categorical=True, verbose=False)
    return net, net.to_json(metadata={"name": "cube", "code": codemodel.code_metadata(source)})


def test_a_model_trained_with_code_keeps_it_and_comes_back_when_trusted():
    net, text = trained_document(MARKING)
    delattr(builtins, MARK)
    doc = json.loads(text)
    assert doc["hidden_activation"] == {"name": "cube", "config": {}, "custom": True}
    assert doc["metadata"]["code"]["sha256"] == codemodel.sha256(MARKING)
    back, output = codemodel.load_model(text, trust=True)
    assert getattr(builtins, MARK, False)  # the code really ran to rebuild `cube`
    x = np.random.default_rng(1).random((5, 784), dtype=np.float32)
    np.testing.assert_array_equal(back.predict(x), net.predict(x))
    assert output == ""


def test_an_untrusted_document_with_code_is_refused_and_nothing_runs():
    _, text = trained_document(MARKING)
    delattr(builtins, MARK)
    with pytest.raises(codemodel.CodeRefusedError, match=r"carries Python code \(8 lines, sha256"):
        codemodel.load_model(text)
    assert not hasattr(builtins, MARK)


def test_from_json_never_runs_code():
    # a custom component: from_json refuses without custom_objects; the code is not run
    _, text = trained_document(MARKING)
    delattr(builtins, MARK)
    with pytest.raises(ModelFormatError, match="'cube' is not a built-in component"):
        py_nn.NeuralNetwork.from_json(text)
    # only built-in components, but code in the metadata: loads as data, code not run
    source = MARKING.replace("hidden_activation = (cube, d_cube)\n", "")
    _, plain = trained_document(source)
    delattr(builtins, MARK)
    net = py_nn.NeuralNetwork.from_json(plain)
    assert net.metadata["code"]["source"] == source
    assert not hasattr(builtins, MARK)


def test_a_changed_source_no_longer_matches_its_hash():
    _, text = trained_document(MARKING)
    doc = json.loads(text)
    doc["metadata"]["code"]["source"] += "# changed\n"
    code = codemodel.carried_code(json.dumps(doc))
    assert not code["matches"] and code["sha256"] != code["claimed"]
    assert code["sha256"] == codemodel.sha256(doc["metadata"]["code"]["source"])
    assert codemodel.carried_code(json.dumps({"metadata": {}})) is None
    with pytest.raises(ValueError, match="metadata.code must be an object"):
        codemodel.carried_code(json.dumps({"metadata": {"code": "print(1)"}}))


def test_code_that_fails_on_load_says_its_line():
    _, text = trained_document(MARKING)
    doc = json.loads(text)
    doc["metadata"]["code"]["source"] = "x = 1\n1 / 0\n"
    with pytest.raises(ValueError, match="failed on line 2: ZeroDivisionError"):
        codemodel.load_model(json.dumps(doc), trust=True)


def test_custom_optimizer_is_rebuilt_by_its_class_name():
    source = codegen.TEMPLATES["optimizer"]["source"]
    net, text = trained_document(source)
    assert json.loads(text)["optimizer"]["name"] == "MomentumSGD"
    back, _ = codemodel.load_model(text, trust=True)
    assert type(back.optimizer).__name__ == "MomentumSGD"


def test_check_results_are_plain_json_with_lines():
    bad = codemodel.check_result("x = 1\ny = (\n", SETTINGS)
    assert not bad["ok"] and bad["error"]["line"] == 2
    assert bad["error"]["message"].startswith("SyntaxError")
    inf = codemodel.check_result("import numpy as np\ndef f(z):\n    return np.log(z)\n"
                                 "def d_f(z):\n    return 1 / z\nhidden_activation = (f, d_f)\n",
                                 SETTINGS)
    text = json.dumps(inf, allow_nan=False)  # no NaN/Infinity literals: JSON.parse reads it
    component = json.loads(text)["components"]["hidden_activation"]
    assert not component["ok"] and component["maxRelError"] == "Infinity"


def test_a_failing_derivative_points_at_the_line_that_defines_the_component():
    source = ("import numpy as np\ndef leaky(x):\n    return np.where(x > 0, x, 0.1 * x)\n"
              "def d_leaky(x):\n    return np.where(x > 0, 1.0, 0.5)\n"
              "hidden_activation = (leaky, d_leaky)\n")
    result = codemodel.check_result(source, SETTINGS)
    component = result["components"]["hidden_activation"]
    assert not component["ok"] and component["line"] == 6
    good = codemodel.check_result(source.replace("1.0, 0.5", "1.0, 0.1"), SETTINGS)
    assert good["components"]["hidden_activation"]["ok"]
