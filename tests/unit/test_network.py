"""The NeuralNetwork contract: shapes, init, training, stepping, prediction, scoring."""
import numpy as np
import pytest

import py_nn
from py_nn import kernels


def small_net(**kw):
    settings = dict(layers=[4, 8, 3], hidden_activation="relu", output_activation="softmax",
                    loss="categorical_crossentropy", optimizer=py_nn.SGD(lr=0.1), seed=0)
    settings.update(kw)
    return py_nn.NeuralNetwork(**settings)


def blobs(rng, n=90):
    """Three well separated clusters in 4-D, labels 0..2."""
    labels = np.arange(n) % 3
    centres = np.eye(3, 4) * 4
    return centres[labels] + rng.normal(0, 0.5, (n, 4)), labels


def test_seed_tuple_api_with_the_seed_components():
    net = py_nn.NeuralNetwork([4, 8, 3], (py_nn.relu, py_nn.d_relu),
                              (py_nn.softmax, py_nn.d_softmax),
                              (py_nn.categorical_crossentropy, py_nn.d_categorical_crossentropy),
                              py_nn.SGD())
    assert net.hidden_activation.name == "relu" and net._fused is not None
    assert [w.shape for w in net.weights] == [(4, 8), (8, 3)]
    assert [b.shape for b in net.biases] == [(1, 8), (1, 3)]


def test_weights_and_biases_are_views_of_one_flat_buffer():
    net = small_net()
    assert net.params.shape == (4 * 8 + 8 + 8 * 3 + 3,)
    for array in net.weights + net.biases:
        assert np.shares_memory(array, net.params)
    net.params[0] = 42.0
    assert net.weights[0][0, 0] == 42.0


def test_initialization_is_xavier_normal_and_seeded():
    net = py_nn.NeuralNetwork([300, 200, 10], seed=7)
    assert np.std(net.weights[0]) == pytest.approx(np.sqrt(2 / 500), rel=0.02)
    assert abs(np.mean(net.weights[0])) < 0.002
    assert np.std(net.biases[0]) == pytest.approx(np.sqrt(2 / 500), rel=0.2)
    np.testing.assert_array_equal(net.params, py_nn.NeuralNetwork([300, 200, 10], seed=7).params)
    assert not np.array_equal(net.params, py_nn.NeuralNetwork([300, 200, 10], seed=8).params)


def test_fit_learns_and_returns_per_epoch_losses(rng, capsys):
    x, labels = blobs(rng)
    net = small_net()
    epoch_losses = net.fit(x, labels, batch_size=10, epochs=5, categorical=True)
    assert len(epoch_losses) == 5 and epoch_losses[-1] < epoch_losses[0] / 2
    assert net.history["loss"] == epoch_losses
    assert net.score(x, labels, accuracy=True) == 1.0
    printed = capsys.readouterr().out
    assert "Epoch 5/5" in printed and "loss:" in printed   # the seed prints progress


def test_fit_with_one_hot_y_equals_categorical_labels(rng):
    x, labels = blobs(rng)
    a, b = small_net(), small_net()
    a.fit(x, labels, 16, 2, categorical=True, verbose=False)
    b.fit(x, py_nn.to_categorical(labels), 16, 2, verbose=False)
    np.testing.assert_array_equal(a.params, b.params)


def test_seed_makes_training_reproducible_and_shuffle_matters(rng):
    x, labels = blobs(rng)
    runs = []
    for shuffle in (True, True, False):
        net = small_net(seed=5)
        net.fit(x, labels, 8, 2, categorical=True, shuffle=shuffle, verbose=False)
        runs.append(net.params.copy())
    np.testing.assert_array_equal(runs[0], runs[1])
    assert not np.array_equal(runs[0], runs[2])


def test_fit_steps_yields_batch_and_epoch_events_and_can_be_paused(rng):
    x, labels = blobs(rng)
    net = small_net()
    steps = net.fit_steps(x, labels, batch_size=20, epochs=2, categorical=True,
                          validation_data=(x[:30], labels[:30]))
    first = next(steps)
    assert first == {"event": "batch", "epoch": 1, "epochs": 2, "batch": 1, "batches": 5,
                     "loss": first["loss"], "accuracy": first["accuracy"], "samples": 20}
    params_after_one = net.params.copy()
    # a host can do other work here (a Web Worker handles messages), then continue
    rest = list(steps)
    kinds = [e["event"] for e in rest]
    assert kinds == ["batch"] * 4 + ["epoch"] + ["batch"] * 5 + ["epoch"]
    assert rest[4]["val_accuracy"] is not None and rest[4]["val_loss"] > 0
    assert not np.array_equal(params_after_one, net.params)
    assert len(net.history["val_accuracy"]) == 2


def test_callback_returning_false_stops_training(rng):
    x, labels = blobs(rng)
    net = small_net()
    seen = []

    def stop_after_three(event):
        seen.append(event)
        return len(seen) < 3

    losses = net.fit(x, labels, 10, 50, categorical=True, verbose=False,
                     callback=stop_after_three)
    assert len(seen) == 3 and losses == [] and net.history["loss"] == []


def test_predict_probabilities_and_labels(rng):
    x, labels = blobs(rng)
    net = small_net()
    net.fit(x, labels, 10, 5, categorical=True, verbose=False)
    p = net.predict(x)
    assert p.shape == (90, 3)
    np.testing.assert_allclose(p.sum(axis=1), 1)
    np.testing.assert_array_equal(net.predict(x, labels=True), p.argmax(axis=1))


def test_score_loss_and_accuracy(rng):
    x, labels = blobs(rng)
    net = small_net()
    one_hot = py_nn.to_categorical(labels)
    expected = np.mean(py_nn.categorical_crossentropy(net.predict(x), one_hot))
    assert net.score(x, one_hot) == pytest.approx(expected)
    assert net.score(x, labels, accuracy=True) == pytest.approx(
        np.mean(net.predict(x, labels=True) == labels))


def test_float32_trains_in_float32(rng):
    x, labels = blobs(rng)
    net = small_net(dtype="float32")
    net.fit(x, labels, 10, 3, categorical=True, verbose=False)
    assert net.params.dtype == np.float32 and net.predict(x).dtype == np.float32
    assert net.score(x, labels, accuracy=True) > 0.9


@pytest.mark.parametrize("optimizer", ["sgd", "adam", "rmsprop", "adagrad",
                                       py_nn.SGD(lr=0.05, nesterov=True)])
def test_every_optimizer_trains(optimizer, rng):
    x, labels = blobs(rng)
    net = small_net(optimizer=optimizer)
    before = net.score(x, labels)
    net.fit(x, labels, 10, 10, categorical=True, verbose=False)
    assert net.score(x, labels) < before


def test_regression_with_identity_and_mse(rng):
    x = rng.uniform(-1, 1, (200, 2))
    y = (x[:, :1] * 2 - x[:, 1:]) * 0.5
    net = py_nn.NeuralNetwork([2, 16, 1], "tanh", "identity", "mse", py_nn.SGD(lr=0.05), seed=0)
    net.fit(x, y, 20, 40, verbose=False)
    assert net.score(x, y) < 0.01


def test_binary_classification_with_sigmoid_output(rng):
    x = rng.normal(size=(200, 2))
    y = (x[:, :1] + x[:, 1:] > 0).astype(float)
    net = py_nn.NeuralNetwork([2, 8, 1], "leaky_relu", "sigmoid", "binary_crossentropy",
                              py_nn.Adam(lr=0.01), seed=0)
    net.fit(x, y, 20, 30, verbose=False)
    assert np.mean((net.predict(x) > 0.5) == y) > 0.95


def test_both_kernels_give_the_same_training(rng):
    x, labels = blobs(rng)
    results = []
    try:
        for name in ("einsum", "matmul"):
            kernels.use(name)
            net = small_net()
            net.fit(x, labels, 10, 2, categorical=True, verbose=False)
            results.append(net.params.copy())
    finally:
        kernels.use("auto")
    np.testing.assert_allclose(results[0], results[1], rtol=1e-10, atol=1e-12)


def test_kernel_is_picked_per_platform():
    import sys
    expected = "simd" if sys.platform == "emscripten" else "matmul"
    assert kernels.default() == expected == kernels.active


def test_confusion_matrix_and_to_categorical():
    cm = py_nn.confusion_matrix([0, 1, 2, 2], [0, 2, 2, 1], num_classes=3)
    np.testing.assert_array_equal(cm, [[1, 0, 0], [0, 0, 1], [0, 1, 1]])
    np.testing.assert_array_equal(py_nn.to_categorical([2, 0]), [[0, 0, 1], [1, 0, 0]])
    assert py_nn.to_categorical([1], num_classes=4).shape == (1, 4)


def test_float32_network_accepts_user_functions_that_return_float64(rng):
    def tanh64(z):
        return np.tanh(z).astype(np.float64)

    def d_tanh64(z):
        return (1 - np.tanh(z) ** 2).astype(np.float64)

    x, labels = blobs(rng)
    try:
        for name in ("einsum", "matmul"):
            kernels.use(name)
            net = small_net(hidden_activation=(tanh64, d_tanh64), dtype="float32")
            net.fit(x, labels, 10, 2, categorical=True, verbose=False)
            assert net.params.dtype == np.float32
    finally:
        kernels.use("auto")
