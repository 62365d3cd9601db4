"""The model format, as a codec: a JSON document <-> a validated plain spec. Never imports the network.

A document (``dumps``) looks like::

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
``iterations`` and its state vectors in the same encoding.

**Compact parameters** (``dumps(spec, compact=...)``, format version 2; the optimizer state
stays exact). ``"float16"``: ``params.dtype`` is ``"float16"``, half the bytes of float32.
``"int8"``: a quarter of them; each tensor (weights_0, weights_1, ..., then biases_0, ...) is
stored as ``round(t / scale)`` in -127..127 with its own ``scale = max|t| / 127``, listed in
``params.scales``::

    "params": {"encoding": "base64", "byteorder": "little", "dtype": "int8", "count": 101770,
               "scales": [0.0042, 0.0061, 0.0013, 0.0009], "data": "..."}

Reading gives the document's ``dtype`` (the network's) again, not the exact values: each
value is off by at most half a step (``scale / 2`` for int8). Exact documents are still written
as version 1, so older readers keep reading them; an older py_nn refuses a version 2 document
with "Upgrade py_nn".

A **spec** is the same content as plain Python data, the form ``NeuralNetwork.to_spec()``
returns and ``NeuralNetwork.from_spec()`` builds from::

    {"layers": [784, 128, 10],
     "hidden_activation": {"name": "relu", "config": {}},   # or a user's (fn, derivative)
     "output_activation": {...}, "loss": {...},
     "optimizer": {"name": "sgd", "config": {...}},          # or a user's optimizer object
     "dtype": "float32",
     "params": ndarray of shape (n_params,),
     "optimizer_state": None or {"iterations": int, "vectors": {name: ndarray (n_params,)}},
     "metadata": {}}

A component or optimizer the registries do not know is written as ``{"name": ..., "config":
{}, "custom": True}`` and read back only from ``custom_objects``. ``decode`` checks every field
and returns a spec only once the whole document is valid.
"""
import base64
import binascii
import json

import numpy as np

from ._version import __version__
from .activations import HIDDEN, OUTPUT
from .components import resolve
from .losses import LOSSES
from .optimizers import OPTIMIZERS

FORMAT = "py_nn.model"
VERSION = 2          # the newest version this py_nn reads (2: compact parameters)
EXACT_VERSION = 1    # what a document with exact parameters is written as
COMPACT = ("float16", "int8")
COMPONENT_FIELDS = (("hidden_activation", HIDDEN), ("output_activation", OUTPUT),
                    ("loss", LOSSES))


class ModelFormatError(ValueError):
    """A model document or file that cannot be read; the message says what is wrong."""


def n_params(layers):
    """How many weights and biases a network with these node counts has."""
    return sum(i * o + o for i, o in zip(layers, layers[1:]))


# ---------------------------------------------------------------- entries (settings by name)
def component_entry(component):
    """``{"name", "config"}`` for a registry component; a ``custom`` entry for a user's tuple."""
    if getattr(component, "name", None) is None:
        fn = getattr(component[0], "__name__", "custom")
        return {"name": fn, "config": {}, "custom": True}
    return {"name": component.name, "config": dict(component.config)}


def optimizer_entry(optimizer):
    """``{"name", "config"}`` for a built-in optimizer; a ``custom`` entry for anything else."""
    name = getattr(optimizer, "name", None)
    if name not in OPTIMIZERS or type(optimizer) is not OPTIMIZERS[name]:
        return {"name": type(optimizer).__name__, "config": {}, "custom": True}
    return {"name": name, "config": optimizer.get_config()}


# ---------------------------------------------------------------- arrays
def _encode(array):
    data = np.ascontiguousarray(array, dtype=array.dtype.newbyteorder("<"))
    return {"encoding": "base64", "byteorder": "little", "dtype": array.dtype.name,
            "count": int(array.size), "data": base64.b64encode(data.tobytes()).decode("ascii")}


def tensor_sizes(layers):
    """The sizes of the tensors in the flat parameter vector: weights_0.., then biases_0.."""
    pairs = list(zip(layers, layers[1:]))
    return [i * o for i, o in pairs] + [o for _, o in pairs]


def check_compact(compact):
    """ValueError unless ``compact`` is None (exact parameters) or one of COMPACT."""
    if compact is not None and compact not in COMPACT:
        raise ValueError(f"compact must be None (exact parameters), "
                         f"{' or '.join(map(repr, COMPACT))}; got {compact!r}.")


def _encode_compact(params, layers, compact):
    """The ``params`` block of a compact document (see the module docstring)."""
    check_compact(compact)
    if compact == "float16":
        return _encode(np.asarray(params).astype(np.float16))
    scales, parts, start = [], [], 0
    for size in tensor_sizes(layers):
        tensor = np.asarray(params[start:start + size], dtype=np.float64)
        start += size
        scale = float(np.max(np.abs(tensor))) / 127 if size else 0.0
        scales.append(scale)
        parts.append(np.rint(tensor / scale) if scale > 0 else np.zeros(size))
    block = _encode(np.concatenate(parts).astype(np.int8))
    block["scales"] = scales
    return block


def _dequantize(values, block, layers, dtype):
    """int8 values (count,) times each tensor's scale in ``block["scales"]``, as ``dtype``."""
    sizes = tensor_sizes(layers)
    scales = block.get("scales")
    if (not isinstance(scales, list) or len(scales) != len(sizes) or not all(
            isinstance(v, (int, float)) and not isinstance(v, bool) and np.isfinite(v) and v >= 0
            for v in scales)):
        raise ModelFormatError(f"params.scales must be {len(sizes)} finite numbers >= 0 (one per "
                               f"weight and bias tensor); got {scales!r:.200}.")
    return (values.astype(np.float64) * np.repeat(scales, sizes)).astype(dtype)


def _decode_params(doc, dtype, layers):
    """The parameter vector (n_params,) as ``dtype``: exact, or compact in a version 2 doc."""
    block, count = doc.get("params"), n_params(layers)
    stored = block.get("dtype") if isinstance(block, dict) else None
    if stored in COMPACT and doc["version"] >= 2:
        values = _decode(block, "params", stored, count)
        if stored == "int8":
            return _dequantize(values, block, layers, dtype)
        return values.astype(dtype)
    return _decode(block, "params", dtype, count)


def _decode(block, where, dtype, count):
    """A vector of ``count`` values from an ``_encode`` block; checks every field."""
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
    if values.dtype.kind == "f" and not np.all(np.isfinite(values)):
        raise ModelFormatError(f"{where} contains NaN or inf values.")
    return values


# ---------------------------------------------------------------- spec -> document
def encode(spec, compact=None):
    """The JSON-ready document dict of a spec (see the module docstring); ``compact`` (None,
    "float16" or "int8") stores the parameters in fewer bytes, not exactly."""
    params = (_encode(spec["params"]) if compact is None
              else _encode_compact(spec["params"], spec["layers"], compact))
    state = spec.get("optimizer_state")
    if state is not None:
        state = {"iterations": int(state["iterations"]),
                 "vectors": {k: _encode(v) for k, v in state["vectors"].items()}}
    return {
        "format": FORMAT, "version": EXACT_VERSION if compact is None else VERSION,
        "py_nn_version": __version__,
        "layers": list(spec["layers"]),
        "hidden_activation": spec["hidden_activation"],
        "output_activation": spec["output_activation"],
        "loss": spec["loss"],
        "optimizer": spec["optimizer"],
        "dtype": spec["dtype"],
        "params": params,
        "optimizer_state": state,
        "metadata": spec["metadata"],
    }


def dumps(spec, compact=None):
    """``encode(spec, compact)`` as a compact JSON string."""
    return json.dumps(encode(spec, compact), separators=(",", ":"))


def write(spec, path, compact=None):
    """Write ``dumps(spec, compact)`` to ``path`` (UTF-8)."""
    text = dumps(spec, compact)
    with open(path, "w", encoding="utf-8") as f:
        f.write(text)


# ---------------------------------------------------------------- document -> spec
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
    try:
        resolve({"name": name, "config": config}, registry, field)
    except (TypeError, ValueError) as exc:
        raise ModelFormatError(f"The model's settings are not valid: {exc}") from None
    return {"name": name, "config": config}


def _optimizer(doc, custom_objects):
    """(the optimizer entry or a custom object, the names of its state vectors)."""
    opt = doc.get("optimizer")
    if not isinstance(opt, dict) or not isinstance(opt.get("config", {}), dict):
        raise ModelFormatError(f"optimizer must be an object like {{\"name\": \"adam\", "
                               f"\"config\": {{}}}}; got {opt!r}.")
    if opt.get("name") in OPTIMIZERS and not opt.get("custom"):
        cls = OPTIMIZERS[opt["name"]]
        try:
            cls(**opt.get("config", {}))
        except (TypeError, ValueError) as exc:
            raise ModelFormatError(f"optimizer {opt['name']!r}: bad config ({exc}).") from None
        return {"name": opt["name"], "config": opt.get("config", {})}, cls.state_names
    if opt.get("name") in custom_objects:
        custom = custom_objects[opt["name"]]
        return custom, tuple(getattr(custom, "state_names", ()))
    raise ModelFormatError(f"optimizer {opt.get('name')!r} is not built in "
                           f"({', '.join(sorted(OPTIMIZERS))}); pass custom_objects="
                           f"{{{opt.get('name')!r}: optimizer_object}} to load it.")


def decode(doc, custom_objects=None):
    """The spec of a document dict; ModelFormatError if any field is wrong."""
    custom_objects = dict(custom_objects or {})
    if not isinstance(doc, dict):
        raise ModelFormatError(f"A py_nn model must be a JSON object; got "
                               f"{type(doc).__name__}.")
    if doc.get("format") != FORMAT:
        raise ModelFormatError(f"Not a py_nn model: format is {doc.get('format')!r}, "
                               f"expected {FORMAT!r}.")
    version = doc.get("version")
    if not isinstance(version, int) or isinstance(version, bool) or not 1 <= version <= VERSION:
        raise ModelFormatError(f"Unsupported model format version {version!r}; this py_nn "
                               f"({__version__}) reads versions 1 to {VERSION}. Upgrade py_nn.")
    layers = doc.get("layers")
    if (not isinstance(layers, list) or len(layers) < 2 or not all(
            isinstance(n, int) and not isinstance(n, bool) and n >= 1 for n in layers)):
        raise ModelFormatError(f"layers must be a list of at least 2 positive integers; "
                               f"got {layers!r}.")
    dtype = doc.get("dtype")
    if dtype not in ("float32", "float64"):
        raise ModelFormatError(f"dtype must be 'float32' or 'float64'; got {dtype!r}.")
    spec = {"layers": list(layers)}
    for field, registry in COMPONENT_FIELDS:
        spec[field] = _component(doc, field, registry, custom_objects)
    spec["optimizer"], state_names = _optimizer(doc, custom_objects)
    spec["dtype"] = dtype
    metadata = doc.get("metadata", {})
    if metadata is None:
        metadata = {}
    if not isinstance(metadata, dict):
        raise ModelFormatError(f"metadata must be an object; got {type(metadata).__name__}.")
    count = n_params(layers)
    spec["params"] = _decode_params(doc, dtype, layers)

    state = doc.get("optimizer_state")
    if state is not None:
        if (not isinstance(state, dict) or not isinstance(state.get("vectors"), dict)
                or set(state["vectors"]) != set(state_names)
                or not isinstance(state.get("iterations"), int)):
            raise ModelFormatError(f"optimizer_state must hold iterations and the vectors "
                                   f"{list(state_names)}; got {state!r:.200}.")
        state = {"iterations": state["iterations"],
                 "vectors": {k: _decode(state["vectors"][k], f"optimizer_state.vectors.{k}",
                                        dtype, count) for k in state_names}}
    spec["optimizer_state"] = state
    spec["metadata"] = dict(metadata)
    return spec


def loads(text, custom_objects=None):
    """The spec of a ``dumps`` string (or UTF-8 bytes)."""
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
    return decode(doc, custom_objects)


def read(path, custom_objects=None):
    """The spec of a file written by ``write``."""
    try:
        with open(path, "rb") as f:
            text = f.read()
    except FileNotFoundError:
        raise FileNotFoundError(f"No model file at {str(path)!r}: check the path, or write one "
                                f"with save_model(path) first.") from None
    return loads(text, custom_objects)


# ---------------------------------------------------------------- the seed's weights-only .npz
def _npz_shapes(layers):
    """{array name: shape} of a weights file, weights_0.. then biases_0.., in file order."""
    pairs = list(zip(layers, layers[1:]))
    shapes = {f"weights_{i}": (i_n, o_n) for i, (i_n, o_n) in enumerate(pairs)}
    shapes.update({f"biases_{i}": (1, o_n) for i, (_, o_n) in enumerate(pairs)})
    return shapes


def write_npz(path, weights, biases):
    """Save weight matrices ``(layers[i], layers[i+1])`` and bias rows ``(1, layers[i+1])``."""
    arrays = {f"weights_{i}": w for i, w in enumerate(weights)}
    arrays.update({f"biases_{i}": b for i, b in enumerate(biases)})
    with open(path, "wb") as f:
        np.savez(f, **arrays)


def read_npz(path, layers):
    """The arrays of a ``write_npz`` file as a list (weights..., biases...), shapes checked."""
    try:
        archive = np.load(path, allow_pickle=False)
    except FileNotFoundError:
        raise FileNotFoundError(f"No weights file at {str(path)!r}: check the path, or write one "
                                f"with save(path) first.") from None
    except (OSError, ValueError) as exc:
        raise ModelFormatError(f"{path!s} is not a weights file written by save(): {exc}") \
            from None
    with archive:
        shapes = _npz_shapes(layers)
        expected = list(shapes)
        if sorted(archive.files) != sorted(expected):
            raise ModelFormatError(f"{path!s} holds arrays {sorted(archive.files)}; a network "
                                   f"with layers {layers} needs {expected}.")
        arrays = []
        for key, shape in shapes.items():
            array = archive[key]
            if array.shape != shape:
                raise ModelFormatError(f"{path!s}: {key} has shape {array.shape}; layers "
                                       f"{layers} need {shape}.")
            arrays.append(array)
    return arrays
