"""Derivative checks for components a learner writes: central finite differences in float64.

Each ``check_*`` function takes a component as the network takes it (a ``(function,
derivative)`` tuple, a registry name, or for optimizers an object with ``.update``) and
returns a plain dict::

    {"ok": bool, "maxRelError": float or None, "shapeOk": bool, "message": str,
     "worst": [{"input", "analytic", "numeric", ...}],   # the few worst points
     "line": int or None}                                 # line in ``filename`` of an error

The error at a point is cs231n's relative error ``|a - n| / max(|a|, |n|, TINY)`` between
the analytic value ``a`` and the central difference ``n = (f(x + H) - f(x - H)) / 2H``.
Points where the one-sided differences ``(f(x) - f(x - H)) / H`` and ``(f(x + H) - f(x)) / H``
disagree sit on a kink (ReLU at 0): there the derivative is a matter of convention, so they
are skipped and counted, not failed. Shapes follow the seed's contract: a hidden derivative
is elementwise ``(n, m)``, an output derivative a Jacobian stack ``(n, m, m)``, a loss
derivative ``(n, 1, m)``. An exception inside a user function fails that component with its
message; nothing here raises for bad user code.
"""
import copy
import traceback

import numpy as np

from . import activations, losses, optimizers

H = 1e-5      # finite-difference step (float64)
TOL = 1e-4    # largest relative error that passes
TINY = 1e-7   # derivatives smaller than this are compared absolutely
KINK = 1e-2   # one-sided differences further apart than this (relative) mark a kink
WORST = 3     # how many worst points a result lists
NAMES = ("hidden_activation", "output_activation", "loss", "optimizer")


class _Fail(Exception):
    """A failed check: the message, whether shapes were right, the user's line if known."""

    def __init__(self, message, shape_ok=True, line=None):
        super().__init__(message)
        self.message, self.shape_ok, self.line = message, shape_ok, line


def _result(ok, message, max_rel=None, shape_ok=True, worst=(), line=None):
    return {"ok": bool(ok), "maxRelError": None if max_rel is None else float(max_rel),
            "shapeOk": bool(shape_ok), "message": message, "worst": list(worst), "line": line}


def _label(fn, fallback):
    name = getattr(fn, "__name__", None)
    return fallback if not name or name == "<lambda>" else name


def _user_line(exc, filename):
    """The last line of ``filename`` in the traceback of ``exc`` (None if it is not there)."""
    if filename is None:
        return None
    lines = [fr.lineno for fr in traceback.extract_tb(exc.__traceback__)
             if fr.filename == filename]
    return lines[-1] if lines else None


def _call(fn, args, label, filename):
    """``fn(*args)`` as a float array; a _Fail naming ``label`` if it raises or returns junk."""
    try:
        out = fn(*args)
    except Exception as exc:  # noqa: BLE001 - user code may raise anything
        raise _Fail(f"{label} raised {type(exc).__name__}: {exc}",
                    line=_user_line(exc, filename)) from None
    if out is None:
        raise _Fail(f"{label} returned None; did it forget `return`?", shape_ok=False)
    try:
        arr = np.asarray(out, dtype=np.float64)
    except (TypeError, ValueError):
        raise _Fail(f"{label} returned {type(out).__name__}, not an array of numbers.",
                    shape_ok=False) from None
    return arr


def _unpack(component, kind):
    """(function, derivative) from a tuple; a _Fail saying what a component must be."""
    if (isinstance(component, (tuple, list)) and len(component) == 2
            and all(callable(f) for f in component)):
        return component
    raise _Fail(f"{kind} must be a tuple (function, derivative) of two functions, or a "
                f"built-in name; got {component!r}.", shape_ok=False)


def _compare(analytic, numeric, kinks, describe):
    """(max relative error, worst points, skipped count) over the points that are not kinks."""
    err = np.abs(analytic - numeric) / np.maximum.reduce(
        [np.abs(analytic), np.abs(numeric), np.full(analytic.shape, TINY)])
    err = np.where(np.isnan(err), np.inf, err)  # NaN from the user's function is a failure
    err[kinks] = -1.0
    flat = np.argsort(err, axis=None)[::-1][:WORST]
    worst = []
    for index in flat:
        where = np.unravel_index(index, err.shape)
        if err[where] < 0:
            break
        worst.append({**describe(where), "analytic": float(analytic[where]),
                      "numeric": float(numeric[where]), "relError": float(err[where])})
    checked = err[~kinks]
    return (float(checked.max()) if checked.size else None), worst, int(kinks.sum())


def _differences(f, x, index, label, filename):
    """``(f(x + H e), f(x - H e))`` where ``e`` is the unit step along ``x[index]``."""
    plus, minus = x.copy(), x.copy()
    plus[index] += H
    minus[index] -= H
    f_plus = _call(f, (plus,), label, filename)
    f_minus = _call(f, (minus,), label, filename)
    return f_plus, f_minus


def _verdict(kind, label, max_rel, worst, skipped, notes=()):
    extra = f"; {skipped} point(s) on a kink skipped" if skipped else ""
    tail = "".join(f" {n}" for n in notes)
    if max_rel is None:
        return _result(False, f"{label}: every test point sits on a kink, so nothing could be "
                              f"checked; is the function smooth anywhere?{tail}", None, True,
                       worst)
    if max_rel <= TOL:
        return _result(True, f"{kind} ok: the derivative matches finite differences (max "
                             f"relative error {max_rel:.1e}){extra}.{tail}", max_rel, True, worst)
    w = worst[0]
    at = f"input {w['input']}" + (f", index {w['index']}" if "index" in w else "")
    return _result(False, f"{label} does not match finite differences: max relative error "
                          f"{max_rel:.1e} (pass is <= {TOL:.0e}); worst at {at}: "
                          f"analytic {w['analytic']:.6g}, numeric {w['numeric']:.6g}{extra}.{tail}",
                   max_rel, True, worst)


def _checked(run):
    """Run a check body; turn a _Fail (or an unknown built-in name) into a failed result."""
    try:
        return run()
    except _Fail as fail:
        return _result(False, fail.message, None, fail.shape_ok, (), fail.line)
    except (ValueError, TypeError) as exc:  # from a registry's get_*() for a bad name
        return _result(False, str(exc), None, False)


# ------------------------------------------------------------------ hidden (elementwise)
def hidden_points(rng=None, n=4, m=5):
    """Test inputs of shape (n, m): mostly |z| in [0.1, 3], plus two exact zeros and two small."""
    rng = np.random.default_rng(0) if rng is None else rng
    z = rng.uniform(0.1, 3.0, (n, m)) * rng.choice([-1.0, 1.0], (n, m))
    flat = z.reshape(-1)
    flat[:4] = [0.0, 0.0, 0.01, -0.01]
    return rng.permutation(flat).reshape(n, m)


def check_hidden(component, rng=None, filename=None):
    """Check a hidden activation ``(f, df)``: ``df(z)`` must be ``f``'s elementwise derivative.

    ``z`` has shape (4, 5); ``f(z)`` and ``df(z)`` must both have that shape.
    """
    def run():
        if isinstance(component, str):
            activations.get_hidden(component)
            return _result(True, f"built-in {component!r}: ok")
        f, df = _unpack(component, "hidden_activation")
        name, d_name = _label(f, "the activation"), _label(df, "the derivative")
        z = hidden_points(rng)
        f0 = _call(f, (z,), name, filename)
        if f0.shape != z.shape:
            raise _Fail(f"{name} returned shape {f0.shape} for input of shape {z.shape}: an "
                        f"activation must return the shape of its input.", shape_ok=False)
        analytic = _call(df, (z,), d_name, filename)
        if analytic.shape != z.shape:
            raise _Fail(f"{d_name} returned shape {analytic.shape} for input of shape "
                        f"{z.shape}: a hidden activation's derivative must be elementwise, "
                        f"shape (n, m) = {z.shape}.", shape_ok=False)
        numeric, kinks = np.empty_like(z), np.zeros(z.shape, bool)
        for index in np.ndindex(*z.shape):
            f_plus, f_minus = _differences(f, z, index, name, filename)
            others = np.abs(f_plus - f0)
            others[index] = 0
            if others.max() > 1e-10 * (1 + np.abs(f0).max()):
                changed = np.unravel_index(int(others.argmax()), z.shape)
                raise _Fail(f"{name} is not elementwise: changing z{list(index)} changed output "
                            f"{list(map(int, changed))}. A hidden activation must act on each "
                            f"value alone (a function of the whole row is an output activation).")
            numeric[index] = (f_plus[index] - f_minus[index]) / (2 * H)
            left, right = (f0[index] - f_minus[index]) / H, (f_plus[index] - f0[index]) / H
            kinks[index] = abs(left - right) > KINK * max(1.0, abs(left), abs(right))
        max_rel, worst, skipped = _compare(analytic, numeric, kinks,
                                           lambda w: {"input": float(z[w])})
        return _verdict("hidden activation", d_name, max_rel, worst, skipped)
    return _checked(run)


# ------------------------------------------------------------------ output (Jacobians)
def check_output(component, rng=None, filename=None):
    """Check an output activation ``(f, jac)``: ``jac(z)[k, i, j] = d f(z)[k, i] / d z[k, j]``.

    ``z`` has shape (3, 4); ``f(z)`` must be (3, 4) and ``jac(z)`` (3, 4, 4).
    """
    def run():
        if isinstance(component, str):
            activations.get_output(component)
            return _result(True, f"built-in {component!r}: ok")
        f, jac = _unpack(component, "output_activation")
        name, d_name = _label(f, "the activation"), _label(jac, "the derivative")
        gen = np.random.default_rng(1) if rng is None else rng
        n, m = 3, 4
        z = gen.normal(0, 2, (n, m))
        f0 = _call(f, (z,), name, filename)
        if f0.shape != z.shape:
            raise _Fail(f"{name} returned shape {f0.shape} for input of shape {z.shape}: an "
                        f"output activation maps each row to a row of the same size.",
                        shape_ok=False)
        analytic = _call(jac, (z,), d_name, filename)
        if analytic.shape != (n, m, m):
            raise _Fail(f"{d_name} returned shape {analytic.shape} for input of shape "
                        f"{z.shape}: an output activation's derivative must be a Jacobian per "
                        f"sample, shape (n, m, m) = {(n, m, m)}.", shape_ok=False)
        numeric, kinks = np.empty((n, m, m)), np.zeros((n, m, m), bool)
        for k, j in np.ndindex(n, m):
            f_plus, f_minus = _differences(f, z, (k, j), name, filename)
            numeric[k, :, j] = (f_plus[k] - f_minus[k]) / (2 * H)
            left, right = (f0[k] - f_minus[k]) / H, (f_plus[k] - f0[k]) / H
            scale = np.maximum(1.0, np.maximum(np.abs(left), np.abs(right)))
            kinks[k, :, j] = np.abs(left - right) > KINK * scale
        max_rel, worst, skipped = _compare(
            analytic, numeric, kinks,
            lambda w: {"input": [float(v) for v in z[w[0]]], "index": [int(i) for i in w]})
        return _verdict("output activation", d_name, max_rel, worst, skipped)
    return _checked(run)


# ------------------------------------------------------------------ loss
def check_loss(component, rng=None, filename=None):
    """Check a loss ``(loss, d_loss)``: ``d_loss(p, y)[k, 0, j] = d loss(p, y)[k, 0] / d p[k, j]``.

    ``p`` (predictions in [0.05, 0.95]) and ``y`` (one-hot) have shape (4, 5); ``loss`` must
    return (4, 1) and ``d_loss`` (4, 1, 5).
    """
    def run():
        if isinstance(component, str):
            losses.get_loss(component)
            return _result(True, f"built-in {component!r}: ok")
        loss, d_loss = _unpack(component, "loss")
        name, d_name = _label(loss, "the loss"), _label(d_loss, "the derivative")
        gen = np.random.default_rng(2) if rng is None else rng
        n, m = 4, 5
        p = gen.uniform(0.05, 0.95, (n, m))
        y = np.eye(m)[gen.integers(0, m, n)]
        l0 = _call(loss, (p, y), name, filename)
        if l0.shape != (n, 1):
            raise _Fail(f"{name} returned shape {l0.shape} for predictions of shape {p.shape}: "
                        f"a loss returns one value per sample, shape (n, 1) = {(n, 1)}.",
                        shape_ok=False)
        analytic = _call(d_loss, (p, y), d_name, filename)
        if analytic.shape != (n, 1, m):
            raise _Fail(f"{d_name} returned shape {analytic.shape} for predictions of shape "
                        f"{p.shape}: a loss derivative is a row vector per sample, shape "
                        f"(n, 1, m) = {(n, 1, m)}.", shape_ok=False)
        numeric, kinks = np.empty((n, 1, m)), np.zeros((n, 1, m), bool)
        loss_of = lambda q: loss(q, y)  # noqa: E731
        for k, j in np.ndindex(n, m):
            l_plus, l_minus = _differences(loss_of, p, (k, j), name, filename)
            numeric[k, 0, j] = (l_plus[k, 0] - l_minus[k, 0]) / (2 * H)
            left, right = (l0[k, 0] - l_minus[k, 0]) / H, (l_plus[k, 0] - l0[k, 0]) / H
            kinks[k, 0, j] = abs(left - right) > KINK * max(1.0, abs(left), abs(right))
        max_rel, worst, skipped = _compare(
            analytic, numeric, kinks,
            lambda w: {"input": [float(v) for v in p[w[0]]],
                       "target": [float(v) for v in y[w[0]]], "index": [int(i) for i in w]})
        return _verdict("loss", d_name, max_rel, worst, skipped)
    return _checked(run)


# ------------------------------------------------------------------ optimizer
def _step(opt, params, gradient, label, filename):
    """``opt.update(params, gradient)`` as an array; a _Fail if it raises or returns junk."""
    try:
        out = opt.update(params, gradient)
    except Exception as exc:  # noqa: BLE001
        raise _Fail(f"{label}.update raised {type(exc).__name__}: {exc}",
                    line=_user_line(exc, filename)) from None
    if out is None:
        raise _Fail(f"{label}.update returned None; it must return the new parameters (did "
                    f"it forget `return`?).", shape_ok=False)
    return out


def _fresh(opt):
    try:
        return copy.deepcopy(opt)
    except Exception:  # noqa: BLE001 - an object that cannot be copied is checked as is
        return opt


def check_optimizer(opt, rng=None, filename=None):
    """Check an object with ``.update(old_params, gradient) -> new_params``.

    On a copy of ``opt`` (the learner's object keeps its state): one step on 50 float64
    parameters must return a finite array of shape (50,) that moves against the gradient;
    100 steps on the quadratic ``0.005 * |p - c|**2`` must lower it. Changing ``old_params``
    in place fails unless the same array is returned; a float32 step that returns another
    dtype, changing ``gradient`` and updating in place are reported in the message.
    """
    def run():
        if isinstance(opt, str):
            optimizers.get_optimizer(opt)
            return _result(True, f"built-in {opt!r}: ok")
        if isinstance(opt, type):
            raise _Fail(f"optimizer is the class {opt.__name__}, not an object: create one, "
                        f"e.g. optimizer = {opt.__name__}().", shape_ok=False)
        if not callable(getattr(opt, "update", None)):
            raise _Fail(f"optimizer must be an object with .update(old_params, gradient); got "
                        f"{opt!r}.", shape_ok=False)
        label = type(opt).__name__
        gen = np.random.default_rng(3) if rng is None else rng
        params, gradient = gen.normal(0, 1, 50), gen.normal(0, 1, 50)
        p_in, g_in = params.copy(), gradient.copy()
        new = _step(_fresh(opt), p_in, g_in, label, filename)
        notes = []
        if not np.array_equal(p_in, params):
            if new is not p_in:
                raise _Fail(f"{label}.update changed old_params in place and returned a "
                            f"different array, so a failed step could not be undone; return "
                            f"a new array (e.g. old_params - self.lr * gradient).")
            notes.append("It updates old_params in place and returns it (allowed).")
        if not np.array_equal(g_in, gradient):
            notes.append("It changes the gradient array it is given (harmless here).")
        arr = np.asarray(new)
        if arr.shape != params.shape:
            raise _Fail(f"{label}.update returned shape {arr.shape} for parameters of shape "
                        f"{params.shape}: it must return the new parameters, same shape.",
                        shape_ok=False)
        if arr.dtype.kind != "f" or not np.all(np.isfinite(arr)):
            raise _Fail(f"{label}.update returned non-finite or non-float values "
                        f"(dtype {arr.dtype}).")
        move = arr - params
        if not np.any(move):
            raise _Fail(f"{label}.update returned the parameters unchanged.")
        if float(move @ gradient) >= 0:
            raise _Fail(f"{label}.update moved the parameters along the gradient, not against "
                        f"it: a step must lower the loss (new = old - lr * gradient).")
        small = np.asarray(_step(_fresh(opt), params.astype(np.float32),
                                 gradient.astype(np.float32), label, filename))
        if small.dtype != np.float32:
            notes.append(f"For float32 parameters (what the page trains) it returns "
                         f"{small.dtype}; the network converts it back with a copy per batch.")
        target, trial, p = gen.normal(0, 1, 50), _fresh(opt), np.zeros(50)
        start = 0.005 * float(np.sum(target ** 2))
        for _ in range(100):
            p = np.asarray(_step(trial, p, 0.01 * (p - target), label, filename), np.float64)
        end = 0.005 * float(np.sum((p - target) ** 2))
        if not end < start:
            raise _Fail(f"{label}: 100 steps on 0.005 * |p - c|**2 took it from {start:.4g} to "
                        f"{end:.4g}; an optimizer must lower a simple bowl.")
        return _result(True, " ".join([f"optimizer ok: a step moves against the gradient and "
                                       f"100 steps lower a quadratic from {start:.3g} to "
                                       f"{end:.3g}."] + notes))
    return _checked(run)


CHECKS = {"hidden_activation": check_hidden, "output_activation": check_output,
          "loss": check_loss, "optimizer": check_optimizer}


def check_components(namespace, filename=None):
    """Check every component ``namespace`` defines under the names in ``NAMES``.

    Returns ``{name: result}`` for the names present; a name left out is not listed (the
    Train form's value is used for it). A built-in name (a string) is reported as ok once it
    is known to the registry.
    """
    return {name: CHECKS[name](namespace[name], filename=filename)
            for name in NAMES if name in namespace}
