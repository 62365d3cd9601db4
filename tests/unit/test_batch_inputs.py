"""Training inputs converted one batch at a time (``training.Inputs``): uint8 pixels with
``x_scale=1/255`` train exactly, bit for bit, what float32 pixels converted up front train (the
page's worker did the latter until it kept 60,000 digits as uint8), on the fast path and the
general one, in CPython and inside Pyodide; and no float copy of x is made.
"""
import tracemalloc

import numpy as np
import pytest

import py_nn
from py_nn import fastpath

SCALE = 1.0 / 255.0


def up_front(pixels):
    """What the worker did before: the whole x as float32, times float32(1/255)."""
    x = pixels.astype(np.float32)
    x *= np.float32(SCALE)
    return x


def fit(x, labels, optimizer, **kw):
    net = py_nn.NeuralNetwork([784, 32, 10], optimizer=optimizer, dtype="float32", seed=3)
    events = list(net.fit_steps(x, labels, 64, 2, categorical=True, **kw))
    return net, events


@pytest.mark.parametrize("fast", [True, False], ids=["fast path", "general path"])
@pytest.mark.parametrize("optimizer", ["sgd", "adam"])
def test_uint8_pixels_scaled_per_batch_train_the_same_weights(mnist_pixels, monkeypatch, fast,
                                                              optimizer):
    monkeypatch.setattr(fastpath, "MODE", fast)    # fast: the SIMD plan under Pyodide
    pixels, labels = mnist_pixels
    val = (up_front(pixels[:500]), labels[:500])
    before, before_events = fit(up_front(pixels), labels, optimizer, validation_data=val)
    after, after_events = fit(pixels, labels, optimizer, validation_data=val, x_scale=SCALE)
    np.testing.assert_array_equal(after.params, before.params)
    assert after_events == before_events           # losses, accuracies, every batch
    assert after.history["val_accuracy"][-1] > 0.8  # and it learned


def test_float64_inputs_train_as_if_converted_first(mnist_pixels):
    pixels, labels = mnist_pixels
    x64 = pixels[:600] / 255.0
    before, _ = fit(x64.astype(np.float32), labels[:600], "sgd")
    after, _ = fit(x64, labels[:600], "sgd")
    np.testing.assert_array_equal(after.params, before.params)


def test_no_float_copy_of_the_inputs_is_made(mnist_pixels):
    pixels, labels = mnist_pixels
    net = py_nn.NeuralNetwork([784, 32, 10], optimizer="sgd", dtype="float32", seed=3)
    tracemalloc.start()
    try:
        for _ in net.fit_steps(pixels, labels, 64, 1, categorical=True, x_scale=SCALE):
            pass
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    as_float32 = pixels.size * 4                    # 6.3 MB: what converting up front took
    assert peak < as_float32 / 4, f"peak {peak:,} bytes while training on {pixels.nbytes:,}"


@pytest.mark.parametrize("scale", [0, float("nan"), "1/255", True])
def test_a_bad_x_scale_is_refused_before_anything_changes(mnist_pixels, scale):
    pixels, labels = mnist_pixels
    net = py_nn.NeuralNetwork([784, 32, 10], optimizer="sgd", dtype="float32", seed=3)
    params = net.params.copy()
    with pytest.raises(ValueError, match=r"x_scale must be a finite number other than 0 "
                                         r"\(e.g. 1/255 for pixels 0..255\), or None; got"):
        net.fit(pixels, labels, 64, 1, categorical=True, verbose=False, x_scale=scale)
    np.testing.assert_array_equal(net.params, params)
    assert net.history["loss"] == []
