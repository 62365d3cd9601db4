// boot.js: the page's first script (a module in <head>, async): creates the Python worker at
// once, so Pyodide's files start loading while the page's other modules still arrive. The
// session takes this worker for its first start (takeEarlyWorker); Retry creates a new one.

let early = null;
let failed = false;

if (typeof Worker === 'function' && !new URLSearchParams(location.search).has('noearly')) {
  early = new Worker(new URL('../worker/worker.js', import.meta.url), { type: 'module' });
  early.addEventListener('error', () => {
    failed = true; // e.g. worker.js missing: the session's own worker reports it with its handlers
  });
}

/** The worker created at start-up, once (null afterwards, or if it failed before anyone listened). */
export function takeEarlyWorker() {
  const w = early;
  early = null;
  if (w && failed) {
    w.terminate();
    return null;
  }
  return w;
}
