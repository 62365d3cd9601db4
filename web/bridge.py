"""bridge.py: the worker's Python. A `Session` owns the digits, the active model, the running fit.

The worker (web/worker.js) fetches this file, writes it into Pyodide's file system, imports it and
creates one ``Session(shape_json)`` from build.json's ``shape``. It then calls the session's
methods with plain values: strings, numbers and JS typed arrays go in (a typed array arrives as a
JsProxy with ``.to_bytes()``; on CPython any object with the buffer protocol works). Every result
comes back as a JSON string (``to_json`` returns the model document itself), so no PyProxy
leaks out. Errors are raised as Python exceptions; the worker turns their last line into a message.

The page's rule "a model here has ``shape.inputs`` inputs and ``shape.classes`` outputs" lives
here and only here: ``Session.check_model``.

The Code panel's user code runs through ``usercode.run_code`` (via ``codemodel``).
"""
import contextlib
import json
import time

import numpy as np
# Every model load seeds a numpy.random Generator: its libraries load at start-up, so they are in
# the start-up snapshot (after a restore the model stage took 112-142 ms loading them, now 56-83).
import numpy.random  # noqa: F401, E402

import py_nn
from py_nn import augment, insight

import codemodel  # the Code panel's part of the Session (models that carry code)

__all__ = ["Session"]


def _bytes(buffer):
    """Raw bytes of a JS typed array (JsProxy) or of any buffer (bytes, NumPy array)."""
    return buffer.to_bytes() if hasattr(buffer, "to_bytes") else buffer


def _plain(event):
    """A fit_steps event with NumPy scalars turned into Python numbers (JSON-ready); None stays."""
    if event is None:
        return None
    return {k: v.item() if isinstance(v, (np.floating, np.integer)) else v
            for k, v in event.items()}


class _Fit:
    """A training run in progress: the new network, its step generator and what it did so far."""

    def __init__(self, net, steps):
        self.net = net
        self.steps = steps
        self.batches = 0
        self.last_batch = None
        self.mine = None  # the person's samples (x (n, inputs) float32, y (n,)) or None
        self.before = None  # accuracies of the model that was active when the run started
        self.oversample = 0
        self.history = {"loss": [], "accuracy": [], "val_loss": [], "val_accuracy": []}

    def close(self):
        with contextlib.suppress(Exception):
            self.steps.close()


class Session(codemodel.CodeSession):
    """The worker's state: training pool, held-out digits, active model, running fit.

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
        ys = np.frombuffer(_bytes(labels), dtype=np.uint8).astype(np.int64)
        raw = np.frombuffer(_bytes(images), dtype=np.uint8)
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
        """JSON ``{"version": py_nn's version, "kernel": the matrix-product kernel in use}``.

        A first tiny product loads the SIMD kernel now (a load failure falls back to einsum
        for good), so the kernel named is the one predictions and training really use."""
        one = np.ones((1, 1), dtype=np.float32)
        py_nn.kernels.mm(one, one, out=np.empty((1, 1), dtype=np.float32))
        return json.dumps({"version": py_nn.__version__, "kernel": py_nn.kernels.active})

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
        """``{"layers": [int], "params": int, "metadata": dict}`` of a network."""
        layers = [int(v) for v in net.layers]
        params = sum(a * b + b for a, b in zip(layers[:-1], layers[1:]))
        metadata = getattr(net, "metadata", None) or {}
        return {"layers": layers, "params": int(params), "metadata": metadata}

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
        x = np.frombuffer(_bytes(pixels), dtype=np.float32).reshape(1, -1)
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

    # ---------------------------------------------------------------- training
    def fit_start(self, config_json, images=None, labels=None):
        """Build the network to train and its step generator; the active model is untouched until
        ``fit_finish``. Numbers are checked by py_nn (before any step runs); an unfinished
        earlier run is dropped.

        ``config_json``: ``{"hidden": [int], "optimizer": str, "learningRate": float,
        "batchSize": int, "epochs": int, "samples": int, "seed"?: int, "continueTraining"?: bool,
        "data"?: "mnist" | "mine" | "both", "augment"?: {"shift", "rotation", "scale",
        "thickness"}}``. With ``continueTraining`` a copy of the active model trains (``hidden``
        is ignored). ``images`` (uint8 buffer, n * inputs) and ``labels`` (uint8, n): the
        person's samples, mixed in by ``data`` (py_nn.augment.teaching_set) and measured before
        and after. Returns JSON ``{"layers": [int], "samples": int, "oversample": int}``.
        """
        self.fit_abort()  # the worker starts one run at a time; never leave a generator open
        cfg = json.loads(config_json)
        seed = int(cfg.get("seed", 0))
        code = None
        if cfg.get("code") is not None:  # the Code panel's network (codemodel.CodeSession)
            code = self.code_network(cfg)
            if "error" in code:
                return json.dumps({"error": code["error"], "output": code["output"]})
            net = py_nn.NeuralNetwork(**code["network"], dtype="float32", seed=seed)
        elif cfg.get("continueTraining"):
            optimizer = py_nn.get_optimizer(cfg["optimizer"], lr=float(cfg["learningRate"]))
            net = py_nn.NeuralNetwork.from_json(self.net.to_json())  # a copy: the active one stays
            net.optimizer, net.rng = optimizer, np.random.default_rng(seed)
        else:
            optimizer = py_nn.get_optimizer(cfg["optimizer"], lr=float(cfg["learningRate"]))
            layers = [self.inputs] + [int(h) for h in cfg["hidden"]] + [self.classes]
            net = py_nn.NeuralNetwork(layers=layers, hidden_activation="relu",
                                      output_activation="softmax",
                                      loss="categorical_crossentropy", optimizer=optimizer,
                                      dtype="float32", seed=seed)
        x, y, mine, oversample = self._training_data(cfg, images, labels,
                                                     np.random.default_rng(seed))
        steps = net.fit_steps(x, y, batch_size=int(cfg["batchSize"]), epochs=int(cfg["epochs"]),
                              categorical=True, validation_data=(self.x_test, self.y_test),
                              shuffle=True)
        self.fit = _Fit(net, steps)
        self.fit.mine, self.fit.oversample = mine, oversample
        self.fit.before = self._accuracies(self.net, mine) if self.net is not None else None
        self._start = (net, [np.array(w) for w in net.weights])
        if code is not None:
            self.fit.printer, self.fit.code = code["printer"], code["code"]
        return json.dumps({"layers": [int(v) for v in net.layers], "samples": int(len(x)),
                           "oversample": int(oversample),
                           "output": code["output"] if code is not None else ""})

    def _training_data(self, cfg, images, labels, rng):
        """(x, y, the person's samples or None, oversampling) for a run's ``cfg``."""
        n = int(cfg["samples"])
        x, y = self.x_train[:n], self.y_train[:n]
        settings = {k: v for k, v in (cfg.get("augment") or {}).items() if v}
        if settings:
            x = augment.augment(x, rng, **settings)
        mine = None
        if labels is not None:
            ym = np.frombuffer(_bytes(labels), dtype=np.uint8).astype(np.int64)
            xm = np.frombuffer(_bytes(images), dtype=np.uint8)
            if xm.size != ym.size * self.inputs:
                raise ValueError(f"your samples are inconsistent: {xm.size} pixel bytes for "
                                 f"{ym.size} labels (expected {self.inputs} per label)")
            if ym.size:
                mine = (xm.reshape(-1, self.inputs).astype(np.float32) / np.float32(255), ym)
        data = cfg.get("data", "mnist")
        if data == "mnist":
            return x, y, mine, 0
        xm, ym = mine if mine is not None else (x[:0], y[:0])
        x, y, k = augment.teaching_set(x, y, xm, ym, data, rng, augmentation=settings or None)
        return x, y, mine, k

    @staticmethod
    def _accuracy(net, x, y):
        return float(np.mean(net.predict(x).argmax(axis=1) == y))

    def _accuracies(self, net, mine):
        """``{"heldOut", "mine" (None without samples), "mineCount"}`` of ``net``."""
        return {"heldOut": self._accuracy(net, self.x_test, self.y_test),
                "mine": self._accuracy(net, *mine) if mine is not None else None,
                "mineCount": int(len(mine[1])) if mine is not None else 0}

    def fit_slice(self, budget_ms):
        """Run batches for about ``budget_ms`` milliseconds (at least one step).

        Returns JSON ``{"batch": last batch event or null, "epochs": [epoch events],
        "done": bool}``.
        """
        fit = self.fit
        started = time.perf_counter()
        epochs, done = [], False
        while True:
            try:
                with self.code_capture():
                    event = next(fit.steps)
            except StopIteration:
                done = True
                break
            except Exception as exc:  # noqa: BLE001 - the learner's code failed in a step
                if getattr(fit, "code", None) is None:
                    raise
                import usercode
                error = usercode.error_info(exc, codemodel.FILENAME)
                return json.dumps({"batch": _plain(fit.last_batch), "epochs": epochs,
                                   "done": False, "error": error, "output": self.code_output()})
            if event.get("event") == "epoch":
                event = _plain(event)
                for key in fit.history:
                    fit.history[key].append(event.get(key))
                epochs.append(event)
            else:  # only the slice's last batch event is sent: made JSON-ready then
                fit.batches += 1
                fit.last_batch = event
            if (time.perf_counter() - started) * 1000.0 >= budget_ms:
                break
        return json.dumps({"batch": _plain(fit.last_batch), "epochs": epochs, "done": done,
                           "output": self.code_output()})

    def fit_finish(self, stopped, metadata_json):
        """End the run. The trained network becomes active only if at least one batch ran; it is
        then evaluated on the held-out digits and ``metadata_json`` plus ``test_accuracy`` kept.

        Returns JSON ``{"history", "stopped", "batches", "committed"}`` and, when committed,
        ``"evaluation"`` (as ``evaluate``) and ``"info"`` (as ``model_info``).
        """
        fit, self.fit = self.fit, None
        fit.close()
        result = {"history": fit.history, "stopped": bool(stopped), "batches": fit.batches,
                  "committed": False}
        if fit.batches > 0:
            evaluation = self._evaluate(fit.net)
            metadata = json.loads(metadata_json)
            metadata["test_accuracy"] = evaluation["accuracy"]
            if getattr(fit, "code", None) is not None:
                metadata["code"] = fit.code  # {source, sha256, filename}: codemodel.py
            fit.net.metadata = metadata
            self.net = fit.net
            result.update(committed=True, evaluation=evaluation, info=self._info(fit.net))
            after = self._accuracies(fit.net, fit.mine) if fit.mine is not None else {
                "heldOut": evaluation["accuracy"], "mine": None, "mineCount": 0}
            result.update(before=fit.before, after=after, oversample=fit.oversample)
        return json.dumps(result)

    def fit_abort(self):
        """Drop the running fit (if any); the active model stays as it was."""
        fit, self.fit = self.fit, None
        if fit is not None:
            fit.close()


    # ------------------------------------------------------------- looking inside (Inside panel)
    def inside(self, pixels):
        """Every layer's output for one drawing (float32 buffer of ``inputs`` values, 0..1).

        Returns JSON ``{"layers": [{"size", "activations": [float]}] (hidden layers),
        "logits": [float] * classes, "probabilities": [float] * classes}``.
        """
        x = np.frombuffer(_bytes(pixels), dtype=np.float32).reshape(1, -1)
        out = insight.layer_outputs(self.net, x)
        return json.dumps({
            "layers": [{"size": int(a.shape[1]), "activations": a[0].tolist()}
                       for a in out["layers"]],
            "logits": out["logits"][0].tolist(), "probabilities": out["probabilities"][0].tolist()})

    def overview(self):
        """JSON ``{"summary": rows (insight.summary on the held-out digits), "evaluation"
        (as evaluate), "perClass": insight.per_class_accuracy rows, "histograms":
        insight.compare_histograms rows (start of the run that made this model, and now)}``."""
        ev = self._evaluate(self.net)
        pred = self.net.predict(self.x_test).argmax(axis=1)
        start = self._start[1] if self._start and self._start[0] is self.net else None
        return json.dumps({
            "summary": insight.summary(self.net, self.x_test), "evaluation": ev,
            "perClass": insight.per_class_accuracy(self.y_test, pred, self.classes),
            "histograms": insight.compare_histograms(start, self.net.weights)})

    def first_layer(self):
        """The first layer's weights per neuron as float32 bytes, shape (layers[1], inputs)."""
        return np.ascontiguousarray(insight.first_layer_weights(self.net), dtype=np.float32).tobytes()

    def _digit(self, i):
        return {"index": int(i), "label": int(self.y_test[i]),
                "pixels": np.rint(self.x_test[i] * 255).astype(np.uint8).tolist()}

    def neuron(self, index, k=9):
        """The held-out digits first-layer neuron ``index`` responds to most: JSON
        ``{"neuron", "digits": [{"index", "label", "pixels": [0..255] * inputs, "input"}]}``."""
        top = insight.top_inputs(self.net, int(index), self.x_test, k=int(k))
        w, b = self.net.weights[0][:, int(index)], self.net.biases[0][0, int(index)]
        return json.dumps({"neuron": int(index), "digits": [
            {**self._digit(i), "input": float(self.x_test[i] @ w + b)} for i in top]})

    def mistakes(self, options_json="{}"):
        """Held-out digits the model gets wrong (insight.mistakes), options ``{"limit", "true",
        "predicted"}``; JSON list of ``{"index", "label", "predicted", "probabilities"}``."""
        opt = json.loads(options_json or "{}")
        return json.dumps(insight.mistakes(self.net, self.x_test, self.y_test,
                                           limit=opt.get("limit"), true=opt.get("true"),
                                           predicted=opt.get("predicted")))

    def held_out(self, index):
        """JSON ``{"index", "label", "pixels": [0..255] * inputs}`` of held-out digit ``index``."""
        n = len(self.y_test)
        if isinstance(index, bool) or not isinstance(index, int) or not 0 <= index < n:
            raise ValueError(f"index must be a whole number from 0 to {n - 1} (there are {n} "
                             f"held-out digits); got {index!r}")
        return json.dumps(self._digit(index))

    def augment_preview(self, settings_json, count=8, seed=0):
        """A few training digits before and after augmentation with ``settings_json`` (augment's
        keywords): JSON ``{"originals": [[0..255]], "augmented": [[0..255]]}``."""
        x = self.x_train[:int(count)]
        out = augment.augment(x, np.random.default_rng(int(seed)), **json.loads(settings_json))
        byte = lambda a: np.rint(a * 255).astype(np.uint8).tolist()  # noqa: E731
        return json.dumps({"originals": byte(x), "augmented": byte(out)})

