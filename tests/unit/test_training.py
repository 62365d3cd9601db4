"""The fast training path: in-place optimizer steps, reused buffers, the seed's optimizer contract."""
import copy
import tracemalloc

import numpy as np
import pytest

import py_nn
from py_nn import kernels

N = 1000


@pytest.fixture
def vectors(rng):
    """Parameters and three successive gradients, shape (N,), float64."""
    return rng.normal(size=N), [rng.normal(size=N) for _ in range(3)]


def reference_steps(name, params, grads, **cfg):
    """The update rules as written in the optimizers' docstrings, step by step."""
    out, state, p = [], {}, params.copy()
    for t, g in enumerate(grads, start=1):
        if name == "sgd":
            v = cfg["momentum"] * state.get("v", 0) - cfg["lr"] * g
            state["v"] = v
            p = p + (cfg["momentum"] * v - cfg["lr"] * g if cfg["nesterov"] else v)
        elif name == "adagrad":
            state["s"] = state.get("s", 0) + g ** 2
            p = p - cfg["lr"] * g / (np.sqrt(state["s"]) + cfg["eps"])
        elif name == "rmsprop":
            state["s"] = cfg["rho"] * state.get("s", 0) + (1 - cfg["rho"]) * g ** 2
            p = p - cfg["lr"] * g / (np.sqrt(state["s"]) + cfg["eps"])
        else:
            b1, b2 = cfg["beta1"], cfg["beta2"]
            state["m"] = b1 * state.get("m", 0) + (1 - b1) * g
            state["v"] = b2 * state.get("v", 0) + (1 - b2) * g ** 2
            m_hat, v_hat = state["m"] / (1 - b1 ** t), state["v"] / (1 - b2 ** t)
            p = p - cfg["lr"] * m_hat / (np.sqrt(v_hat) + cfg["eps"])
        out.append(p)
    return out


OPTIMIZERS = [py_nn.SGD(lr=0.1, momentum=0.9), py_nn.SGD(lr=0.1, momentum=0.8, nesterov=True),
              py_nn.SGD(lr=0.3, momentum=0.0), py_nn.Adagrad(lr=0.1),
              py_nn.RMSprop(lr=0.01, rho=0.8), py_nn.Adam(lr=0.01, beta1=0.8, beta2=0.9)]


@pytest.mark.parametrize("optimizer", OPTIMIZERS, ids=repr)
def test_in_place_steps_equal_the_reference_formulas(optimizer, vectors):
    params, grads = vectors
    expected = reference_steps(optimizer.name, params, grads, **optimizer.get_config())
    seed_style = copy.deepcopy(optimizer)
    p, spare = params.copy(), np.empty(N)
    for g, want in zip(grads, expected):
        new = optimizer.update_into(p, g.copy(), spare)
        assert new is spare
        np.testing.assert_allclose(new, want, rtol=1e-13, atol=1e-15)
        p, spare = new, p
    # update() (the seed's contract) gives the very same numbers as update_into
    q = params
    for g in grads:
        q = seed_style.update(q, g)
    np.testing.assert_array_equal(q, p)
    assert optimizer.iterations == seed_style.iterations == len(grads)


@pytest.mark.parametrize("optimizer", OPTIMIZERS, ids=repr)
def test_a_gradient_prescaled_by_gradient_scale_gives_the_same_step(optimizer, vectors):
    params, (g, *_) = vectors
    plain, scaled = copy.deepcopy(optimizer), copy.deepcopy(optimizer)
    a = plain.update_into(params, g.copy(), np.empty(N))
    b = scaled.update_into(params, g * scaled.gradient_scale, np.empty(N), scaled=True)
    np.testing.assert_allclose(b, a, rtol=1e-13, atol=1e-15)
    assert optimizer.gradient_scale == (optimizer.lr if optimizer.name == "sgd" else 1.0)


def test_update_into_leaves_params_alone(vectors):
    params, (g, *_) = vectors
    before = params.copy()
    py_nn.Adam().update_into(params, g.copy(), np.empty(N))
    np.testing.assert_array_equal(params, before)


def blobs(rng, n=93):
    labels = np.arange(n) % 3
    return np.eye(3, 5)[labels] * 3 + rng.normal(0, 1, (n, 5)), labels


def test_a_user_optimizer_gets_each_true_gradient_and_its_result_is_used(rng):
    class PlainSGD:
        """A user-written optimizer: only update(old_params, gradient) -> new_params."""

        def __init__(self):
            self.seen = []

        def update(self, old_params, gradient):
            self.seen.append((gradient, gradient.copy()))
            return old_params - 0.1 * gradient

    x, labels = blobs(rng)
    mine = py_nn.NeuralNetwork([5, 7, 3], optimizer=PlainSGD(), seed=3)
    built_in = py_nn.NeuralNetwork([5, 7, 3], optimizer=py_nn.SGD(lr=0.1, momentum=0.0), seed=3)
    for net in (mine, built_in):
        net.fit(x, labels, 10, 2, categorical=True, verbose=False)
    np.testing.assert_allclose(mine.params, built_in.params, rtol=1e-12, atol=1e-14)
    seen = mine.optimizer.seen
    assert len(seen) == 20 and len({id(g) for g, _ in seen}) == 20   # a new array each time
    for given, at_call in seen:   # later batches never wrote into a gradient it was given
        np.testing.assert_array_equal(given, at_call)


def test_a_subclass_that_overrides_update_is_called_through_update(rng):
    class Counting(py_nn.SGD):
        calls = 0

        def update(self, old_params, gradient):
            type(self).calls += 1
            return super().update(old_params, gradient)

    class OldStyle(py_nn.Optimizer):
        """Written for the earlier hook: _step(gradient) returns the step."""

        def _step(self, gradient):
            return -self.lr * gradient

    x, labels = blobs(rng)
    results = []
    for optimizer in (Counting(lr=0.1, momentum=0.0), OldStyle(lr=0.1),
                      py_nn.SGD(lr=0.1, momentum=0.0)):
        net = py_nn.NeuralNetwork([5, 7, 3], optimizer=optimizer, seed=1)
        net.fit(x, labels, 31, 1, categorical=True, verbose=False)
        results.append(net.params)
    assert Counting.calls == 3
    np.testing.assert_allclose(results[0], results[2], rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(results[1], results[2], rtol=1e-12, atol=1e-14)


def test_training_equals_a_plain_numpy_reference(rng):
    """relu / softmax / cross-entropy with SGD momentum, against a loop written out here."""
    x, labels = blobs(rng)
    net = py_nn.NeuralNetwork([5, 8, 6, 3], optimizer=py_nn.SGD(lr=0.05, momentum=0.9), seed=7)
    order_rng = copy.deepcopy(net.rng)
    params = net.params.copy()
    net.fit(x, labels, 10, 3, categorical=True, verbose=False)   # 93 = 9 * 10 + 3

    w = [params[:40].reshape(5, 8), params[40:88].reshape(8, 6), params[88:106].reshape(6, 3)]
    b = [params[106:114], params[114:120], params[120:123]]
    v = [np.zeros_like(a) for a in w + b]
    y = np.eye(3)[labels]
    for _ in range(3):
        order = order_rng.permutation(len(x))
        for start in range(0, len(x), 10):
            idx = order[start:start + 10]
            acts, zs = [x[idx]], []
            for i in range(3):
                zs.append(acts[-1] @ w[i] + b[i])
                if i < 2:
                    acts.append(np.maximum(zs[-1], 0))
            e = np.exp(zs[-1] - zs[-1].max(axis=1, keepdims=True))
            delta = (e / e.sum(axis=1, keepdims=True) - y[idx]) / len(idx)
            grads_w, grads_b = [None] * 3, [None] * 3
            for i in (2, 1, 0):
                grads_w[i], grads_b[i] = acts[i].T @ delta, delta.sum(axis=0)
                if i:
                    delta = (delta @ w[i].T) * (zs[i - 1] > 0)
            for k, (p, g) in enumerate(zip(w + b, grads_w + grads_b)):
                v[k] = 0.9 * v[k] - 0.05 * g
                p += v[k]
    expected = np.concatenate([a.ravel() for a in w + b])
    np.testing.assert_allclose(net.params, expected, rtol=1e-10, atol=1e-12)


def test_an_epoch_allocates_no_parameter_sized_arrays(rng):
    x, labels = blobs(rng, n=160)
    x = np.hstack([x] * 20)                                     # 100 inputs
    net = py_nn.NeuralNetwork([100, 300, 3], optimizer=py_nn.SGD(momentum=0.9), seed=0)
    steps = net.fit_steps(x, labels, 16, 2, categorical=True)
    while next(steps)["event"] != "epoch":                     # buffers are made here
        pass
    tracemalloc.start()
    try:
        events = list(steps)                                    # the whole second epoch
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert [e["event"] for e in events] == ["batch"] * 10 + ["epoch"]
    one_vector = net.params.nbytes                              # 30,903 float64: 247 KB
    assert peak < one_vector / 4, f"peak {peak} bytes during an epoch (params {one_vector})"


def test_kernels_get_contiguous_operands_and_a_preallocated_out(rng, monkeypatch):
    monkeypatch.setattr(py_nn.fastpath, "MODE", False)   # the general path (see test_fastpath)
    calls = []

    def checked(name, fn):
        def call(a, b, out=None):
            calls.append(name)
            assert out is not None and out.flags.c_contiguous, name
            assert a.flags.c_contiguous and b.flags.c_contiguous, name
            return fn(a, b, out=out)
        return call

    for name in ("mm", "mm_tn", "mm_nt"):
        monkeypatch.setattr(kernels, name, checked(name, getattr(kernels, name)))
    x, labels = blobs(rng)
    net = py_nn.NeuralNetwork([5, 7, 6, 3], dtype="float32", seed=0)
    net.fit(x, labels, 8, 1, categorical=True, verbose=False, validation_data=(x, labels))
    net.predict(x)
    assert {"mm", "mm_tn", "mm_nt"} <= set(calls)


def test_predictions_are_not_overwritten_by_later_training(rng):
    x, labels = blobs(rng)
    net = py_nn.NeuralNetwork([5, 7, 3], seed=0)
    steps = net.fit_steps(x, labels, 93, 3, categorical=True)
    next(steps)
    p = net.predict(x)
    kept = p.copy()
    list(steps)
    np.testing.assert_array_equal(p, kept)
    assert not np.array_equal(net.predict(x), kept)


def test_weights_stay_views_of_params_through_training(rng):
    x, labels = blobs(rng)
    net = py_nn.NeuralNetwork([5, 7, 3], seed=0)
    for _ in net.fit_steps(x, labels, 10, 1, categorical=True):
        for array in net.weights + net.biases:
            assert np.shares_memory(array, net.params)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_the_label_shortcut_of_the_crossentropy_equals_the_full_sum(dtype, rng):
    from py_nn import engine

    net = py_nn.NeuralNetwork([4, 5, 6], dtype=dtype, seed=0)
    ws = engine.Workspace(net.layers, net.dtype, 9)
    labels = rng.integers(0, 6, 9)
    y = np.eye(6, dtype=dtype)[labels]
    p = py_nn.softmax(rng.normal(0, 4, (9, 6)).astype(dtype))
    p[2, labels[2]] = 0.0                                   # log(0 + EPS) stays finite
    expected = float(np.mean(py_nn.categorical_crossentropy(p, y)))
    assert engine.mean_loss(net, p, y, labels.astype(np.intp), ws) == expected
    p[4] = np.nan
    assert np.isnan(engine.mean_loss(net, p, y, labels.astype(np.intp), ws))
