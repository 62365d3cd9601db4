"""Loss functions and their derivatives.

``loss(y_pred, y_true)`` takes two arrays of shape ``(n, m)`` and returns one loss per
sample, shape ``(n, 1)``. ``d_loss(y_pred, y_true)`` returns the gradient of each sample's
loss as a row vector, stacked to shape ``(n, 1, m)`` so it ``matmul``s with the output
activation's Jacobians ``(n, m, m)``.
"""
import numpy as np

from .components import Component, resolve

# Guards log(0) and division by 0 (the seed's EPS: float64 machine epsilon).
EPS = float(np.finfo(np.float64).eps)  # a Python float, so float32 arrays stay float32


def mse(y_pred, y_true):
    """Mean squared error over the m outputs, shape (n, 1)."""
    return np.mean((y_pred - y_true) ** 2, axis=1, keepdims=True)


def d_mse(y_pred, y_true):
    """2 (y_pred - y_true) / m, shape (n, 1, m)."""
    return np.expand_dims(2 * (y_pred - y_true) / y_pred.shape[1], axis=1)


def categorical_crossentropy(y_pred, y_true):
    """-sum(y_true * log(y_pred + EPS)) per sample, shape (n, 1)."""
    return -np.sum(y_true * np.log(y_pred + EPS), axis=1, keepdims=True)


def d_categorical_crossentropy(y_pred, y_true):
    """-y_true / (y_pred + EPS), shape (n, 1, m)."""
    return np.expand_dims(-y_true / (y_pred + EPS), axis=1)


def binary_crossentropy(y_pred, y_true):
    """Mean over the m outputs of -(y log p + (1 - y) log(1 - p)), shape (n, 1)."""
    terms = y_true * np.log(y_pred + EPS) + (1 - y_true) * np.log(1 - y_pred + EPS)
    return -np.mean(terms, axis=1, keepdims=True)


def d_binary_crossentropy(y_pred, y_true):
    """-(y / (p + EPS) - (1 - y) / (1 - p + EPS)) / m, shape (n, 1, m)."""
    grad = -(y_true / (y_pred + EPS) - (1 - y_true) / (1 - y_pred + EPS)) / y_pred.shape[1]
    return np.expand_dims(grad, axis=1)


LOSSES = {
    "mse": lambda: Component(mse, d_mse, "mse"),
    "categorical_crossentropy": lambda: Component(
        categorical_crossentropy, d_categorical_crossentropy, "categorical_crossentropy"),
    "binary_crossentropy": lambda: Component(
        binary_crossentropy, d_binary_crossentropy, "binary_crossentropy"),
}


def get_loss(identifier):
    """A loss by name (``"mse"``, ``"categorical_crossentropy"``, ...) or (loss, d_loss) tuple."""
    return resolve(identifier, LOSSES, "loss")
