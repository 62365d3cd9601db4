"""The whole-model format: JSON with exact parameters, and the seed's weights-only ``.npz``.

A document (``to_json``) looks like::

    {"format": "py_nn.model", "version": 1, "py_nn_version": "0.1.0",
     "layers": [784, 128, 10],
     "hidden_activation": {"name": "relu", "config": {}},
     "output_activation": {"name": "softmax", "config": {}},
     "loss": {"name": "categorical_crossentropy", "config": {}},
     "optimizer": {"name": "adam", "config": {"lr": 0.001, ...}},
     "dtype": "float32",
     "params": {"encoding": "base64", "byteorder": "little", "dtype": "float32",
                "count": 101770, "data": "..."},
     "optimizer_state": null,
     "metadata": {}}

``params`` is the flat parameter vector (all weights, then all biases) as little-endian
bytes, so a round trip is exact. ``optimizer_state`` (optional) holds the optimizer's
``iterations`` and its state vectors in the same encoding. Reading checks every field and
builds a new network only once the whole document is valid.
"""
import base64
import binascii
import json

import numpy as np

from . import __version__
from .activations import HIDDEN, OUTPUT
from .losses import LOSSES
from .optimizers import OPTIMIZERS

FORMAT = "py_nn.model"
VERSION = 1


class ModelFormatError(ValueError):
    """A model document or file that cannot be read; the message says what is wrong."""


def _encode(array):
    data = np.ascontiguousarray(array, dtype=array.dtype.newbyteorder("<"))
    return {"encoding": "base64", "byteorder": "little", "dtype": array.dtype.name,
            "count": int(array.size), "data": base64.b64encode(data.tobytes()).decode("ascii")}


def _decode(block, where, dtype, count):
    """A float vector of ``count`` values from an ``_encode`` block; checks every field."""
    if not isinstance(block, dict):
        raise ModelFormatError(f"{where} must be an object with encoding, byteorder, dtype, "
                               f"count and data; got {type(block).__name__}.")
    expected = {"encoding": "base64", "byteorder": "little", "dtype": dtype, "count": count}
    for key, value in expected.items():
        if block.get(key) != value:
            raise ModelFormatError(f"{where}.{key} must be {value!r}; got {block.get(key)!r}.")
    if not isinstance(block.get("data"), str):
        raise ModelFormatError(f"{where}.data must be a base64 string.")
    try:
        raw = base64.b64decode(block["data"], validate=True)
    except (binascii.Error, ValueError):
        raise ModelFormatError(f"{where}.data is not valid base64 (truncated or damaged "
                               f"file?).") from None
    itemsize = np.dtype(dtype).itemsize
    if len(raw) != count * itemsize:
        raise ModelFormatError(f"{where}.data holds {len(raw)} bytes; expected {count} values "
                               f"x {itemsize} bytes = {count * itemsize} (truncated file?).")
    values = np.frombuffer(raw, dtype=np.dtype(dtype).newbyteorder("<")).astype(dtype)
    if not np.all(np.isfinite(values)):
        raise ModelFormatError(f"{where} contains NaN or inf values.")
    return values


def _component_entry(component):
    if component.name is None:
        fn = getattr(component[0], "__name__", "custom")
        return {"name": fn, "config": {}, "custom": True}
    return {"name": component.name, "config": dict(component.config)}


def to_dict(net, include_optimizer=False, metadata=None):
    """The model as a JSON-ready dict (see the module docstring)."""
    optimizer = net.optimizer
    name = getattr(optimizer, "name", None)
    if name not in OPTIMIZERS or type(optimizer) is not OPTIMIZERS[name]:
        opt_entry = {"name": type(optimizer).__name__, "config": {}, "custom": True}
        include_optimizer = False
    else:
        opt_entry = {"name": name, "config": optimizer.get_config()}
    state = None
    if include_optimizer and getattr(optimizer, "state", None) is not None:
        state = {"iterations": int(optimizer.iterations),
                 "vectors": {k: _encode(v) for k, v in optimizer.state.items()}}
    if metadata is not None:
        net.metadata = dict(metadata)
    return {
        "format": FORMAT, "version": VERSION, "py_nn_version": __version__,
        "layers": list(net.layers),
        "hidden_activation": _component_entry(net.hidden_activation),
        "output_activation": _component_entry(net.output_activation),
        "loss": _component_entry(net.loss),
        "optimizer": opt_entry,
        "dtype": net.dtype.name,
        "params": _encode(net.params),
        "optimizer_state": state,
        "metadata": net.metadata,
    }


def to_json(net, include_optimizer=False, metadata=None):
    """``to_dict`` as a compact JSON string."""
    return json.dumps(to_dict(net, include_optimizer, metadata), separators=(",", ":"))


def _component(doc, field, registry, custom_objects):
    entry = doc.get(field)
    if not isinstance(entry, dict) or not isinstance(entry.get("name"), str):
        raise ModelFormatError(f"{field} must be an object like {{\"name\": ..., \"config\": "
                               f"{{}}}}; got {entry!r}.")
    config = entry.get("config", {})
    if not isinstance(config, dict):
        raise ModelFormatError(f"{field}.config must be an object; got {config!r}.")
    name = entry["name"]
    if entry.get("custom") or name not in registry:
        if name in custom_objects:
            return custom_objects[name]
        raise ModelFormatError(
            f"{field} {name!r} is not a built-in component ({', '.join(sorted(registry))}); "
            f"pass custom_objects={{{name!r}: (function, derivative)}} to load it.")
    return {"name": name, "config": config}


def from_dict(doc, custom_objects=None):
    """A new NeuralNetwork from a document dict; ModelFormatError if any field is wrong."""
    from .network import NeuralNetwork

    custom_objects = dict(custom_objects or {})
    if not isinstance(doc, dict):
        raise ModelFormatError(f"A py_nn model must be a JSON object; got "
                               f"{type(doc).__name__}.")
    if doc.get("format") != FORMAT:
        raise ModelFormatError(f"Not a py_nn model: format is {doc.get('format')!r}, "
                               f"expected {FORMAT!r}.")
    version = doc.get("version")
    if not isinstance(version, int) or isinstance(version, bool) or version > VERSION:
        raise ModelFormatError(f"Unsupported model format version {version!r}; this py_nn "
                               f"({__version__}) reads version {VERSION}. Upgrade py_nn.")
    layers = doc.get("layers")
    if (not isinstance(layers, list) or len(layers) < 2 or not all(
            isinstance(n, int) and not isinstance(n, bool) and n >= 1 for n in layers)):
        raise ModelFormatError(f"layers must be a list of at least 2 positive integers; "
                               f"got {layers!r}.")
    dtype = doc.get("dtype")
    if dtype not in ("float32", "float64"):
        raise ModelFormatError(f"dtype must be 'float32' or 'float64'; got {dtype!r}.")
    hidden = _component(doc, "hidden_activation", HIDDEN, custom_objects)
    output = _component(doc, "output_activation", OUTPUT, custom_objects)
    loss = _component(doc, "loss", LOSSES, custom_objects)

    opt = doc.get("optimizer")
    if not isinstance(opt, dict) or not isinstance(opt.get("config", {}), dict):
        raise ModelFormatError(f"optimizer must be an object like {{\"name\": \"adam\", "
                               f"\"config\": {{}}}}; got {opt!r}.")
    if opt.get("name") in OPTIMIZERS and not opt.get("custom"):
        try:
            optimizer = OPTIMIZERS[opt["name"]](**opt.get("config", {}))
        except (TypeError, ValueError) as exc:
            raise ModelFormatError(f"optimizer {opt['name']!r}: bad config ({exc}).") from None
    elif opt.get("name") in custom_objects:
        optimizer = custom_objects[opt["name"]]
    else:
        raise ModelFormatError(f"optimizer {opt.get('name')!r} is not built in "
                               f"({', '.join(sorted(OPTIMIZERS))}); pass custom_objects="
                               f"{{{opt.get('name')!r}: optimizer_object}} to load it.")

    metadata = doc.get("metadata", {})
    if metadata is None:
        metadata = {}
    if not isinstance(metadata, dict):
        raise ModelFormatError(f"metadata must be an object; got {type(metadata).__name__}.")
    try:
        net = NeuralNetwork(layers, hidden, output, loss, optimizer, dtype=dtype)
    except (TypeError, ValueError) as exc:
        raise ModelFormatError(f"The model's settings are not valid: {exc}") from None
    params = _decode(doc.get("params"), "params", dtype, net.n_params)

    state = doc.get("optimizer_state")
    if state is not None:
        names = getattr(optimizer, "state_names", ())
        if (not isinstance(state, dict) or not isinstance(state.get("vectors"), dict)
                or set(state["vectors"]) != set(names)
                or not isinstance(state.get("iterations"), int)):
            raise ModelFormatError(f"optimizer_state must hold iterations and the vectors "
                                   f"{list(names)}; got {state!r:.200}.")
        vectors = {k: _decode(state["vectors"][k], f"optimizer_state.vectors.{k}", dtype,
                              net.n_params) for k in names}
        optimizer.state, optimizer.iterations = vectors, state["iterations"]
    net._set_params(params)
    net.metadata = dict(metadata)
    return net


def from_json(text, custom_objects=None):
    """A new NeuralNetwork from a ``to_json`` string (or bytes)."""
    if isinstance(text, (bytes, bytearray)):
        text = text.decode("utf-8", errors="replace")
    if not isinstance(text, str):
        hint = (" For a dict use json.dumps(doc) first." if isinstance(text, dict)
                else " Read the file first, e.g. open(path).read(), or use load_model(path).")
        raise TypeError(f"from_json expects a JSON string; got {type(text).__name__}.{hint}")
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        snippet = text[:40].replace("\n", " ")
        raise ModelFormatError(f"Not valid JSON ({exc.msg}: character {exc.pos} of "
                               f"{len(text)}, cut off or not a model file?); a py_nn "
                               f"model file starts with '{{\"format\": \"py_nn.model\"'. Got: "
                               f"{snippet!r}{'...' if len(text) > 40 else ''}") from None
    return from_dict(doc, custom_objects)


def save_model(net, path, include_optimizer=False, metadata=None):
    """Write the model's JSON document to ``path``."""
    text = to_json(net, include_optimizer, metadata)
    with open(path, "w", encoding="utf-8") as f:
        f.write(text)


def load_model(path, custom_objects=None):
    """Read a model written by ``save_model``."""
    try:
        with open(path, "rb") as f:
            text = f.read()
    except FileNotFoundError:
        raise FileNotFoundError(f"No model file at {str(path)!r}: check the path, or write one "
                                f"with save_model(path) first.") from None
    return from_json(text, custom_objects)


def read_npz_params(path, net):
    """The flat parameter vector from a ``save()`` file, checked against ``net``'s layers."""
    try:
        archive = np.load(path, allow_pickle=False)
    except FileNotFoundError:
        raise FileNotFoundError(f"No weights file at {str(path)!r}: check the path, or write one "
                                f"with save(path) first.") from None
    except (OSError, ValueError) as exc:
        raise ModelFormatError(f"{path!s} is not a weights file written by save(): {exc}") \
            from None
    with archive:
        n = len(net.layers) - 1
        expected = [f"weights_{i}" for i in range(n)] + [f"biases_{i}" for i in range(n)]
        if sorted(archive.files) != sorted(expected):
            raise ModelFormatError(f"{path!s} holds arrays {sorted(archive.files)}; a network "
                                   f"with layers {net.layers} needs {expected}.")
        flat = np.empty(net.n_params, dtype=net.dtype)
        weights, biases = net._split(flat)
        for target, key in zip(weights + biases, expected):
            array = archive[key]
            if array.shape != target.shape:
                raise ModelFormatError(f"{path!s}: {key} has shape {array.shape}; layers "
                                       f"{net.layers} need {target.shape}.")
            target[...] = array
    return flat
