"""training.py: a training run of the worker's state (mixed into ``WorkerState``): start a run
with the Train form's settings, run it in time slices (the worker yields between them, so Stop
and predict get through), and finish or drop it. The active model changes only in ``fit_finish``.
"""
import contextlib
import json
import time

import numpy as np

import py_nn
from py_nn import augment

from . import codemodel, pools, usercode
from .convert import as_bytes, plain_event


class _Fit:
    """A training run in progress: the new network, its step generator and what it did so far."""

    def __init__(self, net, steps):
        self.net = net
        self.steps = steps
        self.batches = 0
        self.last_batch = None
        self.dataset = None  # {"id", "classes"} the run trains on (kept in the model's metadata)
        self.mine = None  # the person's samples (x (n, inputs) float32, y (n,)) or None
        self.before = None  # accuracies of the model that was active when the run started
        self.oversample = 0
        self.history = {"loss": [], "accuracy": [], "val_loss": [], "val_accuracy": []}

    def close(self):
        with contextlib.suppress(Exception):
            self.steps.close()


class TrainingMixin:
    """``WorkerState``'s training requests; uses its data (``pool``, ``dataset``), ``net``, ``_evaluate``
    and ``_info``, and the Code panel's ``code_network`` / ``code_capture`` / ``code_output``."""

    def fit_start(self, config_json, images=None, labels=None):
        """Build the network to train and its step generator; the active model is untouched until
        ``fit_finish``. Numbers are checked by py_nn (before any step runs); an unfinished
        earlier run is dropped.

        ``config_json``: ``{"hidden": [int], "optimizer": str, "learningRate": float,
        "batchSize": int, "epochs": int, "samples": int, "dataset"?: id (default: the active
        model's; its first ``samples`` training samples and its test split must be loaded:
        ``add_shard`` / ``put_dataset``), "seed"?: int, "continueTraining"?: bool,
        "data"?: "mnist" | "mine" | "both", "augment"?: {"shift", "rotation", "scale",
        "thickness"}}``. With ``continueTraining`` a copy of the active model trains (``hidden``
        is ignored). ``images`` (uint8 buffer, n * inputs) and ``labels`` (uint8, n): the
        person's samples, mixed in by ``data`` (py_nn.augment.teaching_set) and measured before
        and after. Returns JSON ``{"layers": [int], "samples": int, "oversample": int}``.
        """
        self.fit_abort()  # the worker starts one run at a time; never leave a generator open
        cfg = json.loads(config_json)
        seed = int(cfg.get("seed", 0))
        dataset = self.dataset(cfg.get("dataset") or self.dataset_id)
        pool = self.pool(dataset["id"])
        pool.require("train", int(cfg["samples"]))
        x_val, y_val = pool.test()
        classes = len(dataset["classes"])
        code = None
        if cfg.get("code") is not None:  # the Code panel's network (codemodel.CodeModelMixin)
            code = self.code_network(cfg)
            if "error" in code:
                return json.dumps({"error": code["error"], "output": code["output"]})
            net = py_nn.NeuralNetwork(**code["network"], dtype="float32", seed=seed)
        elif cfg.get("continueTraining"):
            optimizer = py_nn.get_optimizer(cfg["optimizer"], lr=float(cfg["learningRate"]))
            if int(self.net.layers[-1]) != classes:
                raise ValueError(f"the active model has {int(self.net.layers[-1])} outputs but "
                                 f"{dataset['name']} has {classes} classes: train a new network "
                                 f"on it instead of continuing this one")
            net = py_nn.NeuralNetwork.from_json(self.net.to_json())  # a copy: the active one stays
            net.optimizer, net.rng = optimizer, np.random.default_rng(seed)
        else:
            optimizer = py_nn.get_optimizer(cfg["optimizer"], lr=float(cfg["learningRate"]))
            layers = [self.inputs] + [int(h) for h in cfg["hidden"]] + [classes]
            net = py_nn.NeuralNetwork(layers=layers, hidden_activation="relu",
                                      output_activation="softmax",
                                      loss="categorical_crossentropy", optimizer=optimizer,
                                      dtype="float32", seed=seed)
        x, y, mine, oversample, scale = self._training_data(cfg, pool, images, labels,
                                                            np.random.default_rng(seed))
        steps = net.fit_steps(x, y, batch_size=int(cfg["batchSize"]), epochs=int(cfg["epochs"]),
                              categorical=True, validation_data=(x_val, y_val),
                              shuffle=True, x_scale=scale)
        self.fit = _Fit(net, steps)
        self.fit.mine, self.fit.oversample = mine, oversample
        self.fit.dataset = {"id": dataset["id"], "classes": dataset["classes"]}
        same = self.net is not None and self.dataset_id == dataset["id"]
        self.fit.before = self._accuracies(self.net, mine) if same else None
        self._start = (net, [np.array(w) for w in net.weights])
        if code is not None:
            self.fit.printer, self.fit.code = code["printer"], code["code"]
        return json.dumps({"layers": [int(v) for v in net.layers], "samples": int(len(x)),
                           "oversample": int(oversample),
                           "output": code["output"] if code is not None else ""})

    def _training_data(self, cfg, pool, images, labels, rng):
        """(x, y, the person's samples or None, oversampling, x's scale) for a run's ``cfg``: the
        first ``samples`` of ``pool``'s training split. A plain run trains on the pool's uint8
        pixels, converted per batch (``scale`` 1/255); augmented or mixed with the person's
        samples, on a float32 copy for this run only (``scale`` None)."""
        x, y = pool.train_pixels(int(cfg["samples"]))
        settings = {k: v for k, v in (cfg.get("augment") or {}).items() if v}
        data = cfg.get("data", "mnist")
        x = x if data == "mnist" and not settings else pools.floats(x)
        if settings:
            x = augment.augment(x, rng, **settings)
        mine = None
        if labels is not None:
            ym = np.frombuffer(as_bytes(labels), dtype=np.uint8).astype(np.int64)
            xm = np.frombuffer(as_bytes(images), dtype=np.uint8)
            if xm.size != ym.size * self.inputs:
                raise ValueError(f"your samples are inconsistent: {xm.size} pixel bytes for "
                                 f"{ym.size} labels (expected {self.inputs} per label)")
            if ym.size:
                mine = (xm.reshape(-1, self.inputs).astype(np.float32) / np.float32(255), ym)
        if data == "mnist":
            return x, y, mine, 0, pools.SCALE if x.dtype == np.uint8 else None
        xm, ym = mine if mine is not None else (x[:0], y[:0])
        x, y, k = augment.teaching_set(x, y, xm, ym, data, rng, augmentation=settings or None)
        return x, y, mine, k, None

    @staticmethod
    def _accuracy(net, x, y):
        return float(np.mean(net.predict(x).argmax(axis=1) == y))

    def _accuracies(self, net, mine, dataset_id=None):
        """``{"heldOut", "mine" (None without samples), "mineCount"}`` of ``net``."""
        return {"heldOut": self._accuracy(net, *self.pool(dataset_id).test()),
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
                error = usercode.error_info(exc, codemodel.FILENAME)
                return json.dumps({"batch": plain_event(fit.last_batch), "epochs": epochs,
                                   "done": False, "error": error, "output": self.code_output()})
            if event.get("event") == "epoch":
                event = plain_event(event)
                for key in fit.history:
                    fit.history[key].append(event.get(key))
                epochs.append(event)
            else:  # only the slice's last batch event is sent: made JSON-ready then
                fit.batches += 1
                fit.last_batch = event
            if (time.perf_counter() - started) * 1000.0 >= budget_ms:
                break
        return json.dumps({"batch": plain_event(fit.last_batch), "epochs": epochs, "done": done,
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
            evaluation = self._evaluate(fit.net, fit.dataset["id"])
            metadata = json.loads(metadata_json)
            metadata["test_accuracy"] = evaluation["accuracy"]
            metadata["dataset"] = fit.dataset
            if getattr(fit, "code", None) is not None:
                metadata["code"] = fit.code  # {source, sha256, filename}: codemodel.py
            fit.net.metadata = metadata
            self.net, self.dataset_id = fit.net, fit.dataset["id"]
            result.update(committed=True, evaluation=evaluation, info=self._info(fit.net))
            after = self._accuracies(fit.net, fit.mine, fit.dataset["id"]) if fit.mine is not None else {
                "heldOut": evaluation["accuracy"], "mine": None, "mineCount": 0}
            result.update(before=fit.before, after=after, oversample=fit.oversample)
        return json.dumps(result)

    def fit_abort(self):
        """Drop the running fit (if any); the active model stays as it was."""
        fit, self.fit = self.fit, None
        if fit is not None:
            fit.close()
