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


def _pair(kind):
    """An unpacker: (function, derivative) from a tuple; a _Fail saying what ``kind`` must be."""
    def unpack(component):
        if (isinstance(component, (tuple, list)) and len(component) == 2
                and all(callable(f) for f in component)):
            return component
        raise _Fail(f"{kind} must be a tuple (function, derivative) of two functions, or a "
                    f"built-in name; got {component!r}.", shape_ok=False)
    return unpack


def _optimizer_object(opt):
    """(opt,) for an object with ``.update``; a _Fail for a class or anything else."""
    if isinstance(opt, type):
        raise _Fail(f"optimizer is the class {opt.__name__}, not an object: create one, "
                    f"e.g. optimizer = {opt.__name__}().", shape_ok=False)
    if not callable(getattr(opt, "update", None)):
        raise _Fail(f"optimizer must be an object with .update(old_params, gradient); got "
                    f"{opt!r}.", shape_ok=False)
    return (opt,)


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


def _row_jacobian(g, x, g0, label, filename):
    """Central differences ``numeric[k, i, j] = d g(x)[k, i] / d x[k, j]``, shape (n, r, m)
    for ``x`` (n, m) and ``g0 = g(x)`` (n, r), and a kink mask of the same shape.

    A _Fail if changing ``x[k, j]`` changes another row: each sample's output must depend on
    that sample alone.
    """
    (n, m), r = x.shape, g0.shape[1]
    numeric, kinks = np.empty((n, r, m)), np.zeros((n, r, m), bool)
    for k, j in np.ndindex(n, m):
        plus, minus = x.copy(), x.copy()
        plus[k, j] += H
        minus[k, j] -= H
        g_plus, g_minus = _call(g, (plus,), label, filename), _call(g, (minus,), label, filename)
        if g_plus.shape != g0.shape or g_minus.shape != g0.shape:
            raise _Fail(f"{label} returned shape {g_plus.shape} after returning {g0.shape} for "
                        f"input of the same shape.", shape_ok=False)
        others = np.abs(g_plus - g0)
        others[k] = 0
        if others.max() > 1e-10 * (1 + np.abs(g0).max()):
            row = int(np.unravel_index(int(others.argmax()), others.shape)[0])
            raise _Fail(f"{label} mixes samples: changing row {k} of its input changed row "
                        f"{row} of its output; each sample's result must depend on that sample "
                        f"alone.")
        numeric[k, :, j] = (g_plus[k] - g_minus[k]) / (2 * H)
        left, right = (g0[k] - g_minus[k]) / H, (g_plus[k] - g0[k]) / H
        kinks[k, :, j] = np.abs(left - right) > KINK * np.maximum.reduce(
            [np.ones(r), np.abs(left), np.abs(right)])
    return numeric, kinks


def _verdict(kind, label, max_rel, worst, skipped):
    extra = f"; {skipped} point(s) on a kink skipped" if skipped else ""
    if max_rel is None:
        return _result(False, f"{label}: every test point sits on a kink, so nothing could be "
                              f"checked; is the function smooth anywhere?", None, True, worst)
    if max_rel <= TOL:
        return _result(True, f"{kind} ok: the derivative matches finite differences (max "
                             f"relative error {max_rel:.1e}){extra}.", max_rel, True, worst)
    w = worst[0]
    at = f"input {w['input']}" + (f", index {w['index']}" if "index" in w else "")
    return _result(False, f"{label} does not match finite differences: max relative error "
                          f"{max_rel:.1e} (pass is <= {TOL:.0e}); worst at {at}: "
                          f"analytic {w['analytic']:.6g}, numeric {w['numeric']:.6g}{extra}.",
                   max_rel, True, worst)


def _checked(component, builtin, unpack, run):
    """A built-in name is ok once ``builtin`` knows it; anything else goes to
    ``run(*unpack(component))``. A _Fail (or a registry's error for an unknown name) becomes a
    failed result."""
    try:
        if isinstance(component, str):
            builtin(component)
            return _result(True, f"built-in {component!r}: ok")
        return run(*unpack(component))
    except _Fail as fail:
        return _result(False, fail.message, None, fail.shape_ok, (), fail.line)
    except (ValueError, TypeError) as exc:  # from a registry's get_*() for a bad name
        return _result(False, str(exc), None, False)


def _shape(label, got, expected, what, given):
    if got != expected:
        raise _Fail(f"{label} returned shape {got} for {given}: {what} {expected}.",
                    shape_ok=False)


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
    def run(f, df):
        name, d_name = _label(f, "the activation"), _label(df, "the derivative")
        z = hidden_points(rng)
        given = f"input of shape {z.shape}"
        f0 = _call(f, (z,), name, filename)
        _shape(name, f0.shape, z.shape, "an activation keeps the shape of its input, (n, m) =",
               given)
        analytic = _call(df, (z,), d_name, filename)
        _shape(d_name, analytic.shape, z.shape,
               "a hidden activation's derivative must be elementwise, shape (n, m) =", given)
        numeric, kinks = _row_jacobian(f, z, f0, name, filename)
        across = np.abs(numeric - numeric * np.eye(z.shape[1]))
        if across.max() > 1e-6 * (1 + np.abs(numeric).max()):
            k, i, j = np.unravel_index(int(across.argmax()), across.shape)
            raise _Fail(f"{name} is not elementwise: changing z[{k}, {j}] changed output "
                        f"[{k}, {i}]. A hidden activation must act on each value alone (a "
                        f"function of the whole row is an output activation).")
        diagonal = np.einsum("kjj->kj", numeric), np.einsum("kjj->kj", kinks)
        return _verdict("hidden activation", d_name, *_compare(
            analytic, *diagonal, lambda w: {"input": float(z[w])}))
    return _checked(component, activations.get_hidden, _pair("hidden_activation"), run)


# ------------------------------------------------------------------ output (Jacobians)
def check_output(component, rng=None, filename=None):
    """Check an output activation ``(f, jac)``: ``jac(z)[k, i, j] = d f(z)[k, i] / d z[k, j]``.

    ``z`` has shape (3, 4); ``f(z)`` must be (3, 4) and ``jac(z)`` (3, 4, 4).
    """
    def run(f, jac):
        name, d_name = _label(f, "the activation"), _label(jac, "the derivative")
        z = (np.random.default_rng(1) if rng is None else rng).normal(0, 2, (3, 4))
        given = f"input of shape {z.shape}"
        f0 = _call(f, (z,), name, filename)
        _shape(name, f0.shape, z.shape, "an output activation maps each row to a row of the "
                                        "same size, (n, m) =", given)
        analytic = _call(jac, (z,), d_name, filename)
        _shape(d_name, analytic.shape, (3, 4, 4), "an output activation's derivative must be "
                                                  "a Jacobian per sample, shape (n, m, m) =", given)
        numeric, kinks = _row_jacobian(f, z, f0, name, filename)
        return _verdict("output activation", d_name, *_compare(
            analytic, numeric, kinks,
            lambda w: {"input": [float(v) for v in z[w[0]]], "index": [int(i) for i in w]}))
    return _checked(component, activations.get_output, _pair("output_activation"), run)


# ------------------------------------------------------------------ loss
def check_loss(component, rng=None, filename=None):
    """Check a loss ``(loss, d_loss)``: ``d_loss(p, y)[k, 0, j] = d loss(p, y)[k, 0] / d p[k, j]``.

    ``p`` (predictions in [0.05, 0.95]) and ``y`` (one-hot) have shape (4, 5); ``loss`` must
    return (4, 1) and ``d_loss`` (4, 1, 5).
    """
    def run(loss, d_loss):
        name, d_name = _label(loss, "the loss"), _label(d_loss, "the derivative")
        gen = np.random.default_rng(2) if rng is None else rng
        p = gen.uniform(0.05, 0.95, (4, 5))
        y = np.eye(5)[gen.integers(0, 5, 4)]
        given = f"predictions of shape {p.shape}"
        l0 = _call(loss, (p, y), name, filename)
        _shape(name, l0.shape, (4, 1), "a loss returns one value per sample, shape (n, 1) =", given)
        analytic = _call(d_loss, (p, y), d_name, filename)
        _shape(d_name, analytic.shape, (4, 1, 5), "a loss derivative is a row vector per "
                                                  "sample, shape (n, 1, m) =", given)
        numeric, kinks = _row_jacobian(lambda q: loss(q, y), p, l0, name, filename)
        return _verdict("loss", d_name, *_compare(
            analytic, numeric, kinks,
            lambda w: {"input": [float(v) for v in p[w[0]]],
                       "target": [float(v) for v in y[w[0]]], "index": [int(i) for i in w]}))
    return _checked(component, losses.get_loss, _pair("loss"), run)


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
    def run(opt):
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
    return _checked(opt, optimizers.get_optimizer, _optimizer_object, run)


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
