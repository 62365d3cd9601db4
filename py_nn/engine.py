"""The network's math: forward and backward passes, and the in-place forms they use in training.

Shapes: ``x`` (n, layers[0]); layer i has ``z_i = a_{i-1} @ W_i + b_i`` and ``a_i = f(z_i)``,
both (n, layers[i+1]); ``delta_i`` = d(batch-mean loss)/d z_i, same shape.

Without a :class:`Workspace` every pass allocates its results (prediction, tests). Training
passes a workspace: one set of C-contiguous buffers per batch size, made once and reused, and
the package's own components then run in place on them (the tables below). A user's
component always runs as written, and what it returns is checked.
"""
import numpy as np

from . import activations, kernels, losses

PREDICT_CHUNK = 4096  # rows per forward pass in predict, to bound memory


# ---------------------------------------------------------------- fused output gradients
# Gradient of each sample's loss w.r.t. the output layer's input z, without Jacobians; each
# takes p = f(z) and y, both (n, m), and returns (n, m), into ``out`` when given.
def _softmax_crossentropy(p, y, out=None):
    """softmax + categorical cross-entropy: J^T (-y / p) = p * sum(y) - y (p - y if one-hot)."""
    out = np.multiply(p, np.add.reduce(y, axis=1, keepdims=True), out=out)
    out -= y
    return out


def _identity_mse(p, y, out=None):
    """identity + mse: the Jacobian is I, so the gradient is d_mse itself, 2 (p - y) / m."""
    out = np.subtract(p, y, out=out)
    out *= 2
    out /= p.shape[1]
    return out


def _sigmoid_binary_crossentropy(p, y, out=None):
    """sigmoid + binary cross-entropy: p (1 - p) cancels the denominators: (p - y) / m."""
    out = np.subtract(p, y, out=out)
    out /= p.shape[1]
    return out


FUSED_OUTPUT_GRADIENTS = {
    (activations.softmax, activations.d_softmax,
     losses.categorical_crossentropy, losses.d_categorical_crossentropy): _softmax_crossentropy,
    (activations.identity, activations.d_identity, losses.mse, losses.d_mse): _identity_mse,
    (activations.sigmoid, activations.d_sigmoid_jacobian,
     losses.binary_crossentropy, losses.d_binary_crossentropy): _sigmoid_binary_crossentropy,
}


# ---------------------------------------------------------------- in-place components
# Same operations in the same order as the functions in ``activations``, so the results are
# bit-identical; ``ws`` and ``i`` give the scratch buffers of layer i.
def _relu(z, out, ws, i):
    return np.maximum(z, 0, out=out)


def _tanh(z, out, ws, i):
    return np.tanh(z, out=out)


def _sigmoid(z, out, ws, i):
    np.multiply(z, 0.5, out=out)               # 0.5 * (1 + tanh(0.5 z))
    np.tanh(out, out=out)
    out += 1
    out *= 0.5
    return out


def _softmax(z, out, ws, i):
    row = ws.row[i]                            # (n, 1)
    np.maximum.reduce(z, axis=1, keepdims=True, out=row)   # what np.max / np.sum call
    np.subtract(z, row, out=out)
    np.exp(out, out=out)
    np.add.reduce(out, axis=1, keepdims=True, out=row)
    out /= row
    return out


def _identity(z, out, ws, i):
    return z


def _relu_backward(delta, z, a, ws, i):
    """delta *= d_relu(z): keep delta where z > 0."""
    mask = ws.mask[i]
    np.greater(z, 0, out=mask)
    np.multiply(delta, mask, out=delta)


def _tanh_backward(delta, z, a, ws, i):
    """delta *= 1 - tanh(z)**2, with a = tanh(z)."""
    s = ws.scratch[i]
    np.multiply(a, a, out=s)
    np.subtract(1, s, out=s)
    delta *= s


def _sigmoid_backward(delta, z, a, ws, i):
    """delta *= s (1 - s), with a = s = sigmoid(z)."""
    s = ws.scratch[i]
    np.subtract(1, a, out=s)
    s *= a
    delta *= s


HIDDEN_IN_PLACE = {  # (function, derivative) -> (forward into out, backward on delta)
    (activations.relu, activations.d_relu): (_relu, _relu_backward),
    (activations.tanh, activations.d_tanh): (_tanh, _tanh_backward),
    (activations.sigmoid, activations.d_sigmoid): (_sigmoid, _sigmoid_backward),
}
OUTPUT_IN_PLACE = {activations.softmax: _softmax, activations.sigmoid: _sigmoid,
                   activations.identity: _identity}


class Workspace:
    """Reused buffers for batches of ``rows`` samples of a network with these ``layers``.

    ``x`` (rows, layers[0]), ``y`` (rows, layers[-1]), ``labels``/``pred``/``flat`` (rows,)
    intp, ``offsets`` (rows,) = row * layers[-1], ``picked`` (rows,), ``hit`` (rows,) bool;
    per layer i: ``z[i]``, ``a[i]``, ``delta[i]``, ``scratch[i]``
    (rows, layers[i+1]), ``mask[i]`` bool of the same shape and ``row[i]`` (rows, 1).
    """

    def __init__(self, layers, dtype, rows):
        def new(width, kind=dtype):
            return np.empty((rows, width), dtype=kind)

        outs = layers[1:]
        self.rows = rows
        self.x, self.y = new(layers[0]), new(layers[-1])
        self.labels = np.empty(rows, dtype=np.intp)
        self.pred = np.empty(rows, dtype=np.intp)
        self.hit = np.empty(rows, dtype=bool)
        self.offsets = np.arange(0, rows * layers[-1], layers[-1], dtype=np.intp)  # k * m
        self.flat = np.empty(rows, dtype=np.intp)
        self.picked = np.empty(rows, dtype=dtype)
        self.z = [new(m) for m in outs]
        self.a = [new(m) for m in outs]
        self.delta = [new(m) for m in outs]
        self.scratch = [new(m) for m in outs]
        self.mask = [new(m, bool) for m in outs]
        self.row = [new(1) for _ in outs]


def _mm(a, w, out):
    """``a @ w`` into ``out`` (w's dtype), or into a new buffer if None or a has another dtype."""
    if out is None or a.dtype != out.dtype:
        out = np.empty((a.shape[0], w.shape[1]), dtype=np.result_type(a, w))
    return kernels.mm(a, w, out=out)


def forward(net, x, ws=None):
    """Pass ``x`` (n, layers[0]) through; return ``[(z_i, a_i)]`` per layer (input, output)."""
    io, a = [], x
    last = len(net.weights) - 1
    for i, (w, b) in enumerate(zip(net.weights, net.biases)):
        z = _mm(a, w, ws.z[i] if ws is not None else None)
        z += b
        component = net.output_activation if i == last else net.hidden_activation
        in_place = None
        if ws is not None and z.dtype == net.dtype:
            in_place = (OUTPUT_IN_PLACE.get(component[0]) if i == last else
                        HIDDEN_IN_PLACE.get(component, (None,))[0])
        if in_place is not None:
            a = in_place(z, ws.a[i], ws, i)
        else:
            a = component[0](z)
            if a.shape != z.shape:
                kind = "output_activation" if i == last else "hidden_activation"
                raise ValueError(f"{kind} returned shape {a.shape} for input of shape "
                                 f"{z.shape}; it must return the same shape.")
        io.append((z, a))
    return io


def predict(net, x):
    """Forward pass on checked input, in chunks; returns new (n, layers[-1])."""
    outputs = []
    for start in range(0, len(x), PREDICT_CHUNK):
        outputs.append(forward(net, x[start:start + PREDICT_CHUNK])[-1][1])
    return outputs[0] if len(outputs) == 1 else np.concatenate(outputs)


def mean_loss(net, p, y, labels=None, ws=None):
    """The loss averaged over the samples of p and y (n, m), as a Python float.

    With ``labels`` (n,), the classes of one-hot rows y, and a workspace, softmax with the
    built-in cross-entropy reads one probability per sample: the other terms of its sum are
    0 (and a NaN anywhere in a softmax row is in every entry of it, so nothing is missed).
    """
    if (labels is not None and ws is not None and net.loss[0] is losses.categorical_crossentropy
            and net.output_activation[0] is activations.softmax):
        picked = ws.picked                       # -log(p[k, labels[k]] + EPS), shape (n,)
        np.add(ws.offsets, labels, out=ws.flat)
        p.reshape(-1).take(ws.flat, out=picked, mode="clip")
        picked += losses.EPS
        np.log(picked, out=picked)
        # what np.mean does (sum in the array's dtype, divide as float64, round back),
        # without its Python overhead
        return float(picked.dtype.type(-float(np.add.reduce(picked)) / len(picked)))
    per_sample = net.loss[0](p, y)
    if np.shape(per_sample) != (len(p), 1):
        raise ValueError(f"loss returned shape {np.shape(per_sample)}; expected "
                         f"{(len(p), 1)} (one loss per sample).")
    return float(np.mean(per_sample))


def output_delta(net, z, p, y):
    """Gradient of each sample's loss w.r.t. the output layer input z: (n, m), a new array."""
    if net._fused is not None:
        return net._fused(p, y)
    return jacobian_delta(net, z, p, y)[2]


def jacobian_delta(net, z, p, y):
    """The general (seed's) path to the output delta, for any pair of components.

    Returns ``(d_loss (n, 1, m), jacobians (n, m, m), delta (n, m))`` with
    ``delta = (d_loss @ jacobians)[:, 0, :]``: each sample's loss gradient row vector times
    the output activation's Jacobian at z.
    """
    n, m = p.shape
    d_loss = net.loss[1](p, y)
    if np.shape(d_loss) != (n, 1, m):
        raise ValueError(f"loss derivative returned shape {np.shape(d_loss)}; expected "
                         f"{(n, 1, m)} (a row vector per sample, see py_nn.losses).")
    jacobians = net.output_activation[1](z)
    if np.shape(jacobians) != (n, m, m):
        raise ValueError(f"output_activation derivative returned shape "
                         f"{np.shape(jacobians)}; expected {(n, m, m)} (a Jacobian per "
                         f"sample, see py_nn.activations).")
    return d_loss, jacobians, np.matmul(d_loss, jacobians)[:, 0, :]


def backward(net, x, io, y, ws=None, grad=None, scale=1.0, trace=None):
    """Gradient of the batch-mean loss times ``scale`` as a flat vector (n_params,).

    Written into ``grad = (flat, weight views, bias views)`` when given, else a new vector.
    The scale (an optimizer's ``gradient_scale``, e.g. SGD's lr) is folded into the output
    delta, which is small, instead of costing a pass over all parameters later. A list
    ``trace`` (without ``ws``) receives, from the last layer down, ``{"delta": delta_i}`` and
    below the last, ``"carried": delta_i @ W_i.T`` and ``"d_act": f'(z_{i-1})``
    (``py_nn.stepwise`` shows them).
    """
    flat, d_weights, d_biases = grad if grad is not None else _new_gradient(net)
    z, p = io[-1]
    n = x.shape[0]
    if ws is not None and net._fused is not None and p.dtype == net.dtype:
        delta = net._fused(p, y, out=ws.delta[-1])
        delta /= n
    else:
        delta = output_delta(net, z, p, y) / n
    if scale != 1.0:
        delta *= scale
    hidden = HIDDEN_IN_PLACE.get(net.hidden_activation, (None, None))[1]
    for i in range(len(net.weights) - 1, -1, -1):
        a_prev = x if i == 0 else io[i - 1][1]
        kernels.mm_tn(a_prev, delta, out=d_weights[i])
        np.add.reduce(delta, axis=0, keepdims=True, out=d_biases[i])   # np.sum, less overhead
        if trace is not None:
            trace.append({"delta": delta})
        if i == 0:
            break
        z_prev, a_prev = io[i - 1]
        w = net.weights[i]
        if ws is not None and hidden is not None and delta.dtype == z_prev.dtype == net.dtype:
            delta = kernels.mm_nt(delta, w, out=ws.delta[i - 1])
            hidden(delta, z_prev, a_prev, ws, i - 1)
            continue
        d_act = net.hidden_activation[1](z_prev)
        if np.shape(d_act) != z_prev.shape:
            raise ValueError(f"hidden_activation derivative returned shape "
                             f"{np.shape(d_act)}; expected {z_prev.shape}, the shape "
                             f"of its input (hidden derivatives act elementwise).")
        out = np.empty((delta.shape[0], w.shape[0]), dtype=np.result_type(delta, w))
        delta = kernels.mm_nt(delta, w, out=out) * d_act
        if trace is not None:
            trace[-1].update(carried=out, d_act=d_act)
    return flat


def _new_gradient(net):
    flat = np.empty_like(net.params)
    return (flat, *net._split(flat))
