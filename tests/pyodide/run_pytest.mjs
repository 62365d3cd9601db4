#!/usr/bin/env node
// Run py_nn's unit tests (tests/unit) and the worker's Python (tests/bridge on web/python/pynn_worker)
// INSIDE Pyodide, in Node.js, against the built wheel.
//
//   node tests/pyodide/run_pytest.mjs --site site --wheel site/wheels/py_nn-X-py3-none-any.whl \
//        --tests tests --data site/data --extra-wheel .cache/pip/pytest-...whl [...] [--result out.json]
//
// build.py passes these (`python3 build.py test`). The exit code is pytest's.
import { existsSync, writeFileSync } from "node:fs";
import path from "node:path";
import { parseArgs, readBuildInfo, startPyodide, putFile, putMnistShards, putTree, installWheels } from "./common.mjs";

const args = parseArgs(process.argv.slice(2), ["extra-wheel"]);
for (const name of ["site", "wheel", "tests", "data"]) {
  if (!args[name]) {
    console.error(`missing --${name}`);
    process.exit(2);
  }
}

const started = performance.now();
const pyodide = await startPyodide(args.site);
// pytest and its pure dependencies (packaging comes with Pyodide), then the py_nn wheel
// exactly as the browser's worker installs it.
await installWheels(pyodide, args["extra-wheel"], { deps: false });
await installWheels(pyodide, [args.wheel]);

// The tests, the shared conftest.py, the old MNIST files (tests/unit) and what the bridge tests
// read (web/python/, build.json, the data sets' models and first shards) go into the in-memory file system, laid out as in the repository.
const SUITES = ["unit", "bridge"];
for (const suite of SUITES) putTree(pyodide, path.join(args.tests, suite), `/work/tests/${suite}`);
const conftest = path.join(args.tests, "conftest.py");
if (existsSync(conftest)) putFile(pyodide, conftest, "/work/tests/conftest.py");
putMnistShards(pyodide, args.data);
// The worker's Python package (web/python/pynn_worker/), laid out as in the repository.
putTree(pyodide, path.join(args.tests, "..", "web", "python"), "/work/web/python");
// build.json, every data set's model and its first training and test shards (tests/bridge/conftest.py)
const siteFiles = ["build.json", readBuildInfo(args.site).model];
for (const d of readBuildInfo(args.site).datasets) siteFiles.push(d.model, d.train.shards[0].url, d.test.shards[0].url);
for (const name of new Set(siteFiles)) putFile(pyodide, path.join(args.site, name), `/work/site/${name}`);
console.log(`Pyodide ${pyodide.version} ready in ${((performance.now() - started) / 1000).toFixed(1)} s`);

const code = await pyodide.runPythonAsync(`
import os, sys
import py_nn

# This must really be WebAssembly, with py_nn from the installed wheel.
assert sys.platform == "emscripten", sys.platform
assert "/site-packages/py_nn/" in py_nn.__file__, f"py_nn imported from {py_nn.__file__}"
print(f"py_nn {py_nn.__version__} from {os.path.dirname(py_nn.__file__)}; "
      f"Python {sys.version.split()[0]} on {sys.platform}; kernel {py_nn.kernels.active}")

SUITES = [f"/work/tests/{name}" for name in ${JSON.stringify(SUITES)}]
os.environ["PYNN_MNIST_DIR"] = "/work/data"
os.environ["PYNN_REQUIRE_INSTALLED"] = "1"
os.chdir("/work")

import pytest

class _Count:
    """Collects the outcome counts pytest prints in its closing line."""
    counts = {}
    def pytest_terminal_summary(self, terminalreporter):
        self.counts = {k: len(terminalreporter.stats.get(k, []))
                       for k in ("passed", "failed", "error", "skipped", "xfailed", "xpassed")}

_counter = _Count()
_code = int(pytest.main(["-p", "no:cacheprovider", "-ra", "-q", *SUITES], plugins=[_counter]))
_counts = _counter.counts
_code
`);
const counts = pyodide.globals.get("_counts")?.toJs({ dict_converter: Object.fromEntries }) ?? {};
const result = {
  exit_code: code,
  passed: counts.passed ?? 0,
  failed: (counts.failed ?? 0) + (counts.error ?? 0),
  skipped: counts.skipped ?? 0,
  seconds: (performance.now() - started) / 1000,
};
if (args.result) writeFileSync(args.result, JSON.stringify(result, null, 1) + "\n");
console.log(`Pyodide pytest exit code ${code} after ${result.seconds.toFixed(1)} s`);
process.exit(code);
