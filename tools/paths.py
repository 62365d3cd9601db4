"""Where things live on disk: the repository and the folders the build reads and writes."""
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BUILD_PY = ROOT / "build.py"
VENV = ROOT / ".venv"
REQUIREMENTS = ROOT / "requirements-dev.txt"

CACHE = ROOT / ".cache"          # verified downloads and derived files, shared between builds
NPM_CACHE = CACHE / "npm"
PIP_CACHE = CACHE / "pip"
DEB_CACHE = CACHE / "deb"
DATA_CACHE = CACHE / "data"
MODEL_CACHE = CACHE / "models"

PACKAGE = ROOT / "py_nn"
WEB = ROOT / "web"
TESTS = ROOT / "tests"
SITE = ROOT / "site"
DIST = ROOT / "dist"
ARTIFACTS = ROOT / "test-artifacts"
