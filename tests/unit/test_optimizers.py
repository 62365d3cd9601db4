"""One or two hand-worked steps per optimizer, from params [1, -2] and gradient [0.5, -1]."""
import math

import numpy as np
import pytest

import py_nn

P0 = np.array([1.0, -2.0])
G = np.array([0.5, -1.0])


def steps(optimizer, count):
    params, out = P0.copy(), []
    for _ in range(count):
        params = optimizer.update(params, G)
        out.append(params)
    return out


def test_sgd_momentum_two_steps():
    # v1 = -0.1 g = [-0.05, 0.1]; v2 = 0.9 v1 - 0.1 g = [-0.095, 0.19]
    first, second = steps(py_nn.SGD(lr=0.1, momentum=0.9), 2)
    np.testing.assert_allclose(first, [0.95, -1.9])
    np.testing.assert_allclose(second, [0.855, -1.71])


def test_sgd_nesterov_step():
    # v1 = [-0.05, 0.1]; step = 0.9 v1 - 0.1 g = [-0.095, 0.19]
    (first,) = steps(py_nn.SGD(lr=0.1, momentum=0.9, nesterov=True), 1)
    np.testing.assert_allclose(first, [0.905, -1.81])


def test_adam_two_steps():
    # bias correction makes m_hat = g and v_hat = g**2 while g is constant: step = -lr * sign(g)
    first, second = steps(py_nn.Adam(lr=0.1), 2)
    np.testing.assert_allclose(first, [0.9, -1.9], rtol=1e-7)
    np.testing.assert_allclose(second, [0.8, -1.8], rtol=1e-7)


def test_rmsprop_step():
    # s = 0.1 g**2 = [0.025, 0.1]; step = -0.1 g / sqrt(s) = -0.1 * sign(g) / sqrt(0.1)
    (first,) = steps(py_nn.RMSprop(lr=0.1, rho=0.9), 1)
    shift = 0.1 / math.sqrt(0.1)
    np.testing.assert_allclose(first, [1 - shift, -2 + shift], rtol=1e-7)


def test_adagrad_two_steps():
    # s1 = g**2 -> step -0.1 sign(g); s2 = 2 g**2 -> step -0.1 sign(g) / sqrt(2)
    first, second = steps(py_nn.Adagrad(lr=0.1), 2)
    np.testing.assert_allclose(first, [0.9, -1.9], rtol=1e-7)
    shift = 0.1 / math.sqrt(2)
    np.testing.assert_allclose(second, [0.9 - shift, -1.9 + shift], rtol=1e-7)


@pytest.mark.parametrize("name", ["sgd", "adam", "rmsprop", "adagrad"])
def test_update_returns_new_params_and_leaves_input_alone(name):
    optimizer = py_nn.get_optimizer(name)
    before = P0.copy()
    after = optimizer.update(before, G)
    np.testing.assert_array_equal(before, P0)
    assert not np.array_equal(after, P0)


def test_optimizer_by_name_with_settings():
    adam = py_nn.get_optimizer("adam", lr=0.01)
    assert isinstance(adam, py_nn.Adam) and adam.lr == 0.01
    assert adam.get_config() == {"lr": 0.01, "beta1": 0.9, "beta2": 0.999, "eps": 1e-8}


def test_unknown_optimizer_name_lists_the_valid_ones():
    with pytest.raises(ValueError, match="adagrad, adam, rmsprop, sgd"):
        py_nn.get_optimizer("adamw")


@pytest.mark.parametrize("lr", [0, -1, float("nan"), "0.1"])
def test_bad_learning_rate_is_refused(lr):
    with pytest.raises(ValueError, match="lr must be a number > 0"):
        py_nn.SGD(lr=lr)


def test_custom_optimizer_object_is_used():
    class HalfStep:
        def __init__(self):
            self.calls = 0

        def update(self, old_params, gradient):
            self.calls += 1
            return old_params - 0.5 * gradient

    opt = HalfStep()
    net = py_nn.NeuralNetwork([3, 4, 2], "relu", "softmax", "categorical_crossentropy", opt,
                              seed=0)
    before = net.params.copy()
    net.fit(np.ones((4, 3)), [0, 1, 0, 1], batch_size=2, epochs=1, categorical=True,
            verbose=False)
    assert opt.calls == 2 and not np.array_equal(before, net.params)
