"""Looking inside a trained NeuralNetwork: each layer's outputs, a model summary, mistakes,
per-class accuracy, what first-layer neurons respond to, and weight histograms.

Works on any network through its public attributes only: ``layers``, ``weights[i]`` of
shape ``(layers[i], layers[i + 1])``, ``biases[i]`` of shape ``(1, layers[i + 1])``,
``hidden_activation`` and ``output_activation`` (``(function, derivative)`` tuples). Results
are NumPy arrays or plain lists and dicts of Python numbers, ready for JSON.
"""
import numpy as np

_CHUNK = 4096  # rows per forward pass, to bound memory


def _rows(net, x, name="x"):
    """``x`` as a float array of shape (n, layers[0]) in the network's dtype; one row allowed."""
    arr = np.asarray(x)
    n_in = net.layers[0]
    if arr.ndim == 1 and arr.size == n_in:
        arr = arr.reshape(1, n_in)
    if arr.dtype.kind not in "biuf" or arr.ndim != 2 or arr.shape[1] != n_in:
        raise ValueError(f"{name} must be numbers of shape (n, {n_in}) or ({n_in},) for layers "
                         f"{net.layers}; got shape {arr.shape} and dtype {arr.dtype}.")
    return arr.astype(net.dtype, copy=False)


def _activation_name(component):
    name = getattr(component, "name", None)
    return name or getattr(component[0], "__name__", None) or "custom"


def _forward(net, x):
    """(hidden activations [(n, layers[i])], logits (n, layers[-1])) for checked rows ``x``."""
    hidden, a = [], x
    last = len(net.weights) - 1
    for i, (w, b) in enumerate(zip(net.weights, net.biases)):
        z = np.matmul(a, w) + b
        if i == last:
            return hidden, z
        a = net.hidden_activation[0](z)
        hidden.append(a)


def layer_outputs(net, x):
    """Every layer's output for inputs ``x``.

    Parameters
    ----------
    x : array-like of shape (n, layers[0]), or (layers[0],) for one input

    Returns
    -------
    dict
        ``"layers"``: list of arrays, one per hidden layer, of shape (n, layers[i]);
        ``"logits"``: the output layer's input (before its activation), (n, layers[-1]);
        ``"probabilities"``: the output activation of the logits, (n, layers[-1]).
    """
    x = _rows(net, x)
    parts = [_forward(net, x[start:start + _CHUNK]) for start in range(0, len(x), _CHUNK)]
    layers = [np.concatenate([p[0][i] for p in parts]) for i in range(len(net.layers) - 2)]
    logits = np.concatenate([p[1] for p in parts])
    return {"layers": layers, "logits": logits,
            "probabilities": net.output_activation[0](logits)}


def _relu_like(component):
    """True if the activation is 0 for negative inputs and positive above 0 (ReLU-like)."""
    probe = np.array([[-3.0, -1.0, -0.1, 0.1, 1.0, 3.0]])
    try:
        out = np.asarray(component[0](probe), dtype=np.float64)
    except Exception:  # noqa: BLE001 - a custom activation that fails here is not ReLU-like
        return False
    return out.shape == probe.shape and np.all(out[0, :3] == 0) and np.all(out[0, 3:] > 0)


def summary(net, x_heldout=None):
    """A row per layer (dense layer ``i`` maps ``layers[i - 1]`` to ``layers[i]`` nodes).

    Each row: ``{"layer": i, "name": "hidden i" or "output", "shape": [fan_in, fan_out],
    "params": fan_in * fan_out + fan_out, "activation": name, "min", "max", "mean", "std"}``
    (statistics of the layer's weights, biases not included) and ``"deadShare"``: the share
    of the layer's units that output 0 for every row of ``x_heldout`` (n, layers[0]), for a
    ReLU-like hidden activation; None for the output layer, other activations or without
    ``x_heldout``.
    """
    n_layers = len(net.weights)
    dead = [None] * n_layers
    if x_heldout is not None and _relu_like(net.hidden_activation):
        for i, a in enumerate(layer_outputs(net, x_heldout)["layers"]):
            dead[i] = float(np.mean(np.all(a == 0, axis=0)))
    rows = []
    for i, (w, b) in enumerate(zip(net.weights, net.biases)):
        output = i == n_layers - 1
        rows.append({
            "layer": i + 1, "name": "output" if output else f"hidden {i + 1}",
            "shape": [int(s) for s in w.shape], "params": int(w.size + b.size),
            "activation": _activation_name(net.output_activation if output
                                           else net.hidden_activation),
            "min": float(w.min()), "max": float(w.max()), "mean": float(w.mean()),
            "std": float(w.std()), "deadShare": dead[i]})
    return rows


def _labels(y, n, name="y"):
    arr = np.asarray(y)
    if arr.ndim != 1 or len(arr) != n or arr.dtype.kind not in "iub":
        raise ValueError(f"{name} must be {n} integer class labels, shape ({n},); got shape "
                         f"{arr.shape} and dtype {arr.dtype}.")
    return arr.astype(np.intp)  # bincount wants the platform's index type (int32 in wasm32)


def mistakes(net, x, y, limit=None, true=None, predicted=None):
    """The inputs the network gets wrong, most confidently wrong first.

    Parameters
    ----------
    x : array-like of shape (n, layers[0])
    y : array-like of shape (n,), integer class labels
    limit : int, optional
        At most this many.
    true, predicted : int, optional
        Keep only mistakes with this true label / this predicted label.

    Returns
    -------
    list of dict
        ``{"index", "label", "predicted", "probabilities"}`` (index into ``x``; the output
        row as a list), sorted by the probability of the wrong answer, highest first.
    """
    x = _rows(net, x)
    y = _labels(y, len(x))
    probs = layer_outputs(net, x)["probabilities"]
    pred = probs.argmax(axis=1)
    keep = pred != y
    if true is not None:
        keep &= y == int(true)
    if predicted is not None:
        keep &= pred == int(predicted)
    index = np.flatnonzero(keep)
    confidence = probs[index, pred[index]]
    index = index[np.argsort(-confidence, kind="stable")]
    if limit is not None:
        index = index[:max(int(limit), 0)]
    return [{"index": int(i), "label": int(y[i]), "predicted": int(pred[i]),
             "probabilities": [float(p) for p in probs[i]]} for i in index]


def per_class_accuracy(y, pred, classes):
    """Accuracy per true class.

    Parameters
    ----------
    y, pred : array-like of shape (n,), integer labels (true and predicted)
    classes : int, the number of classes

    Returns
    -------
    list of dict
        ``{"class", "total", "correct", "accuracy"}`` per class 0 .. classes - 1;
        ``accuracy`` is None for a class with no samples.
    """
    y = _labels(y, len(np.asarray(y)))
    pred = _labels(pred, len(y), "pred")
    total = np.bincount(y, minlength=classes)[:classes]
    correct = np.bincount(y[y == pred], minlength=classes)[:classes]
    return [{"class": c, "total": int(total[c]), "correct": int(correct[c]),
             "accuracy": float(correct[c] / total[c]) if total[c] else None}
            for c in range(classes)]


def top_inputs(net, neuron, x, k=9):
    """Indices of the ``k`` rows of ``x`` (n, layers[0]) that excite first-layer ``neuron`` most.

    Ranked by the neuron's input ``x @ weights[0][:, neuron] + biases[0][0, neuron]``, which
    orders the rows as the activation does for any increasing activation (and still orders
    rows where ReLU outputs 0). Returns a list of ints, strongest first.
    """
    size = net.layers[1]
    if isinstance(neuron, bool) or not isinstance(neuron, (int, np.integer)) or \
            not 0 <= neuron < size:
        raise ValueError(f"neuron must be an integer 0..{size - 1} (the first layer has {size} "
                         f"units); got {neuron!r}.")
    x = _rows(net, x)
    z = np.matmul(x, net.weights[0][:, neuron]) + net.biases[0][0, neuron]
    return [int(i) for i in np.argsort(-z, kind="stable")[:max(int(k), 0)]]


def first_layer_weights(net):
    """The first layer's weights per neuron, shape (layers[1], layers[0]) (a copy).

    Row ``j`` holds the weights from every input to neuron ``j``; for MNIST reshape a row
    to (28, 28) to see what the neuron looks for.
    """
    return np.array(net.weights[0].T)


def weight_histogram(net, bins=30, edges=None):
    """A histogram of each layer's weights.

    Parameters
    ----------
    bins : int
        Number of bins per layer, spanning the layer's min to max weight.
    edges : list of array-like, optional
        Bin edges per layer to reuse (e.g. from an earlier histogram, so "at the start" and
        "now" share bins); weights outside them are not counted.

    Returns
    -------
    list of dict
        ``{"layer": i, "edges": [bins + 1 floats], "counts": [bins ints]}`` per layer.
    """
    if edges is not None and len(edges) != len(net.weights):
        raise ValueError(f"edges must hold one array per layer ({len(net.weights)}); got "
                         f"{len(edges)}.")
    out = []
    for i, w in enumerate(net.weights):
        spec = bins if edges is None else np.asarray(edges[i], dtype=np.float64)
        counts, used = np.histogram(w, bins=spec)
        out.append({"layer": i + 1, "edges": [float(e) for e in used],
                    "counts": [int(c) for c in counts]})
    return out


def compare_histograms(start, now, bins=30):
    """Histograms of two sets of weights (e.g. at the start of training and now) on shared bins.

    Parameters
    ----------
    start : list of ndarray, or None; now : list of ndarray (one weight matrix per layer)
    bins : int, bins per layer spanning both sets' min to max

    Returns
    -------
    list of dict
        ``{"layer": i, "edges": [bins + 1], "now": [bins ints], "start": [bins ints] or None}``.
    """
    if start is not None and len(start) != len(now):
        raise ValueError(f"start has {len(start)} layers of weights but now has {len(now)}.")
    out = []
    for i, w in enumerate(now):
        lo, hi = float(np.min(w)), float(np.max(w))
        if start is not None:
            lo, hi = min(lo, float(np.min(start[i]))), max(hi, float(np.max(start[i])))
        if hi <= lo:
            lo, hi = lo - 0.5, hi + 0.5
        edges = np.linspace(lo, hi, int(bins) + 1)
        row = {"layer": i + 1, "edges": [float(e) for e in edges],
               "now": [int(c) for c in np.histogram(w, bins=edges)[0]], "start": None}
        if start is not None:
            row["start"] = [int(c) for c in np.histogram(start[i], bins=edges)[0]]
        out.append(row)
    return out
