#!/usr/bin/env node
// The reference for "same seed, same weights in every engine": train one run with the worker's
// own Python (web/python/pynn_worker, WorkerState) and the built wheel inside Pyodide in Node.js
// (Node 20: plain WebAssembly SIMD, the kernel every engine's page runs by default), on MNIST's
// first training shard, and print the weights fingerprint the page would show.
//
//   node tests/pyodide/fit_fingerprint.mjs --site site --wheel site/wheels/py_nn-X.whl \
//        --config '{"hidden":[16],"optimizer":"sgd",...,"seed":7}'
//
// --config is a fit configuration as the page's worker receives it (a trained model keeps it as
// metadata.training). Prints one JSON line: {"fingerprint", "kernel", "variant", "accuracy"}.
// Used by the cross-engine tests (tests/e2e/test_share.py, tests/engines/).
import path from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs, readBuildInfo, startPyodide, putFile, putTree, installWheels } from "./common.mjs";

const args = parseArgs(process.argv.slice(2));
for (const name of ["site", "wheel", "config"]) {
  if (!args[name]) {
    console.error(`missing --${name} (see the usage at the top of ${path.basename(process.argv[1])})`);
    process.exit(2);
  }
}
const config = JSON.parse(args.config);
const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..");
const info = readBuildInfo(args.site);
const dataset = info.datasets.find((d) => d.id === (config.dataset || "mnist"));
if (!dataset) throw new Error(`data set ${config.dataset} is not in ${args.site}/build.json`);
if (config.samples > dataset.train.shards[0].count) {
  throw new Error(`samples ${config.samples}: this reference loads the first training shard only (${dataset.train.shards[0].count} digits)`);
}

const pyodide = await startPyodide(args.site);
await installWheels(pyodide, [args.wheel]);
putTree(pyodide, path.join(repo, "web", "python"), "/work/web/python");
const files = { model: info.model, train: dataset.train.shards[0].url, test: dataset.test.shards[0].url };
for (const [name, url] of Object.entries(files)) putFile(pyodide, path.join(args.site, url), `/work/${name}`);

const result = await pyodide.runPythonAsync(`
import gzip, json, sys
sys.path.insert(0, "/work/web/python")
import js, numpy as np, py_nn
from pynn_worker import WorkerState

def typed(path):  # the worker receives each shard as a Uint8Array
    raw = np.frombuffer(gzip.decompress(open(path, "rb").read()), dtype=np.uint8)
    out = js.Uint8Array.new(raw.size)
    out.assign(raw)
    return out

state = WorkerState(json.dumps(${JSON.stringify(info.datasets)}))
for split in ("train", "test"):
    state.add_shard(${JSON.stringify(dataset.id)}, split, typed(f"/work/{split}"))
state.load_model(open("/work/model").read())
started = json.loads(state.fit_start(${JSON.stringify(JSON.stringify(config))}, None, None))
assert not started.get("error"), started
while not json.loads(state.fit_slice(1000))["done"]:
    pass
finished = json.loads(state.fit_finish(False, "{}"))
json.dumps({"fingerprint": finished["info"]["fingerprint"], "kernel": py_nn.kernels.active,
            "variant": py_nn.kernels.simd_variant(), "accuracy": finished["evaluation"]["accuracy"]})
`);
console.log(result);
