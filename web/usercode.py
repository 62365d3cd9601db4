"""usercode: runs a learner's network code for the worker, and writes the code the Code panel
shows (generated from the Train settings, templates, and the "Export as Python" script).

The worker imports this module next to ``bridge.py``. A learner's code is compiled with a real
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


# ------------------------------------------------------------------ code shown in the panel
def _optimizer_call(opt):
    """``SGD(lr=0.1, momentum=0.9)`` for a built-in optimizer: lr, SGD's momentum, and any
    setting that differs from the class default."""
    config, default = opt.get_config(), type(opt)().get_config()
    keep = [k for k in config if k == "lr" or (k == "momentum" and opt.name == "sgd")
            or config[k] != default[k]]
    return f"{type(opt).__name__}({', '.join(f'{k}={config[k]!r}' for k in keep)})"


def _import_line(names, width=79):
    """``from py_nn import ...`` with classes first (as py_nn/__init__.py), wrapped to ``width``."""
    ordered = sorted(names, key=lambda n: (not n[:1].isupper(), n))
    line = f"from py_nn import {', '.join(ordered)}"
    if len(line) <= width:
        return line
    rows, row = [], "   "
    for name in ordered:
        if len(row) + len(name) + 2 > width:
            rows.append(row)
            row = "   "
        row += f" {name},"
    return "from py_nn import (\n" + "\n".join(rows + [row]) + "\n)"


def _program(settings, doc, block="", imports=(), names=NAMES, **custom):
    """Code in the seed's style: ``doc`` string (None: none), imports, then ``block`` (the
    learner's own definitions), then each of ``names`` with the form's value or, if given,
    ``custom[name]`` (e.g. ``hidden_activation="(swish, d_swish)"``)."""
    form = form_components(settings)
    hidden = str(form["hidden_activation"])
    activations.get_hidden(hidden)  # ValueError listing the valid names for an unknown one
    pairs = {"hidden_activation": (hidden, f"d_{hidden}"),  # relu -> (relu, d_relu), ...
             "output_activation": ("softmax", "d_softmax"),
             "loss": ("categorical_crossentropy", "d_categorical_crossentropy")}
    values = {name: f"({a}, {b})" for name, (a, b) in pairs.items()}
    values.update(optimizer=_optimizer_call(form["optimizer"]), layers=repr(form["layers"]))
    used = [name for name in names if name not in custom]
    needed = {n for name in used for n in pairs.get(name, ())}
    needed |= {type(form["optimizer"]).__name__} if "optimizer" in used else set()
    values.update(custom)
    lines = ([f'"""{doc}"""'] if doc else []) + list(imports)
    lines += [_import_line(needed)] if needed else []
    lines += ["", "", block.strip("\n"), ""] if block else []
    comments = {
        "hidden_activation": "Hidden layers: an activation and its derivative, both elementwise "
                             "on (n, m) arrays.",
        "output_activation": "Output layer: the activation, and its derivative as one Jacobian "
                             "per sample, (n, m, m).",
        "loss": "Loss per sample, (n, 1), and its derivative as a row vector per sample, "
                "(n, 1, m).",
        "optimizer": "Any object with .update(old_params, gradient) -> new_params (flat vectors).",
        "layers": f"Nodes per layer: {form['layers'][0]} pixels in, hidden layers, "
                  f"{form['layers'][-1]} digits out."}
    for name in names:
        lines += ["", f"# {comments[name]}", f"{name} = {values[name]}"]
    return "\n".join(lines) + "\n"


def generated_code(settings):
    """The Code panel's starting code for the Train settings, in the seed article's style."""
    return _program(settings, "The network the Train form describes, as py_nn code. Change "
                              "anything, then Check or Train.\nA name you delete takes the "
                              "form's value.")


_TEMPLATE_SETTINGS = {"hidden": [128], "optimizer": "sgd", "learningRate": 0.05,
                      "momentum": 0.9}

_LEAKY = """
ALPHA = 0.05  # the slope for z < 0; ReLU is ALPHA = 0


def my_leaky_relu(z):
    \"\"\"z where z > 0, else ALPHA * z; z has shape (n, m).\"\"\"
    return np.where(z > 0, z, ALPHA * z)


def d_my_leaky_relu(z):
    \"\"\"The derivative, elementwise: 1 where z > 0, else ALPHA; shape (n, m).\"\"\"
    return np.where(z > 0, 1.0, ALPHA).astype(z.dtype)
"""

_SWISH = """
def sigmoid(z):
    return 0.5 * (1 + np.tanh(0.5 * z))  # = 1 / (1 + exp(-z)), without overflow


def swish(z):
    \"\"\"z * sigmoid(z) (also called SiLU); z has shape (n, m).\"\"\"
    return z * sigmoid(z)


def d_swish(z):
    \"\"\"The product rule: sigmoid(z) + z * sigmoid(z) * (1 - sigmoid(z)); shape (n, m).\"\"\"
    s = sigmoid(z)
    return s + z * s * (1 - s)
"""

_LOSS = """
SMOOTHING = 0.1  # move this much of the target's weight evenly onto every class
TINY = 1e-12     # keeps log() and division away from 0


def smoothed_crossentropy(y_pred, y_true):
    \"\"\"Cross-entropy against softened targets; (n, m), (n, m) -> one loss per sample (n, 1).\"\"\"
    target = (1 - SMOOTHING) * y_true + SMOOTHING / y_true.shape[1]
    return -np.sum(target * np.log(y_pred + TINY), axis=1, keepdims=True)


def d_smoothed_crossentropy(y_pred, y_true):
    \"\"\"-target / y_pred, as a row vector per sample: shape (n, 1, m).\"\"\"
    target = (1 - SMOOTHING) * y_true + SMOOTHING / y_true.shape[1]
    return (-target / (y_pred + TINY))[:, None, :]
"""

_OPTIMIZER = """
class MomentumSGD:
    \"\"\"Gradient descent with momentum, written out:

    velocity <- momentum * velocity - lr * gradient
    params   <- params + velocity
    \"\"\"

    def __init__(self, lr=0.05, momentum=0.9):
        self.lr, self.momentum = lr, momentum
        self.velocity = None  # made on the first update, shaped like the parameters

    def update(self, old_params, gradient):
        \"\"\"old_params and gradient are flat vectors (n_params,); return the new parameters.\"\"\"
        if self.velocity is None:
            self.velocity = np.zeros_like(old_params)
        self.velocity = self.momentum * self.velocity - self.lr * gradient
        return old_params + self.velocity
"""

TEMPLATES = {
    "leaky_relu": {"title": "Your own hidden activation: leaky ReLU", "source": _program(
        _TEMPLATE_SETTINGS, "A hidden activation of your own: leaky ReLU and its derivative.",
        _LEAKY, ["import numpy as np"], hidden_activation="(my_leaky_relu, d_my_leaky_relu)")},
    "swish": {"title": "Your own hidden activation: swish", "source": _program(
        _TEMPLATE_SETTINGS, "A hidden activation of your own: swish and its derivative.",
        _SWISH, ["import numpy as np"], hidden_activation="(swish, d_swish)")},
    "loss": {"title": "Your own loss: label-smoothed cross-entropy", "source": _program(
        _TEMPLATE_SETTINGS, "A loss of your own: cross-entropy with label smoothing.", _LOSS,
        ["import numpy as np"], loss="(smoothed_crossentropy, d_smoothed_crossentropy)")},
    "optimizer": {"title": "Your own optimizer: momentum SGD", "source": _program(
        _TEMPLATE_SETTINGS, "An optimizer of your own: a class with .update(old_params, "
                            "gradient).", _OPTIMIZER, ["import numpy as np"],
        optimizer="MomentumSGD(lr=0.05, momentum=0.9)")},
}


# ------------------------------------------------------------------ Export as Python
_SCRIPT_HEAD = '''#!/usr/bin/env python3
"""Train the network from the py_nn page on your own computer.

Needs Python 3.9+ with NumPy and py_nn: pip install numpy py_nn-{version}-py3-none-any.whl
(the wheel the page offers). Put mnist-images.u8, mnist-labels.u8 and mnist.json (the digits
the page offers) next to this file, then run: python3 {filename}
"""
'''

_SCRIPT_TAIL = '''

# ---------------------------------------------------------------- training (from the page)
def _train():
    import json
    from pathlib import Path

    import numpy as np

    import py_nn

    folder = Path(__file__).resolve().parent
    meta = json.loads((folder / "mnist.json").read_text())
    pixels = meta["rows"] * meta["cols"]
    images = np.fromfile(folder / "mnist-images.u8", dtype=np.uint8)
    labels = np.fromfile(folder / "mnist-labels.u8", dtype=np.uint8).astype(np.int64)
    x = images.reshape(meta["count"], pixels).astype(np.float32) / 255.0
    train, test = meta["train"], meta["test"]
    samples = {samples}  # the Train form's "samples" (None: all training digits)
    x_train, y_train = x[:train][:samples], labels[:train][:samples]
    x_test, y_test = x[-test:], labels[-test:]
    print(f"py_nn {{py_nn.__version__}}: {{len(x_train)}} training digits, {{len(x_test)}} held out")

    net = py_nn.NeuralNetwork(layers, hidden_activation, output_activation, loss, optimizer,
                              dtype="float32", seed={seed})
    print(net)
    net.fit(x_train, y_train, batch_size={batch_size}, epochs={epochs}, categorical=True,
            validation_data=(x_test, y_test))
    accuracy = net.score(x_test, y_test, accuracy=True)
    print(f"held-out accuracy: {{accuracy:.4f}}")


if __name__ == "__main__":
    _train()
'''


def python_script(settings, source, filename="train_py_nn.py"):
    """The text of a standalone ``.py`` that trains the same network on CPython.

    The learner's ``source`` is kept verbatim; each of the five names it leaves out is
    written after it with the Train form's value; then a training section reads the digits
    from ``mnist-images.u8``, ``mnist-labels.u8`` and ``mnist.json`` next to the script,
    trains with the form's epochs, batch size, samples and seed, prints progress and the
    held-out accuracy. ``filename`` is the name the docstring says to run. ValueError if
    ``source`` does not parse.
    """
    try:
        defined = assignment_lines(source)
    except SyntaxError as exc:
        raise ValueError(f"The code has a syntax error on line {exc.lineno} ({exc.msg}); fix "
                         f"it before exporting.") from None
    missing = [name for name in NAMES if name not in defined]
    parts = [_SCRIPT_HEAD.format(version=py_nn.__version__, filename=filename),
             "# ---------------------------------------------------------------- your code",
             source.rstrip("\n")]
    if missing:
        parts += ["", "", "# ------------------------------ the Train form's values for what "
                          "your code leaves out", _program(settings, None, names=missing)]
    samples = settings.get("samples")
    parts.append(_SCRIPT_TAIL.format(
        samples=None if samples is None else int(samples), seed=int(settings.get("seed", 0)),
        batch_size=int(settings.get("batchSize", 64)), epochs=int(settings.get("epochs", 3))))
    return "\n".join(parts)
