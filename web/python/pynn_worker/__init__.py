"""pynn_worker: the Python of py_nn's Web Worker (web/worker/ imports it inside Pyodide; the tests
import it on CPython). ``WorkerState`` is the one object the worker keeps; see state.py."""
from .state import WorkerState

__all__ = ["WorkerState"]
