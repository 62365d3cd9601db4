"""``python3 build.py --default-model mine.json``: a model file of your own as the site's default
model (in place of the one trained at build time), validated with py_nn before anything is built:
a file that is missing, not a py_nn model, the wrong shape for the default data set, or that
carries code fails the build with a message saying which and how to fix it."""
import json
from pathlib import Path

from tools.env import BuildError

FIX = "Export a model from the page (Models, Export) or write one with py_nn's save_model()."


def read_own_model(path, inputs, classes):
    """Read and check ``path``: returns ``(text, summary)`` with summary ``{"layers",
    "test_accuracy"}`` (the accuracy its metadata states, or None). BuildError when it is unusable.

    ``inputs`` and ``classes``: what the default data set's page needs (784, 10 for MNIST).
    """
    from py_nn import NeuralNetwork  # imported here: tools/ import only the standard library

    file = Path(path).expanduser()
    if not file.is_file():
        raise BuildError(f"--default-model {path}: no such file. Give the path of a py_nn model "
                         f"file (.json). {FIX}")
    text = file.read_text(encoding="utf-8", errors="replace")
    try:
        doc = json.loads(text)
    except ValueError:
        doc = None  # py_nn's from_json below says what is wrong with it
    metadata = doc.get("metadata") if isinstance(doc, dict) else None
    if isinstance(metadata, dict) and metadata.get("code"):
        raise BuildError(f"--default-model {path}: the model carries Python code "
                         f"(metadata.code), and a site's default model cannot: every visitor "
                         f"would have to trust it. Use a model trained without the Code panel.")
    try:
        net = NeuralNetwork.from_json(text)
    except ValueError as exc:  # py_nn's ModelFormatError is a ValueError
        raise BuildError(f"--default-model {path}: not a py_nn model ({exc}). {FIX}") from None
    layers = [int(v) for v in net.layers]
    if layers[0] != inputs or layers[-1] != classes:
        raise BuildError(f"--default-model {path}: the model has layers {layers}, but the page "
                         f"needs {inputs} inputs and {classes} outputs. Train one on this data set.")
    accuracy = (metadata or {}).get("test_accuracy")
    return text, {"layers": layers,
                  "test_accuracy": accuracy if isinstance(accuracy, (int, float)) else None}
