"""convert.py: values crossing the worker's boundary: JS typed arrays in, JSON-ready numbers out."""
import numpy as np


def as_bytes(buffer):
    """Raw bytes of a JS typed array (JsProxy) or of any buffer (bytes, NumPy array)."""
    return buffer.to_bytes() if hasattr(buffer, "to_bytes") else buffer


def plain_event(event):
    """A fit_steps event with NumPy scalars turned into Python numbers (JSON-ready); None stays."""
    if event is None:
        return None
    return {k: v.item() if isinstance(v, (np.floating, np.integer)) else v
            for k, v in event.items()}
