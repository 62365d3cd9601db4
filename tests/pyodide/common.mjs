// Shared helpers for running py_nn inside Pyodide in Node.js (used by run_pytest.mjs, bench.mjs).
// Pyodide is loaded from the built site (site/pyodide/), exactly the files the browser gets.
import { readFileSync, readdirSync, statSync } from "node:fs";
import path from "node:path";
import { pathToFileURL } from "node:url";

/** Parse `--name value` pairs; names listed in `repeated` collect arrays. */
export function parseArgs(argv, repeated = []) {
  const args = {};
  for (const name of repeated) args[name] = [];
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    if (!flag.startsWith("--")) throw new Error(`unexpected argument ${flag}`);
    const name = flag.slice(2);
    const value = argv[++i];
    if (value === undefined) throw new Error(`${flag} needs a value`);
    if (repeated.includes(name)) args[name].push(value);
    else args[name] = value;
  }
  return args;
}

/** `<site>/build.json`, the facts the build wrote (the same file the worker reads). */
export function readBuildInfo(site) {
  return JSON.parse(readFileSync(path.join(site, "build.json"), "utf8"));
}

/** Load Pyodide from `<site>/pyodide/` with the packages build.json lists (as the worker does). */
export async function startPyodide(site) {
  const { packages } = readBuildInfo(site);
  if (!packages) throw new Error(`${path.join(site, "build.json")} has no \`packages\`: rebuild the site`);
  const indexURL = path.resolve(site, "pyodide") + path.sep;
  const { loadPyodide } = await import(pathToFileURL(path.join(indexURL, "pyodide.mjs")).href);
  const pyodide = await loadPyodide({ indexURL });
  await pyodide.loadPackage(packages, { messageCallback: () => {} });
  return pyodide;
}

/** Write a host file into Pyodide's file system, creating folders. */
export function putFile(pyodide, hostPath, fsPath) {
  pyodide.FS.mkdirTree(path.posix.dirname(fsPath));
  pyodide.FS.writeFile(fsPath, readFileSync(hostPath));
}

/** MNIST's first training shard and its test shard (site/data/mnist/, tools/datasets.py), copied
 * to /work/data/mnist/ as the tests and benchmarks read them (PYNN_MNIST_DIR=/work/data). */
export function putMnistShards(pyodide, dataDir) {
  for (const name of ["train-0.u8.gz", "test-0.u8.gz"]) {
    putFile(pyodide, path.join(dataDir, "mnist", name), `/work/data/mnist/${name}`);
  }
}

/** Copy a host folder into Pyodide's file system (skipping caches and hidden files). */
export function putTree(pyodide, hostDir, fsDir) {
  pyodide.FS.mkdirTree(fsDir);
  for (const name of readdirSync(hostDir)) {
    if (name.startsWith(".") || name === "__pycache__") continue;
    const host = path.join(hostDir, name);
    const target = `${fsDir}/${name}`;
    if (statSync(host).isDirectory()) putTree(pyodide, host, target);
    else putFile(pyodide, host, target);
  }
}

/** Install wheels (host paths) with micropip from Pyodide's file system (emfs: URLs). */
export async function installWheels(pyodide, hostPaths, { deps = true } = {}) {
  const micropip = pyodide.pyimport("micropip");
  try {
    const urls = hostPaths.map((host) => {
      const fsPath = `/tmp/wheels/${path.basename(host)}`;
      putFile(pyodide, host, fsPath);
      return `emfs:${fsPath}`;
    });
    await micropip.install.callKwargs(urls, { deps });
  } finally {
    micropip.destroy();
  }
}
