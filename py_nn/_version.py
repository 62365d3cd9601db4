"""The package version: one line that the package, pyproject.toml and the build read."""
__version__ = "0.1.0"
