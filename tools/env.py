"""The environment the build runs in: .venv with the pinned dev tools (requirements-dev.txt),
re-execution inside it, child processes, console output, and BuildError."""
import hashlib
import os
import shutil
import subprocess
import sys
from pathlib import Path

from tools.paths import BUILD_PY, REQUIREMENTS, ROOT, VENV


class BuildError(Exception):
    """A build step failed; the message says what and how to fix it."""


# ---------------------------------------------------------------------------- console

def section(title):
    """Print a section header."""
    line = "=" * 78
    print(f"\n{line}\n== {title}\n{line}", flush=True)


def info(message):
    """Print one progress line."""
    print(f"   {message}", flush=True)


# ---------------------------------------------------------------------------- child processes

def run(cmd, cwd=None, env=None, check=True, what=None, quiet=False):
    """Run a command, streaming its output (stderr only if ``quiet``); raise BuildError on
    failure if ``check``; return the exit code."""
    cmd = [str(c) for c in cmd]
    result = subprocess.run(cmd, cwd=cwd, env=env, stdout=subprocess.DEVNULL if quiet else None)
    if check and result.returncode != 0:
        raise BuildError(f"{what or 'command'} failed (exit {result.returncode}): {' '.join(cmd)}")
    return result.returncode


def clean_env(**extra):
    """The environment for child processes.

    No PYTHONPATH (the source tree must not leak in), and single-threaded BLAS unless the
    caller chose otherwise: py_nn's matrices are small, and on a busy 2-core machine
    multi-threaded OpenBLAS made training 7x slower (and timings noisy).
    """
    env = dict(os.environ)
    env.pop("PYTHONPATH", None)
    env.pop("PYTHONHOME", None)
    for name in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        env.setdefault(name, "1")
    env.update({k: str(v) for k, v in extra.items()})
    return env


def require_tool(name, hint):
    """Return the path of an executable or raise BuildError with a hint."""
    path = shutil.which(name)
    if not path:
        raise BuildError(f"'{name}' was not found on PATH. {hint}")
    return path


# ---------------------------------------------------------------------------- .venv

def venv_python():
    """Path of the virtual environment's interpreter."""
    if os.name == "nt":
        return VENV / "Scripts" / "python.exe"
    return VENV / "bin" / "python"


def in_venv():
    """True when this interpreter is the project's .venv."""
    try:
        return Path(sys.prefix).resolve() == VENV.resolve()
    except OSError:
        return False


def requirements_stamp():
    """What the installed tools must match: requirements file and interpreter version."""
    digest = hashlib.sha256(REQUIREMENTS.read_bytes())
    digest.update(sys.version.encode())
    return digest.hexdigest()


def ensure_venv():
    """Create .venv and install requirements-dev.txt, unless the stamp says it is current."""
    stamp_file = VENV / ".pynn-requirements.sha256"
    stamp = requirements_stamp()
    python = venv_python()
    if python.exists() and stamp_file.exists() and stamp_file.read_text().strip() == stamp:
        return python
    section("Setting up the local virtual environment (.venv)")
    if sys.version_info < (3, 10):
        raise BuildError(f"Python 3.10 or newer is needed to run build.py; this is {sys.version.split()[0]}.")
    if not python.exists():
        info(f"creating {VENV.relative_to(ROOT)} with {sys.executable}")
        run([sys.executable, "-m", "venv", VENV], what="python3 -m venv")
    info(f"installing the pinned tools of {REQUIREMENTS.name}")
    run([python, "-m", "pip", "install", "--disable-pip-version-check", "-q",
         "-r", REQUIREMENTS], env=clean_env(), what="pip install -r requirements-dev.txt")
    stamp_file.write_text(stamp + "\n")
    return python


def reexec_in_venv():
    """Make sure .venv is ready, then replace this process by build.py running inside it."""
    python = ensure_venv()
    sys.stdout.flush()
    sys.stderr.flush()
    os.execve(str(python), [str(python), str(BUILD_PY), *sys.argv[1:]], clean_env())
