"""What the precompiled Pyodide leaves out or replaces: stdlib entries dropped, packages whose
docstrings stay, and per wheel the files dropped or replaced by a stub.

Plain data, read by tools/pyc.py and written into the job that tools/pyc_compile.py runs inside
Pyodide. Every entry must match something in its archive: a stale one is an error at build time.
"""

# Stdlib files that cannot run in a browser worker or are removed from Python 3.13: each entry
# is a file or a folder of python_stdlib.zip.
STDLIB_DROP = (
    # no processes, terminals or Windows in a browser (these fail to import in Pyodide anyway)
    "multiprocessing", "concurrent/futures/process.py", "asyncio/windows_events.py",
    "asyncio/windows_utils.py", "encodings/mbcs.py", "encodings/oem.py", "pty.py", "tty.py",
    "ctypes/macholib",
    # servers and clients of raw sockets, which a browser does not have (socketserver stays:
    # logging.config imports it)
    "ftplib.py", "imaplib.py", "poplib.py", "smtplib.py", "http/server.py",
    "xmlrpc", "wsgiref",
    # PEP 594's dead batteries (deprecated, removed in Python 3.13) and demos
    "aifc.py", "cgi.py", "cgitb.py", "chunk.py", "crypt.py", "imghdr.py", "mailcap.py",
    "nntplib.py", "pipes.py", "sndhdr.py", "sunau.py", "telnetlib.py", "uu.py", "xdrlib.py",
    "antigravity.py", "this.py", "__hello__.py", "__phello__",
)

# Pyodide's own packages in the stdlib zip keep their docstrings (help() on its API).
KEEP_DOCSTRINGS = ("pyodide", "_pyodide")

# Per wheel (lock name): files not needed at run time. A folder, a file, or "*.ext".
WHEEL_DROP = {
    "numpy": (
        "*.pyi", "*.pxd", "numpy/py.typed",                   # type stubs, Cython headers
        "numpy/_core/include", "numpy/_core/lib", "numpy/random/lib",  # C headers, static libs
        "numpy/random/_examples", "numpy/_pyinstaller",        # examples, PyInstaller hooks
        "numpy/typing/mypy_plugin.py",
        "numpy/f2py",  # builds Fortran extensions (needs a compiler and a shell): a stub stays
    ),
}

# numpy.f2py is in numpy.__all__, so ``from numpy import *`` imports it: its __init__ stays as a
# small module that says what it is and why it cannot run here (~180 KB of f2py not shipped).
F2PY_STUB = '''"""numpy.f2py (the Fortran to Python interface generator) is not shipped in the browser:
it compiles Fortran extension modules, which needs a compiler and a shell. Use it with NumPy on a
desktop Python."""

__all__ = ["run_main", "get_include"]


def _unavailable(*args, **kwargs):
    raise ImportError("numpy.f2py is not available in the browser (it compiles Fortran code with a "
                      "compiler and a shell); use it with NumPy on a desktop Python")


run_main = get_include = main = _unavailable
'''

# Per wheel: files whose source is replaced (archive name -> source text), kept even inside a
# folder WHEEL_DROP drops. Every name must exist in the wheel.
WHEEL_STUBS = {"numpy": {"numpy/f2py/__init__.py": F2PY_STUB}}
