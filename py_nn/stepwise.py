"""One training step by hand: every stage of the seed's batch step, as plain data.

``step(net, x, y)`` runs what ``fit`` runs for one batch, with py_nn's own code
(``engine.forward``, ``engine.jacobian_delta``, ``engine.backward``, the optimizer's
``update``), and keeps every stage the seed article talks about:

1. forward: per layer ``z = a_prev @ W + b`` and ``a = f(z)``, both (n, k);
2. the loss and its derivative ``d_loss`` (n, 1, m), a row vector per sample;
3. the output activation's Jacobians (n, m, m) and ``delta = d_loss @ J`` (n, m), always by
   this general path, beside the fused shortcut (``p - y``) when the pair has one;
4. backward: per layer the delta carried down through ``W`` and ``f'(z)``, ``dW``, ``db``;
5. the flat parameter and gradient vectors the optimizer gets, its rule and state before and
   after, and the new parameters;
6. the loss and outputs on the same samples with the new parameters.

Each derivative is also compared, at this very input, with central differences in float64,
so a wrong derivative shows at the stage where it goes wrong. Nothing here changes the network
or its optimizer: the step is taken by a deep copy of the optimizer (``copy.deepcopy``, the
one way that works for any object with ``.update``; an optimizer that cannot be copied is
refused). ``apply`` then makes the network take exactly that step and returns what ``undo``
needs to restore it bit for bit. ``check_weight`` compares one weight's backprop gradient
with a central finite difference on a float64 copy of the network.
"""
import copy
import inspect

import numpy as np

from . import engine, gradcheck, validation
from .optimizers import OPTIMIZERS, Optimizer

KINDS = ("W", "b")
FUSED_NOTE = ("The shortcut is d_loss @ J multiplied out by hand: the same gradient, so the two "
              "differ only by floating-point rounding (and the loss's EPS), far below anything "
              "a training step notices; it saves building the (n, m, m) Jacobians.")


# ------------------------------------------------------------------ inputs and copies
def _inputs(net, x, y, dtype=None):
    """(x (n, layers[0]), targets (n, m)) checked; ``y`` as labels (n,), one label, or rows."""
    if np.ndim(y) == 0:
        y = [y]
    x, targets, _ = validation.check_xy(x, y, net.layers, dtype or net.dtype, False)
    return x, targets


def _clone(net, params):
    """A shallow copy of ``net`` using ``params`` (n_params,) (its dtype becomes the copy's),
    for passes only: it shares the components and the optimizer with ``net``."""
    clone = copy.copy(net)
    clone._spare = None
    clone.dtype = params.dtype
    clone._adopt(params)
    return clone


def _trial_optimizer(net, lr):
    """A deep copy of ``net.optimizer`` to step, with ``lr`` set when given."""
    try:
        trial = copy.deepcopy(net.optimizer)
    except Exception as exc:  # noqa: BLE001 - a user's object may refuse in any way
        raise TypeError(
            f"The optimizer {type(net.optimizer).__name__} cannot be copied "
            f"({type(exc).__name__}: {exc}), so its step cannot be shown without changing it. "
            f"Keep its state in plain attributes (NumPy arrays, numbers).") from None
    if lr is not None:
        if not hasattr(trial, "lr"):
            raise ValueError(f"learning rate {lr!r} given, but the optimizer "
                             f"{type(trial).__name__} has no `lr` attribute to set; leave "
                             f"it out to use the optimizer as it is.")
        trial.lr = Optimizer(lr).lr  # Optimizer's check: a number > 0
    return trial


# ------------------------------------------------------------------ derivative checks
def _steps(v):
    """Finite-difference steps for values ``v``: relative below 1 (so a probability never
    steps out of [0, 1] and z never steps over 0), absolute ``gradcheck.H`` above."""
    return gradcheck.H * np.where(v != 0, np.minimum(np.abs(v), 1.0), 1.0)


def _rel_error(analytic, numeric, keep=True):
    """Largest ``|a - n| / max(|a|, |n|, TINY)`` where ``keep`` and the numeric value is
    finite (a probe outside the function's domain, e.g. log of a probability stepped from 0,
    says nothing); a NaN from the analytic side counts as inf. None if nothing is compared."""
    analytic = np.asarray(analytic, dtype=np.float64)
    numeric = np.asarray(numeric, dtype=np.float64)
    err = np.abs(analytic - numeric) / np.maximum(
        np.maximum(np.abs(analytic), np.abs(numeric)), gradcheck.TINY)
    err = np.where(np.isnan(err), np.inf, err)[np.broadcast_to(keep & np.isfinite(numeric),
                                                               err.shape)]
    return float(err.max()) if err.size else None


def _guarded(check):
    """``check()``, or None when a user function fails on the probe inputs (the step itself
    ran, so the failure is in how the check calls it, not in the step). Probes may leave a
    function's domain (log of a negative): no warnings for those, ``_rel_error`` skips them."""
    try:
        with np.errstate(all="ignore"):
            return check()
    except Exception:  # noqa: BLE001
        return None


def _row_jacobians(g, v):
    """Central differences ``out[k, i, j] = d g(v)[k, i] / d v[k, j]`` in float64, for ``g``
    mapping each row on its own; ``v`` (n, m) -> (n, r, m). One batch of rows per sample."""
    v = np.asarray(v, dtype=np.float64)
    out = []
    for row in v:
        h = np.diag(_steps(row))
        plus = np.asarray(g(row + h), dtype=np.float64)    # row j: g(v + h_j e_j)
        minus = np.asarray(g(row - h), dtype=np.float64)
        out.append(((plus - minus) / (2 * np.diag(h))[:, None]).T)
    return np.array(out)


def _f64(*arrays):
    return [np.asarray(a, dtype=np.float64) for a in arrays]


# Each check calls the derivative function itself at this input in float64 (not the step's own
# values): a float32 model holds a confident p only to ~6e-8, so its 1 - p, and the Jacobian made
# of it, can be off by 10% from rounding alone; the check is about the function, not the rounding.
def _check_d_loss(net, p, targets):
    def check():
        p64, t64 = _f64(p, targets)
        numeric = np.array([_row_jacobians(lambda q: net.loss[0](q, np.repeat(t[None], len(q), 0)),
                                           row[None])[0] for row, t in zip(p64, t64)])
        return _rel_error(net.loss[1](p64, t64), numeric)
    return _guarded(check)


def _check_jacobian(net, z):
    def check():
        z64, = _f64(z)
        return _rel_error(net.output_activation[1](z64),
                          _row_jacobians(net.output_activation[0], z64))
    return _guarded(check)


def _check_hidden(net, z):
    """f'(z) against central differences; exact zeros (ReLU's kink) are not compared."""
    def check():
        z64, = _f64(z)
        h = _steps(z64)
        f = net.hidden_activation[0]
        plus, minus = (np.asarray(f(z64 + s), dtype=np.float64) for s in (h, -h))
        numeric = (plus - minus) / (2 * h)
        return _rel_error(net.hidden_activation[1](z64), numeric, z64 != 0)
    return _guarded(check)


# ------------------------------------------------------------------ the optimizer
def _rule(opt):
    """The update rule as text: a built-in's docstring formula, else the user's code."""
    if type(opt) in OPTIMIZERS.values():
        return inspect.cleandoc(type(opt).__doc__).split("\n\n")[1]
    method = "update"
    if isinstance(opt, Optimizer) and type(opt).update is Optimizer.update:
        method = "_apply" if type(opt)._apply is not Optimizer._apply else "_step"
    try:
        return inspect.getsource(getattr(type(opt), method)).strip("\n")
    except (OSError, TypeError):
        return f"new_params = {type(opt).__name__}().update(old_params, gradient)"


def _state(opt, size):
    """``{"vectors": {name: copy (size,)}, "numbers": {name: number}}`` an optimizer holds:
    a built-in's ``state``, settings and step count; for any other object, its attributes
    that are vectors of the parameters' size or plain numbers."""
    if isinstance(opt, Optimizer):
        vectors = dict(opt.state or {})
        numbers = {**opt.get_config(), "iterations": opt.iterations}
    else:
        attrs = dict(vars(opt)) if hasattr(opt, "__dict__") else {}
        vectors = {k: v for k, v in attrs.items()
                   if isinstance(v, np.ndarray) and v.shape == (size,)}
        numbers = {k: v for k, v in attrs.items() if isinstance(v, (int, float, np.number))}
    return {"vectors": {k: np.array(v) for k, v in vectors.items()},
            "numbers": {k: v.item() if isinstance(v, np.generic) else v
                        for k, v in numbers.items()}}


def _update(net, params, gradient, lr):
    """The optimizer's step on a copy: ``{"rule", "optimizer", "before", "after",
    "new_params", "trial"}``; ``trial`` is the stepped copy that ``apply`` adopts."""
    trial = _trial_optimizer(net, lr)
    if isinstance(trial, Optimizer):
        trial.prepare(params)  # a built-in makes its state now (zeros), as on its first step
    before = _state(trial, params.size)
    new = np.asarray(trial.update(params.copy(), gradient.copy()))
    if new.shape != params.shape:
        raise ValueError(f"optimizer.update returned shape {new.shape}; expected "
                         f"{params.shape} (a flat vector of all parameters).")
    return {"rule": _rule(trial), "optimizer": type(trial).__name__, "before": before,
            "after": _state(trial, params.size),
            "new_params": np.array(new, dtype=net.dtype), "trial": trial}


# ------------------------------------------------------------------ the step
def step(net, x, y, lr=None):
    """One training step of ``net`` on ``x``, shown stage by stage; ``net`` is not changed.

    Parameters
    ----------
    net : NeuralNetwork
    x : array-like of shape (n, layers[0]); one sample is ``(1, layers[0])``
    y : int, array-like of shape (n,) class labels, or (n, layers[-1]) target rows
    lr : float, optional
        The learning rate for this step (set on the optimizer's copy, which ``apply`` adopts).

    Returns
    -------
    dict
        ``layers``: ``[{"z", "a"}]`` per layer, (n, layers[i + 1]), the last ``a`` being the
        output; ``logits`` and ``probabilities`` (n, m) are that last ``z`` and ``a``;
        ``targets`` (n, m); ``loss`` (float, mean over the n samples); ``d_loss`` (n, 1, m);
        ``jacobian`` (n, m, m); ``delta`` (n, m) = d_loss @ J per sample; ``fused_delta``
        (n, m) or None, ``fused_rule`` (its formula and ``FUSED_NOTE``, why it may replace
        the Jacobian path) and ``max_delta`` = max |delta - fused_delta| (None without a
        fused pair); ``d_loss_error``, ``jacobian_error`` and ``d_act_error`` below (largest
        relative error against float64 central differences; None if it could not be run);
        ``grads``: per layer ``{"carried": delta of the layer above @ W.T or None, "d_act":
        f'(z) or None (output), "d_act_error", "delta" (n, k), "dW" (layers[i], k),
        "db" (1, k)}``, the batch-mean gradient as ``engine.backward`` makes it (with the
        fused delta where it applies, as training does); ``params`` and ``gradient``
        (n_params,), ``params_length``; ``update``: ``{"optimizer": class name, "rule": text,
        "before", "after": {"vectors", "numbers"}, "new_params" (n_params,), "trial": the
        stepped optimizer copy}``; ``loss_after`` and ``probabilities_after`` (n, m).
    """
    x, targets = _inputs(net, x, y)
    io = engine.forward(net, x)
    z_out, p = io[-1]
    loss = engine.mean_loss(net, p, targets)
    d_loss, jacobians, delta = engine.jacobian_delta(net, z_out, p, targets)
    fused = net._fused(p, targets) if net._fused is not None else None
    trace = []
    gradient = engine.backward(net, x, io, targets, trace=trace)
    d_weights, d_biases = net._split(gradient)
    trace.reverse()  # engine goes from the last layer down; here layer order
    grads = []
    for i, record in enumerate(trace):
        above = trace[i + 1] if i + 1 < len(trace) else {}
        d_act = above.get("d_act")
        grads.append({"carried": above.get("carried"), "d_act": d_act,
                      "d_act_error": None if d_act is None else _check_hidden(net, io[i][0]),
                      "delta": record["delta"], "dW": d_weights[i], "db": d_biases[i]})
    params = net.params.copy()
    update = _update(net, params, gradient, lr)
    after = engine.forward(_clone(net, update["new_params"]), x)[-1][1]
    return {
        "layers": [{"z": z, "a": a} for z, a in io], "logits": z_out, "probabilities": p,
        "targets": targets, "loss": loss, "d_loss": d_loss, "jacobian": jacobians,
        "delta": delta, "d_loss_error": _check_d_loss(net, p, targets),
        "jacobian_error": _check_jacobian(net, z_out),
        "fused_delta": fused,
        "fused_rule": None if fused is None else f"{inspect.getdoc(net._fused)} {FUSED_NOTE}",
        "max_delta": None if fused is None else float(np.max(np.abs(fused - delta))),
        "grads": grads, "params": params, "gradient": gradient,
        "params_length": int(params.size), "update": update,
        "loss_after": engine.mean_loss(net, after, targets), "probabilities_after": after,
    }


def apply(net, record):
    """Make ``net`` take exactly the step ``record`` (from ``step(net, ...)``) shows.

    The parameters become ``record["update"]["new_params"]`` and the optimizer a copy of the
    stepped one (its state, step count and learning rate). Refused, with nothing changed, if
    ``net``'s parameters or optimizer are no longer those the step was computed from.

    Returns
    -------
    dict
        ``{"params": the old parameters (n_params,), "optimizer": the old optimizer object}``,
        for ``undo``.
    """
    old = record["params"]
    if (old.shape != net.params.shape or old.dtype != net.params.dtype
            or old.tobytes() != net.params.tobytes()):
        raise ValueError("This step was computed for other parameters: the model has changed "
                         "since (trained, loaded or stepped). Compute the step again.")
    trial = record["update"]["trial"]
    if type(trial) is not type(net.optimizer):
        raise ValueError(f"This step was computed with a {type(trial).__name__} optimizer but "
                         f"the model now has {type(net.optimizer).__name__}. Compute the step "
                         f"again.")
    saved = {"params": net.params.copy(), "optimizer": net.optimizer}
    net.set_params(record["update"]["new_params"])  # checks it is finite first
    net.optimizer = copy.deepcopy(trial)            # the record stays as it was
    return saved


def undo(net, saved):
    """Restore what ``apply`` returned: the old parameters (bit for bit) and optimizer."""
    net.set_params(saved["params"])
    net.optimizer = saved["optimizer"]


# ------------------------------------------------------------------ one weight, checked
def index(net, layer, kind, i, j):
    """Where ``weights[layer][i, j]`` (``kind="W"``) or ``biases[layer][0, j]`` (``kind="b"``,
    ``i`` must be 0) sits in the flat vectors ``params`` and ``gradient`` (an int); layers
    count from 0. ValueError saying the valid range for a position outside the network."""
    def within(value, size):
        return (isinstance(value, (int, np.integer)) and not isinstance(value, bool)
                and 0 <= value < size)

    count = len(net.weights)
    if not within(layer, count):
        raise ValueError(f"layer must be an integer 0..{count - 1} (the network has {count} "
                         f"weight layers); got {layer!r}.")
    if kind not in KINDS:
        raise ValueError(f"kind must be 'W' (a weight) or 'b' (a bias); got {kind!r}.")
    shape = (net.weights if kind == "W" else net.biases)[layer].shape
    for name, value, size in (("i", i, shape[0]), ("j", j, shape[1])):
        if not within(value, size):
            raise ValueError(f"{name} must be an integer 0..{size - 1} for {kind} of layer "
                             f"{layer}, shape {shape}; got {value!r}.")
    return int(net._split(np.arange(net.n_params))[KINDS.index(kind)][layer][i, j])


def check_weight(net, x, y, layer, kind, i, j):
    """One parameter's gradient by backprop and by a central finite difference, in float64.

    Both are computed on a float64 copy of ``net`` (nothing of ``net`` changes), for the
    batch-mean loss on ``x``, ``y`` (as in ``step``); the parameter is given as in ``index``.

    Returns
    -------
    dict
        ``{"backprop", "numeric", "rel_error", "value": the parameter, "step": h,
        "model_backprop": backprop in the model's own dtype, "index": its place in params}``;
        ``rel_error = |b - n| / max(|b|, |n|, 1e-7)``.
    """
    at = index(net, layer, kind, i, j)
    x64, t64 = _inputs(net, x, y, np.float64)
    net64 = _clone(net, net.params.astype(np.float64))
    backprop = float(engine.backward(net64, x64, engine.forward(net64, x64), t64)[at])
    x_m, t_m = _inputs(net, x, y)
    model = float(engine.backward(net, x_m, engine.forward(net, x_m), t_m)[at])
    flat = net64.params                                  # net64's own copy: safe to change
    value, h = float(flat[at]), gradcheck.H
    losses = []
    for shifted in (value + h, value - h):
        flat[at] = shifted
        losses.append(engine.mean_loss(net64, engine.forward(net64, x64)[-1][1], t64))
    flat[at] = value
    numeric = (losses[0] - losses[1]) / (2 * h)
    return {"backprop": backprop, "numeric": numeric,
            "rel_error": _rel_error(backprop, numeric), "value": value, "step": h,
            "model_backprop": model, "index": at}
