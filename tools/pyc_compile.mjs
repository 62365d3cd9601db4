#!/usr/bin/env node
// Runs tools/pyc_compile.py inside Pyodide (Node.js), so Python's bytecode is made by Pyodide's
// own interpreter (tools/pyc.py writes the job and runs this script). The host folders a job
// names are mounted (NODEFS) at the same paths.
//
//   node tools/pyc_compile.mjs compile --pyodide DIR --job JOB.json --report OUT.json
//       DIR holds Pyodide's unmodified core files; JOB.json is pyc_compile.run_job's job.
//   node tools/pyc_compile.mjs check --pyodide DIR --packages numpy,micropip,packaging --report OUT.json
//       DIR is a built site's pyodide/ folder: loads the packages as the worker does, then
//       pyc_compile.check_imports() imports every kept module of the stdlib and of those packages.
//
// Exit code 0 with the report written, 1 with the error on stderr.
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const HERE = path.dirname(fileURLToPath(import.meta.url));

function parseArgs(argv) {
  const [command, ...rest] = argv;
  const args = { command };
  for (let i = 0; i < rest.length; i += 2) {
    if (!rest[i].startsWith("--") || rest[i + 1] === undefined) {
      throw new Error(`expected --name value pairs after the command, got ${rest.slice(i).join(" ")}`);
    }
    args[rest[i].slice(2)] = rest[i + 1];
  }
  const needed = { compile: ["pyodide", "job", "report"], check: ["pyodide", "packages", "report"] }[command];
  if (!needed) throw new Error(`unknown command ${command}: use "compile" or "check"`);
  for (const name of needed) if (!args[name]) throw new Error(`${command} needs --${name}`);
  return args;
}

/** Mount each host folder at the same path inside Pyodide (skipping ones already under a mount). */
function mountHostDirs(pyodide, dirs) {
  const mounted = [];
  for (const dir of [...new Set(dirs.map((d) => path.resolve(d)))].sort()) {
    if (mounted.some((m) => dir === m || dir.startsWith(m + path.sep))) continue;
    pyodide.FS.mkdirTree(dir);
    pyodide.FS.mount(pyodide.FS.filesystems.NODEFS, { root: dir }, dir);
    mounted.push(dir);
  }
}

/** Start Pyodide from DIR with tools/pyc_compile.py importable; `env` as loadPyodide takes it. */
async function start(dir, env) {
  const indexURL = path.resolve(dir) + path.sep;
  const { loadPyodide } = await import(pathToFileURL(path.join(indexURL, "pyodide.mjs")).href);
  const pyodide = await loadPyodide({ indexURL, env });
  pyodide.FS.mkdirTree("/tools");
  pyodide.FS.writeFile("/tools/pyc_compile.py", readFileSync(path.join(HERE, "pyc_compile.py")));
  pyodide.runPython("import sys; sys.path.insert(0, '/tools')");
  return pyodide;
}

async function main() {
  const args = parseArgs(process.argv.slice(2));
  // Compiling: no column tables in code objects (smaller .pyc; tracebacks keep line numbers).
  const env = args.command === "compile" ? { PYTHONNODEBUGRANGES: "1" } : {};
  const pyodide = await start(args.pyodide, env);
  const pyc = pyodide.pyimport("pyc_compile");
  let report;
  if (args.command === "compile") {
    const job = JSON.parse(readFileSync(args.job, "utf8"));
    const dirs = [job.out_dir, ...(job.wheels || []).map((w) => path.dirname(w.src))];
    if (job.stdlib) dirs.push(path.dirname(job.stdlib.src), path.dirname(job.stdlib.dst));
    mkdirSync(job.out_dir, { recursive: true });
    mountHostDirs(pyodide, dirs);
    report = pyc.run_job(JSON.stringify(job));
  } else {
    const packages = args.packages.split(",");
    await pyodide.loadPackage(packages, { messageCallback: () => {} });
    report = pyc.check_imports(pyodide.toPy(packages));
  }
  writeFileSync(args.report, report + "\n");
}

main().catch((err) => {
  console.error(`pyc_compile.mjs: ${err && err.stack ? err.stack : err}`);
  process.exit(1);
});
