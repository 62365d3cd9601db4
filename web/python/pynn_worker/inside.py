"""inside.py: looking inside the active model (the Inside panel; mixed into ``WorkerState``):
layer outputs for a drawing, the summary, first-layer weights, the digits a neuron fires on,
mistakes, held-out digits and the augmentation preview."""
import json

import numpy as np

from py_nn import augment, insight

from .convert import as_bytes


class InsideMixin:
    """``WorkerState``'s Inside requests; uses its data (``x_test`` ...), ``net``, ``_evaluate``
    and ``_start`` (the run that made the active model)."""

    def inside(self, pixels):
        """Every layer's output for one drawing (float32 buffer of ``inputs`` values, 0..1).

        Returns JSON ``{"layers": [{"size", "activations": [float]}] (hidden layers),
        "logits": [float] * classes, "probabilities": [float] * classes}``.
        """
        x = np.frombuffer(as_bytes(pixels), dtype=np.float32).reshape(1, -1)
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
            "classes": self.dataset()["classes"],
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
        x = self.pool().train(int(count))[0]
        out = augment.augment(x, np.random.default_rng(int(seed)), **json.loads(settings_json))
        byte = lambda a: np.rint(a * 255).astype(np.uint8).tolist()  # noqa: E731
        return json.dumps({"originals": byte(x), "augmented": byte(out)})

