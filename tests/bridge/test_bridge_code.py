"""The worker's Python with code (codemodel.CodeModelMixin): a fit with the learner's code keeps print
output and the code, a failing step names its line and keeps the active model, a model with
code loads only when trusted, and Check reports a syntax error with its line."""
import json

import pytest

from pynn_worker import codegen

FIT = {"hidden": [16], "optimizer": "sgd", "learningRate": 0.05, "epochs": 1, "batchSize": 64,
       "samples": 256, "seed": 0}
SWISH = codegen.TEMPLATES["swish"]["source"].replace(
    "    return z * sigmoid(z)\n", "    print('swish', z.shape)\n    return z * sigmoid(z)\n", 1)


def slices(session):
    out, printed = None, ""
    while out is None or not (out["done"] or out.get("error")):
        out = json.loads(session.fit_slice(50))
        printed += out.get("output", "")
    return out, printed


def test_a_fit_with_code_streams_print_and_keeps_the_code(session):
    start = json.loads(session.fit_start(json.dumps({**FIT, "code": SWISH})))
    assert start["layers"] == [784, 128, 10]  # the template's own layers
    last, printed = slices(session)
    assert last["done"] and "swish (64, 128)" in printed
    result = json.loads(session.fit_finish(False, json.dumps({"name": "swish"})))
    assert result["committed"]
    code = result["info"]["metadata"]["code"]
    assert code["source"] == SWISH and len(code["sha256"]) == 64
    text = session.to_json("{}")
    with pytest.raises(ValueError, match="carries Python code"):
        session.load_model(text)  # a file's code is not run unless trusted
    info = json.loads(session.load_model(text, True))
    assert info["metadata"]["code"]["sha256"] == code["sha256"]


def test_a_step_that_fails_names_its_line_and_keeps_the_active_model(session):
    before = session.to_json("{}")
    bad = "def f(z):\n    return z\ndef d_f(z):\n    return z / 0 + undefined\nhidden_activation = (f, d_f)\n"
    json.loads(session.fit_start(json.dumps({**FIT, "code": bad})))
    last, _ = slices(session)
    assert last["error"]["line"] == 4 and "NameError" in last["error"]["message"]
    session.fit_abort()
    assert session.to_json("{}") == before


def test_code_that_does_not_run_fails_before_training(session):
    start = json.loads(session.fit_start(json.dumps({**FIT, "code": "print('hi')\nx = (\n"})))
    assert start["error"]["line"] == 2 and start["error"]["message"].startswith("SyntaxError")
    assert session.fit is None
    check = json.loads(session.check_code("a = 1\nb = )\n", json.dumps(FIT)))
    assert not check["ok"] and check["error"]["line"] == 2
