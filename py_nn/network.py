"""The NeuralNetwork class: a multilayer perceptron trained by backpropagation.

Activations, loss and optimizer come from outside (see ``activations``, ``losses``,
``optimizers``), as in the seed article. The class keeps the settings and the parameters and
checks what it is given (``validation``); the passes are in ``engine``, the batch loop in
``training``, the file format in ``serialization``. Shapes used throughout:

- ``x``: ``(n_samples, layers[0])``; ``y``: ``(n_samples, layers[-1])`` (or integer labels
  ``(n_samples,)`` with ``categorical=True``).
- ``weights[i]``: ``(layers[i], layers[i + 1])``; ``biases[i]``: ``(1, layers[i + 1])``.
- All weights and biases are views into one flat vector ``params`` of shape ``(n_params,)``,
  laid out as all weights then all biases; the optimizer reads and returns such vectors, so
  splitting them back costs nothing.
"""
import math

import numpy as np

from . import engine, serialization, training, validation
from .activations import get_hidden, get_output
from .losses import get_loss
from .optimizers import get_optimizer


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
        self._setup(layers, hidden_activation, output_activation, loss, optimizer, dtype, seed)
        self._adopt(self._initial_params())

    def _setup(self, layers, hidden_activation, output_activation, loss, optimizer, dtype, seed):
        """Check and keep the settings; everything but the parameters."""
        layers = validation.check_layers(layers)
        self.dtype = validation.check_dtype(dtype)
        self.layers = layers
        self.hidden_activation = get_hidden(hidden_activation)
        self.output_activation = get_output(output_activation)
        self.loss = get_loss(loss)
        self.optimizer = get_optimizer(optimizer)
        self.seed = seed
        self.rng = np.random.default_rng(seed)
        self.history = {"loss": [], "accuracy": [], "val_loss": [], "val_accuracy": []}
        self.metadata = {}
        self._fused = engine.FUSED_OUTPUT_GRADIENTS.get((*self.output_activation, *self.loss))
        self._spare = None    # a second parameter buffer with its views, for in-place steps

    # ------------------------------------------------------------ parameters
    @property
    def n_params(self):
        """How many weights and biases: sum of ``layers[i] * layers[i+1] + layers[i+1]``."""
        return serialization.n_params(self.layers)

    @property
    def params(self):
        """The flat parameter vector, shape (n_params,); weights and biases are views of it.

        Training steps into a second buffer and then swaps the two, so read ``params`` (and
        ``weights``, ``biases``) again after training, and ``copy()`` what you want to keep.
        """
        return self._params

    def _initial_params(self):
        """Xavier-style: N(0, sqrt(2 / (fan_in + fan_out))) for weights and biases."""
        weights, biases = [], []
        for fan_in, fan_out in zip(self.layers, self.layers[1:]):
            std = math.sqrt(2 / (fan_in + fan_out))
            weights.append(self.rng.normal(0, std, (fan_in, fan_out)))
            biases.append(self.rng.normal(0, std, (1, fan_out)))
        return np.concatenate([a.ravel() for a in weights + biases]).astype(self.dtype)

    def set_params(self, flat):
        """Use a copy of ``flat`` (n_params,) as all weights, then all biases (see ``params``)."""
        arr = np.asarray(flat)
        if arr.shape != (self.n_params,):
            raise ValueError(f"params must have shape ({self.n_params},) for layers "
                             f"{self.layers} (all weights, then all biases); got {arr.shape}.")
        if arr.dtype.kind not in "biuf" or not np.all(np.isfinite(arr)):
            raise ValueError(f"params must be finite numbers; got dtype {arr.dtype} "
                             f"with NaN, inf or non-numbers.")
        self._adopt(np.array(arr, dtype=self.dtype))

    def _adopt(self, flat):
        """Adopt ``flat`` (n_params,) as the parameter buffer and rebuild the views into it."""
        self._params = flat
        self.weights, self.biases = self._split(flat)
        if self._spare is not None and np.may_share_memory(self._spare[0], flat):
            self._spare = None

    def _spare_params(self):
        """The second parameter buffer (n_params,), for an optimizer step to write into."""
        if self._spare is None:
            flat = np.empty_like(self._params)
            self._spare = (flat, *self._split(flat))
        return self._spare[0]

    def _swap_params(self):
        """Make the spare buffer the parameters (after a checked step); the old ones spare."""
        live = (self._params, self.weights, self.biases)
        self._params, self.weights, self.biases = self._spare
        self._spare = live

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

    # ------------------------------------------------------------ the math (see engine.py)
    def _forward(self, x):
        """Pass ``x`` (n, layers[0]) through; return ``[(z_i, a_i)]`` per layer (input, output)."""
        return engine.forward(self, x)

    def _output_delta(self, z, p, y):
        """Gradient of each sample's loss w.r.t. the output layer input z: (n, m)."""
        return engine.output_delta(self, z, p, y)

    def _backward(self, x, io, y):
        """Gradient of the batch-mean loss as a new flat vector (n_params,)."""
        return engine.backward(self, x, io, y)

    def _predict(self, x):
        """Forward pass on checked input, in chunks; returns (n, layers[-1])."""
        return engine.predict(self, x)

    def _mean_loss(self, p, y):
        return engine.mean_loss(self, p, y)

    # ------------------------------------------------------------ training
    def fit_steps(self, x, y, batch_size, epochs, categorical=False, validation_data=None,
                  shuffle=True, x_scale=None):
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
            Any numeric dtype; kept as given and converted to the model dtype one batch at a
            time (uint8 pixels take a quarter of float32's memory), with the same result as
            converting it first.
        y : array-like of shape (n_samples, layers[-1]), or (n_samples,) integer labels
            with ``categorical=True``
        batch_size, epochs : int >= 1
        validation_data : (x_val, y_val), optional
            ``y_val`` as integer labels or target rows; adds val_loss and val_accuracy.
        shuffle : bool
            Reshuffle the samples every epoch (with the model's ``seed``).
        x_scale : float, optional
            Multiplies each batch of x once converted, in the model dtype: ``x_scale=1/255``
            with uint8 x trains exactly as ``x.astype(dtype) * dtype(1/255)`` would.
            ``validation_data`` is not scaled.
        """
        batch_size = validation.positive_int(batch_size, "batch_size")
        epochs = validation.positive_int(epochs, "epochs")
        x_scale = validation.check_scale(x_scale)
        x, targets, labels = validation.check_xy(x, y, self.layers, self.dtype, categorical,
                                                 keep_dtype=True)
        val = validation.check_validation_data(validation_data, self.layers, self.dtype,
                                               categorical)
        x = training.Inputs(x, self.dtype, x_scale)
        return training.train(self, x, targets, labels, batch_size, epochs, shuffle, val)

    def fit(self, x, y, batch_size, epochs, categorical=False, validation_data=None,
            shuffle=True, verbose=True, callback=None, x_scale=None):
        """Train with mini-batches on the gradient of the batch-mean loss.

        ``callback(event)`` is called with every dict ``fit_steps`` yields; returning False
        stops training. ``verbose`` prints progress and the running loss per batch. The other
        parameters are ``fit_steps``'.

        Returns
        -------
        list of float
            The loss of each finished epoch.
        """
        epoch_losses = []
        steps = self.fit_steps(x, y, batch_size, epochs, categorical, validation_data, shuffle,
                               x_scale)
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
    def predict(self, x, labels=False):
        """Output activations (n, layers[-1]), or class labels (n,) with ``labels=True``."""
        p = self._predict(validation.check_x(x, self.layers, self.dtype))
        return p.argmax(axis=1) if labels else p

    def score(self, x, y, accuracy=False):
        """Average loss (y as target rows, or integer labels for a classifier), or accuracy
        (y as integer labels, or one-hot rows) with ``accuracy=True``."""
        x, targets, labels = validation.check_xy(x, y, self.layers, self.dtype, False)
        p = self._predict(x)
        if accuracy:
            if labels is None:
                raise ValueError("accuracy needs y as integer class labels (or one-hot rows).")
            return float(np.mean(p.argmax(axis=1) == labels))
        return self._mean_loss(p, targets)

    # ------------------------------------------------------------ persistence
    def to_spec(self, include_optimizer=False):
        """The model as plain data (see ``py_nn.serialization``): settings by name, a copy of
        ``params`` (n_params,), and with ``include_optimizer`` the optimizer's state vectors."""
        optimizer = serialization.optimizer_entry(self.optimizer)
        state = None
        if (include_optimizer and not optimizer.get("custom")
                and getattr(self.optimizer, "state", None) is not None):
            state = {"iterations": int(self.optimizer.iterations),
                     "vectors": {k: v.copy() for k, v in self.optimizer.state.items()}}
        return {
            "layers": list(self.layers),
            "hidden_activation": serialization.component_entry(self.hidden_activation),
            "output_activation": serialization.component_entry(self.output_activation),
            "loss": serialization.component_entry(self.loss),
            "optimizer": optimizer,
            "dtype": self.dtype.name,
            "params": self._params.copy(),
            "optimizer_state": state,
            "metadata": self.metadata,
        }

    @classmethod
    def from_spec(cls, spec):
        """A new network from a spec (``to_spec()`` or ``serialization.decode``).

        Component and optimizer entries ``{"name", "config"}`` are built from the registries;
        objects (a user's tuple or optimizer) are used as they are.
        """
        optimizer = spec["optimizer"]
        net = cls.__new__(cls)
        try:
            if isinstance(optimizer, dict):
                optimizer = get_optimizer(optimizer["name"], **optimizer.get("config", {}))
            net._setup(spec["layers"], spec["hidden_activation"], spec["output_activation"],
                       spec["loss"], optimizer, spec["dtype"], seed=None)
        except (TypeError, ValueError) as exc:
            raise serialization.ModelFormatError(
                f"The model's settings are not valid: {exc}") from None
        net.set_params(spec["params"])
        state = spec.get("optimizer_state")
        if state is not None:
            net.optimizer.state = {k: np.array(v, dtype=net.dtype)
                                   for k, v in state["vectors"].items()}
            net.optimizer.iterations = int(state["iterations"])
        net.metadata = dict(spec.get("metadata") or {})
        return net

    def save(self, path):
        """Save weights and biases (only) to ``path`` as a NumPy ``.npz`` file."""
        serialization.write_npz(path, self.weights, self.biases)

    def load(self, path):
        """Load weights and biases saved by ``save``; they must fit this network's layers.

        Nothing changes unless the whole file is valid.
        """
        arrays = serialization.read_npz(path, self.layers)
        flat = np.empty(self.n_params, dtype=self.dtype)
        weights, biases = self._split(flat)
        for target, array in zip(weights + biases, arrays):
            target[...] = array
        self._adopt(flat)

    def to_json(self, include_optimizer=False, metadata=None, compact=None):
        """The whole model as a JSON string (see ``py_nn.serialization``).

        ``metadata``, if given, replaces ``self.metadata`` and is saved with the model.
        ``compact``: None (exact parameters), ``"float16"`` or ``"int8"`` (a half or a quarter
        of float32's bytes, read back into the network's dtype with rounding errors).
        """
        serialization.check_compact(compact)
        if metadata is not None:
            self.metadata = dict(metadata)
        return serialization.dumps(self.to_spec(include_optimizer), compact)

    @classmethod
    def from_json(cls, text, custom_objects=None):
        """A new network from ``to_json`` output; ValueError if the document is not valid."""
        return cls.from_spec(serialization.loads(text, custom_objects))

    def save_model(self, path, include_optimizer=False, metadata=None, compact=None):
        """Write ``to_json(include_optimizer, metadata, compact)`` to ``path``."""
        serialization.check_compact(compact)
        if metadata is not None:
            self.metadata = dict(metadata)
        serialization.write(self.to_spec(include_optimizer), path, compact)

    def __repr__(self):
        return (f"NeuralNetwork(layers={self.layers}, hidden_activation="
                f"{self.hidden_activation.name or 'custom'!r}, output_activation="
                f"{self.output_activation.name or 'custom'!r}, loss="
                f"{self.loss.name or 'custom'!r}, optimizer={self.optimizer!r}, "
                f"dtype={self.dtype.name!r})")


def from_json(text, custom_objects=None):
    """A new NeuralNetwork from a ``to_json`` string (or bytes)."""
    return NeuralNetwork.from_json(text, custom_objects)


def load_model(path, custom_objects=None):
    """A new NeuralNetwork from a file written by ``save_model``."""
    return NeuralNetwork.from_spec(serialization.read(path, custom_objects))


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
