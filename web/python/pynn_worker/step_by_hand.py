"""step_by_hand: the worker's side of "One step by hand" (py_nn.stepwise as JSON).

``StepByHandMixin`` is a mixin of the worker's state (``WorkerState``): it uses the session's ``net`` (the
active model), ``inputs`` and, for the Code panel's code, ``code_network`` (codemodel.py). Like
the rest of the worker's Python it takes plain values (a float32 pixel buffer, ints, JSON text)
and returns JSON text.

Arrays are ``{"shape": [int], "dtype": "float32" | "float64", "data": base64 of the
little-endian values}``, or, above ``FULL`` values, ``{"shape", "dtype", "ref": str,
"summary": {"min", "max", "mean", "std", "absMax"}}``; ``explain_array(ref)`` gives the whole
array. Non-finite numbers are written "NaN", "Infinity", "-Infinity" (codemodel.json_safe).

Which network is walked: the active model (``"from": "active"``); with ``code`` in the
options, the code's components and optimizer on the active model's weights when the code's
``layers`` equal the model's (``"active+code"``), otherwise on a new network from the code,
seeded as "Train with this code" seeds it (``"code"``). ``apply_step`` makes that network,
stepped, the active model (with the code in its metadata when there is code); ``undo_step``
brings back the model and optimizer from before, bit for bit.
"""
import base64
import json

import numpy as np

import py_nn
from py_nn import stepwise

from . import codemodel, usercode

FULL = 4096  # arrays up to this many values are sent whole; larger ones summarized


def _pixels(buffer):
    """One drawing as x (1, n): a JS typed array (JsProxy) or any buffer of float32."""
    raw = buffer.to_bytes() if hasattr(buffer, "to_bytes") else buffer
    return np.frombuffer(raw, dtype=np.float32).reshape(1, -1)


def encode(array):
    """An array as ``{"shape", "dtype", "data": base64 little-endian}``."""
    array = np.asarray(array)
    little = np.ascontiguousarray(array, dtype=array.dtype.newbyteorder("<"))
    return {"shape": list(array.shape), "dtype": array.dtype.name,
            "data": base64.b64encode(little.tobytes()).decode("ascii")}


def summary(array):
    """``{"min", "max", "mean", "std", "absMax"}`` of an array, as Python floats."""
    a = np.asarray(array, dtype=np.float64)
    return {"min": float(a.min()), "max": float(a.max()), "mean": float(a.mean()),
            "std": float(a.std()), "absMax": float(np.abs(a).max())}


class _Packer:
    """Turns a stepwise record into plain data; keeps each large array under its ref."""

    def __init__(self):
        self.arrays = {}

    def __call__(self, array, ref):
        if array is None:
            return None
        array = np.asarray(array)
        if array.size <= FULL:
            return encode(array)
        self.arrays[ref] = array
        return {"shape": list(array.shape), "dtype": array.dtype.name, "ref": ref,
                "summary": summary(array)}

    def state(self, state, ref):
        return {"vectors": {k: self(v, f"{ref}.{k}") for k, v in state["vectors"].items()},
                "numbers": state["numbers"]}


def step_json(record, pack):
    """The JSON-ready form of ``py_nn.stepwise.step``'s record (keys as the page's API)."""
    up = record["update"]
    return {
        "layers": [{"z": pack(layer["z"], f"layers.{i}.z"), "a": pack(layer["a"], f"layers.{i}.a")}
                   for i, layer in enumerate(record["layers"])],
        "logits": pack(record["logits"], "logits"),
        "probabilities": pack(record["probabilities"], "probabilities"),
        "targets": pack(record["targets"], "targets"), "loss": record["loss"],
        "dLoss": pack(record["d_loss"], "dLoss"), "dLossError": record["d_loss_error"],
        "jacobian": pack(record["jacobian"], "jacobian"),
        "jacobianError": record["jacobian_error"], "delta": pack(record["delta"], "delta"),
        "fusedDelta": pack(record["fused_delta"], "fusedDelta"),
        "fusedRule": record["fused_rule"], "maxDelta": record["max_delta"],
        "grads": [{"carried": pack(g["carried"], f"grads.{i}.carried"),
                   "dAct": pack(g["d_act"], f"grads.{i}.dAct"), "dActError": g["d_act_error"],
                   "delta": pack(g["delta"], f"grads.{i}.delta"),
                   "dW": pack(g["dW"], f"grads.{i}.dW"), "db": pack(g["db"], f"grads.{i}.db")}
                  for i, g in enumerate(record["grads"])],
        "params": pack(record["params"], "params"),
        "gradient": pack(record["gradient"], "gradient"),
        "paramsLength": record["params_length"],
        "update": {"optimizer": up["optimizer"], "rule": up["rule"],
                   "state": {"before": pack.state(up["before"], "update.state.before"),
                             "after": pack.state(up["after"], "update.state.after")},
                   "newParams": pack(up["new_params"], "update.newParams")},
        "lossAfter": record["loss_after"],
        "probabilitiesAfter": pack(record["probabilities_after"], "probabilitiesAfter"),
    }


class StepByHandMixin:
    """The "One step by hand" methods of the worker's state (a base class of ``WorkerState``).

    Options (JSON text) for ``explain_step`` and ``grad_check``: ``{"learningRate"?: float,
    "code"?: the Code panel's source, plus the Train settings the code's left-out names take
    ("hidden", "optimizer", "seed", ...)}``; ``grad_check`` adds ``{"layer", "kind": "W" |
    "b", "i", "j"}`` and ``explain_param`` takes only those four.
    """

    _explained = None  # {"net", "base", "record", "arrays", "code"} of the last explain_step
    _applied = None    # {"net", "previous", "saved", "params"} of the last apply_step

    def _walk_network(self, options):
        """``(network, "active" | "active+code" | "code", code or None)``, or ``(None,
        error dict, None)`` when the code fails to run."""
        if options.get("code") is None:
            return self.net, "active", None
        code = self.code_network(options)
        if "error" in code:
            return None, {"error": code["error"], "output": code["output"]}, None
        base, layers = self.net, list(code["network"]["layers"])
        if layers == list(base.layers):
            net = py_nn.NeuralNetwork(**code["network"], dtype=base.dtype.name)
            net.set_params(base.params)
            return net, "active+code", code
        net = py_nn.NeuralNetwork(**code["network"], dtype="float32",
                                  seed=int(options.get("seed", 0)))
        return self.check_model(net), "code", code

    def _run(self, code, work):
        """``work()`` with the code's printing captured: ``(result, output, error or None)``,
        the output being what the code printed when it ran, then during ``work``."""
        if code is None:
            return work(), "", None
        result = error = None
        try:
            with usercode.captured(code["printer"], codemodel.FILENAME):
                result = work()
        except Exception as exc:  # noqa: BLE001 - the learner's code failed in the step
            error = usercode.error_info(exc, codemodel.FILENAME)
        return result, code["output"] + code["printer"].take(), error

    def explain_step(self, pixels, label, options_json="{}"):
        """One training step on one drawing (``pixels``: float32 buffer of ``inputs`` values,
        ``label``: its class), shown by stage; nothing changes until ``apply_step``.

        Returns JSON: ``step_json`` of the record plus ``{"network": {"from", "layers"},
        "output": what the code printed}``, or ``{"error": {"message", "line"}, "output"}``
        when the code fails.
        """
        options = json.loads(options_json or "{}")
        net, origin, code = self._walk_network(options)
        if net is None:
            return json.dumps(codemodel.json_safe(origin))
        lr = options.get("learningRate")
        record, output, error = self._run(code, lambda: stepwise.step(net, _pixels(pixels),
                                                                     label, lr=lr))
        if error is not None:
            return json.dumps(codemodel.json_safe({"error": error, "output": output}))
        pack = _Packer()
        result = step_json(record, pack)
        self._explained = {"net": net, "base": self.net, "record": record, "arrays": pack.arrays,
                           "code": code["code"] if code is not None else None}
        result.update(network={"from": origin, "layers": [int(v) for v in net.layers]},
                      output=output)
        return json.dumps(codemodel.json_safe(result))

    def _last(self):
        if self._explained is None:
            raise ValueError("no step has been computed yet: call explain_step first")
        return self._explained

    def explain_array(self, ref):
        """JSON ``encode`` of the whole array ``ref`` (a summarized one of the last step)."""
        arrays = self._last()["arrays"]
        if ref not in arrays:
            raise ValueError(f"no array {ref!r} in the last step; the summarized ones are "
                             f"{', '.join(sorted(arrays)) or 'none'}")
        return json.dumps(encode(arrays[ref]))

    def explain_param(self, options_json):
        """One parameter through the last step: JSON ``{"index", "old", "gradient", "new",
        "state": {"before": {name: float}, "after": {name: float}}}`` for ``{"layer", "kind",
        "i", "j"}`` (as py_nn.stepwise.index)."""
        last = self._last()
        where = json.loads(options_json)
        at = stepwise.index(last["net"], where.get("layer"), where.get("kind"), where.get("i"),
                            where.get("j"))
        record, up = last["record"], last["record"]["update"]
        return json.dumps(codemodel.json_safe({
            "index": at, "old": float(record["params"][at]),
            "gradient": float(record["gradient"][at]), "new": float(up["new_params"][at]),
            "state": {when: {k: float(v[at]) for k, v in up[when]["vectors"].items()}
                      for when in ("before", "after")}}))

    def grad_check(self, pixels, label, options_json):
        """A weight's backprop gradient beside a central finite difference in float64: JSON
        ``{"backprop", "numeric", "relError", "value", "step", "modelBackprop", "index"}``."""
        options = json.loads(options_json)
        net, origin, code = self._walk_network(options)
        if net is None:
            return json.dumps(codemodel.json_safe(origin))
        where = [options.get(k) for k in ("layer", "kind", "i", "j")]
        result, output, error = self._run(code, lambda: stepwise.check_weight(
            net, _pixels(pixels), label, *where))
        if error is not None:
            return json.dumps(codemodel.json_safe({"error": error, "output": output}))
        return json.dumps(codemodel.json_safe({
            "backprop": result["backprop"], "numeric": result["numeric"],
            "relError": result["rel_error"], "value": result["value"], "step": result["step"],
            "modelBackprop": result["model_backprop"], "index": result["index"],
            "output": output}))

    def apply_step(self):
        """Make the network of the last explain_step, stepped, the active model.

        Refused, with nothing changed, when the active model changed since. Returns JSON
        ``{"layers", "params", "metadata"}`` of the new active model (as ``model_info``).
        """
        last = self._last()
        if last["base"] is not self.net:
            raise ValueError("the active model changed since this step was computed; compute "
                             "the step again")
        net = last["net"]
        saved = stepwise.apply(net, last["record"])
        if last["code"] is not None:
            net.metadata = {"code": last["code"]}
        self._applied = {"net": net, "previous": self.net, "saved": saved,
                         "params": net.params.copy()}
        self._explained, self.net = None, net
        return json.dumps(self._info(net))

    def undo_step(self):
        """Undo the last apply_step: the model and optimizer from before, bit for bit.

        Refused when the active model changed since the step was applied. Returns JSON
        ``{"layers", "params", "metadata"}`` of the active model.
        """
        done = self._applied
        if done is None:
            raise ValueError("there is no applied step to undo")
        if done["net"] is not self.net or done["params"].tobytes() != self.net.params.tobytes():
            raise ValueError("the active model changed since the step was applied, so the "
                             "step can no longer be undone")
        stepwise.undo(done["net"], done["saved"])
        self._applied, self.net = None, done["previous"]
        return json.dumps(self._info(self.net))
