// context.js: what the worker's modules share: the site's URL, build.json, the running Pyodide, the
// Python state object (pynn_worker.WorkerState, a PyProxy kept for the worker's life) and the one
// way to call it. worker.js fills it during start-up; requests.js and training.js read it.

export const SITE = new URL('../', import.meta.url); // the site's folder (this file is worker/context.js)

export const ctx = {
  pyodide: null,
  state: null, // the WorkerState PyProxy
  build: null, // build.json
};

const methods = new Map(); // the state's bound methods, fetched once each (PyProxies kept, never leaked per call)

/** Call a WorkerState method; it returns a string (JSON, or a model document for to_json). */
export function call(name, ...args) {
  if (!methods.has(name)) methods.set(name, ctx.state[name]);
  return methods.get(name)(...args);
}

export const callJson = (name, ...args) => JSON.parse(call(name, ...args));

/** The worker's WebAssembly memory in bytes ({wasmBytes}): Pyodide's heap, NumPy's arrays included.
 * It grows as Python needs and never shrinks, so its size now is its peak so far in this worker. */
export const memory = () => ({ wasmBytes: ctx.pyodide ? ctx.pyodide._module.HEAP8.buffer.byteLength : 0 });

/** Drop Python (a failed start from a snapshot starts again from nothing). */
export function forgetPython() {
  ctx.pyodide = null;
  ctx.state = null;
  methods.clear();
}

export const post = (msg) => self.postMessage(msg);
