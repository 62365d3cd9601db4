"""The NeuralNetwork class: a multilayer perceptron trained by backpropagation.

Activations, loss and optimizer come from outside (see ``activations``, ``losses``,
``optimizers``), as in the seed article. Shapes used throughout:

- ``x``: ``(n_samples, layers[0])``; ``y``: ``(n_samples, layers[-1])`` (or integer labels
  ``(n_samples,)`` with ``categorical=True``).
- ``weights[i]``: ``(layers[i], layers[i + 1])``; ``biases[i]``: ``(1, layers[i + 1])``.
- All weights and biases are views into one flat vector ``params`` of shape ``(n_params,)``,
  laid out as all weights then all biases; the optimizer reads and returns such vectors, so
  splitting them back costs nothing.
"""
import math

import numpy as np

from . import activations, kernels, losses, serialization
from .activations import get_hidden, get_output
from .losses import get_loss
from .optimizers import get_optimizer
from .utils import _as_labels

# (output fn, output derivative, loss fn, loss derivative) -> gradient of the per-sample loss
# with respect to the output layer's input z, computed without building Jacobians.
_FUSED_OUTPUT_GRADIENTS = {
    # softmax + categorical cross-entropy: J^T (-y / p) = p * sum(y) - y, i.e. p - y for one-hot y
    (activations.softmax, activations.d_softmax,
     losses.categorical_crossentropy, losses.d_categorical_crossentropy):
        lambda p, y: p * y.sum(axis=1, keepdims=True) - y,
    # identity + mse: the Jacobian is I, so the gradient is d_mse itself
    (activations.identity, activations.d_identity, losses.mse, losses.d_mse):
        lambda p, y: 2 * (p - y) / p.shape[1],
    # sigmoid + binary cross-entropy: p (1 - p) cancels the denominators
    (activations.sigmoid, activations.d_sigmoid_jacobian,
     losses.binary_crossentropy, losses.d_binary_crossentropy):
        lambda p, y: (p - y) / p.shape[1],
}

_DTYPES = ("float32", "float64")
_PREDICT_CHUNK = 4096  # rows per forward pass in predict, to bound memory


def _positive_int(value, name):
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise ValueError(f"{name} must be an integer >= 1; got {value!r}.")
    return int(value)


class NeuralNetwork:
    """A fully connected network.

    Parameters
    ----------
    layers : list of int
        Node counts including input and output, e.g. ``[784, 128, 10]``.
    hidden_activation, output_activation, loss : name or (function, derivative) tuple
        See ``py_nn.activations`` and ``py_nn.losses`` for the shapes each must keep.
    optimizer : name or object with ``.update(old_params, gradient)``
        E.g. ``SGD()``, ``Adam(lr=0.01)`` or ``"adam"``.
    dtype : ``"float64"`` (default) or ``"float32"``
    seed : int, optional
        Seeds weight initialization and shuffling.
    """

    def __init__(self, layers, hidden_activation="relu", output_activation="softmax",
                 loss="categorical_crossentropy", optimizer="sgd", dtype="float64", seed=None):
        if (not isinstance(layers, (list, tuple)) or len(layers) < 2
                or not all(isinstance(n, (int, np.integer)) and not isinstance(n, bool)
                           and n >= 1 for n in layers)):
            raise ValueError(f"layers must be a list of at least 2 positive integers (input, "
                             f"hidden..., output), e.g. [784, 128, 10]; got {layers!r}.")
        if str(np.dtype(dtype) if isinstance(dtype, type) else dtype) not in _DTYPES:
            raise ValueError(f"dtype must be 'float32' or 'float64'; got {dtype!r}.")
        self.layers = [int(n) for n in layers]
        self.hidden_activation = get_hidden(hidden_activation)
        self.output_activation = get_output(output_activation)
        self.loss = get_loss(loss)
        self.optimizer = get_optimizer(optimizer)
        self.dtype = np.dtype(dtype)
        self.seed = seed
        self.rng = np.random.default_rng(seed)
        self.history = {"loss": [], "accuracy": [], "val_loss": [], "val_accuracy": []}
        self.metadata = {}
        self._fused = _FUSED_OUTPUT_GRADIENTS.get(
            (*self.output_activation, *self.loss))
        self._set_params(self._initial_params())

    # ------------------------------------------------------------ parameters
    @property
    def n_params(self):
        return sum(i * o + o for i, o in zip(self.layers, self.layers[1:]))

    @property
    def params(self):
        """The flat parameter vector, shape (n_params,); weights and biases are views of it."""
        return self._params

    def _initial_params(self):
        """Xavier-style: N(0, sqrt(2 / (fan_in + fan_out))) for weights and biases."""
        weights, biases = [], []
        for fan_in, fan_out in zip(self.layers, self.layers[1:]):
            std = math.sqrt(2 / (fan_in + fan_out))
            weights.append(self.rng.normal(0, std, (fan_in, fan_out)))
            biases.append(self.rng.normal(0, std, (1, fan_out)))
        return np.concatenate([a.ravel() for a in weights + biases]).astype(self.dtype)

    def _set_params(self, flat):
        """Adopt ``flat`` (n_params,) as the parameter buffer and rebuild the views into it."""
        self._params = flat
        self.weights, self.biases = self._split(flat)

    def _split(self, flat):
        """Views of ``flat`` shaped as the weight matrices and bias rows."""
        pairs = list(zip(self.layers, self.layers[1:]))
        weights, offset = [], 0
        for fan_in, fan_out in pairs:
            weights.append(flat[offset:offset + fan_in * fan_out].reshape(fan_in, fan_out))
            offset += fan_in * fan_out
        biases = []
        for _, fan_out in pairs:
            biases.append(flat[offset:offset + fan_out].reshape(1, fan_out))
            offset += fan_out
        return weights, biases

    # ------------------------------------------------------------ forward / backward
    def _forward(self, x):
        """Pass ``x`` (n, layers[0]) through; return ``[(z_i, a_i)]`` per layer (input, output)."""
        io, a = [], x
        last = len(self.weights) - 1
        for i, (w, b) in enumerate(zip(self.weights, self.biases)):
            z = kernels.mm(a, w)
            z += b
            act = self.output_activation[0] if i == last else self.hidden_activation[0]
            a = act(z)
            if a.shape != z.shape:
                kind = "output_activation" if i == last else "hidden_activation"
                raise ValueError(f"{kind} returned shape {a.shape} for input of shape "
                                 f"{z.shape}; it must return the same shape.")
            io.append((z, a))
        return io

    def _output_delta(self, z, p, y):
        """Gradient of each sample's loss w.r.t. the output layer input z: (n, m)."""
        if self._fused is not None:
            return self._fused(p, y)
        n, m = p.shape
        d_loss = self.loss[1](p, y)
        if np.shape(d_loss) != (n, 1, m):
            raise ValueError(f"loss derivative returned shape {np.shape(d_loss)}; expected "
                             f"{(n, 1, m)} (a row vector per sample, see py_nn.losses).")
        jacobians = self.output_activation[1](z)
        if np.shape(jacobians) != (n, m, m):
            raise ValueError(f"output_activation derivative returned shape "
                             f"{np.shape(jacobians)}; expected {(n, m, m)} (a Jacobian per "
                             f"sample, see py_nn.activations).")
        return np.matmul(d_loss, jacobians)[:, 0, :]

    def _backward(self, x, io, y):
        """Gradient of the batch-mean loss as a flat vector (n_params,)."""
        grad = np.empty_like(self._params)
        d_weights, d_biases = self._split(grad)
        z, p = io[-1]
        delta = self._output_delta(z, p, y) / x.shape[0]
        for i in range(len(self.weights) - 1, -1, -1):
            a_prev = x if i == 0 else io[i - 1][1]
            kernels.mm_tn(a_prev, delta, out=d_weights[i])
            np.sum(delta, axis=0, keepdims=True, out=d_biases[i])
            if i > 0:
                z_prev = io[i - 1][0]
                d_act = self.hidden_activation[1](z_prev)
                if np.shape(d_act) != z_prev.shape:
                    raise ValueError(f"hidden_activation derivative returned shape "
                                     f"{np.shape(d_act)}; expected {z_prev.shape}, the shape "
                                     f"of its input (hidden derivatives act elementwise).")
                delta = kernels.mm_nt(delta, self.weights[i]) * d_act
        return grad

    def _apply_update(self, grad, where):
        """Ask the optimizer for new parameters; adopt them only if they are usable."""
        new = np.asarray(self.optimizer.update(self._params, grad))
        if new.shape != self._params.shape:
            raise ValueError(f"optimizer.update returned shape {new.shape}; expected "
                             f"{self._params.shape} (a flat vector of all parameters).")
        if not math.isfinite(new.sum()):  # one pass, no temporary: NaN and inf propagate
            raise FloatingPointError(
                f"Training diverged at {where}: the update made some weights NaN or inf. The "
                f"model keeps its weights from before this batch; lower the learning rate.")
        if new is not self._params:
            self._set_params(np.ascontiguousarray(new, dtype=self.dtype))

    # ------------------------------------------------------------ input checks
    def _check_x(self, x, name="x"):
        try:
            arr = np.asarray(x)
        except ValueError as exc:
            raise ValueError(f"{name} must be a 2-D array of numbers, {self.layers[0]} in every "
                             f"row; NumPy could not make one ({str(exc).split('.')[0]}). Check "
                             f"that every row has {self.layers[0]} numbers.") from None
        if arr.dtype.kind not in "biuf":
            raise TypeError(f"{name} must hold numbers; got dtype {arr.dtype}. Convert it first, "
                            f"e.g. np.asarray({name.split()[-1]}, dtype=float).")
        n_in = self.layers[0]
        if arr.ndim != 2 or arr.shape[1] != n_in:
            hint = (" For a single sample use x.reshape(1, -1)."
                    if arr.ndim == 1 and arr.size == n_in else "")
            raise ValueError(f"{name} must have shape (n_samples, {n_in}) for layers "
                             f"{self.layers}; got shape {arr.shape}.{hint}")
        if arr.shape[0] == 0:
            raise ValueError(f"{name} is empty: it has 0 samples; give at least one.")
        if arr.dtype.kind == "f" and not np.all(np.isfinite(arr)):
            row = int(np.argwhere(~np.isfinite(arr))[0, 0])
            raise ValueError(f"{name} contains NaN or inf (first in row {row}); remove or "
                             f"replace those values.")
        return arr.astype(self.dtype, copy=False)

    def _check_labels(self, y, name="y"):
        labels = _as_labels(y, name)
        m = self.layers[-1]
        if labels.size and labels.max() >= m:
            raise ValueError(f"{name} has class label {labels.max()} but the output layer has "
                             f"{m} nodes, so labels must be 0..{m - 1}.")
        return labels

    def _check_targets(self, y, name="y"):
        """Targets of shape (n, m) as an array of the model dtype."""
        arr = np.asarray(y)
        m = self.layers[-1]
        if arr.ndim == 1 and m == 1:
            arr = arr[:, None]
        if arr.dtype.kind not in "biuf":
            raise TypeError(f"{name} must hold numbers; got dtype {arr.dtype}. Convert it first, "
                            f"e.g. np.asarray({name.split()[-1]}, dtype=float).")
        if arr.ndim != 2 or arr.shape[1] != m:
            raise ValueError(f"{name} must have shape (n_samples, {m}) for layers "
                             f"{self.layers}, or be integer class labels of shape "
                             f"(n_samples,); got shape {arr.shape}.")
        if arr.dtype.kind == "f" and not np.all(np.isfinite(arr)):
            raise ValueError(f"{name} contains NaN or inf; remove or replace those values.")
        return arr.astype(self.dtype, copy=False)

    def _targets_and_labels(self, y, name, categorical):
        """(targets (n, m), labels (n,) or None) from integer labels or target rows."""
        arr = np.asarray(y)
        if categorical or (arr.ndim == 1 and self.layers[-1] > 1):
            labels = self._check_labels(arr, name)
            targets = np.eye(self.layers[-1], dtype=self.dtype)[labels]
            return targets, labels
        targets = self._check_targets(arr, name)
        one_hot = (targets.shape[1] > 1 and np.all((targets == 0) | (targets == 1))
                   and np.all(targets.sum(axis=1) == 1))
        return targets, (targets.argmax(axis=1) if one_hot else None)

    def _check_xy(self, x, y, categorical, prefix=""):
        """(x, targets (n, m), labels (n,) or None), checked and of the same length."""
        x = self._check_x(x, f"{prefix}x")
        targets, labels = self._targets_and_labels(y, f"{prefix}y", categorical)
        if len(targets) != len(x):
            raise ValueError(f"{prefix}x and y must have the same number of samples; got "
                             f"{len(x)} and {len(targets)}.")
        return x, targets, labels

    # ------------------------------------------------------------ training
    def fit_steps(self, x, y, batch_size, epochs, categorical=False, validation_data=None,
                  shuffle=True):
        """Train step by step: a generator that yields after every batch and every epoch.

        All inputs are checked now, before anything changes. Each batch updates the model,
        then yields ``{"event": "batch", "epoch", "epochs", "batch", "batches", "loss",
        "accuracy", "samples"}`` (running means over the epoch so far; accuracy is None when
        y is not class labels). Each epoch end appends to ``self.history`` and yields
        ``{"event": "epoch", "epoch", "epochs", "loss", "accuracy", "val_loss",
        "val_accuracy"}``. Stop early by not asking for the next item.

        Parameters
        ----------
        x : array-like of shape (n_samples, layers[0])
        y : array-like of shape (n_samples, layers[-1]), or (n_samples,) integer labels
            with ``categorical=True``
        batch_size, epochs : int >= 1
        validation_data : (x_val, y_val), optional
            ``y_val`` as integer labels or target rows; adds val_loss and val_accuracy.
        shuffle : bool
            Reshuffle the samples every epoch (with the model's ``seed``).
        """
        batch_size = _positive_int(batch_size, "batch_size")
        epochs = _positive_int(epochs, "epochs")
        x, targets, labels = self._check_xy(x, y, categorical)
        val = None
        if validation_data is not None:
            if not (isinstance(validation_data, (tuple, list)) and len(validation_data) == 2):
                raise ValueError(f"validation_data must be a tuple (x_val, y_val); got "
                                 f"{type(validation_data).__name__}.")
            val = self._check_xy(*validation_data, categorical, prefix="validation ")
        return self._train(x, targets, labels, batch_size, epochs, shuffle, val)

    def _train(self, x, y, labels, batch_size, epochs, shuffle, val):
        n = len(x)
        batches = math.ceil(n / batch_size)
        for epoch in range(1, epochs + 1):
            order = self.rng.permutation(n) if shuffle else np.arange(n)
            loss_sum, correct, seen = 0.0, 0, 0
            for batch in range(1, batches + 1):
                idx = order[(batch - 1) * batch_size: batch * batch_size]
                xb, yb = x[idx], y[idx]
                io = self._forward(xb)
                p = io[-1][1]
                batch_loss = self._mean_loss(p, yb)
                where = f"epoch {epoch}, batch {batch}"
                if not math.isfinite(batch_loss):
                    raise FloatingPointError(
                        f"Training diverged at {where}: the loss is {batch_loss}. The model "
                        f"keeps its weights from before this batch; lower the learning rate.")
                self._apply_update(self._backward(xb, io, yb), where)
                loss_sum += batch_loss * len(idx)
                seen += len(idx)
                if labels is not None:
                    correct += int(np.count_nonzero(p.argmax(axis=1) == labels[idx]))
                yield {"event": "batch", "epoch": epoch, "epochs": epochs, "batch": batch,
                       "batches": batches, "loss": loss_sum / seen,
                       "accuracy": correct / seen if labels is not None else None,
                       "samples": seen}
            record = {"loss": loss_sum / seen,
                      "accuracy": correct / seen if labels is not None else None,
                      "val_loss": None, "val_accuracy": None}
            if val is not None:
                x_val, y_val, val_labels = val
                p_val = self._predict(x_val)
                record["val_loss"] = self._mean_loss(p_val, y_val)
                if val_labels is not None:
                    record["val_accuracy"] = float(np.mean(p_val.argmax(axis=1) == val_labels))
            for key, value in record.items():
                self.history[key].append(value)
            yield {"event": "epoch", "epoch": epoch, "epochs": epochs, **record}

    def fit(self, x, y, batch_size, epochs, categorical=False, validation_data=None,
            shuffle=True, verbose=True, callback=None):
        """Train with mini-batches on the gradient of the batch-mean loss.

        ``callback(event)`` is called with every dict ``fit_steps`` yields; returning False
        stops training. ``verbose`` prints progress and the running loss per batch.

        Returns
        -------
        list of float
            The loss of each finished epoch.
        """
        epoch_losses = []
        steps = self.fit_steps(x, y, batch_size, epochs, categorical, validation_data, shuffle)
        for event in steps:
            if verbose:
                _print_progress(event)
            if event["event"] == "epoch":
                epoch_losses.append(event["loss"])
            if callback is not None and callback(event) is False:
                steps.close()
                break
        return epoch_losses

    # ------------------------------------------------------------ inference
    def _predict(self, x):
        """Forward pass on checked input, in chunks; returns (n, layers[-1])."""
        outputs = []
        for start in range(0, len(x), _PREDICT_CHUNK):
            outputs.append(self._forward(x[start:start + _PREDICT_CHUNK])[-1][1])
        return outputs[0] if len(outputs) == 1 else np.concatenate(outputs)

    def _mean_loss(self, p, y):
        per_sample = self.loss[0](p, y)
        if np.shape(per_sample) != (len(p), 1):
            raise ValueError(f"loss returned shape {np.shape(per_sample)}; expected "
                             f"{(len(p), 1)} (one loss per sample).")
        return float(np.mean(per_sample))

    def predict(self, x, labels=False):
        """Output activations (n, layers[-1]), or class labels (n,) with ``labels=True``."""
        p = self._predict(self._check_x(x))
        return p.argmax(axis=1) if labels else p

    def score(self, x, y, accuracy=False):
        """Average loss (y as target rows, or integer labels for a classifier), or accuracy
        (y as integer labels, or one-hot rows) with ``accuracy=True``."""
        x, targets, labels = self._check_xy(x, y, categorical=False)
        p = self._predict(x)
        if accuracy:
            if labels is None:
                raise ValueError("accuracy needs y as integer class labels (or one-hot rows).")
            return float(np.mean(p.argmax(axis=1) == labels))
        return self._mean_loss(p, targets)

    # ------------------------------------------------------------ persistence
    def save(self, path):
        """Save weights and biases (only) to ``path`` as a NumPy ``.npz`` file."""
        arrays = {f"weights_{i}": w for i, w in enumerate(self.weights)}
        arrays.update({f"biases_{i}": b for i, b in enumerate(self.biases)})
        with open(path, "wb") as f:
            np.savez(f, **arrays)

    def load(self, path):
        """Load weights and biases saved by ``save``; they must fit this network's layers.

        Nothing changes unless the whole file is valid.
        """
        self._set_params(serialization.read_npz_params(path, self))

    def to_json(self, include_optimizer=False, metadata=None):
        """The whole model as a JSON string (see ``py_nn.serialization``).

        ``metadata``, if given, replaces ``self.metadata`` and is saved with the model.
        """
        return serialization.to_json(self, include_optimizer=include_optimizer, metadata=metadata)

    @classmethod
    def from_json(cls, text, custom_objects=None):
        """A new network from ``to_json`` output; ValueError if the document is not valid."""
        return serialization.from_json(text, custom_objects=custom_objects)

    def save_model(self, path, include_optimizer=False, metadata=None):
        """Write ``to_json()`` to ``path``."""
        serialization.save_model(self, path, include_optimizer=include_optimizer,
                                 metadata=metadata)

    def __repr__(self):
        return (f"NeuralNetwork(layers={self.layers}, hidden_activation="
                f"{self.hidden_activation.name or 'custom'!r}, output_activation="
                f"{self.output_activation.name or 'custom'!r}, loss="
                f"{self.loss.name or 'custom'!r}, optimizer={self.optimizer!r}, "
                f"dtype={self.dtype.name!r})")


def _print_progress(event):
    """The ``verbose`` consumer of training events: one updating line per epoch."""
    if event["event"] == "batch":
        width = 30
        done = event["batch"] * width // event["batches"]
        print(f"\rEpoch {event['epoch']}/{event['epochs']} [{'=' * done}{' ' * (width - done)}] "
              f"{event['batch']}/{event['batches']} loss: {event['loss']:.4f}", end="",
              flush=True)
    else:
        extra = "".join(f" {k}: {event[k]:.4f}" for k in ("accuracy", "val_loss", "val_accuracy")
                        if event[k] is not None)
        print(f" -{extra}" if extra else "")
