"""py_nn.stepwise: one training step by hand, each stage against a plain NumPy recomputation."""
import numpy as np
import pytest

import py_nn
from py_nn import stepwise

EPS = py_nn.EPS


def small_net(optimizer, dtype="float64", hidden=("relu", "relu"), seed=3):
    return py_nn.NeuralNetwork([6, 5, 4, 3], hidden[0], "softmax", "categorical_crossentropy",
                               optimizer, dtype=dtype, seed=seed)


def warmed(net, rng, batches=3):
    """The network after a few batches of training, so the optimizer has state."""
    x = rng.normal(size=(4 * batches, net.layers[0]))
    net.fit(x, np.arange(len(x)) % net.layers[-1], 4, 1, categorical=True, shuffle=False,
            verbose=False)
    return net


def by_hand(weights, biases, x, y):
    """ReLU hidden layers, softmax, cross-entropy, written out with nothing from py_nn:
    (zs, activations, loss, d_loss, J, delta, deltas per layer, dWs, dbs)."""
    a, zs, acts = x, [], []
    for k, (w, b) in enumerate(zip(weights, biases)):
        z = a @ w + b
        if k < len(weights) - 1:
            a = np.maximum(z, 0)
        else:
            e = np.exp(z - z.max(axis=1, keepdims=True))
            a = e / e.sum(axis=1, keepdims=True)
        zs.append(z)
        acts.append(a)
    p, n = acts[-1], len(x)
    loss = float(np.mean(-np.sum(y * np.log(p + EPS), axis=1)))
    d_loss = (-y / (p + EPS))[:, None, :]
    jac = np.stack([np.diag(row) - np.outer(row, row) for row in p])
    delta = np.einsum("kxi,kij->kj", d_loss, jac)
    deltas, dws, dbs = [None] * len(weights), [None] * len(weights), [None] * len(weights)
    d = (p - y) / n                       # what training uses: the fused gradient
    for k in range(len(weights) - 1, -1, -1):
        deltas[k] = d
        prev = x if k == 0 else acts[k - 1]
        dws[k], dbs[k] = prev.T @ d, d.sum(axis=0, keepdims=True)
        if k:
            d = (d @ weights[k].T) * (zs[k - 1] > 0)
    return zs, acts, loss, d_loss, jac, delta, deltas, dws, dbs


def snapshot(net):
    opt = net.optimizer
    state = {k: v.tobytes() for k, v in (getattr(opt, "state", None) or {}).items()}
    return (net.params.tobytes(), id(opt), state, getattr(opt, "iterations", None),
            sorted(vars(opt)), [w.tobytes() for w in net.weights])


@pytest.mark.parametrize("optimizer", [py_nn.SGD(lr=0.05, momentum=0.9), py_nn.Adam(lr=0.01)],
                         ids=["sgd-momentum", "adam"])
def test_every_stage_equals_a_plain_numpy_recomputation(optimizer, rng):
    net = warmed(small_net(optimizer), rng)
    x, labels = rng.normal(size=(2, 6)), np.array([2, 0])
    y = np.eye(3)[labels]
    weights, biases = [w.copy() for w in net.weights], [b.copy() for b in net.biases]
    zs, acts, loss, d_loss, jac, delta, deltas, dws, dbs = by_hand(weights, biases, x, y)
    r = stepwise.step(net, x, labels)

    for k, layer in enumerate(r["layers"]):
        np.testing.assert_allclose(layer["z"], zs[k], rtol=1e-12, atol=1e-14)
        np.testing.assert_allclose(layer["a"], acts[k], rtol=1e-12, atol=1e-14)
    assert r["logits"] is r["layers"][-1]["z"] and r["probabilities"] is r["layers"][-1]["a"]
    assert r["loss"] == pytest.approx(loss, rel=1e-12)
    assert r["d_loss"].shape == (2, 1, 3) and r["jacobian"].shape == (2, 3, 3)
    np.testing.assert_allclose(r["d_loss"], d_loss, rtol=1e-12)
    np.testing.assert_allclose(r["jacobian"], jac, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(r["delta"], delta, rtol=1e-10, atol=1e-14)
    np.testing.assert_allclose(r["fused_delta"], acts[-1] - y, rtol=1e-12, atol=1e-15)
    assert r["max_delta"] < 1e-12 and "p - y" in r["fused_rule"]
    for k, g in enumerate(r["grads"]):
        assert g["dW"].shape == weights[k].shape and g["db"].shape == biases[k].shape
        np.testing.assert_allclose(g["delta"], deltas[k], rtol=1e-10, atol=1e-15)
        np.testing.assert_allclose(g["dW"], dws[k], rtol=1e-10, atol=1e-15)
        np.testing.assert_allclose(g["db"], dbs[k], rtol=1e-10, atol=1e-15)
    top = r["grads"][-1]
    assert top["carried"] is None and top["d_act"] is None and top["d_act_error"] is None
    for k, g in enumerate(r["grads"][:-1]):
        np.testing.assert_allclose(g["carried"], deltas[k + 1] @ weights[k + 1].T, rtol=1e-10,
                                   atol=1e-15)
        np.testing.assert_array_equal(g["d_act"], zs[k] > 0)
        assert g["d_act_error"] < 1e-8
    assert r["d_loss_error"] < 1e-6 and r["jacobian_error"] < 1e-6

    flat_grad = np.concatenate([a.ravel() for a in dws + dbs])
    np.testing.assert_allclose(r["gradient"], flat_grad, rtol=1e-10, atol=1e-15)
    np.testing.assert_array_equal(r["params"], net.params)
    assert r["params_length"] == net.n_params == 6 * 5 + 5 * 4 + 4 * 3 + 5 + 4 + 3
    old, g, up = r["params"], flat_grad, r["update"]
    before = {k: v.copy() for k, v in net.optimizer.state.items()}
    if isinstance(optimizer, py_nn.SGD):
        velocity = 0.9 * before["velocity"] - 0.05 * g
        np.testing.assert_allclose(up["after"]["vectors"]["velocity"], velocity, rtol=1e-10,
                                   atol=1e-15)
        expected = old + velocity
        assert "v <- momentum * v - lr * g" in up["rule"]
    else:
        t = net.optimizer.iterations + 1
        m = 0.9 * before["m"] + 0.1 * g
        v = 0.999 * before["v"] + 0.001 * g ** 2
        np.testing.assert_allclose(up["after"]["vectors"]["m"], m, rtol=1e-10, atol=1e-15)
        np.testing.assert_allclose(up["after"]["vectors"]["v"], v, rtol=1e-10, atol=1e-18)
        expected = old - 0.01 * (m / (1 - 0.9 ** t)) / (np.sqrt(v / (1 - 0.999 ** t)) + 1e-8)
        assert up["after"]["numbers"]["iterations"] == t and "beta1" in up["rule"]
    for name, vector in up["before"]["vectors"].items():
        np.testing.assert_array_equal(vector, before[name])
    np.testing.assert_allclose(up["new_params"], expected, rtol=1e-10, atol=1e-15)

    after = by_hand(*net._split(expected), x, y)
    assert r["loss_after"] == pytest.approx(after[2], rel=1e-10)
    np.testing.assert_allclose(r["probabilities_after"], after[1][-1], rtol=1e-10, atol=1e-15)


def test_the_step_is_the_step_training_takes(rng):
    net = warmed(small_net(py_nn.SGD(lr=0.1, momentum=0.9)), rng)
    x = rng.normal(size=(3, 6))
    r = stepwise.step(net, x, [1, 2, 0])
    net.fit(x, [1, 2, 0], batch_size=3, epochs=1, categorical=True, shuffle=False, verbose=False)
    np.testing.assert_allclose(net.params, r["update"]["new_params"], rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(net.optimizer.state["velocity"],
                               r["update"]["after"]["vectors"]["velocity"], rtol=1e-12,
                               atol=1e-15)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_nothing_changes_and_apply_then_undo_restores_bit_for_bit(dtype, rng):
    net = warmed(small_net(py_nn.Adam(lr=0.01), dtype), rng)
    x = rng.normal(size=(1, 6))
    before = snapshot(net)
    r = stepwise.step(net, x, 1, lr=0.05)
    assert snapshot(net) == before and net.optimizer.lr == 0.01
    assert r["update"]["after"]["numbers"]["lr"] == 0.05
    old_opt = net.optimizer
    saved = stepwise.apply(net, r)
    assert net.params.dtype == np.dtype(dtype)
    np.testing.assert_array_equal(net.params, r["update"]["new_params"])
    assert net.optimizer is not old_opt and net.optimizer.lr == 0.05
    for name, vector in r["update"]["after"]["vectors"].items():
        np.testing.assert_array_equal(net.optimizer.state[name], vector)
    assert net.score(x, [1]) == pytest.approx(r["loss_after"], rel=1e-6)
    with pytest.raises(ValueError, match="computed for other parameters"):
        stepwise.apply(net, r)                          # already taken: the model changed
    stepwise.undo(net, saved)
    assert snapshot(net) == before and net.optimizer is old_opt


def test_a_step_with_another_optimizer_type_is_refused(rng):
    net = small_net(py_nn.SGD())
    r = stepwise.step(net, rng.normal(size=(1, 6)), 0)
    net.optimizer = py_nn.Adam()
    before = net.params.tobytes()
    with pytest.raises(ValueError, match="computed with a SGD optimizer"):
        stepwise.apply(net, r)
    assert net.params.tobytes() == before


def test_single_weight_gradcheck_agrees_on_a_real_digit(mnist):
    x_train, y_train, _, _ = mnist
    net = py_nn.NeuralNetwork([784, 24, 10], "relu", "softmax", "categorical_crossentropy",
                              py_nn.SGD(lr=0.05), dtype="float32", seed=0)
    net.fit(x_train[:600], y_train[:600], 32, 1, categorical=True, verbose=False)
    x, label = x_train[700:701], int(y_train[700])
    r = stepwise.step(net, x, label)
    ink = int(np.argmax(x[0]))                          # a pixel with ink: a non-zero gradient
    checked = 0
    for layer, kind, i, j in [(0, "W", ink, 3), (0, "b", 0, 5), (1, "W", 4, label), (1, "W", 7, 2),
                              (1, "b", 0, label)]:
        c = stepwise.check_weight(net, x, label, layer, kind, i, j)
        if abs(c["backprop"]) < 1e-8:
            continue                                     # a dead unit: both are 0
        checked += 1
        assert c["rel_error"] < 1e-6, (layer, kind, i, j, c)
        shown = r["grads"][layer]["dW" if kind == "W" else "db"][i, j]
        assert c["model_backprop"] == shown
        assert c["backprop"] == pytest.approx(float(shown), rel=1e-4)
    assert checked >= 3


def wrong_d_relu(z):
    return 2 * z                                         # the deliberate mistake


def test_a_wrong_hidden_derivative_shows_in_the_backward_stage_and_the_gradcheck(rng):
    good = small_net(py_nn.SGD(), seed=5)
    bad = py_nn.NeuralNetwork([6, 5, 4, 3], (py_nn.relu, wrong_d_relu), "softmax",
                              "categorical_crossentropy", py_nn.SGD(), seed=5)
    x = rng.normal(size=(1, 6))
    r_good, r_bad = stepwise.step(good, x, 2), stepwise.step(bad, x, 2)
    np.testing.assert_array_equal(r_good["probabilities"], r_bad["probabilities"])
    assert r_bad["d_loss_error"] < 1e-6 and r_bad["jacobian_error"] < 1e-6
    assert all(g["d_act_error"] < 1e-8 for g in r_good["grads"][:-1])
    assert all(g["d_act_error"] > 0.1 for g in r_bad["grads"][:-1])
    np.testing.assert_array_equal(r_bad["grads"][-1]["dW"], r_good["grads"][-1]["dW"])
    i = int(np.argmax(np.abs(r_good["grads"][0]["dW"]).max(axis=1)))
    j = int(np.argmax(np.abs(r_good["grads"][0]["dW"][i])))
    fine, off = (stepwise.check_weight(n, x, 2, 0, "W", i, j) for n in (good, bad))
    assert fine["rel_error"] < 1e-6
    assert off["numeric"] == fine["numeric"]              # the same loss: only backprop is off
    assert off["rel_error"] > 1e-2                        # 10,000 times the tolerance


def my_softmax(z):
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def d_my_softmax_wrong(z):
    p = my_softmax(z)
    return p[:, :, None] * np.eye(z.shape[1])           # forgets the - p_i p_j term


def test_a_user_output_takes_the_jacobian_path_and_a_wrong_one_shows_at_stage_three(rng):
    right = py_nn.NeuralNetwork([6, 5, 3], "relu", (my_softmax, py_nn.d_softmax),
                                "categorical_crossentropy", "sgd", seed=2)
    wrong = py_nn.NeuralNetwork([6, 5, 3], "relu", (my_softmax, d_my_softmax_wrong),
                                "categorical_crossentropy", "sgd", seed=2)
    x = rng.normal(size=(1, 6))
    r, w = stepwise.step(right, x, 1), stepwise.step(wrong, x, 1)
    assert r["fused_delta"] is None and r["max_delta"] is None
    assert r["jacobian_error"] < 1e-6 and w["jacobian_error"] > 0.1
    np.testing.assert_allclose(r["grads"][-1]["delta"], r["delta"], rtol=1e-12)  # n = 1
    np.testing.assert_array_equal(w["grads"][-1]["delta"], w["delta"])
    assert not np.allclose(w["gradient"], r["gradient"])


class Momentum:
    """A learner's optimizer: only .update, with its velocity as an attribute."""

    def __init__(self, lr=0.1, beta=0.5):
        self.lr, self.beta, self.velocity = lr, beta, None

    def update(self, old_params, gradient):
        if self.velocity is None:
            self.velocity = np.zeros_like(old_params)
        self.velocity = self.beta * self.velocity - self.lr * gradient
        return old_params + self.velocity


def test_a_user_optimizer_steps_on_a_copy_and_shows_its_code(rng):
    net = py_nn.NeuralNetwork([6, 4, 3], "tanh", "softmax", "categorical_crossentropy",
                              Momentum(), seed=1)
    x = rng.normal(size=(1, 6))
    r = stepwise.step(net, x, 0)
    assert net.optimizer.velocity is None
    up = r["update"]
    assert up["optimizer"] == "Momentum" and "self.velocity = self.beta" in up["rule"]
    assert up["before"] == {"vectors": {}, "numbers": {"lr": 0.1, "beta": 0.5}}
    np.testing.assert_array_equal(up["after"]["vectors"]["velocity"], -0.1 * r["gradient"])
    np.testing.assert_array_equal(up["new_params"], r["params"] - 0.1 * r["gradient"])
    saved = stepwise.apply(net, r)
    np.testing.assert_array_equal(net.optimizer.velocity, -0.1 * r["gradient"])
    stepwise.undo(net, saved)
    assert net.optimizer.velocity is None and net.params.tobytes() == r["params"].tobytes()


class Uncopyable(Momentum):
    def __deepcopy__(self, memo):
        raise RuntimeError("no copies")


def test_an_optimizer_that_cannot_be_copied_is_refused_clearly(rng):
    net = py_nn.NeuralNetwork([6, 4, 3], optimizer=Uncopyable(), seed=1)
    with pytest.raises(TypeError, match="cannot be copied .*RuntimeError: no copies"):
        stepwise.step(net, rng.normal(size=(1, 6)), 0)


@pytest.mark.parametrize("x, y, lr, message", [
    (np.zeros((1, 5)), 0, None, r"x must have shape \(n_samples, 6\)"),
    (np.zeros(6), 0, None, r"For a single sample use x.reshape\(1, -1\)"),
    (np.zeros((1, 6)), 3, None, r"class label 3 but the output layer has 3 nodes"),
    (np.zeros((1, 6)), -1, None, r"labels >= 0"),
    (np.zeros((1, 6)), 1.5, None, r"whole numbers"),
    (np.zeros((2, 6)), [0], None, r"same number of samples"),
    (np.full((1, 6), np.nan), 0, None, r"NaN or inf"),
    (np.zeros((1, 6)), 0, -0.1, r"lr must be a number > 0"),
])
def test_bad_inputs_to_step_are_explained(x, y, lr, message):
    net = small_net(py_nn.SGD())
    before = snapshot(net)
    with pytest.raises(ValueError, match=message):
        stepwise.step(net, x, y, lr=lr)
    assert snapshot(net) == before


@pytest.mark.parametrize("where, message", [
    ((3, "W", 0, 0), r"layer must be an integer 0..2"),
    ((-1, "W", 0, 0), r"layer must be an integer 0..2"),
    ((0, "w", 0, 0), r"kind must be 'W'"),
    ((0, "W", 6, 0), r"i must be an integer 0..5 for W of layer 0, shape \(6, 5\)"),
    ((1, "W", 0, 4), r"j must be an integer 0..3"),
    ((2, "b", 1, 0), r"i must be an integer 0..0 for b of layer 2"),
    ((0, "W", 1.0, 0), r"i must be an integer"),
])
def test_bad_positions_for_the_gradcheck_are_explained(where, message):
    net = small_net(py_nn.SGD())
    before = snapshot(net)
    with pytest.raises(ValueError, match=message):
        stepwise.check_weight(net, np.zeros((1, 6)), 0, *where)
    assert snapshot(net) == before


def test_index_finds_each_parameter_in_the_flat_vectors():
    net = small_net(py_nn.SGD())
    net.set_params(np.arange(net.n_params, dtype=np.float64))   # every value is its own index
    for layer, (w, b) in enumerate(zip(net.weights, net.biases)):
        for i, j in [(0, 0), (w.shape[0] - 1, w.shape[1] - 1), (1, 2)]:
            assert stepwise.index(net, layer, "W", i, j) == w[i, j]
        assert stepwise.index(net, layer, "b", 0, b.shape[1] - 1) == b[0, -1]


def test_a_confident_float32_prediction_passes_the_checks_of_correct_derivatives():
    """p0 = 1 - 6e-7: float32 holds 1 - p0 only to ~10%, so the float32 Jacobian is that far off;
    the checks judge the derivative functions (in float64), not the float32 rounding."""
    net = py_nn.NeuralNetwork([2, 3], "relu", "softmax", "categorical_crossentropy", "sgd",
                              dtype="float32", seed=0)
    net.set_params([15, 0, 0, 0, 0, 0, 0, 0, 0])             # z = (15, 0, 0) for x = (1, 0)
    r = stepwise.step(net, np.array([[1.0, 0.0]]), 0)
    p0 = 1 / (1 + 2 * np.exp(-15.0))                         # in float64: 1 - 6.1e-7
    j00 = p0 * (1 - p0)
    assert abs(r["jacobian"][0, 0, 0] - j00) / j00 > 0.1     # float32's J00 is 17% off
    assert r["d_loss_error"] < 1e-6 and r["jacobian_error"] < 1e-4     # gradcheck's TOL


def test_a_probability_of_exactly_zero_does_not_fail_the_loss_check():
    net = py_nn.NeuralNetwork([2, 3], "relu", "softmax", "categorical_crossentropy", "sgd",
                              dtype="float32", seed=0)
    net.set_params([[60, -60, 0, 0, 0, 0, 0, 0, 0]][0])     # z = (60, -60, 0) for x = (1, 0)
    r = stepwise.step(net, np.array([[1.0, 0.0]]), 0)
    assert r["probabilities"][0, 1] == 0                   # float32 exp(-120) underflows
    assert r["d_loss_error"] < 1e-6 and r["jacobian_error"] < 1e-4
