// worker.js: owns Pyodide. The staged start-up, the message loop and the training slice loop;
// all the Python (data, active model, running fit) is in bridge.py, imported as a real module.
//
// Protocol (main thread <-> worker), every message is {id, type, payload}:
//   request types: init, predict, evaluate, fit, stop, toJson, loadJson, info,
//                  pause, resume, step (one more epoch, then pause), inside, overview, firstLayer,
//                  neuron, mistakes, heldOut, augmentPreview
//   replies:       {id, type: "progress", payload}   (init stages, training progress)
//                  {id, type: "result", payload}
//                  {id, type: "error", error: {message, kind, file?}}
// Every request is answered exactly once; nothing is thrown past the message handler. A start-up
// failure has kind "fatal" and, when one file is to blame, `file` (its URL path). The worker never
// touches the DOM or localStorage, and checks only the shape of a message: py_nn checks the
// numbers, the bridge the page's model-shape rule.
//
// Start-up stages behind one promise (`ready`) that every request awaits: runtime ("Loading
// Pyodide…") → packages ("Loading NumPy…") → py_nn ("Installing py_nn…") → bridge.py → model
// ("Loading model…"). build.json gives `packages` (for loadPackage) and `shape`. A repeat visit of
// the same build restores runtime..bridge from a snapshot (snapshot-start.js; any failure falls
// back to these stages); `stages.snapshot` in the init result says "restored"/"saved"/"none".
// The digits are not part of start-up: the first request in NEEDS_DIGITS fetches build.json's
// `digits` (gzipped, decoded with DecompressionStream); a failure is that request's error (kind
// "data") and the next such request tries again.
//
// Adding a request: a bridge.Session method returning JSON, and a line in `handlers` that calls
// it with `call(name, ...args)`.

import {
  UserError, fatal, REBUILD, errorText, stripPythonType, fetchOk, yieldToEventLoop,
} from './worker-util.js';
import { startPython } from './snapshot-start.js';
import {
  BRIDGE_DIR, fetchBuildInfo, loadRuntime, loadPackages, installPyNN, importBridge, fetchDigitFiles,
} from './worker-stages.js';

const SITE = new URL('./', import.meta.url);
const SLICE_MS = 25; // training runs in slices of about this long, then yields so "stop" and "predict" get through
const PROGRESS_EVERY_MS = 250; // at most ~4 batch-progress messages per second (+ every epoch end)
let pyodide = null;
let session = null; // the bridge.Session PyProxy (kept for the worker's life)
const methods = new Map(); // its bound methods, fetched once each (PyProxies kept, never leaked per call)
let build = null; // build.json
let ready = null; // Promise of the start-up stages
let training = null; // {stopRequested} while a fit runs
let restoredFrom = null; // the snapshot this start came from (deleted if a later stage fails)
// The Code panel's Python modules, written next to bridge.py (codemodel.py is a base of bridge.Session).
const CODE_MODULES = ['usercode.py', 'codegen.py', 'codemodel.py'];

const post = (msg) => self.postMessage(msg);
// Start-up stages begun before `init` arrives report with id null: kept, and sent as init's.
let initId = null;
let earlyStage = null;
function progress(id, payload) {
  if (id == null) {
    earlyStage = payload;
    if (initId == null) return;
    id = initId;
  }
  post({ id, type: 'progress', payload });
}

/** Call a bridge.Session method; it returns a string (JSON, or a model document for to_json). */
function call(name, ...args) {
  if (!methods.has(name)) methods.set(name, session[name]);
  return methods.get(name)(...args);
}
const callJson = (name, ...args) => JSON.parse(call(name, ...args));

// --- start-up stages ---------------------------------------------------------------------------

/** Start Pyodide (see worker-stages.js for the steps); `start` is loadPyodide or a snapshot restore. */
async function stageRuntime(id, start) {
  progress(id, { stage: 'runtime', text: 'Loading Pyodide…' });
  pyodide = await loadRuntime(SITE, start);
}

async function stagePackages(id) {
  progress(id, { stage: 'packages', text: 'Loading NumPy…' });
  await loadPackages(pyodide, SITE, build.packages);
}

async function stagePyNN(id, wheelURL, wheelPromise) {
  progress(id, { stage: 'py_nn', text: 'Installing py_nn…' });
  await installPyNN(pyodide, wheelURL, wheelPromise);
}

async function stageBridge(bridgePromise, modulesPromise) {
  session = await importBridge(pyodide, bridgePromise, modulesPromise, build.shape);
}

// --- the digits: fetched on the first request that needs them ---------------------------------

// The requests that read the digits (bridge.Session's x_train / x_test); they wait for digits().
const NEEDS_DIGITS = new Set(['evaluate', 'fit', 'overview', 'neuron', 'mistakes', 'heldOut', 'augmentPreview']);
let digitsPromise = null; // the one load under way or done; cleared on failure so the next request retries

/** Fetch and decode the digits (worker-stages.js), then give them to the bridge. */
async function fetchDigits() {
  const { url, images, labels } = await fetchDigitFiles(SITE, build.digits);
  try {
    callJson('load_data', images, labels);
  } catch (err) {
    throw new UserError(`Could not use the digits in ${url.pathname}: ${stripPythonType(errorText(err))}. ${REBUILD}.`, 'data', url.pathname);
  }
}

/** Resolves once the digits are in the bridge; the first call starts the download. */
function digits() {
  if (!digitsPromise) {
    digitsPromise = fetchDigits().catch((err) => {
      digitsPromise = null; // the next request that needs them tries again
      throw err;
    });
  }
  return digitsPromise;
}
/** The model: the restored one if it is valid, otherwise the shipped default. */
async function stageModel(restore, modelURL, modelPromise) {
  let restoreError = null;
  if (restore) {
    try {
      return { info: callJson('load_model', restore, true), source: 'restored', restoreError }; // own storage: its code may run
    } catch (err) {
      restoreError = stripPythonType(errorText(err));
    }
  }
  const text = await (modelPromise || fetchOk(modelURL, 'the default model').then((r) => r.text()));
  try {
    return { info: callJson('load_model', text), source: 'default', restoreError };
  } catch (err) {
    throw fatal(`The default model (${modelURL.pathname}) could not be loaded: ${stripPythonType(errorText(err))}. ${REBUILD}.`, modelURL);
  }
}

/** A promise awaited (and its failure reported) later: no unhandled rejection meanwhile. */
const background = (promise) => (promise.catch(() => {}), promise);

/** timed(name, fn): run fn, record its milliseconds in stages[name]. */
const timer = (stages) => async (name, fn) => {
  const t = performance.now();
  const out = await fn();
  stages[name] = Math.round(performance.now() - t);
  return out;
};

/**
 * build.json, then everything start-up needs whatever the page asks, all at once: the fetches of
 * the py_nn wheel, bridge.py and the Code panel's modules, and Python itself (runtime → packages →
 * py_nn → bridge, or all of it from a snapshot). Started when the worker loads (boot.js creates it
 * at the top of the page, well before `init` arrives), awaited by init. Each promise rejects with
 * a clear fatal error, reported by init. `stages` collects the stage times (ms).
 */
function startFetches() {
  if (fetches) return fetches;
  const stages = {};
  const timed = timer(stages);
  fetches = fetchBuildInfo(SITE).then((info) => {
    build = info;
    const wheelURL = new URL(build.wheel, SITE); // absolute, so it works under any sub-path
    const wheelPromise = background(fetchOk(wheelURL, 'the py_nn wheel').then(async (r) => new Uint8Array(await r.arrayBuffer())));
    const bridgeURL = new URL('bridge.py', SITE);
    const bridgePromise = background(fetchOk(bridgeURL, "the worker's Python").then(async (r) => [bridgeURL, await r.text()]));
    const modulesPromise = background(Promise.all(CODE_MODULES.map((name) => {
      const url = new URL(name, SITE);
      return fetchOk(url, `the worker's Python (${name})`).then(async (r) => [name, await r.text()]);
    })));
    // Python needs nothing from the page either: it starts now too
    const python = background(startPython({
      buildId: build.build_id, dirs: [BRIDGE_DIR], timed, stages, reset: forgetPython, current: () => pyodide,
      runtime: (how) => stageRuntime(null, how),
      install: async () => {
        await timed('packages', () => stagePackages(null));
        await timed('py_nn', () => stagePyNN(null, wheelURL, wheelPromise));
      },
      bridge: () => stageBridge(bridgePromise, modulesPromise),
    }));
    return { python, stages };
  });
  fetches.catch(() => {});
  return fetches;
}
let fetches = null;
startFetches();

function forgetPython() {
  pyodide = null;
  session = null;
  methods.clear();
}

/** Start; if a start from a snapshot fails in a later stage, delete it and start normally. */
async function init(id, payload) {
  try {
    return await initOnce(id, payload);
  } catch (err) {
    if (!restoredFrom) throw err;
    console.info('[pynn snapshot] a start from the snapshot failed, starting normally:', err && err.message);
    await restoredFrom.discard();
    restoredFrom = null;
    forgetPython();
    fetches = null; // start everything again, normally this time (the snapshot is gone)
    return initOnce(id, payload);
  }
}

async function initOnce(id, payload) {
  const t0 = performance.now();
  initId = id;
  if (earlyStage) progress(id, earlyStage);
  const { python, stages: early } = await startFetches();
  const restore = payload && payload.restore && typeof payload.restore.json === 'string' ? payload.restore.json : null;
  const modelURL = new URL(build.model || 'models/default.json', SITE);
  const modelPromise = restore ? null : background(fetchOk(modelURL, 'the default model').then((r) => r.text()));
  const stages = {};
  const timed = timer(stages);
  const start = await timed('python', () => python); // begun when the worker loaded: this is the wait left
  Object.assign(stages, early);
  stages.snapshot = start.how; // "restored" | "saved" | "none"
  restoredFrom = start.how === 'restored' ? start : null;
  progress(id, { stage: 'model', text: 'Loading model…' });
  const model = await timed('model', () => stageModel(restore, modelURL, modelPromise));
  const { version, kernel } = callJson('about');
  // the digits are not loaded here: the first request that needs them fetches them (digits())
  const data = { train: build.shape.train, test: build.shape.test };
  return { ...model, data, build, version, kernel, stages, startupMs: Math.round(performance.now() - t0) };
}

// --- requests ----------------------------------------------------------------------------------

function requirePixels(payload) {
  const px = payload && payload.pixels;
  const { inputs, side } = build.shape;
  if (!(px instanceof Float32Array) || px.length !== inputs) {
    throw new UserError(`predict needs a Float32Array of ${inputs} values (${side}x${side} pixels, 0 = background .. 1 = ink).`);
  }
  return px;
}

function requireIndex(payload, key) {
  const v = payload && payload[key];
  if (!Number.isInteger(v) || v < 0) throw new UserError(`${key} must be a whole number >= 0; got ${JSON.stringify(v)}.`);
  return v;
}

/** Run a bridge call whose ValueError is the caller's mistake (a bad index): a plain message. */
function checked(fn) {
  try {
    return fn();
  } catch (err) {
    if (err instanceof UserError) throw err;
    throw new UserError(`${stripPythonType(errorText(err))}.`, 'invalid-options');
  }
}

function wake() {
  if (training && training.wake) training.wake();
}

/** A fit whose code failed: a result (not an error) carrying the code's {message, line} and output. */
function codeFailed({ error, output }) {
  return { committed: false, stopped: false, batches: 0, history: null, codeError: error, output: output || '' };
}

/** The fit settings without the code (a model keeps its code once, in metadata.code). */
function settingsOf(cfg) {
  const { code, ...rest } = cfg;
  return code == null ? rest : { ...rest, withCode: true };
}

/** A Python error's message for a person ('ValueError: x' -> 'x'), as a UserError of `kind`. */
const pyError = (err, kind) => new UserError(stripPythonType(errorText(err)), kind);

async function fit(id, payload) {
  if (training) {
    throw new UserError('A training run is already in progress: wait for it to finish or press Stop first.', 'busy');
  }
  const cfg = payload.config;
  training = { stopRequested: false, paused: false, wake: null, pauseAtEpoch: null, epochsDone: 0 };
  const t0 = performance.now();
  let lastSent = 0;
  let done = false;
  try {
    const mine = payload.mine && payload.mine.labels instanceof Uint8Array ? payload.mine : null;
    const started = callJson('fit_start', JSON.stringify(cfg), mine ? mine.images : null, mine ? mine.labels : null);
    if (started.error) return codeFailed(started); // the code did not run: nothing was trained
    progress(id, { started, batch: null, epochs: [], elapsedMs: 0, output: started.output || '' });
    while (!done && !training.stopRequested) {
      if (training.paused) {
        progress(id, { paused: true, batch: null, epochs: [], elapsedMs: Math.round(performance.now() - t0) });
        await new Promise((resolve) => (training.wake = resolve));
        training.wake = null;
        if (!training.paused) progress(id, { paused: false, batch: null, epochs: [], elapsedMs: Math.round(performance.now() - t0) });
        continue;
      }
      const slice = callJson('fit_slice', SLICE_MS);
      if (slice.error) {
        call('fit_abort'); // the learner's code failed in a step: the active model stays
        return codeFailed(slice);
      }
      training.epochsDone += slice.epochs.length;
      if (training.pauseAtEpoch !== null && training.epochsDone >= training.pauseAtEpoch) {
        training.pauseAtEpoch = null;
        training.paused = true;
      }
      const now = performance.now();
      done = slice.done;
      if (slice.epochs.length || done || slice.output || now - lastSent >= PROGRESS_EVERY_MS) {
        lastSent = now;
        progress(id, { batch: slice.batch, epochs: slice.epochs, elapsedMs: Math.round(now - t0), output: slice.output || '' });
      }
      if (!done) await yieldToEventLoop();
    }
    const stopped = !done;
    const metadata = {
      name: payload.name || 'Trained model',
      trainedAt: new Date().toISOString(),
      training: { ...settingsOf(cfg), stopped, seconds: Math.round(performance.now() - t0) / 1000 },
    };
    const result = callJson('fit_finish', stopped, JSON.stringify(metadata));
    result.elapsedMs = Math.round(performance.now() - t0);
    return result;
  } catch (err) {
    call('fit_abort'); // the active model stays
    throw new UserError(`Training failed: ${stripPythonType(errorText(err))}. The active model is unchanged.`, 'fit');
  } finally {
    training = null;
  }
}

const handlers = {
  // the Code panel (codemodel.CodeSession)
  checkCode: (id, p) => callJson('check_code', String(p.source), JSON.stringify(p.settings || {})),
  codeTemplates: (id, p) => callJson('code_templates', JSON.stringify(p.settings || {})),
  codeInfo: (id, p) => callJson('code_info', String(p.json)),
  pythonScript(id, p) {
    try {
      return { text: call('python_script', String(p.source), JSON.stringify(p.settings || {})) };
    } catch (err) {
      throw pyError(err, 'code');
    }
  },
  init,
  info: () => callJson('model_info'),
  predict: (id, payload) => callJson('predict', requirePixels(payload)),
  evaluate: () => callJson('evaluate'),
  fit,
  async stop() {
    if (!training) return { stopping: false };
    training.stopRequested = true;
    wake();
    return { stopping: true };
  },
  pause() {
    if (!training) return { paused: false };
    training.paused = true;
    return { paused: true, epochsDone: training.epochsDone };
  },
  resume() {
    if (!training) return { paused: false };
    training.paused = false;
    training.pauseAtEpoch = null;
    wake();
    return { paused: false };
  },
  step() {
    if (!training) return { stepping: false };
    training.pauseAtEpoch = training.epochsDone + 1;
    training.paused = false;
    wake();
    return { stepping: true, untilEpoch: training.pauseAtEpoch };
  },
  inside: (id, payload) => callJson('inside', requirePixels(payload)),
  overview: () => callJson('overview'),
  firstLayer() {
    const proxy = call('first_layer');
    try {
      const bytes = proxy.toJs(); // a fresh Uint8Array copy of the float32 bytes
      return { weights: new Float32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4), inputs: build.shape.inputs };
    } finally {
      proxy.destroy();
    }
  },
  neuron: (id, payload) => checked(() => callJson('neuron', requireIndex(payload, 'neuron'), (payload && payload.k) || 9)),
  mistakes: (id, payload) => checked(() => callJson('mistakes', JSON.stringify(payload || {}))),
  heldOut: (id, payload) => checked(() => callJson('held_out', requireIndex(payload, 'index'))),
  augmentPreview(id, payload) {
    try {
      return callJson('augment_preview', JSON.stringify((payload && payload.augment) || {}), (payload && payload.count) || 8);
    } catch (err) {
      throw new UserError(stripPythonType(errorText(err)), 'invalid-options');
    }
  },
  toJson: (id, payload) => ({ json: call('to_json', JSON.stringify((payload && payload.metadata) || {})) }),
  loadJson(id, payload) {
    if (training) {
      throw new UserError('Training is running: press Stop (or wait for it to finish) before loading another model.', 'busy');
    }
    if (!payload || typeof payload.json !== 'string') throw new UserError('loadJson needs the model document as a string.');
    try {
      return callJson('load_model', payload.json, payload.trustCode === true); // validated before the active model is replaced
    } catch (err) {
      throw new UserError(stripPythonType(errorText(err)), /CodeRefusedError/.test(errorText(err)) ? 'carries-code' : 'invalid-model');
    }
  },
};

/**
 * V8 runs WebAssembly first in its baseline tier and compiles the hot functions again in the
 * background, so the first ~100 predictions after Ready were slow (measured p95 4.6 ms, then
 * 1.4 ms once warm). A few predictions of a blank drawing right after Ready, a handful at a time
 * so real requests get through in between, move that warm-up out of the person's first drawings.
 */
async function warmUpPredict(rounds = 120, chunk = 6) {
  const blank = new Float32Array(build.shape.inputs);
  for (let done = 0; done < rounds; done += chunk) {
    await yieldToEventLoop();
    if (training || !session) return;
    for (let k = 0; k < chunk; k += 1) call('predict', blank);
  }
}

self.onmessage = async (event) => {
  const { id, type, payload } = event.data || {};
  try {
    const handler = handlers[type];
    if (!handler) throw new UserError(`Unknown request "${type}".`);
    if (type === 'init') {
      ready = handler(id, payload);
      post({ id, type: 'result', payload: await ready });
      warmUpPredict().catch(() => {}); // a failure here is the next real predict's to report
      return;
    }
    if (!ready) throw new UserError('The worker has not been started (send "init" first).');
    await ready;
    if (NEEDS_DIGITS.has(type)) await digits();
    post({ id, type: 'result', payload: await handler(id, payload) });
  } catch (err) {
    const kind = (err && err.kind) || 'internal';
    if (!(err instanceof UserError)) console.error('[pynn worker]', err); // a Python traceback names bridge.py lines
    const message = err instanceof UserError ? err.message : `Unexpected error in the Python worker: ${errorText(err)}`;
    const error = err instanceof UserError && err.file ? { message, kind, file: err.file } : { message, kind };
    post({ id, type: 'error', error });
  }
};

self.addEventListener('unhandledrejection', (event) => {
  event.preventDefault();
  if (!session) {
    // During start-up (e.g. Pyodide's own fetch of a missing file) the init reply says what failed.
    console.warn('[pynn worker] during start-up:', event.reason);
    return;
  }
  post({ id: 0, type: 'error', error: { message: `Unexpected error in the Python worker: ${errorText(event.reason)}`, kind: 'internal' } });
});
