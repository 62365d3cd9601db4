"""Bad input at the public boundary: a clear error, and the model does not change."""
import numpy as np
import pytest

import py_nn


@pytest.fixture
def net():
    return py_nn.NeuralNetwork([4, 6, 3], "relu", "softmax", "categorical_crossentropy",
                               py_nn.Adam(), seed=0)


@pytest.fixture
def data(rng):
    return rng.normal(size=(12, 4)), np.arange(12) % 3


def unchanged(net, call):
    """Run ``call``, which must raise; check params, optimizer state and history survive."""
    params = net.params.copy()
    history = {k: list(v) for k, v in net.history.items()}
    state = net.optimizer.state
    with pytest.raises((ValueError, TypeError)) as info:
        call()
    np.testing.assert_array_equal(net.params, params)
    assert net.history == history and net.optimizer.state is state
    return str(info.value)


def test_x_with_the_wrong_number_of_features(net, data):
    x, y = data
    msg = unchanged(net, lambda: net.fit(x[:, :3], y, 4, 1, categorical=True))
    assert "x must have shape (n_samples, 4)" in msg and "got shape (12, 3)" in msg


def test_single_sample_as_1d_gets_a_hint(net):
    msg = unchanged(net, lambda: net.predict(np.zeros(4)))
    assert "x.reshape(1, -1)" in msg


def test_y_with_the_wrong_width(net, data):
    x, _ = data
    msg = unchanged(net, lambda: net.fit(x, np.zeros((12, 5)), 4, 1))
    assert "y must have shape (n_samples, 3)" in msg and "(12, 5)" in msg


def test_target_rows_of_the_wrong_width_mention_labels_too(net, data):
    x, _ = data
    msg = unchanged(net, lambda: net.fit(x, np.zeros((12, 2), dtype=int), 4, 1))
    assert "(n_samples, 3)" in msg and "integer class labels" in msg


def test_x_and_y_of_different_lengths(net, data):
    x, y = data
    msg = unchanged(net, lambda: net.fit(x, y[:10], 4, 1, categorical=True))
    assert "same number of samples" in msg and "12 and 10" in msg


@pytest.mark.parametrize("bad", [np.nan, np.inf])
def test_nan_or_inf_in_x(net, data, bad):
    x, y = data
    x = x.copy()
    x[5, 2] = bad
    msg = unchanged(net, lambda: net.fit(x, y, 4, 1, categorical=True))
    assert "NaN or inf" in msg and "row 5" in msg


def test_nan_in_y(net, data):
    x, y = data
    targets = py_nn.to_categorical(y)
    targets[0, 0] = np.nan
    assert "NaN or inf" in unchanged(net, lambda: net.fit(x, targets, 4, 1))


@pytest.mark.parametrize("labels,expected", [
    ([0, 1, 3], "class label 3"), ([0, -1, 2], ">= 0"), ([0, 1.5, 2], "whole numbers")])
def test_labels_outside_the_classes(net, rng, labels, expected):
    x = rng.normal(size=(3, 4))
    assert expected in unchanged(net, lambda: net.fit(x, labels, 1, 1, categorical=True))


def test_empty_data(net):
    msg = unchanged(net, lambda: net.fit(np.zeros((0, 4)), [], 4, 1, categorical=True))
    assert "empty" in msg


@pytest.mark.parametrize("kw,expected", [
    ({"batch_size": 0, "epochs": 1}, "batch_size must be an integer >= 1"),
    ({"batch_size": 4, "epochs": 0}, "epochs must be an integer >= 1"),
    ({"batch_size": 2.5, "epochs": 1}, "batch_size must be an integer >= 1"),
    ({"batch_size": True, "epochs": 1}, "batch_size must be an integer >= 1"),
])
def test_batch_size_and_epochs_below_one(net, data, kw, expected):
    x, y = data
    assert expected in unchanged(net, lambda: net.fit(x, y, categorical=True, **kw))


def test_fit_steps_checks_before_the_first_step(net, data):
    x, y = data
    with pytest.raises(ValueError, match="epochs"):
        net.fit_steps(x, y, 4, 0, categorical=True)  # raised at the call, not at next()


def test_bad_validation_data(net, data):
    x, y = data
    msg = unchanged(net, lambda: net.fit(x, y, 4, 1, categorical=True,
                                         validation_data=(x[:, :2], y)))
    assert "validation x must have shape" in msg


@pytest.mark.parametrize("kw,expected", [
    ({"hidden_activation": "relux"}, "Unknown hidden_activation 'relux'; valid names are "
                                     "leaky_relu, relu, sigmoid, tanh"),
    ({"output_activation": "softmaxx"}, "valid names are identity, sigmoid, softmax"),
    ({"loss": "cross_entropy"}, "valid names are binary_crossentropy, categorical_crossentropy"),
    ({"optimizer": "adamw"}, "valid names are adagrad, adam, rmsprop, sgd"),
    ({"optimizer": object()}, "object with .update"),
    ({"layers": [784]}, "at least 2 positive integers"),
    ({"layers": [784, 0, 10]}, "at least 2 positive integers"),
    ({"dtype": "float16"}, "dtype must be 'float32' or 'float64'"),
    ({"hidden_activation": (np.tanh,)}, "tuple (function, derivative)"),
])
def test_bad_constructor_arguments(kw, expected):
    settings = dict(layers=[4, 6, 3])
    settings.update(kw)
    with pytest.raises((ValueError, TypeError)) as info:
        py_nn.NeuralNetwork(**settings)
    assert expected in str(info.value)


def test_hidden_derivative_of_the_wrong_shape(rng):
    bad = (np.tanh, lambda z: np.ones((z.shape[0], 1)))
    net = py_nn.NeuralNetwork([4, 6, 3], bad, "softmax", "categorical_crossentropy", seed=0)
    msg = unchanged(net, lambda: net.fit(rng.normal(size=(8, 4)), np.arange(8) % 3, 4, 1,
                                         categorical=True, verbose=False))
    assert "hidden_activation derivative returned shape (4, 1); expected (4, 6)" in msg


def test_output_derivative_that_is_not_a_jacobian_stack(rng):
    bad = (py_nn.softmax, lambda z: np.ones_like(z))   # (n, m) instead of (n, m, m)
    net = py_nn.NeuralNetwork([4, 6, 3], "relu", bad, "categorical_crossentropy", seed=0)
    msg = unchanged(net, lambda: net.fit(rng.normal(size=(8, 4)), np.arange(8) % 3, 8, 1,
                                         categorical=True, verbose=False))
    assert "output_activation derivative returned shape (8, 3); expected (8, 3, 3)" in msg


def test_loss_derivative_of_the_wrong_shape(rng):
    bad = (py_nn.mse, lambda p, y: 2 * (p - y))       # (n, m) instead of (n, 1, m)
    net = py_nn.NeuralNetwork([4, 6, 3], "relu", "softmax", bad, seed=0)
    msg = unchanged(net, lambda: net.fit(rng.normal(size=(8, 4)), np.arange(8) % 3, 8, 1,
                                         categorical=True, verbose=False))
    assert "loss derivative returned shape (8, 3); expected (8, 1, 3)" in msg


def test_divergence_is_reported_and_the_last_good_weights_kept(rng):
    net = py_nn.NeuralNetwork([4, 6, 1], "relu", "identity", "mse", py_nn.SGD(lr=1e6), seed=0)
    x, y = rng.normal(size=(64, 4)) * 100, rng.normal(size=(64, 1)) * 100
    with np.errstate(over="ignore", invalid="ignore"), \
            pytest.raises(FloatingPointError, match="lower the learning rate"):
        net.fit(x, y, 8, 5, verbose=False)
    assert np.all(np.isfinite(net.params))
