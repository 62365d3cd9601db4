"""state.py: the worker's Python state. A ``WorkerState`` owns the digits, the active model and the
running fit; the page's state lives on the other side of postMessage (page/page-session.js).

The worker (web/worker/) writes this package into Pyodide's file system, imports it and creates
one ``WorkerState(shape_json)`` from build.json's ``shape``. It then calls its methods with plain
values: strings, numbers and JS typed arrays go in (a typed array arrives as a JsProxy with
``.to_bytes()``; on CPython any object with the buffer protocol works). Every result comes back as
a JSON string (``to_json`` returns the model document itself), so no PyProxy leaks out. Errors are
raised as Python exceptions; the worker turns their last line into a message.

The page's rule "a model here has ``shape.inputs`` inputs and ``shape.classes`` outputs" lives
here and only here: ``WorkerState.check_model``. Training is ``training.py``, the Inside panel's
requests ``inside.py``, the Code panel's ``codemodel.py``, "One step by hand"
``step_by_hand.py``.
"""
import hashlib
import json

import numpy as np
# Every model load seeds a numpy.random Generator: its libraries load at start-up, so they are in
# the start-up snapshot (after a restore the model stage took 112-142 ms loading them, now 56-83).
import numpy.random  # noqa: F401, E402

import py_nn

from . import codemodel
from .convert import as_bytes
from .inside import InsideMixin
from .step_by_hand import StepByHandMixin
from .training import TrainingMixin

__all__ = ["WorkerState", "fingerprint"]


def fingerprint(net):
    """The first 8 hex characters of the SHA-256 of the network's parameters as little-endian
    float32 (``net.params``, shape (n_params,)): equal weights, equal fingerprint, in any engine."""
    return hashlib.sha256(np.asarray(net.params, dtype="<f4").tobytes()).hexdigest()[:8]


class WorkerState(StepByHandMixin, TrainingMixin, InsideMixin, codemodel.CodeModelMixin):
    """The worker's Python state: training pool, held-out digits, active model, running fit.

    Parameters
    ----------
    shape : str or dict
        build.json's ``shape``: ``{"side", "inputs", "classes", "train", "test"}``, e.g.
        ``{"side": 28, "inputs": 784, "classes": 10, "train": 8000, "test": 2000}``.

    Attributes
    ----------
    x_train : ndarray of shape (train, inputs), float32 in 0..1;  y_train : (train,) int64 digits
    x_test : ndarray of shape (test, inputs), float32 in 0..1;  y_test : (test,) int64 digits
    net : py_nn.NeuralNetwork, the active model (None until ``load_model``)
    fit : the running fit between ``fit_start`` and ``fit_finish`` / ``fit_abort``, else None
    """

    def __init__(self, shape):
        shape = json.loads(shape) if isinstance(shape, str) else dict(shape)
        missing = [k for k in ("inputs", "classes", "train", "test")
                   if not isinstance(shape.get(k), int)]
        if missing:
            raise ValueError(f"build.json's `shape` needs whole numbers for {missing}; got "
                             f"{shape!r}. Rebuild the site with \"python3 build.py\".")
        self.shape = shape
        self.inputs, self.classes = shape["inputs"], shape["classes"]
        self.x_train = self.y_train = self.x_test = self.y_test = None
        self.net = None
        self.fit = None
        self._start = None  # (network, its weights when its training run started)

    # ------------------------------------------------------------------ data
    def load_data(self, images, labels):
        """Keep the digits: the first ``train`` are the training pool, the next ``test`` held out.

        Parameters
        ----------
        images : buffer of uint8, (count * inputs) bytes, 0 = background .. 255 = ink
        labels : buffer of uint8, (count,) digits

        Returns JSON ``{"train": int, "test": int}``.
        """
        ys = np.frombuffer(as_bytes(labels), dtype=np.uint8).astype(np.int64)
        raw = np.frombuffer(as_bytes(images), dtype=np.uint8)
        train, test = self.shape["train"], self.shape["test"]
        if raw.size != ys.size * self.inputs or ys.size < train + test:
            raise ValueError(f"the digit data is inconsistent: {raw.size} image bytes and "
                             f"{ys.size} labels; expected {self.inputs} bytes per label and at "
                             f"least {train + test} digits. Rebuild the site")
        x = raw.reshape(-1, self.inputs).astype(np.float32)
        x *= np.float32(1.0 / 255.0)
        self.x_train, self.y_train = x[:train], ys[:train]
        self.x_test, self.y_test = x[train:train + test], ys[train:train + test]
        return json.dumps({"train": train, "test": test})

    @staticmethod
    def about():
        """JSON ``{"version": py_nn's version, "kernel": the matrix-product kernel in use,
        "kernelVariant": "relaxed-simd" | "simd" | "numpy"}``.

        A first tiny product loads the SIMD kernel now (a load failure falls back to einsum
        for good), so the kernel named is the one predictions and training really use; the
        variant says whether the relaxed-SIMD build (fused multiply-add) loaded or the plain one."""
        one = np.ones((1, 1), dtype=np.float32)
        py_nn.kernels.mm(one, one, out=np.empty((1, 1), dtype=np.float32))
        kernel = py_nn.kernels.active
        variant = {"sgemm-relaxed.wasm": "relaxed-simd", "sgemm.wasm": "simd"}.get(
            py_nn.kernels.simd_variant()) if kernel == "simd" else "numpy"
        return json.dumps({"version": py_nn.__version__, "kernel": kernel,
                           "kernelVariant": variant or "simd"})

    # ---------------------------------------------------------------- models
    def check_model(self, net):
        """Raise ValueError unless ``net`` fits this page (``inputs`` in, ``classes`` out)."""
        layers = [int(v) for v in net.layers]
        if layers[0] != self.inputs or layers[-1] != self.classes:
            side = self.shape.get("side")
            pixels = f" ({side}x{side} pixels)" if side else ""
            raise ValueError(f"the model has layers {layers}, but this page needs {self.inputs} "
                             f"inputs{pixels} and {self.classes} outputs "
                             f"(digits 0-{self.classes - 1})")
        return net

    @staticmethod
    def _info(net):
        """``{"layers": [int], "params": int, "metadata": dict, "fingerprint": str}`` of a network."""
        layers = [int(v) for v in net.layers]
        params = sum(a * b + b for a, b in zip(layers[:-1], layers[1:]))
        metadata = getattr(net, "metadata", None) or {}
        return {"layers": layers, "params": int(params), "metadata": metadata,
                "fingerprint": fingerprint(net)}

    def model_info(self):
        """JSON ``{"layers", "params", "metadata"}`` of the active model."""
        return json.dumps(self._info(self.net))

    def load_model(self, text, trust_code=False):
        """Make the model document ``text`` active; validated (from_json, then the page's shape
        rule) before anything is replaced, so a bad document leaves the active model as it was.
        A document that carries code (codemodel.py) has its code run only if ``trust_code``.

        Returns JSON ``{"layers", "params", "metadata"}``.
        """
        net, _ = self._load_network(text, bool(trust_code))
        self.net = net
        return json.dumps(self._info(net))

    def to_json(self, metadata_json="{}"):
        """The active model's document (a JSON string), metadata updated with ``metadata_json``."""
        metadata = dict(getattr(self.net, "metadata", None) or {})
        metadata.update(json.loads(metadata_json or "{}"))
        return self.net.to_json(metadata=metadata)

    # -------------------------------------------------------------- inference
    def predict(self, pixels):
        """Classify one drawing.

        Parameters
        ----------
        pixels : buffer of float32, (inputs,) row-major, 0 = background .. 1 = ink

        Returns JSON ``{"label": int, "probabilities": [float] * classes}``.
        """
        x = np.frombuffer(as_bytes(pixels), dtype=np.float32).reshape(1, -1)
        p = np.asarray(self.net.predict(x), dtype=np.float64)[0]
        return json.dumps({"label": int(np.argmax(p)), "probabilities": [float(v) for v in p]})

    def _evaluate(self, net):
        """Held-out accuracy, mean loss, count and confusion matrix (classes, classes)."""
        x, y = self.x_test, self.y_test
        p = net.predict(x)  # one forward pass serves the loss, the accuracy and the matrix
        pred = p.argmax(axis=1)
        targets = py_nn.to_categorical(y, self.classes)
        loss = float(np.mean(py_nn.categorical_crossentropy(p, targets)))
        matrix = py_nn.confusion_matrix(y, pred, num_classes=self.classes)
        return {"accuracy": float(np.mean(pred == y)), "loss": loss, "count": int(len(y)),
                "confusion": matrix.tolist()}

    def evaluate(self):
        """JSON ``{"accuracy", "loss", "count", "confusion"}`` of the active model, held out."""
        return json.dumps(self._evaluate(self.net))

