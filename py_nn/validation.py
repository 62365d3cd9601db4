"""Checks of what a person passes in at the public boundary; imports nothing but NumPy.

Each check returns the value in the form the math needs (e.g. an array of the model dtype)
or raises ``ValueError``/``TypeError`` saying what was expected, what was given and how to
fix it. The math inside the network trusts what these return.
"""
import numpy as np

DTYPES = ("float32", "float64")


def positive_int(value, name):
    """``value`` as an int >= 1 (bools refused)."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise ValueError(f"{name} must be an integer >= 1; got {value!r}.")
    return int(value)


def check_layers(layers):
    """Node counts as a list of at least 2 ints >= 1, e.g. ``[784, 128, 10]``."""
    if (not isinstance(layers, (list, tuple)) or len(layers) < 2
            or not all(isinstance(n, (int, np.integer)) and not isinstance(n, bool)
                       and n >= 1 for n in layers)):
        raise ValueError(f"layers must be a list of at least 2 positive integers (input, "
                         f"hidden..., output), e.g. [784, 128, 10]; got {layers!r}.")
    return [int(n) for n in layers]


def check_dtype(dtype):
    """``"float32"`` or ``"float64"`` (a name, a NumPy dtype or type) as a NumPy dtype."""
    if str(np.dtype(dtype) if isinstance(dtype, type) else dtype) not in DTYPES:
        raise ValueError(f"dtype must be 'float32' or 'float64'; got {dtype!r}.")
    return np.dtype(dtype)


def as_labels(labels, name="labels"):
    """Integer class labels as a 1-D int64 array of shape (n,); ValueError naming ``name``."""
    arr = np.asarray(labels)
    if arr.ndim == 2 and arr.shape[1] == 1:
        arr = arr[:, 0]
    if arr.ndim != 1:
        raise ValueError(f"{name} must be a 1-D sequence of integer class labels; "
                         f"got shape {arr.shape}.")
    if arr.dtype.kind == "f":
        if not np.all(np.isfinite(arr)):
            raise ValueError(f"{name} contains NaN or inf; class labels must be integers.")
        if not np.all(arr == np.round(arr)):
            raise ValueError(f"{name} must hold whole numbers (class labels); "
                             f"got e.g. {float(arr[arr != np.round(arr)][0])!r}. Class "
                         f"labels count 0, 1, 2, ...; round them or fix the data.")
    elif arr.dtype.kind not in "iub":
        raise ValueError(f"{name} must hold integer class labels; got dtype {arr.dtype}. "
                         f"Number the classes 0..n-1 first, e.g. "
                         f"np.unique({name.split()[-1]}, return_inverse=True)[1].")
    arr = arr.astype(np.int64)
    if arr.size and arr.min() < 0:
        raise ValueError(f"{name} must hold class labels >= 0 (the first class is 0); "
                         f"got {arr.min()}.")
    return arr


def check_x(x, layers, dtype, name="x", keep_dtype=False):
    """Inputs as an array of shape (n_samples, layers[0]) and the model ``dtype`` (in their own
    numeric dtype with ``keep_dtype``: training converts them one batch at a time)."""
    try:
        arr = np.asarray(x)
    except ValueError as exc:
        raise ValueError(f"{name} must be a 2-D array of numbers, {layers[0]} in every "
                         f"row; NumPy could not make one ({str(exc).split('.')[0]}). Check "
                         f"that every row has {layers[0]} numbers.") from None
    if arr.dtype.kind not in "biuf":
        raise TypeError(f"{name} must hold numbers; got dtype {arr.dtype}. Convert it first, "
                        f"e.g. np.asarray({name.split()[-1]}, dtype=float).")
    n_in = layers[0]
    if arr.ndim != 2 or arr.shape[1] != n_in:
        hint = (" For a single sample use x.reshape(1, -1)."
                if arr.ndim == 1 and arr.size == n_in else "")
        raise ValueError(f"{name} must have shape (n_samples, {n_in}) for layers "
                         f"{layers}; got shape {arr.shape}.{hint}")
    if arr.shape[0] == 0:
        raise ValueError(f"{name} is empty: it has 0 samples; give at least one.")
    if arr.dtype.kind == "f" and not np.all(np.isfinite(arr)):
        row = int(np.argwhere(~np.isfinite(arr))[0, 0])
        raise ValueError(f"{name} contains NaN or inf (first in row {row}); remove or "
                         f"replace those values.")
    return arr if keep_dtype else arr.astype(dtype, copy=False)


def check_scale(scale, name="x_scale"):
    """None, or a finite number other than 0 as a float."""
    if scale is None:
        return None
    if (isinstance(scale, bool) or not isinstance(scale, (int, float, np.integer, np.floating))
            or not np.isfinite(scale) or scale == 0):
        raise ValueError(f"{name} must be a finite number other than 0 (e.g. 1/255 for pixels "
                         f"0..255), or None; got {scale!r}.")
    return float(scale)


def check_labels(y, n_classes, name="y"):
    """Class labels of shape (n,), each in 0 .. n_classes - 1."""
    labels = as_labels(y, name)
    if labels.size and labels.max() >= n_classes:
        raise ValueError(f"{name} has class label {labels.max()} but the output layer has "
                         f"{n_classes} nodes, so labels must be 0..{n_classes - 1}.")
    return labels


def check_targets(y, layers, dtype, name="y"):
    """Targets of shape (n, layers[-1]) as an array of the model ``dtype``."""
    arr = np.asarray(y)
    m = layers[-1]
    if arr.ndim == 1 and m == 1:
        arr = arr[:, None]
    if arr.dtype.kind not in "biuf":
        raise TypeError(f"{name} must hold numbers; got dtype {arr.dtype}. Convert it first, "
                        f"e.g. np.asarray({name.split()[-1]}, dtype=float).")
    if arr.ndim != 2 or arr.shape[1] != m:
        raise ValueError(f"{name} must have shape (n_samples, {m}) for layers "
                         f"{layers}, or be integer class labels of shape "
                         f"(n_samples,); got shape {arr.shape}.")
    if arr.dtype.kind == "f" and not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} contains NaN or inf; remove or replace those values.")
    return arr.astype(dtype, copy=False)


def targets_and_labels(y, layers, dtype, name, categorical):
    """(targets (n, m), labels (n,) or None) from integer labels or target rows."""
    arr = np.asarray(y)
    m = layers[-1]
    if categorical or (arr.ndim == 1 and m > 1):
        labels = check_labels(arr, m, name)
        targets = np.eye(m, dtype=dtype)[labels]
        return targets, labels
    targets = check_targets(arr, layers, dtype, name)
    one_hot = (targets.shape[1] > 1 and np.all((targets == 0) | (targets == 1))
               and np.all(targets.sum(axis=1) == 1))
    return targets, (targets.argmax(axis=1) if one_hot else None)


def check_xy(x, y, layers, dtype, categorical, prefix="", keep_dtype=False):
    """(x (n, layers[0]), targets (n, layers[-1]), labels (n,) or None), of the same length;
    x in its own dtype with ``keep_dtype`` (see ``check_x``)."""
    x = check_x(x, layers, dtype, f"{prefix}x", keep_dtype)
    targets, labels = targets_and_labels(y, layers, dtype, f"{prefix}y", categorical)
    if len(targets) != len(x):
        raise ValueError(f"{prefix}x and y must have the same number of samples; got "
                         f"{len(x)} and {len(targets)}.")
    return x, targets, labels


def check_validation_data(validation_data, layers, dtype, categorical):
    """``None``, or ``check_xy`` of a ``(x_val, y_val)`` pair with "validation " messages."""
    if validation_data is None:
        return None
    if not (isinstance(validation_data, (tuple, list)) and len(validation_data) == 2):
        raise ValueError(f"validation_data must be a tuple (x_val, y_val); got "
                         f"{type(validation_data).__name__}.")
    return check_xy(*validation_data, layers, dtype, categorical, prefix="validation ")
