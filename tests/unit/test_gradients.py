"""Derivatives checked against central finite differences, for every registry entry."""
import numpy as np
import pytest

import py_nn
from py_nn import activations, losses

H = 1e-6


def numeric_elementwise(fn, z):
    return (fn(z + H) - fn(z - H)) / (2 * H)


def numeric_jacobian(fn, z):
    """J[k, i, j] = d fn(z)[k, i] / d z[k, j], column by column."""
    n, m = z.shape
    jac = np.empty((n, m, m))
    for j in range(m):
        step = np.zeros_like(z)
        step[:, j] = H
        jac[:, :, j] = (fn(z + step) - fn(z - step)) / (2 * H)
    return jac


def away_from_kinks(rng, shape):
    """Values in [-3, -0.1] or [0.1, 3], so ReLU-like kinks at 0 are not crossed by +-H."""
    z = rng.uniform(0.1, 3, shape)
    return z * rng.choice([-1, 1], shape)


@pytest.mark.parametrize("name", sorted(activations.HIDDEN))
def test_hidden_derivative_matches_finite_differences(name, rng):
    fn, d_fn = activations.get_hidden(name)
    z = away_from_kinks(rng, (6, 5))
    analytic = d_fn(z)
    assert analytic.shape == z.shape
    np.testing.assert_allclose(analytic, numeric_elementwise(fn, z), rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize("name", sorted(activations.OUTPUT))
def test_output_jacobian_matches_finite_differences(name, rng):
    fn, d_fn = activations.get_output(name)
    z = rng.normal(0, 2, (4, 6))
    analytic = d_fn(z)
    assert analytic.shape == (4, 6, 6)
    np.testing.assert_allclose(analytic, numeric_jacobian(fn, z), rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize("name", sorted(losses.LOSSES))
def test_loss_derivative_matches_finite_differences(name, rng):
    loss, d_loss = losses.get_loss(name)
    y_pred = rng.uniform(0.05, 0.95, (5, 4))
    y_true = np.eye(4)[rng.integers(0, 4, 5)]
    assert loss(y_pred, y_true).shape == (5, 1)
    analytic = d_loss(y_pred, y_true)
    assert analytic.shape == (5, 1, 4)
    numeric = numeric_jacobian(lambda p: np.repeat(loss(p, y_true), 4, axis=1), y_pred)[:, :1, :]
    np.testing.assert_allclose(analytic, numeric, rtol=1e-5, atol=1e-8)


def test_softmax_is_stable_for_huge_inputs():
    p = py_nn.softmax(np.array([[1000.0, 1000.0, -1000.0]]))
    np.testing.assert_allclose(p, [[0.5, 0.5, 0.0]])


def test_crossentropy_is_finite_when_a_probability_is_zero():
    value = py_nn.categorical_crossentropy(np.array([[0.0, 1.0]]), np.array([[1.0, 0.0]]))
    assert np.isfinite(value).all() and value[0, 0] > 30


def network_gradient_check(net, x, y):
    """Compare _backward's flat gradient with central differences of the batch-mean loss."""
    analytic = net._backward(x, net._forward(x), y)
    params = net.params
    numeric = np.empty_like(params)
    for k in range(params.size):
        saved = params[k]
        params[k] = saved + H
        plus = net._mean_loss(net._forward(x)[-1][1], y)
        params[k] = saved - H
        minus = net._mean_loss(net._forward(x)[-1][1], y)
        params[k] = saved
        numeric[k] = (plus - minus) / (2 * H)
    np.testing.assert_allclose(analytic, numeric, rtol=1e-5, atol=1e-7)


@pytest.mark.parametrize("hidden", sorted(activations.HIDDEN))
@pytest.mark.parametrize("output,loss", [
    ("softmax", "categorical_crossentropy"),   # fused
    ("identity", "mse"),                       # fused
    ("sigmoid", "binary_crossentropy"),        # fused
    ("softmax", "mse"),                        # general Jacobian path
    ("sigmoid", "mse"),                        # general Jacobian path
])
def test_three_hidden_layer_network_gradient(hidden, output, loss, rng):
    net = py_nn.NeuralNetwork([5, 6, 5, 4, 3], hidden, output, loss, py_nn.SGD(), seed=3)
    x = rng.normal(size=(7, 5))
    y = np.eye(3)[rng.integers(0, 3, 7)]
    if hidden in ("relu", "leaky_relu"):
        # keep pre-activations away from the kink so finite differences are valid
        for z, _ in net._forward(x)[:-1]:
            assert np.min(np.abs(z)) > 1e-4
    network_gradient_check(net, x, y)


def test_user_written_tuples_take_the_general_path_and_are_correct(rng):
    def my_tanh(z):
        return np.tanh(z)

    def my_d_tanh(z):
        return 1 - np.tanh(z) ** 2

    def my_softmax(z):
        e = np.exp(z - z.max(axis=1, keepdims=True))
        return e / e.sum(axis=1, keepdims=True)

    net = py_nn.NeuralNetwork([4, 5, 5, 5, 3], (my_tanh, my_d_tanh),
                              (my_softmax, py_nn.d_softmax),
                              (py_nn.categorical_crossentropy, py_nn.d_categorical_crossentropy),
                              py_nn.SGD(), seed=1)
    assert net._fused is None
    x = rng.normal(size=(6, 4))
    network_gradient_check(net, x, np.eye(3)[rng.integers(0, 3, 6)])


@pytest.mark.parametrize("output,loss", [
    ("softmax", "categorical_crossentropy"), ("identity", "mse"),
    ("sigmoid", "binary_crossentropy")])
def test_fused_output_gradient_equals_the_jacobian_path(output, loss, rng):
    net = py_nn.NeuralNetwork([6, 8, 4], "tanh", output, loss, py_nn.SGD(), seed=0)
    assert net._fused is not None
    x = rng.normal(size=(9, 6))
    y = np.eye(4)[rng.integers(0, 4, 9)]
    z, p = net._forward(x)[-1]
    fused = net._output_delta(z, p, y)
    net._fused = None
    general = net._output_delta(z, p, y)
    np.testing.assert_allclose(fused, general, rtol=0, atol=1e-10)
