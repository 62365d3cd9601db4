"""codemodel: models that carry the code they were trained with, and the Code panel's results
in a form JSON can carry.

A model trained with code keeps it in its metadata::

    "metadata": {..., "code": {"source": "<the learner's code>", "sha256": "<64 hex>",
                               "filename": "code.py"}}

py_nn's format names each custom component (``{"name": "swish", "custom": true}``); loading
rebuilds them by running ``source`` and passing what it defines as ``custom_objects``.
``py_nn.NeuralNetwork.from_json`` itself never runs anything: without ``custom_objects`` a
custom component is a ModelFormatError. Running a document's code is decided here, by the
``trust`` argument: the page passes True only for this browser's own stored models, for a
file the person explicitly trusted, or for ``pynn.importModel(file, {trustCode: true})``.
"""
import hashlib
import json
import math

import py_nn
from py_nn import optimizers

from . import usercode

FILENAME = "code.py"
MAX_SOURCE = 200_000   # characters of code a model may carry


class CodeRefusedError(ValueError):
    """A model document carries code and the caller did not trust it: nothing was run."""


def sha256(source):
    """The hex SHA-256 of ``source`` encoded as UTF-8 (what the page shows and trusts)."""
    return hashlib.sha256(source.encode("utf-8")).hexdigest()


def code_metadata(source, filename=FILENAME):
    """``{"source", "sha256", "filename"}``: what a model trained with ``source`` keeps."""
    return {"source": source, "sha256": sha256(source), "filename": filename}


def carried_code(text):
    """The code a model document carries, or None.

    Returns ``{"source", "sha256" (computed from the source), "claimed" (the document's),
    "matches" (claimed == computed), "filename", "lines"}``. ValueError if the document's
    ``metadata.code`` is there but is not ``{"source": text, ...}``. Runs nothing.
    """
    try:
        doc = json.loads(text) if isinstance(text, str) else text
    except json.JSONDecodeError:
        return None  # not JSON: from_json explains that
    metadata = doc.get("metadata") if isinstance(doc, dict) else None
    code = metadata.get("code") if isinstance(metadata, dict) else None
    if code is None:
        return None
    if not isinstance(code, dict) or not isinstance(code.get("source"), str):
        raise ValueError("metadata.code must be an object {\"source\": the code, \"sha256\": "
                         "its hash}; this file's is not, so it cannot be loaded.")
    source = code["source"]
    if len(source) > MAX_SOURCE:
        raise ValueError(f"metadata.code.source is {len(source):,} characters; a model's code "
                         f"is at most {MAX_SOURCE:,}.")
    computed = sha256(source)
    claimed = code.get("sha256")
    return {"source": source, "sha256": computed, "claimed": claimed,
            "matches": claimed == computed, "filename": FILENAME,
            "lines": source.count("\n") + (not source.endswith("\n"))}


def custom_objects(network):
    """``{name: component}`` for the components of ``network`` (keyword arguments of
    ``NeuralNetwork`` as ``usercode.run_code`` returns them) that are not built in, under the
    names py_nn's format stores them by (the function's name, the optimizer's class name)."""
    found = {}
    for field in ("hidden_activation", "output_activation", "loss"):
        component = network[field]
        if getattr(component, "name", None) is None:
            found[getattr(component[0], "__name__", "custom")] = component
    opt = network["optimizer"]
    name = getattr(opt, "name", None)
    if name not in optimizers.OPTIMIZERS or type(opt) is not optimizers.OPTIMIZERS[name]:
        found[type(opt).__name__] = opt
    return found


def load_model(text, trust=False, defaults=None):
    """A network from a model document; its code is run only if ``trust``.

    Returns ``(net, output)``: ``output`` is what the code printed ("" without code).
    Raises CodeRefusedError when the document carries code and ``trust`` is false (nothing run),
    ValueError when the code fails (its message says the line), and py_nn's ModelFormatError
    for a bad document.
    """
    code = carried_code(text)
    if code is None:
        return py_nn.NeuralNetwork.from_json(text), ""
    if not trust:
        raise CodeRefusedError(f"this model file carries Python code ({code['lines']} lines, sha256 "
                          f"{code['sha256'][:12]}...) that it needs to rebuild its components; "
                          f"the code was not run. Read it and trust it first")
    run = usercode.run_code(code["source"], defaults or {}, filename=code["filename"])
    if not run["ok"]:
        error = run["error"]
        where = f" on line {error['line']}" if error.get("line") else ""
        raise ValueError(f"the model's code failed{where}: {error['message']}")
    net = py_nn.NeuralNetwork.from_json(text, custom_objects=custom_objects(run["network"]))
    return net, run["output"]


def json_safe(value):
    """``value`` with every non-finite float written as "Infinity", "-Infinity" or "NaN" (JSON
    has no such numbers; the page turns them back with ``Number()``) and tuples as lists."""
    if isinstance(value, float) and not math.isfinite(value):
        return "NaN" if math.isnan(value) else ("Infinity" if value > 0 else "-Infinity")
    if isinstance(value, dict):
        return {k: json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [json_safe(v) for v in value]
    if hasattr(value, "item") and hasattr(value, "dtype"):  # a NumPy scalar
        return json_safe(value.item())
    return value


def check_result(source, settings):
    """``usercode.check_code`` as the page gets it: ``{"ok", "components": {name: {"ok",
    "maxRelError", "shapeOk", "message", "worst", "line"}}, "error": None or {"message",
    "line", "traceback"}, "output"}``, JSON-safe."""
    result = usercode.check_code(source, settings)
    error = result["error"]
    if error is not None:
        error = {k: error.get(k) for k in ("message", "line", "traceback")}
    else:  # a failing component without an error line points at the line that defines it
        defined = usercode.assignment_lines(source)
        for name, component in result["components"].items():
            if not component["ok"] and component.get("line") is None:
                component["line"] = defined.get(name)
    return json_safe({"ok": result["ok"], "components": result["components"], "error": error,
                      "output": result["output"]})


class CodeModelMixin:
    """The Code panel's part of the worker's ``WorkerState`` (a base class of it).

    Uses the session's ``inputs``, ``classes``, ``net``, ``fit`` and ``check_model``. Every
    method takes and returns plain values (strings, JSON text) like the rest of the worker's Python.
    """

    def _settings(self, settings_json):
        """The Train settings with this page's data shape (so layers are checked against it)."""
        settings = json.loads(settings_json) if isinstance(settings_json, str) else dict(settings_json)
        settings.update(inputs=self.inputs, classes=self.classes)
        return settings

    def check_code(self, source, settings_json):
        """JSON of ``check_result``: every derivative the code defines, checked."""
        return json.dumps(check_result(source, self._settings(settings_json)))

    def code_templates(self, settings_json):
        """JSON ``{"generated": code for the settings, "templates": {key: {"title", "source"}}}``."""
        from . import codegen
        return json.dumps({"generated": codegen.generated_code(self._settings(settings_json)),
                           "templates": codegen.TEMPLATES})

    def python_script(self, source, settings_json):
        """The text of "Export as Python" (ValueError naming the line of a syntax error)."""
        from . import codegen
        return codegen.python_script(self._settings(settings_json), source)

    @staticmethod
    def code_info(text):
        """JSON ``{"code": None or carried_code(text)}``; runs nothing."""
        return json.dumps({"code": carried_code(text)})

    def _load_network(self, text, trust):
        """A checked network from a document (its code run only if ``trust``), and the output."""
        net, output = load_model(text, trust=trust, defaults={"inputs": self.inputs,
                                                              "classes": self.classes})
        return self.check_model(net), output

    def code_network(self, cfg):
        """Run ``cfg["code"]`` for a fit: ``{"network": NeuralNetwork keyword arguments,
        "printer", "code": code_metadata}``, or ``{"error": {"message", "line"}, "output"}``."""
        source = cfg["code"]
        if not isinstance(source, str) or len(source) > MAX_SOURCE:
            return {"error": {"message": f"The code must be text of at most {MAX_SOURCE:,} "
                                         f"characters.", "line": None}, "output": ""}
        run = usercode.run_code(source, self._settings(cfg), filename=FILENAME)
        if not run["ok"]:
            return {"error": {k: run["error"].get(k) for k in ("message", "line", "traceback")},
                    "output": run["output"]}
        return {"network": run["network"], "printer": run["printer"],
                "code": code_metadata(source), "output": run["output"]}

    def code_capture(self):
        """A context for running training steps: the code's printing and warnings go to its
        printer (a no-op when the running fit has no code)."""
        import contextlib
        printer = getattr(self.fit, "printer", None)
        return usercode.captured(printer, FILENAME) if printer else contextlib.nullcontext()

    def code_output(self):
        """What the running fit's code printed since the last call ("" without code)."""
        printer = getattr(self.fit, "printer", None)
        return printer.take() if printer else ""
