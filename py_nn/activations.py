"""Activation functions and their derivatives.

Two kinds, as in the seed article:

- **Hidden** activations act elementwise. ``f(z)`` and ``df(z)`` both take and return
  arrays of shape ``(n_samples, n_units)``.
- **Output** activations map a row to a row: ``f(z)`` returns ``(n_samples, m)`` and each
  output may depend on the whole row, so the derivative returns a stack of Jacobians
  ``df(z)[k, i, j] = d f(z)[k, i] / d z[k, j]`` of shape ``(n_samples, m, m)``.

Every component is a ``(function, derivative)`` tuple; the registries ``HIDDEN`` and
``OUTPUT`` below make named :class:`~py_nn.components.Component` tuples (see
``py_nn.components``).
"""
import numpy as np

from .components import Component, resolve


# ---------------------------------------------------------------- hidden (elementwise)
def relu(z):
    """max(0, z), elementwise."""
    return np.maximum(z, 0)


def d_relu(z):
    """1 where z > 0 else 0, elementwise; shape of ``z``."""
    return (z > 0).astype(z.dtype)


def leaky_relu(z, alpha=0.01):
    """z where z > 0 else alpha * z."""
    return np.where(z > 0, z, alpha * z)


def d_leaky_relu(z, alpha=0.01):
    """1 where z > 0 else alpha."""
    return np.where(z > 0, 1, alpha).astype(z.dtype)


def sigmoid(z):
    """1 / (1 + exp(-z)), written with tanh so it never overflows."""
    return 0.5 * (1 + np.tanh(0.5 * z))


def d_sigmoid(z):
    """sigmoid(z) * (1 - sigmoid(z)), elementwise."""
    s = sigmoid(z)
    return s * (1 - s)


def tanh(z):
    return np.tanh(z)


def d_tanh(z):
    """1 - tanh(z)**2, elementwise."""
    return 1 - np.tanh(z) ** 2


# ---------------------------------------------------------------- output (row -> row)
def identity(z):
    """The output as is (regression)."""
    return z


def d_identity(z):
    """A stack of identity matrices, shape (n, m, m)."""
    n, m = z.shape
    return np.broadcast_to(np.eye(m, dtype=z.dtype), (n, m, m))


def softmax(z):
    """exp(z) / sum(exp(z)) per row; the row max is subtracted first so exp cannot overflow."""
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def d_softmax(z):
    """Jacobians of softmax: J[k, i, j] = p_i (delta_ij - p_j), shape (n, m, m)."""
    p = softmax(z)
    return p[:, :, None] * (np.eye(z.shape[1], dtype=z.dtype) - p[:, None, :])


def d_sigmoid_jacobian(z):
    """Jacobians of an elementwise sigmoid used as output: diagonal matrices, shape (n, m, m)."""
    n, m = z.shape
    jac = np.zeros((n, m, m), dtype=z.dtype)
    jac[:, np.arange(m), np.arange(m)] = d_sigmoid(z)
    return jac


# ---------------------------------------------------------------- registries
def _leaky(alpha=0.01):
    alpha = float(alpha)
    return Component(lambda z: leaky_relu(z, alpha), lambda z: d_leaky_relu(z, alpha),
                     "leaky_relu", {"alpha": alpha})


HIDDEN = {
    "relu": lambda: Component(relu, d_relu, "relu"),
    "leaky_relu": _leaky,
    "sigmoid": lambda: Component(sigmoid, d_sigmoid, "sigmoid"),
    "tanh": lambda: Component(tanh, d_tanh, "tanh"),
}

OUTPUT = {
    "identity": lambda: Component(identity, d_identity, "identity"),
    "softmax": lambda: Component(softmax, d_softmax, "softmax"),
    "sigmoid": lambda: Component(sigmoid, d_sigmoid_jacobian, "sigmoid"),
}


def get_hidden(identifier):
    """A hidden activation by name (``"relu"``, ``"leaky_relu"``, ...) or tuple."""
    return resolve(identifier, HIDDEN, "hidden_activation")


def get_output(identifier):
    """An output activation by name (``"softmax"``, ``"identity"``, ``"sigmoid"``) or tuple."""
    return resolve(identifier, OUTPUT, "output_activation")
