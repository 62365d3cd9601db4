"""Small helpers for classification data: one-hot targets and the confusion matrix."""
import numpy as np

from .validation import as_labels


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
    labels = as_labels(labels)
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
    y_true = as_labels(y_true, "y_true")
    y_pred = as_labels(y_pred, "y_pred")
    if y_true.shape != y_pred.shape:
        raise ValueError(f"y_true and y_pred must have the same length; "
                         f"got {y_true.size} and {y_pred.size}.")
    if num_classes is None:
        num_classes = int(max(y_true.max(initial=-1), y_pred.max(initial=-1))) + 1
    k = num_classes
    # bincount wants the platform's index type (int32 in 32-bit WebAssembly)
    pairs = (y_true * k + y_pred).astype(np.intp)
    return np.bincount(pairs, minlength=k * k).reshape(k, k)
