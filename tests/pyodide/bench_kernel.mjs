#!/usr/bin/env node
// Benchmark py_nn's matrix-product kernels (einsum vs the WebAssembly SIMD kernel) inside
// Pyodide in Node.js, with the built wheel: GFLOP/s per product shape of an MNIST MLP and
// the median epoch time of 784-128-10 at batch 32 and 128 with each kernel.
//
//   node tests/pyodide/bench_kernel.mjs --site site --wheel site/wheels/py_nn-X-py3-none-any.whl \
//        --data site/data [--kernels einsum,simd] [--runs 5] [--out kernel-bench.json]
//
// The Python side is tests/pyodide/bench_kernel.py (a real module, copied into Pyodide).
import { writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs, startPyodide, putFile, putMnistShards, installWheels } from "./common.mjs";

const args = parseArgs(process.argv.slice(2));
for (const name of ["site", "wheel", "data"]) {
  if (!args[name]) {
    console.error(`missing --${name} (see the usage at the top of ${path.basename(process.argv[1])})`);
    process.exit(2);
  }
}
const here = path.dirname(fileURLToPath(import.meta.url));
const pyodide = await startPyodide(args.site);
await installWheels(pyodide, [args.wheel]);
putFile(pyodide, path.join(here, "bench_kernel.py"), "/work/bench_kernel.py");
putMnistShards(pyodide, args.data);
const argv = ["--data", "/work/data", "--out", "/work/kernel-bench.json",
              "--kernels", args.kernels ?? "einsum,simd", "--runs", String(Number(args.runs ?? 5))];
const sys = pyodide.pyimport("sys");
sys.path.insert(0, "/work");
sys.destroy();
const bench = pyodide.pyimport("bench_kernel");
const pyArgv = pyodide.toPy(argv);
const code = bench.main(pyArgv);
pyArgv.destroy();
bench.destroy();
if (args.out) {
  writeFileSync(args.out, pyodide.FS.readFile("/work/kernel-bench.json", { encoding: "utf8" }));
  console.log(`   results written to ${args.out}`);
}
process.exit(code ?? 0);
