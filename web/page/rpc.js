// rpc.js: the transport to the Python worker: requests, replies matched by id, progress callbacks,
// fatal errors and restart. Knows nothing about models, storage or the page.
//
// Wire format: shared/protocol.js (worker/worker.js owns the other end). A reply with an id no
// request is waiting for (id 0: an unexpected error inside the worker) goes to `onStray`; an event
// the worker sends on its own (protocol.js's EVENTS) goes to `onEvent(type, payload)`. The Worker is
// created on the first request, not before.

import { EVENTS } from '../shared/protocol.js';

/** An error reported by the worker, or the worker itself failing. `kind`: "fatal", "busy", ... */
export class WorkerError extends Error {
  constructor(message, { kind = 'internal', file = null } = {}) {
    super(message);
    this.name = 'WorkerError';
    this.kind = kind;
    this.file = file;
  }
}

/**
 * A transport over workers made by `createWorker()` (a function returning a Worker-like object
 * with postMessage, terminate, onmessage, onerror, onmessageerror).
 *
 * Options: `script` names the worker's file in messages; `onFatal(error)` is called once when the
 * worker dies (every pending request is rejected with that error, and so is every later request
 * until `restart()`); `onStray(error)` receives replies nobody waits for; `onEvent(type, payload)`
 * the worker's own events.
 *
 * Returns {call(type, payload, {onProgress, transfer}) -> Promise, restart(), get started}.
 */
export function createRpc(createWorker, { script = 'worker/worker.js', onFatal = () => {}, onStray = () => {}, onEvent = () => {} } = {}) {
  let worker = null;
  let pending = new Map(); // id -> {resolve, reject, onProgress}
  let nextId = 1;
  let fatal = null;
  let heard = false; // a message arrived from the current worker

  function rejectAll(map, error) {
    for (const entry of map.values()) entry.reject(error);
    map.clear();
  }

  function die(error) {
    if (fatal) return;
    fatal = error;
    rejectAll(pending, error);
    onFatal(error);
  }

  function onMessage(event) {
    heard = true;
    const msg = event.data || {};
    if (msg.id == null && EVENTS.includes(msg.type)) {
      onEvent(msg.type, msg.payload);
      return;
    }
    const entry = pending.get(msg.id);
    if (!entry) {
      if (msg.type === 'error') onStray(toError(msg.error));
      return;
    }
    if (msg.type === 'progress') {
      if (entry.onProgress) {
        try {
          entry.onProgress(msg.payload);
        } catch (err) {
          console.error('A progress callback failed:', err);
        }
      }
      return;
    }
    pending.delete(msg.id);
    if (msg.type === 'result') entry.resolve(msg.payload);
    else entry.reject(toError(msg.error));
  }

  function start() {
    const w = createWorker();
    w.onmessage = (event) => {
      if (w === worker) onMessage(event);
    };
    w.onerror = (event) => {
      if (event && typeof event.preventDefault === 'function') event.preventDefault();
      if (w !== worker) return;
      const what = heard
        ? `The Python worker stopped (${(event && event.message) || 'an error it did not report'}).`
        : `The Python worker (${script}) could not be started${event && event.message ? ` (${event.message})` : ''}.`;
      die(new WorkerError(`${what} Press Retry; if it happens again, rebuild the site with "python3 build.py".`, {
        kind: 'fatal',
        file: heard ? null : script,
      }));
    };
    w.onmessageerror = () => {
      if (w === worker) die(new WorkerError('A message from the Python worker could not be read. Press Retry.', { kind: 'fatal' }));
    };
    return w;
  }

  function call(type, payload, { onProgress, transfer } = {}) {
    if (fatal) return Promise.reject(fatal);
    if (!worker) {
      heard = false;
      worker = start();
    }
    const id = nextId++;
    return new Promise((resolve, reject) => {
      pending.set(id, { resolve, reject, onProgress });
      try {
        worker.postMessage({ id, type, payload }, transfer || []);
      } catch (err) {
        pending.delete(id);
        reject(new WorkerError(`Could not send "${type}" to the Python worker: ${err.message}`, { kind: 'internal' }));
      }
    });
  }

  /** Terminate the worker (whatever it is doing); the next request starts a new one. */
  function restart(reason = 'The Python worker was restarted.') {
    const old = pending;
    pending = new Map();
    if (worker) worker.terminate();
    worker = null;
    fatal = null;
    rejectAll(old, new WorkerError(reason, { kind: 'restarted' }));
  }

  return {
    call,
    restart,
    get started() {
      return worker !== null;
    },
  };
}

function toError(error) {
  const e = error || {};
  return new WorkerError(e.message || 'Unknown error in the Python worker.', { kind: e.kind || 'internal', file: e.file || null });
}
