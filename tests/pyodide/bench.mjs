#!/usr/bin/env node
// Benchmark py_nn inside Pyodide (WebAssembly) in Node.js with the built wheel.
//
//   node tests/pyodide/bench.mjs --site site --wheel site/wheels/py_nn-X-py3-none-any.whl \
//        --bench tests/pyodide/bench_pynn.py --data site/data --out bench.json \
//        [--configs float32:matmul,float32:einsum] [--runs 3]
//
// build.py calls it (`python3 build.py bench`); the measurements are written to --out as JSON.
import { writeFileSync } from "node:fs";
import path from "node:path";
import { parseArgs, startPyodide, putFile, putMnistShards, installWheels } from "./common.mjs";

const args = parseArgs(process.argv.slice(2));
for (const name of ["site", "wheel", "bench", "data", "out"]) {
  if (!args[name]) {
    console.error(`missing --${name}`);
    process.exit(2);
  }
}
const started = performance.now();
const pyodide = await startPyodide(args.site);
await installWheels(pyodide, [args.wheel]);
await pyodide.runPythonAsync("import py_nn");
const startup = (performance.now() - started) / 1000;
console.log(`   Pyodide ${pyodide.version} + NumPy + py_nn ready in ${startup.toFixed(1)} s`);

putFile(pyodide, args.bench, "/work/bench_pynn.py");
putMnistShards(pyodide, args.data);
const code = await pyodide.runPythonAsync(`
import sys
sys.path.insert(0, "/work")
import bench_pynn
assert sys.platform == "emscripten"
bench_pynn.main(["--data", "/work/data", "--out", "/work/bench.json",
                 "--configs", ${JSON.stringify(args.configs ?? "float32:matmul,float32:einsum")},
                 "--runs", "${Number(args.runs ?? 3)}"])
`);
const result = JSON.parse(pyodide.FS.readFile("/work/bench.json", { encoding: "utf8" }));
result.startup_s = startup;
writeFileSync(args.out, JSON.stringify(result, null, 1) + "\n");
process.exit(code ?? 0);
