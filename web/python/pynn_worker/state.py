"""state.py: the worker's Python state. A ``WorkerState`` owns the data sets' samples loaded so
far (pools.py), the active model and the running fit; the page's state lives on the other side of
postMessage (page/page-session.js).

The worker (web/worker/) writes this package into Pyodide's file system, imports it and creates
one ``WorkerState(datasets_json)`` from build.json's ``datasets``. It then calls its methods with
plain values: strings, numbers and JS typed arrays go in (a typed array arrives as a JsProxy with
``.to_bytes()``; on CPython any object with the buffer protocol works). Every result comes back as
a JSON string (``to_json`` returns the model document itself), so no PyProxy leaks out. Errors are
raised as Python exceptions; the worker turns their last line into a message.

The page's rule "a model has ``inputs`` inputs and one output per class of its data set" lives
here and only here: ``WorkerState.check_model``. A model names its data set in
``metadata.dataset = {"id", "classes"}``; a model without it is taken as MNIST's. Training is
``training.py``, the Inside panel's requests ``inside.py``, the Code panel's ``codemodel.py``, "One step by hand"
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
from .pools import Pool
from .training import TrainingMixin

__all__ = ["WorkerState", "fingerprint"]

DEFAULT_DATASET = "mnist"  # the data set of a model whose metadata names none (older files)


def fingerprint(net):
    """The first 8 hex characters of the SHA-256 of the network's parameters as little-endian
    float32 (``net.params``, shape (n_params,)): equal weights, equal fingerprint, in any engine."""
    return hashlib.sha256(np.asarray(net.params, dtype="<f4").tobytes()).hexdigest()[:8]


class WorkerState(StepByHandMixin, TrainingMixin, InsideMixin, codemodel.CodeModelMixin):
    """The worker's Python state: the data sets' samples, the active model, the running fit.

    Parameters
    ----------
    datasets : str or list of dict
        build.json's ``datasets``: ``[{"id", "name", "classes": [str], "side", ...}]``; every
        data set has the same ``side`` (the page draws ``side`` x ``side`` pixels).

    Attributes
    ----------
    inputs : int, side * side pixels per sample
    pools : {dataset id: pools.Pool}, the samples loaded so far
    dataset_id : str, the active model's data set
    net : py_nn.NeuralNetwork, the active model (None until ``load_model``)
    fit : the running fit between ``fit_start`` and ``fit_finish`` / ``fit_abort``, else None
    """

    def __init__(self, datasets):
        entries = json.loads(datasets) if isinstance(datasets, str) else list(datasets)
        sides = {e.get("side") for e in entries if isinstance(e, dict)}
        if not entries or len(sides) != 1 or not all(isinstance(e.get("classes"), list)
                                                     for e in entries):
            raise ValueError(f"build.json's `datasets` needs entries with id, classes and one "
                             f"common side; got {str(entries)[:200]}. Rebuild the site with "
                             f"\"python3 build.py\".")
        self.side = int(sides.pop())
        self.inputs = self.side * self.side
        self.known = {e["id"]: {"id": e["id"], "name": e.get("name", e["id"]),
                                "classes": list(e["classes"])} for e in entries}
        self.pools = {}
        self.dataset_id = DEFAULT_DATASET if DEFAULT_DATASET in self.known else entries[0]["id"]
        self.net = None
        self.fit = None
        self._start = None  # (network, its weights when its training run started)

    # ------------------------------------------------------------------ data
    def dataset(self, dataset_id=None):
        """``{"id", "name", "classes"}`` of a data set (default: the active model's)."""
        dataset_id = self.dataset_id if dataset_id is None else dataset_id
        if dataset_id in self.known:
            return self.known[dataset_id]
        raise ValueError(f"there is no data set \"{dataset_id}\" in the worker; known: "
                         f"{', '.join(sorted(self.known))}")

    @property
    def classes(self):
        """The number of classes of the active model's data set."""
        return len(self.dataset()["classes"])

    def pool(self, dataset_id=None):
        """The Pool of a data set (default: the active model's), created empty on first use."""
        found = self.dataset(dataset_id)
        if found["id"] not in self.pools:
            self.pools[found["id"]] = Pool(found["id"], found["classes"], self.inputs)
        return self.pools[found["id"]]

    @property
    def x_test(self):
        """The active model's test split, float32 (n, inputs) in 0..1 (``y_test``: int64 (n,))."""
        return self.pool().test()[0]

    @property
    def y_test(self):
        return self.pool().test()[1]

    def data_counts(self, dataset_id):
        """JSON ``{"train": int, "test": int}``: the samples of ``dataset_id`` loaded so far."""
        pool = self.pools.get(dataset_id)
        return json.dumps(pool.counts() if pool else {"train": 0, "test": 0})

    def add_shard(self, dataset_id, split, data):
        """Append a built-in data set's shard (tools/datasets.py: ``count * inputs`` image bytes,
        then ``count`` label bytes) to ``split``. Returns JSON ``{"train", "test"}`` loaded."""
        raw = np.frombuffer(as_bytes(data), dtype=np.uint8)
        if split not in ("train", "test") or raw.size % (self.inputs + 1):
            raise ValueError(f"a {dataset_id} {split} shard holds {raw.size:,} bytes, not a "
                             f"multiple of {self.inputs + 1} (truncated or not a shard?)")
        count = raw.size // (self.inputs + 1)
        pool = self.pool(dataset_id)
        pool.add(split, raw[:count * self.inputs], raw[count * self.inputs:],
                 where=f"a {dataset_id} {split} shard")
        return json.dumps(pool.counts())

    def put_dataset(self, dataset_json, train_images, train_labels, test_images, test_labels):
        """Keep a data set given whole (a person's own: ``{"id", "name", "classes"}`` and uint8
        buffers, images n * inputs bytes 0 = background .. 255 = ink, labels n class indexes),
        replacing one of the same id. Checked first: on an error nothing changes.
        Returns JSON ``{"train", "test"}``."""
        about = json.loads(dataset_json)
        classes = about.get("classes")
        if (not isinstance(about.get("id"), str) or not isinstance(classes, list)
                or len(classes) < 2 or not all(isinstance(c, str) for c in classes)):
            raise ValueError(f"a data set needs an id and at least two class names; got "
                             f"{str(about)[:200]}")
        pool = Pool(about["id"], classes, self.inputs)
        for split, images, labels in (("train", train_images, train_labels),
                                      ("test", test_images, test_labels)):
            pool.add(split, as_bytes(images), as_bytes(labels), where=f"{about['id']} {split}")
            if not pool.count(split):
                raise ValueError(f"the data set {about['id']} has no {split} samples")
        self.known[pool.id] = {"id": pool.id, "name": str(about.get("name") or pool.id),
                               "classes": list(classes)}
        self.pools[pool.id] = pool
        return json.dumps(pool.counts())

    def active_dataset(self):
        """JSON ``{"id", "name", "classes"}`` of the active model's data set."""
        return json.dumps(self.dataset())

    @staticmethod
    def about():
        """JSON ``{"version": py_nn's version, "kernel": the matrix-product kernel in use,
        "kernelVariant": "relaxed-simd" | "simd" | "numpy"}``.

        A first tiny product loads the SIMD kernel now (a load failure falls back to einsum
        for good), so the kernel named is the one predictions and training really use; the
        variant says whether the plain SIMD build runs (the default everywhere) or the opt-in
        relaxed one (fused multiply-add)."""
        one = np.ones((1, 1), dtype=np.float32)
        py_nn.kernels.mm(one, one, out=np.empty((1, 1), dtype=np.float32))
        kernel = py_nn.kernels.active
        variant = {"sgemm-relaxed.wasm": "relaxed-simd", "sgemm.wasm": "simd"}.get(
            py_nn.kernels.simd_variant()) if kernel == "simd" else "numpy"
        return json.dumps({"version": py_nn.__version__, "kernel": kernel,
                           "kernelVariant": variant or "simd"})

    # ---------------------------------------------------------------- models
    def model_dataset(self, net):
        """``{"id", "name", "classes"}`` a network is for: its ``metadata.dataset`` (a built-in
        id takes build.json's entry; another keeps the classes it names), else MNIST's."""
        named = (getattr(net, "metadata", None) or {}).get("dataset")
        if not isinstance(named, dict) or not isinstance(named.get("id"), str):
            return self.dataset(DEFAULT_DATASET)
        if named["id"] in self.known:
            return self.known[named["id"]]
        classes = named.get("classes")
        if not isinstance(classes, list) or not all(isinstance(c, str) for c in classes):
            raise ValueError(f"the model names the data set \"{named['id']}\" without a list of "
                             f"class names in metadata.dataset.classes")
        return {"id": named["id"], "name": str(named.get("name") or named["id"]),
                "classes": classes}

    def check_model(self, net):
        """Raise ValueError unless ``net`` fits its data set (``inputs`` in, one output per
        class out); return it."""
        layers = [int(v) for v in net.layers]
        dataset = self.model_dataset(net)
        classes = dataset["classes"]
        if layers[0] != self.inputs or layers[-1] != len(classes):
            what = (f"digits {classes[0]}-{classes[-1]}" if all(c.isdigit() for c in classes)
                    else f"the classes of {dataset['name']}")
            raise ValueError(f"the model has layers {layers}, but this page needs {self.inputs} "
                             f"inputs ({self.side}x{self.side} pixels) and {len(classes)} "
                             f"outputs ({what})")
        return net

    def _info(self, net):
        """``{"layers": [int], "params": int, "metadata": dict, "fingerprint": str}`` of a network; ``metadata.dataset``
        is always there (``{"id", "classes"}``), also for a model file that names none."""
        layers = [int(v) for v in net.layers]
        params = sum(a * b + b for a, b in zip(layers[:-1], layers[1:]))
        metadata = dict(getattr(net, "metadata", None) or {})
        dataset = self.model_dataset(net)
        metadata["dataset"] = {"id": dataset["id"], "classes": dataset["classes"]}
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
        dataset = self.model_dataset(net)
        self.known.setdefault(dataset["id"], dataset)  # a person's data set named by its model
        self.net, self.dataset_id = net, dataset["id"]
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

    def _evaluate(self, net, dataset_id=None):
        """Accuracy, mean loss, count and confusion matrix (classes, classes) on the test split
        of a data set (default: the active model's)."""
        pool = self.pool(dataset_id)
        x, y = pool.test()
        classes = len(pool.classes)
        p = net.predict(x)  # one forward pass serves the loss, the accuracy and the matrix
        pred = p.argmax(axis=1)
        targets = py_nn.to_categorical(y, classes)
        loss = float(np.mean(py_nn.categorical_crossentropy(p, targets)))
        matrix = py_nn.confusion_matrix(y, pred, num_classes=classes)
        return {"accuracy": float(np.mean(pred == y)), "loss": loss, "count": int(len(y)),
                "confusion": matrix.tolist()}

    def evaluate(self):
        """JSON ``{"accuracy", "loss", "count", "confusion"}`` of the active model, held out."""
        return json.dumps(self._evaluate(self.net))

