"""The matrix-product kernel, picked per platform.

Pyodide's NumPy has no BLAS: there ``np.einsum`` runs about 2.4x faster than ``@``
(measured, see README's benchmark). On CPython ``@`` calls BLAS and is far faster than
``einsum``. The network calls the three products below; ``use()`` switches the kernel
(for the benchmark and tests).
"""
import sys

import numpy as np

_KERNELS = {
    # name: (a @ b, a.T @ b, a @ b.T)
    "matmul": (
        lambda a, b, out=None: np.matmul(a, b, out=out),
        lambda a, b, out=None: np.matmul(a.T, b, out=out),
        lambda a, b, out=None: np.matmul(a, b.T, out=out),
    ),
    "einsum": (
        lambda a, b, out=None: np.einsum("ij,jk->ik", a, b, out=out, casting="same_kind"),
        lambda a, b, out=None: np.einsum("ji,jk->ik", a, b, out=out, casting="same_kind"),
        lambda a, b, out=None: np.einsum("ij,kj->ik", a, b, out=out, casting="same_kind"),
    ),
}


def default():
    """``"einsum"`` inside WebAssembly (Pyodide), ``"matmul"`` (BLAS) everywhere else."""
    return "einsum" if sys.platform == "emscripten" else "matmul"


active = default()
mm, mm_tn, mm_nt = _KERNELS[active]


def use(name="auto"):
    """Select the kernel: ``"auto"`` (per platform), ``"einsum"`` or ``"matmul"``."""
    global active, mm, mm_tn, mm_nt
    choice = default() if name == "auto" else name
    if choice not in _KERNELS:
        raise ValueError(f"Unknown kernel {name!r}; valid: auto, {', '.join(_KERNELS)}.")
    active = choice
    mm, mm_tn, mm_nt = _KERNELS[choice]
    return active
