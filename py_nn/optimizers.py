"""Gradient-based optimizers, in order of increasing complexity.

An optimizer is any object with ``update(old_params, gradient) -> new_params`` where both
arguments and the result are flat 1-D vectors of all weights and biases (the seed's
contract; a user-written object with just that method works). The classes here share a base
class that keeps the bookkeeping (settings, the step count, state created on first use,
``get_config`` for saving); each subclass only writes its step, as in-place NumPy passes
with no temporaries, so the network can also call the fast path ``update_into``.
"""
import numpy as np


class Optimizer:
    """Base class: subclasses set ``name``, list their state in ``state_names`` and write ``_apply``.

    ``update`` returns a new array and never modifies its inputs. ``update_into`` is the same
    step without allocations: it writes into ``out`` and uses ``gradient`` as scratch space.
    A subclass written for the older ``_step(gradient) -> step`` hook still works.
    """

    name = None
    state_names = ()
    gradient_scale = 1.0  # a factor the network may fold into the gradient (see update_into)

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
        old_params, gradient = np.asarray(old_params), np.asarray(gradient)
        scratch = np.array(gradient, dtype=np.result_type(old_params, gradient))
        return self.update_into(old_params, scratch, np.empty_like(scratch))

    def update_into(self, params, gradient, out, scaled=False):
        """One step: write the new parameters into ``out``; all three have shape (n_params,).

        ``gradient`` is overwritten (used as scratch); ``out`` must not share memory with
        ``params`` or ``gradient``. With ``scaled=True`` the caller has already multiplied
        the gradient by ``gradient_scale`` (the network folds it into its gradient product,
        which saves a pass over all parameters). Returns ``out``.
        """
        self.prepare(params)
        self.iterations += 1
        if not scaled and self.gradient_scale != 1.0:
            gradient *= self.gradient_scale
        self._apply(params, gradient, out)
        return out

    def prepare(self, params):
        """The state for ``params`` (n_params,), made now on first use: a dict of arrays of
        the same shape (e.g. SGD's ``"velocity"``). A caller that computes a step itself
        (``py_nn.fastpath``) updates these and counts ``iterations``."""
        if self.state is None:
            self.state = {k: np.zeros_like(params) for k in self.state_names}
        elif self.state_names and self.state[self.state_names[0]].shape != params.shape:
            raise ValueError(
                f"{type(self).__name__} holds state for "
                f"{self.state[self.state_names[0]].size} parameters but was given "
                f"{params.size}. Give each network its own optimizer.")
        return self.state

    def _apply(self, params, g, out):
        """Write ``params + step`` into ``out``, for ``g = gradient_scale * gradient``; ``g``
        may be overwritten."""
        np.add(params, self._step(g), out=out)

    def _step(self, gradient):
        raise NotImplementedError(f"{type(self).__name__} must define _apply (or _step).")

    def _adaptive_step(self, params, g, mean_sq, out):
        """out <- params - lr * g / (sqrt(mean_sq) + eps); ``g`` is overwritten and
        ``mean_sq`` may be ``out`` itself."""
        np.sqrt(mean_sq, out=out)
        out += self.eps
        g *= -self.lr
        g /= out
        np.add(params, g, out=out)

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

    In place, with ``g`` already multiplied by lr (``gradient_scale``): two passes over v,
    one into the new parameters (three for nesterov).
    """

    name = "sgd"
    state_names = ("velocity",)

    def __init__(self, lr=0.01, momentum=0.9, nesterov=False):
        super().__init__(lr)
        if not 0 <= momentum < 1:
            raise ValueError(f"SGD: momentum must be in [0, 1); got {momentum!r}.")
        self.momentum = float(momentum)
        self.nesterov = bool(nesterov)

    @property
    def gradient_scale(self):
        return self.lr

    def _apply(self, params, g, out):
        v = self.state["velocity"]               # g holds lr * gradient
        v *= self.momentum
        v -= g
        if self.nesterov:
            np.multiply(v, self.momentum, out=out)
            out -= g
            out += params
        else:
            np.add(params, v, out=out)

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

    def _apply(self, params, g, out):
        s = self.state["sum_sq"]
        np.multiply(g, g, out=out)               # out is scratch until the last step
        s += out
        self._adaptive_step(params, g, s, out)

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

    def _apply(self, params, g, out):
        s = self.state["mean_sq"]
        np.multiply(g, 1 - self.rho, out=out)    # out is scratch until the last step
        out *= g
        s *= self.rho
        s += out
        self._adaptive_step(params, g, s, out)

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

    def _apply(self, params, g, out):
        m, v, t = self.state["m"], self.state["v"], self.iterations
        np.multiply(g, 1 - self.beta1, out=out)  # out, then g, are scratch until the end
        m *= self.beta1
        m += out
        np.multiply(g, 1 - self.beta2, out=out)
        out *= g
        v *= self.beta2
        v += out
        np.divide(v, 1 - self.beta2 ** t, out=out)   # v_hat
        np.divide(m, 1 - self.beta1 ** t, out=g)     # m_hat
        self._adaptive_step(params, g, out, out)

    def get_config(self):
        return {"lr": self.lr, "beta1": self.beta1, "beta2": self.beta2, "eps": self.eps}


OPTIMIZERS = {cls.name: cls for cls in (SGD, Adagrad, RMSprop, Adam)}


def fast_update(optimizer):
    """``optimizer.update_into`` when the network may call it instead of ``update``, else None.

    That is a built-in optimizer, or a subclass of :class:`Optimizer` that does not override
    ``update``; any other object is only ever called through ``update(old_params, gradient)``.
    """
    if isinstance(optimizer, Optimizer) and type(optimizer).update is Optimizer.update:
        return optimizer.update_into
    return None


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
