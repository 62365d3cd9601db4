"""usercode: runs a learner's network code for the worker (the Code panel's Check and Train
with this code), and checks the derivatives it defines. The text the panel shows (generated
code, templates, the exported script) is codegen.py's.

The worker imports this module as part of the ``pynn_worker`` package. A learner's code is compiled with a real
file name (``code.py``) so every error comes back as ``{message, line}`` with the line in the
learner's file; ``print`` output is captured and returned, never lost. Nothing here raises for
bad user code.

Settings are the Train form's values as the page passes them: ``{"hidden": [128],
"optimizer": "adam", "learningRate": 0.001, "epochs": 3, "batchSize": 64, "samples": 8000,
"seed": 0}`` (optional: ``"momentum"``, ``"hiddenActivation"``, ``"inputs"``, ``"classes"``).
"""
import ast
import builtins
import contextlib
import linecache
import sys
import traceback
import warnings

import py_nn
import py_nn.gradcheck
from py_nn import activations, losses, optimizers

INPUTS, CLASSES = 784, 10          # MNIST: 28 x 28 pixels in, 10 digits out
NAMES = ("hidden_activation", "output_activation", "loss", "optimizer", "layers")
MAX_OUTPUT = 100_000               # characters of print output kept per run
MAX_PARAMS = 20_000_000            # a network larger than this does not fit a browser tab


class Output:
    """Collects what the learner's code prints (``print`` and ``sys.stdout``), up to a limit."""

    def __init__(self, limit=MAX_OUTPUT):
        self.parts, self.size, self.limit, self.cut = [], 0, limit, False

    def write(self, text):
        room = self.limit - self.size
        if len(text) > room:
            text, self.cut = text[:max(room, 0)], True
        self.parts.append(text)
        self.size += len(text)
        return len(text)

    def flush(self):
        pass

    def print(self, *args, sep=" ", end="\n", file=None, flush=False):
        """``print`` for the learner's namespace: to this buffer unless another file is given."""
        if file is not None and file not in (sys.stdout, sys.stderr, self):
            return builtins.print(*args, sep=sep, end=end, file=file, flush=flush)
        self.write((" " if sep is None else sep).join(map(str, args)) +
                   ("\n" if end is None else end))

    def take(self):
        """The text printed since the last ``take()``."""
        text = "".join(self.parts) + ("\n... (output cut: too much printing)\n" if self.cut else "")
        self.parts, self.cut = [], False
        return text


@contextlib.contextmanager
def captured(printer, filename="code.py"):
    """Send ``sys.stdout``, ``sys.stderr`` and warnings (e.g. NumPy's overflow) to ``printer``."""
    with warnings.catch_warnings(record=True) as caught, \
            contextlib.redirect_stdout(printer), contextlib.redirect_stderr(printer):
        warnings.simplefilter("default")
        try:
            yield printer
        finally:
            for w in caught:
                where = f" (line {w.lineno})" if w.filename == filename else ""
                printer.write(f"{w.category.__name__}: {w.message}{where}\n")


def error_info(exc, filename="code.py"):
    """``{"message", "line", "traceback"}`` for an exception from the learner's code.

    ``line`` is the line in ``filename`` nearest the error (the deepest frame in that file),
    None if the error did not pass through it. ``traceback`` lists only the learner's frames.
    """
    if isinstance(exc, SyntaxError) and exc.filename == filename:
        return {"message": f"{type(exc).__name__}: {exc.msg}", "line": exc.lineno,
                "traceback": "".join(traceback.format_exception_only(type(exc), exc))}
    frames = [f for f in traceback.extract_tb(exc.__traceback__) if f.filename == filename]
    message = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
    if isinstance(exc, KeyboardInterrupt):
        message = "Stopped: the code was interrupted (an endless loop?)."
    text = "".join(traceback.format_list(frames)) + message + "\n"
    return {"message": message, "line": frames[-1].lineno if frames else None,
            "traceback": "Traceback (your code):\n" + text if frames else text}


def assignment_lines(source):
    """``{name: line}`` of the last top-level definition of each name in ``source``."""
    lines = {}

    def visit(body):
        for node in body:
            targets = []
            if isinstance(node, (ast.Assign, ast.AnnAssign, ast.AugAssign)):
                targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                for target in targets:
                    for name in ast.walk(target):
                        if isinstance(name, ast.Name):
                            lines[name.id] = node.lineno
            elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                lines[node.name] = node.lineno
            elif isinstance(node, (ast.Import, ast.ImportFrom)):
                for alias in node.names:
                    if alias.name != "*":
                        lines[(alias.asname or alias.name).split(".")[0]] = node.lineno
            for field in ("body", "orelse", "finalbody", "handlers"):
                inner = getattr(node, field, None)
                if isinstance(inner, list) and not isinstance(node, (
                        ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                    visit(inner)

    visit(ast.parse(source).body)
    return lines


def form_components(settings):
    """The five names as the Train form sets them: ``{name: value for NAMES}``."""
    hidden = [int(n) for n in settings.get("hidden", [128])]
    name = str(settings.get("optimizer", "adam")).lower()
    options = {"lr": float(settings["learningRate"])} if "learningRate" in settings else {}
    if name == "sgd" and "momentum" in settings:
        options["momentum"] = float(settings["momentum"])
    return {"hidden_activation": settings.get("hiddenActivation", "relu"),
            "output_activation": "softmax", "loss": "categorical_crossentropy",
            "optimizer": optimizers.get_optimizer(name, **options),
            "layers": [int(settings.get("inputs", INPUTS)), *hidden,
                       int(settings.get("classes", CLASSES))]}


def _resolve(name, value, settings):
    """``value`` checked as the network takes it; ValueError/TypeError saying what is wrong."""
    if name == "hidden_activation":
        return activations.get_hidden(value)
    if name == "output_activation":
        return activations.get_output(value)
    if name == "loss":
        return losses.get_loss(value)
    if name == "optimizer":
        if isinstance(value, type):
            raise TypeError(f"optimizer is the class {value.__name__}, not an object: create "
                            f"one, e.g. optimizer = {value.__name__}().")
        return optimizers.get_optimizer(value)
    inputs, classes = int(settings.get("inputs", INPUTS)), int(settings.get("classes", CLASSES))
    if (not isinstance(value, (list, tuple)) or len(value) < 2
            or not all(isinstance(n, int) and not isinstance(n, bool) and n >= 1 for n in value)):
        raise ValueError(f"layers must be a list of whole numbers >= 1, e.g. [{inputs}, 128, "
                         f"{classes}]; got {value!r}.")
    if value[0] != inputs or value[-1] != classes:
        raise ValueError(f"layers must start with {inputs} (one input per pixel) and end with "
                         f"{classes} (one output per digit); got {list(value)}.")
    params = sum(a * b + b for a, b in zip(value, value[1:]))
    if params > MAX_PARAMS:
        raise ValueError(f"layers {list(value)} make {params:,} parameters; at most "
                         f"{MAX_PARAMS:,} fit in the page. Use smaller hidden layers.")
    return [int(n) for n in value]


def run_code(source, defaults, filename="code.py"):
    """Run a learner's code and collect the network it describes.

    Parameters
    ----------
    source : str
        Python code that may define hidden_activation, output_activation, loss, optimizer
        and layers (see ``generated_code``).
    defaults : dict
        The Train form's settings; every name the code leaves out takes the form's value.

    Returns
    -------
    dict
        ``{"ok", "error": None or {"message", "line", "traceback"}, "output": printed text,
        "network": {name: value} keyword arguments for ``py_nn.NeuralNetwork`` (when ok),
        "defined": the names the code defined, "namespace": the code's globals,
        "printer": the :class:`Output` its functions keep printing to}``.
    """
    printer = Output()
    result = {"ok": False, "error": None, "output": "", "network": None, "defined": [],
              "namespace": None, "printer": printer}
    if not isinstance(source, str):
        result["error"] = {"message": f"The code must be text; got {type(source).__name__}.",
                           "line": None, "traceback": ""}
        return result
    linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
    namespace = {"__name__": "usercode", "__file__": filename, "__builtins__": builtins,
                 "print": printer.print}
    result["namespace"] = namespace
    try:
        code = compile(source, filename, "exec")
        with captured(printer, filename):
            exec(code, namespace)  # noqa: S102 - running the learner's code is the point
    except BaseException as exc:  # noqa: BLE001 - SystemExit, KeyboardInterrupt included
        result["error"] = error_info(exc, filename)
        result["output"] = printer.take()
        return result
    result["output"] = printer.take()
    defined = [name for name in NAMES if name in namespace]
    lines = assignment_lines(source)
    network = form_components(defaults)
    for name in defined:
        try:
            network[name] = _resolve(name, namespace[name], defaults)
        except (ValueError, TypeError) as exc:
            result["error"] = {"message": f"{name}: {exc}", "line": lines.get(name),
                               "traceback": ""}
            return result
    result.update(ok=True, network=network, defined=defined)
    return result


def check_code(source, defaults, filename="code.py"):
    """Run the code and check every derivative it defines (``py_nn.gradcheck``).

    Returns ``{"ok", "components": {name: gradcheck result}, "error", "output"}``; a name the
    code leaves out is not checked (the form's built-in value is used).
    """
    run = run_code(source, defaults, filename)
    if not run["ok"]:
        return {"ok": False, "components": {}, "error": run["error"], "output": run["output"]}
    namespace = run["namespace"]
    with captured(run["printer"], filename):
        components = py_nn.gradcheck.check_components(namespace, filename=filename)
    return {"ok": all(c["ok"] for c in components.values()), "components": components,
            "error": None, "output": run["output"] + run["printer"].take()}
