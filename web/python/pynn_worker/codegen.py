"""codegen: the Python text the Code panel shows and downloads: the code generated from the
Train settings (in the seed article's style), the templates to start from, and the standalone
script of "Export as Python". Pure text; running code is usercode.py's job.

Settings are the Train form's values (see usercode.py's docstring).
"""
import py_nn
from py_nn import activations

from .usercode import NAMES, assignment_lines, form_components

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
(the wheel the page offers). Put the data set's files the page offers (train-0.u8.gz ... and
test-0.u8.gz ...: gzip of n*784 pixel bytes then n label bytes) next to this file, then run:
python3 {filename}
"""
'''

_SCRIPT_TAIL = '''

# ---------------------------------------------------------------- training (from the page)
def _split(split, pixels=784):
    """(x float32 (n, pixels) in 0..1, y int64 (n,)) from the split's shards next to this file."""
    import gzip
    from pathlib import Path

    import numpy as np

    folder = Path(__file__).resolve().parent
    shards = sorted(folder.glob(f"{{split}}-*.u8.gz"), key=lambda p: int(p.name[len(split) + 1:-6]))
    if not shards:
        raise SystemExit(f"No {{split}}-0.u8.gz next to {{folder}}: download the page's files first.")
    xs, ys = [], []
    for path in shards:
        raw = np.frombuffer(gzip.decompress(path.read_bytes()), dtype=np.uint8)
        n = raw.size // (pixels + 1)
        xs.append(raw[:n * pixels].reshape(n, pixels))
        ys.append(raw[n * pixels:])
    return np.concatenate(xs).astype(np.float32) / 255.0, np.concatenate(ys).astype(np.int64)


def _train():
    import py_nn

    samples = {samples}  # the Train form's "samples" (None: every training sample)
    x_train, y_train = _split("train")
    x_train, y_train = x_train[:samples], y_train[:samples]
    x_test, y_test = _split("test")
    print(f"py_nn {{py_nn.__version__}}: {{len(x_train)}} training samples, {{len(x_test)}} held out")

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
    written after it with the Train form's value; then a training section reads the data
    set's shards (``train-<k>.u8.gz``, ``test-<k>.u8.gz``, tools/datasets.py) next to the
    script, trains with the form's epochs, batch size, samples and seed, prints progress and
    the held-out (test split) accuracy. ``filename`` is the name the docstring says to run. ValueError if
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
