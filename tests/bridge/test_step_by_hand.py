"""pynn_worker.step_by_hand: "One step by hand" on the real default model and real held-out
digits, as the worker calls it (a mixin of WorkerState)."""
import base64
import json

import numpy as np
import pytest

from py_nn import stepwise

SETTINGS = {"hidden": [256, 128], "optimizer": "sgd", "learningRate": 0.05, "epochs": 1,
            "batchSize": 64, "samples": 256, "seed": 0}
WRONG_RELU = ("import numpy as np\n"
              "def my_relu(z):\n    return np.maximum(z, 0)\n"
              "def d_my_relu(z):\n    print('d_my_relu', z.shape)\n    return 2 * z\n"
              "hidden_activation = (my_relu, d_my_relu)\n")


@pytest.fixture
def walk(session):
    """The worker's state (conftest's ``session``: MNIST's shards loaded, the default model active)."""
    return session


def decode(block):
    raw = base64.b64decode(block["data"])
    return np.frombuffer(raw, dtype=np.dtype(block["dtype"]).newbyteorder("<")).reshape(
        block["shape"])


def digit(walk, k=0):
    return walk.x_test[k:k + 1].copy(), int(walk.y_test[k])


def test_the_step_reaches_the_page_as_py_nn_computes_it(walk, typed):
    x, label = digit(walk)
    out = json.loads(walk.explain_step(typed(x[0]), label, "{}"))
    direct = stepwise.step(walk.net, x, label)
    assert out["network"] == {"from": "active", "layers": [784, 256, 128, 10]}
    assert [decode(layer["z"]).shape for layer in out["layers"]] == [(1, 256), (1, 128), (1, 10)]
    np.testing.assert_array_equal(decode(out["probabilities"]), direct["probabilities"])
    p = json.loads(walk.predict(typed(x[0])))["probabilities"]
    np.testing.assert_array_equal(decode(out["probabilities"])[0].astype(np.float64), p)
    assert out["loss"] == direct["loss"] and out["lossAfter"] < out["loss"]
    assert decode(out["dLoss"]).shape == (1, 1, 10) and decode(out["jacobian"]).shape == (1, 10, 10)
    np.testing.assert_array_equal(decode(out["delta"]), direct["delta"])
    assert out["maxDelta"] < 1e-6 and "p - y" in out["fusedRule"]
    assert out["dLossError"] < 1e-4 and out["jacobianError"] < 1e-4
    assert all(g["dActError"] < 1e-6 for g in out["grads"][:2])
    assert out["paramsLength"] == 784 * 256 + 256 * 128 + 128 * 10 + 256 + 128 + 10
    big = out["grads"][0]["dW"]                      # 100,352 values: summarized, then fetched
    assert big["shape"] == [784, 256] and big["ref"] == "grads.0.dW" and "data" not in big
    whole = decode(json.loads(walk.explain_array(big["ref"])))
    np.testing.assert_array_equal(whole, direct["grads"][0]["dW"])
    assert big["summary"]["absMax"] == float(np.abs(whole).max())
    np.testing.assert_array_equal(decode(out["grads"][2]["dW"]), direct["grads"][2]["dW"])
    up = out["update"]
    assert up["optimizer"] == "Adam" and "m <- beta1 * m" in up["rule"]
    assert up["state"]["before"]["numbers"]["iterations"] == 0
    assert up["state"]["after"]["numbers"]["iterations"] == 1
    m = decode(json.loads(walk.explain_array(up["state"]["after"]["vectors"]["m"]["ref"])))
    np.testing.assert_allclose(m, 0.1 * direct["gradient"], rtol=1e-6)
    with pytest.raises(ValueError, match="no array 'nope'"):
        walk.explain_array("nope")


def test_one_weight_old_gradient_new_and_its_gradcheck(walk, typed):
    x, label = digit(walk, 3)
    out = json.loads(walk.explain_step(typed(x[0]), label, json.dumps({"learningRate": 0.01})))
    assert out["update"]["state"]["after"]["numbers"]["lr"] == 0.01
    ink = int(np.argmax(x[0]))
    where = {"layer": 0, "kind": "W", "i": ink, "j": 0}
    for j in range(256):                              # a unit this digit reaches
        where["j"] = j
        param = json.loads(walk.explain_param(json.dumps(where)))
        if param["gradient"] != 0:
            break
    assert param["old"] == float(walk.net.weights[0][ink, where["j"]])
    # Adam's first step moves a weight by about lr, against its gradient
    assert param["new"] - param["old"] == pytest.approx(-0.01 * np.sign(param["gradient"]),
                                                        rel=1e-3)
    assert param["state"]["after"]["m"] == pytest.approx(0.1 * param["gradient"], rel=1e-6)
    check = json.loads(walk.grad_check(typed(x[0]), label, json.dumps(where)))
    assert check["relError"] < 1e-6 and check["modelBackprop"] == param["gradient"]
    with pytest.raises(ValueError, match=r"layer must be an integer 0..2"):
        walk.grad_check(typed(x[0]), label, json.dumps({**where, "layer": 3}))
    with pytest.raises(ValueError, match=r"j must be an integer 0..255"):
        walk.explain_param(json.dumps({**where, "j": 256}))


def test_apply_then_undo_restores_the_model_bit_for_bit(walk, typed):
    x, label = digit(walk, 5)
    net, optimizer, before = walk.net, walk.net.optimizer, walk.net.params.tobytes()
    out = json.loads(walk.explain_step(typed(x[0]), label, "{}"))
    assert walk.net.params.tobytes() == before and walk.net.optimizer.state is None
    info = json.loads(walk.apply_step())
    assert info["layers"] == [784, 256, 128, 10] and walk.net is net
    assert walk.net.optimizer.iterations == 1
    after = json.loads(walk.predict(typed(x[0])))["probabilities"]
    np.testing.assert_array_equal(decode(out["probabilitiesAfter"])[0].astype(np.float64), after)
    with pytest.raises(ValueError, match="call explain_step first"):
        walk.apply_step()                            # one step, taken once
    walk.undo_step()
    assert walk.net.params.tobytes() == before and walk.net.optimizer is optimizer
    with pytest.raises(ValueError, match="no applied step to undo"):
        walk.undo_step()


def test_a_step_computed_before_the_model_changed_is_refused(walk, typed, default_model_text):
    x, label = digit(walk, 1)
    walk.explain_step(typed(x[0]), label, "{}")
    walk.load_model(default_model_text)
    before = walk.net.params.tobytes()
    with pytest.raises(ValueError, match="active model changed since this step"):
        walk.apply_step()
    assert walk.net.params.tobytes() == before


def test_the_code_panels_wrong_derivative_shows_in_the_backward_stage(walk, typed):
    x, label = digit(walk, 2)
    options = {**SETTINGS, "code": WRONG_RELU}
    out = json.loads(walk.explain_step(typed(x[0]), label, json.dumps(options)))
    assert out["network"]["from"] == "active+code"   # the code's layers are the model's
    assert "d_my_relu (1, 128)" in out["output"]
    assert out["jacobianError"] < 1e-4 and out["dLossError"] < 1e-4
    assert all(g["dActError"] > 0.1 for g in out["grads"][:2])
    assert out["update"]["optimizer"] == "SGD"
    check = json.loads(walk.grad_check(typed(x[0]), label, json.dumps(
        {**options, "layer": 1, "kind": "b", "i": 0, "j": int(np.argmax(np.abs(decode(
            out["grads"][1]["db"])[0])))})))
    assert check["relError"] > 1e-2
    active = walk.net
    json.loads(walk.apply_step())
    assert walk.net is not active and walk.net.metadata["code"]["source"] == WRONG_RELU
    walk.undo_step()
    assert walk.net is active


def test_code_with_other_layers_walks_a_new_seeded_network(walk, typed):
    x, label = digit(walk)
    options = json.dumps({**SETTINGS, "hidden": [16], "code": "print('hello')\n"})
    first, again = (json.loads(walk.explain_step(typed(x[0]), label, options)) for _ in range(2))
    assert first["network"] == {"from": "code", "layers": [784, 16, 10]}
    assert first["output"] == "hello\n" and first["params"] == again["params"]


def test_code_that_fails_comes_back_as_an_error_with_its_line(walk, typed):
    x, label = digit(walk)
    broken = json.loads(walk.explain_step(typed(x[0]), label, json.dumps(
        {**SETTINGS, "code": "a = (\n"})))
    assert broken["error"]["line"] == 1 and "SyntaxError" in broken["error"]["message"]
    failing = WRONG_RELU.replace("return 2 * z", "return z / undefined_name")
    out = json.loads(walk.explain_step(typed(x[0]), label, json.dumps(
        {**SETTINGS, "code": failing})))
    assert out["error"]["line"] == 6 and "NameError" in out["error"]["message"]


@pytest.mark.parametrize("pixels, label, message", [
    (np.zeros(784, np.float32), 10, r"class label 10 but the output layer has 10 nodes"),
    (np.zeros(100, np.float32), 3, r"x must have shape \(n_samples, 784\)"),
    (np.full(784, np.nan, np.float32), 3, r"NaN or inf"),
])
def test_bad_inputs_are_explained_and_change_nothing(walk, typed, pixels, label, message):
    before = walk.net.params.tobytes()
    with pytest.raises(ValueError, match=message):
        walk.explain_step(typed(pixels), label, "{}")
    with pytest.raises(ValueError, match="learningRate|lr must be a number > 0"):
        walk.explain_step(typed(np.zeros(784, np.float32)), 1, json.dumps({"learningRate": 0}))
    assert walk.net.params.tobytes() == before and walk.net.optimizer.state is None
