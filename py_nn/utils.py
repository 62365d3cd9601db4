"""Small helpers for classification data."""
import numpy as np


def _as_labels(labels, name="labels"):
    """Integer class labels as a 1-D int64 array; ValueError naming ``name`` otherwise."""
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


def to_categorical(labels, num_classes=None):
    """One-hot encode integer labels.

    Parameters
    ----------
    labels : array-like of shape (n,)
        Class labels 0 .. num_classes - 1.
    num_classes : int, optional
        Defaults to ``max(labels) + 1``.

    Returns
    -------
    ndarray of shape (n, num_classes), float64
    """
    labels = _as_labels(labels)
    if num_classes is None:
        num_classes = int(labels.max()) + 1 if labels.size else 0
    if labels.size and labels.max() >= num_classes:
        raise ValueError(f"labels must be below num_classes={num_classes}; "
                         f"got {labels.max()}.")
    return np.eye(num_classes)[labels]


def confusion_matrix(y_true, y_pred, num_classes=None):
    """Counts of (true class, predicted class) pairs.

    Returns
    -------
    ndarray of shape (num_classes, num_classes), int64
        ``cm[i, j]`` counts samples of class i predicted as j; rows sum to class sizes.
    """
    y_true = _as_labels(y_true, "y_true")
    y_pred = _as_labels(y_pred, "y_pred")
    if y_true.shape != y_pred.shape:
        raise ValueError(f"y_true and y_pred must have the same length; "
                         f"got {y_true.size} and {y_pred.size}.")
    if num_classes is None:
        num_classes = int(max(y_true.max(initial=-1), y_pred.max(initial=-1))) + 1
    k = num_classes
    # bincount wants the platform's index type (int32 in 32-bit WebAssembly)
    pairs = (y_true * k + y_pred).astype(np.intp)
    return np.bincount(pairs, minlength=k * k).reshape(k, k)
