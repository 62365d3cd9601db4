// worker.js: the Web Worker that owns Pyodide: its start-up (the stages in order, behind one `ready`
// promise every request awaits) and its message loop. The requests themselves are in requests.js,
// the training slice loop in training.js; all the Python (data, active model, running fit) is the
// package web/python/pynn_worker, imported as a real package. At run time this file and its imports
// are one bundle (site/worker/worker.js, built by tools/worker_bundle.py, with a source map).
//
// Messages: shared/protocol.js. Every request is answered exactly once; nothing is thrown past the
// message handler. A start-up failure has kind "fatal" and, when one file is to blame, `file` (its
// URL path). The worker never touches the DOM or localStorage.
//
// Start-up: runtime ("Loading Pyodide…") → packages ("Loading NumPy…") → py_nn ("Installing
// py_nn…") → the worker's Python → model ("Loading model…"). A repeat visit of the same build
// restores runtime..Python from a snapshot (snapshot/start.js; any failure falls back to the
// stages); `stages.snapshot` in the init result says "restored", "saving" (captured; the worker
// sends the "snapshot" event once it is written and read back, or could not be) or "none".
// Everything starts as soon as the worker loads (page/boot.js creates it at the top of the page),
// before `init` arrives; init awaits it.

import { UserError, fatal, REBUILD, errorText, stripPythonType, fetchOk, yieldToEventLoop } from './util.js';
import { startPython } from './snapshot/start.js';
import { PYTHON_DIR, fetchBuildInfo, fetchPythonFiles, loadRuntime, loadPackages, installPyNN, importPython } from './stages.js';
import { SITE, ctx, call, callJson, forgetPython, post } from './context.js';
import { requests } from './requests.js';
import { ensureData } from './datasets.js';
import { isTraining } from './training.js';
import { NEEDS_DATA, REQUESTS } from '../shared/protocol.js';
import { builtInDataset, pixelShape } from '../shared/datasets.js';

let ready = null; // Promise of the start-up stages
let restoredFrom = null; // the snapshot this start came from (deleted if a later stage fails)

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

// --- start-up stages ---------------------------------------------------------------------------

async function stageRuntime(start) {
  progress(null, { stage: 'runtime', text: 'Loading Pyodide…' });
  ctx.pyodide = await loadRuntime(SITE, start);
}

async function stagePackages() {
  progress(null, { stage: 'packages', text: 'Loading NumPy…' });
  await loadPackages(ctx.pyodide, SITE, ctx.build.packages);
}

async function stagePyNN(wheelURL, wheelPromise) {
  progress(null, { stage: 'py_nn', text: 'Installing py_nn…' });
  await installPyNN(ctx.pyodide, wheelURL, wheelPromise);
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
 * the py_nn wheel and the worker's Python files, and Python itself (runtime → packages → py_nn →
 * the worker's Python, or all of it from a snapshot). Each promise rejects with a clear fatal
 * error, reported by init. `stages` collects the stage times (ms).
 */
function startFetches() {
  if (fetches) return fetches;
  const stages = {};
  const timed = timer(stages);
  fetches = fetchBuildInfo(SITE).then((info) => {
    ctx.build = info;
    const wheelURL = new URL(info.wheel, SITE); // absolute, so it works under any sub-path
    const wheelPromise = background(fetchOk(wheelURL, 'the py_nn wheel').then(async (r) => new Uint8Array(await r.arrayBuffer())));
    const filesPromise = background(fetchPythonFiles(SITE, info.python));
    // Python needs nothing from the page either: it starts now too
    const python = background(startPython({
      buildId: info.build_id, dirs: [PYTHON_DIR], timed, stages, reset: forgetPython, current: () => ctx.pyodide,
      runtime: (how) => stageRuntime(how),
      install: async () => {
        await timed('packages', () => stagePackages());
        await timed('py_nn', () => stagePyNN(wheelURL, wheelPromise));
      },
      importPython: async () => { ctx.state = await importPython(ctx.pyodide, SITE, filesPromise, info.python, info.datasets); },
    }));
    return { python, stages };
  });
  fetches.catch(() => {});
  return fetches;
}
let fetches = null;
startFetches();

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
  const { build } = ctx;
  const restore = payload && payload.restore && typeof payload.restore.json === 'string' ? payload.restore.json : null;
  const modelURL = new URL(build.model || 'models/default.json', SITE);
  const modelPromise = restore ? null : background(fetchOk(modelURL, 'the default model').then((r) => r.text()));
  const stages = {};
  const timed = timer(stages);
  const start = await timed('python', () => python); // begun when the worker loaded: this is the wait left
  Object.assign(stages, early);
  stages.snapshot = start.how; // "restored" | "saving" | "none"
  if (start.error) stages.snapshotError = start.error;
  restoredFrom = start.how === 'restored' ? start : null;
  progress(id, { stage: 'model', text: 'Loading model…' });
  const model = await timed('model', () => stageModel(restore, modelURL, modelPromise));
  const { version, kernel, kernelVariant } = callJson('about');
  if (start.saved) reportSnapshot(start.saved);
  // no data is loaded here: the first request that needs some fetches it (datasets.js)
  const dataset = builtInDataset(build, model.info.metadata.dataset.id);
  const data = { dataset: model.info.metadata.dataset.id, train: dataset ? dataset.train.count : null, test: dataset ? dataset.test.count : null };
  return { ...model, data, build, version, kernel, kernelVariant, stages, startupMs: Math.round(performance.now() - t0) };
}

/** Tell the page when the snapshot for the next visit is written (or why it is not). */
function reportSnapshot(saved) {
  saved.then((result) => post({ id: null, type: 'snapshot', payload: result }));
}

/**
 * V8 runs WebAssembly first in its baseline tier and compiles the hot functions again in the
 * background, so the first ~100 predictions after Ready were slow (measured p95 4.6 ms, then
 * 1.4 ms once warm). A few predictions of a blank drawing right after Ready, a handful at a time
 * so real requests get through in between, move that warm-up out of the person's first drawings.
 */
async function warmUpPredict(rounds = 120, chunk = 6) {
  const blank = new Float32Array(pixelShape(ctx.build).inputs);
  for (let done = 0; done < rounds; done += chunk) {
    await yieldToEventLoop();
    if (isTraining() || !ctx.state) return;
    for (let k = 0; k < chunk; k += 1) call('predict', blank);
  }
}

// --- the message loop --------------------------------------------------------------------------

const handlers = { init, ...requests };

self.onmessage = async (event) => {
  const { id, type, payload } = event.data || {};
  try {
    const handler = REQUESTS.includes(type) && handlers[type];
    if (!handler) throw new UserError(`Unknown request "${type}".`);
    if (type === 'init') {
      ready = handler(id, payload);
      post({ id, type: 'result', payload: await ready });
      warmUpPredict().catch(() => {}); // a failure here is the next real predict's to report
      return;
    }
    if (!ready) throw new UserError('The worker has not been started (send "init" first).');
    await ready;
    if (NEEDS_DATA.includes(type)) await ensureData(type, payload, (p) => post({ id, type: 'progress', payload: p }));
    post({ id, type: 'result', payload: await handler(id, payload) });
  } catch (err) {
    const kind = (err && err.kind) || 'internal';
    if (!(err instanceof UserError)) console.error('[pynn worker]', err); // a Python traceback names the package's lines
    const message = err instanceof UserError ? err.message : `Unexpected error in the Python worker: ${errorText(err)}`;
    const error = err instanceof UserError && err.file ? { message, kind, file: err.file } : { message, kind };
    post({ id, type: 'error', error });
  }
};

self.addEventListener('unhandledrejection', (event) => {
  event.preventDefault();
  if (!ctx.state) {
    // During start-up (e.g. Pyodide's own fetch of a missing file) the init reply says what failed.
    console.warn('[pynn worker] during start-up:', event.reason);
    return;
  }
  post({ id: 0, type: 'error', error: { message: `Unexpected error in the Python worker: ${errorText(event.reason)}`, kind: 'internal' } });
});
