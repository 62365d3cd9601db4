"""Gradient-based optimizers, in order of increasing complexity.

An optimizer is any object with ``update(old_params, gradient) -> new_params`` where both
arguments and the result are flat 1-D vectors of all weights and biases. The classes here
share a base class that keeps the bookkeeping (settings, the step count, state created on
first use, ``get_config`` for saving); each subclass only writes its step.
"""
import numpy as np


class Optimizer:
    """Base class: subclasses set ``name``, list their state in ``state_names`` and write ``_step``.

    ``update`` returns a new array and never modifies ``old_params``.
    """

    name = None
    state_names = ()

    def __init__(self, lr):
        if not (isinstance(lr, (int, float, np.floating)) and not isinstance(lr, bool)
                and np.isfinite(lr) and lr > 0):
            raise ValueError(f"{type(self).__name__}: lr must be a number > 0; got {lr!r}. "
                             f"Typical values are 0.001 to 0.1.")
        self.lr = float(lr)
        self.iterations = 0
        self.state = None  # dict of arrays shaped like the parameters, made on first update

    def update(self, old_params, gradient):
        """Return the parameters after one step. Both inputs have shape (n_params,)."""
        if self.state is None:
            self.state = {k: np.zeros_like(old_params) for k in self.state_names}
        elif self.state_names and self.state[self.state_names[0]].shape != old_params.shape:
            raise ValueError(
                f"{type(self).__name__} holds state for "
                f"{self.state[self.state_names[0]].size} parameters but was given "
                f"{old_params.size}. Give each network its own optimizer.")
        self.iterations += 1
        return old_params + self._step(gradient)

    def _step(self, gradient):
        raise NotImplementedError

    def get_config(self):
        """The constructor arguments, so ``type(self)(**get_config())`` rebuilds it."""
        return {"lr": self.lr}

    def __repr__(self):
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_config().items())
        return f"{type(self).__name__}({args})"


class SGD(Optimizer):
    """Stochastic gradient descent with momentum (the seed's optimizer).

    v <- momentum * v - lr * g
    params <- params + v                          (classic momentum)
    params <- params + momentum * v - lr * g      (nesterov=True)
    """

    name = "sgd"
    state_names = ("velocity",)

    def __init__(self, lr=0.01, momentum=0.9, nesterov=False):
        super().__init__(lr)
        if not 0 <= momentum < 1:
            raise ValueError(f"SGD: momentum must be in [0, 1); got {momentum!r}.")
        self.momentum = float(momentum)
        self.nesterov = bool(nesterov)

    def _step(self, g):
        v = self.state["velocity"]
        v *= self.momentum
        v -= self.lr * g
        if self.nesterov:
            return self.momentum * v - self.lr * g
        return v

    def get_config(self):
        return {"lr": self.lr, "momentum": self.momentum, "nesterov": self.nesterov}


class Adagrad(Optimizer):
    """Adagrad: per-parameter steps shrink with the sum of past squared gradients.

    s <- s + g**2
    params <- params - lr * g / (sqrt(s) + eps)
    """

    name = "adagrad"
    state_names = ("sum_sq",)

    def __init__(self, lr=0.01, eps=1e-8):
        super().__init__(lr)
        self.eps = float(eps)

    def _step(self, g):
        s = self.state["sum_sq"]
        s += g * g
        return -self.lr * g / (np.sqrt(s) + self.eps)

    def get_config(self):
        return {"lr": self.lr, "eps": self.eps}


class RMSprop(Optimizer):
    """RMSprop: Adagrad with a moving average instead of a sum.

    s <- rho * s + (1 - rho) * g**2
    params <- params - lr * g / (sqrt(s) + eps)
    """

    name = "rmsprop"
    state_names = ("mean_sq",)

    def __init__(self, lr=0.001, rho=0.9, eps=1e-8):
        super().__init__(lr)
        if not 0 <= rho < 1:
            raise ValueError(f"RMSprop: rho must be in [0, 1); got {rho!r}.")
        self.rho = float(rho)
        self.eps = float(eps)

    def _step(self, g):
        s = self.state["mean_sq"]
        s *= self.rho
        s += (1 - self.rho) * g * g
        return -self.lr * g / (np.sqrt(s) + self.eps)

    def get_config(self):
        return {"lr": self.lr, "rho": self.rho, "eps": self.eps}


class Adam(Optimizer):
    """Adam: momentum on the gradient and on its square, with bias correction.

    t <- t + 1
    m <- beta1 * m + (1 - beta1) * g
    v <- beta2 * v + (1 - beta2) * g**2
    params <- params - lr * (m / (1 - beta1**t)) / (sqrt(v / (1 - beta2**t)) + eps)
    """

    name = "adam"
    state_names = ("m", "v")

    def __init__(self, lr=0.001, beta1=0.9, beta2=0.999, eps=1e-8):
        super().__init__(lr)
        for label, beta in (("beta1", beta1), ("beta2", beta2)):
            if not 0 <= beta < 1:
                raise ValueError(f"Adam: {label} must be in [0, 1); got {beta!r}.")
        self.beta1, self.beta2, self.eps = float(beta1), float(beta2), float(eps)

    def _step(self, g):
        m, v, t = self.state["m"], self.state["v"], self.iterations
        m *= self.beta1
        m += (1 - self.beta1) * g
        v *= self.beta2
        v += (1 - self.beta2) * g * g
        m_hat = m / (1 - self.beta1 ** t)
        v_hat = v / (1 - self.beta2 ** t)
        return -self.lr * m_hat / (np.sqrt(v_hat) + self.eps)

    def get_config(self):
        return {"lr": self.lr, "beta1": self.beta1, "beta2": self.beta2, "eps": self.eps}


OPTIMIZERS = {cls.name: cls for cls in (SGD, Adagrad, RMSprop, Adam)}


def get_optimizer(identifier, **settings):
    """An optimizer from a name (``"adam"``, with settings as keywords) or an object as is."""
    if isinstance(identifier, str):
        key = identifier.lower()
        if key not in OPTIMIZERS:
            raise ValueError(f"Unknown optimizer {identifier!r}; valid names are "
                             f"{', '.join(sorted(OPTIMIZERS))}, or pass an object with "
                             f".update(old_params, gradient).")
        try:
            return OPTIMIZERS[key](**settings)
        except TypeError as exc:
            valid = ", ".join(OPTIMIZERS[key]().get_config())
            raise TypeError(f"optimizer {key!r}: {exc}; its settings are {valid}.") from None
    if not callable(getattr(identifier, "update", None)):
        raise TypeError(f"optimizer must be a name ({', '.join(sorted(OPTIMIZERS))}) or an "
                        f"object with .update(old_params, gradient); got {identifier!r}.")
    if settings:
        raise TypeError("optimizer settings can only be given with an optimizer name.")
    return identifier
