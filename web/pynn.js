// pynn.js: the page's client for the Python worker, exported as an ES module and as `window.pynn`.
//
//   pynn.ready                          Promise<{version, model}>: py_nn is importable and a model
//                                       (the default, or the restored last-active one) is active
//   pynn.fit(options, onProgress)       -> {history, stopped, committed, evaluation, persisted, ...}
//       options: {hidden, epochs, batchSize, optimizer, learningRate, samples}
//   pynn.stop()                         stops a running fit within one training slice
//   pynn.predict(Float32Array(784))     -> {label, probabilities}   (28x28 row-major, 0..1 ink)
//   pynn.evaluate()                     -> {accuracy, loss, confusion, count} on the held-out digits
//   pynn.save(name) / load(name) / list() / remove(name)
//   pynn.exportModel()                  -> File (and downloads it); importModel(File|Blob|string)
//   pynn.activeModel()                  -> {name, kind, layers, accuracy, params}
//   pynn.events                         EventTarget: "status", "active", "models", "notice"
// Every failure rejects with an Error whose message says what was expected, what was given and
// what to do. Storage stays on this thread (storage.js); the worker only (de)serializes.

import * as storage from './storage.js';

export const OPTIMIZERS = ['adam', 'sgd', 'rmsprop', 'adagrad'];
export const DEFAULT_LR = { adam: 0.001, sgd: 0.1, rmsprop: 0.001, adagrad: 0.01 };
export const FIT_DEFAULTS = Object.freeze({
  hidden: [128],
  epochs: 3,
  batchSize: 64,
  optimizer: 'adam',
  learningRate: 0.001,
  samples: 8000,
});
export const LIMITS = { hiddenMax: 2048, hiddenLayers: 5, epochs: 100, batchSize: 8000, samples: 8000 };
const FIT_KEYS = ['hidden', 'epochs', 'batchSize', 'optimizer', 'learningRate', 'samples', 'seed'];
export const FIELD_LABELS = {
  hidden: 'Hidden layers',
  epochs: 'Epochs',
  batchSize: 'Batch size',
  optimizer: 'Optimizer',
  learningRate: 'Learning rate',
  samples: 'Training samples',
};

const shown = (v) => (typeof v === 'string' ? JSON.stringify(v) : Array.isArray(v) ? JSON.stringify(v) : String(v));
const NUMBER_RE = /^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i;

function toNumber(v) {
  if (typeof v === 'number') return v;
  if (typeof v === 'string' && NUMBER_RE.test(v.trim())) return Number(v.trim());
  return NaN;
}

function wholeNumber(errors, key, value, min, max, hint) {
  const n = toNumber(value);
  if (!Number.isInteger(n) || n < min || n > max) {
    errors[key] = `${FIELD_LABELS[key]}: expected a whole number from ${min} to ${max}${hint ? ` ${hint}` : ''}; got ${shown(value)}.`;
    return undefined;
  }
  return n;
}

/**
 * Check training options. Returns {config, errors}; `errors` maps option names to messages
 * (empty when valid). Missing options take FIT_DEFAULTS. `samples` is capped by the training pool.
 */
export function validateFitConfig(input, { maxSamples = LIMITS.samples } = {}) {
  const errors = {};
  if (input === null || typeof input !== 'object' || Array.isArray(input)) {
    return {
      config: null,
      errors: { options: `fit() expected an options object like {hidden: [128], epochs: 3}; got ${shown(input)}.` },
    };
  }
  for (const key of Object.keys(input)) {
    if (!FIT_KEYS.includes(key)) {
      errors[key] = `Unknown option "${key}": valid options are ${FIT_KEYS.slice(0, 6).join(', ')}.`;
    }
  }
  const v = { ...FIT_DEFAULTS, ...input };
  const config = {};

  // hidden: "256, 64", [256, 64] or 128
  let hidden = v.hidden;
  const hiddenMsg =
    `${FIELD_LABELS.hidden}: expected whole numbers from 1 to ${LIMITS.hiddenMax} separated by commas ` +
    `(at most ${LIMITS.hiddenLayers} layers), e.g. "128" or "256, 64"; got ${shown(hidden)}.`;
  if (typeof hidden === 'number') hidden = [hidden];
  if (typeof hidden === 'string') hidden = hidden.trim() === '' ? [] : hidden.split(/[,\s]+/).filter(Boolean);
  if (!Array.isArray(hidden) || hidden.length === 0 || hidden.length > LIMITS.hiddenLayers) {
    errors.hidden = hiddenMsg;
  } else {
    const sizes = hidden.map(toNumber);
    if (sizes.some((n) => !Number.isInteger(n) || n < 1 || n > LIMITS.hiddenMax)) errors.hidden = hiddenMsg;
    else config.hidden = sizes;
  }

  config.epochs = wholeNumber(errors, 'epochs', v.epochs, 1, LIMITS.epochs);
  config.batchSize = wholeNumber(errors, 'batchSize', v.batchSize, 1, LIMITS.batchSize);
  config.samples = wholeNumber(errors, 'samples', v.samples, 1, maxSamples, `(the training pool has ${maxSamples.toLocaleString('en')} digits)`);

  const opt = typeof v.optimizer === 'string' ? v.optimizer.trim().toLowerCase() : v.optimizer;
  if (!OPTIMIZERS.includes(opt)) {
    errors.optimizer = `${FIELD_LABELS.optimizer}: expected one of ${OPTIMIZERS.join(', ')}; got ${shown(v.optimizer)}.`;
  } else config.optimizer = opt;

  const lr = toNumber(v.learningRate);
  if (!Number.isFinite(lr) || lr <= 0 || lr > 10) {
    errors.learningRate =
      `${FIELD_LABELS.learningRate}: expected a number greater than 0 and at most 10 ` +
      `(e.g. 0.001 for adam, 0.1 for sgd); got ${shown(v.learningRate)}.`;
  } else config.learningRate = lr;

  if (v.seed !== undefined) {
    const seed = toNumber(v.seed);
    if (!Number.isInteger(seed) || seed < 0) errors.seed = `seed: expected a whole number >= 0; got ${shown(v.seed)}.`;
    else config.seed = seed;
  } else config.seed = 0;

  return { config: Object.keys(errors).length ? null : config, errors };
}

// --- worker plumbing -------------------------------------------------------------------------

export const events = new EventTarget();
const emit = (type, detail) => events.dispatchEvent(new CustomEvent(type, { detail }));

const worker = new Worker(new URL('./worker.js', import.meta.url), { type: 'module' });
const pending = new Map();
let nextId = 1;
let fatal = null;

function call(type, payload, { onProgress, transfer } = {}) {
  if (fatal) return Promise.reject(new Error(fatal));
  const id = nextId++;
  return new Promise((resolve, reject) => {
    pending.set(id, { resolve, reject, onProgress });
    worker.postMessage({ id, type, payload }, transfer || []);
  });
}

worker.onmessage = (event) => {
  const msg = event.data || {};
  const entry = pending.get(msg.id);
  if (!entry) {
    if (msg.type === 'error') {
      console.error('[pynn worker]', msg.error && msg.error.message);
      emit('notice', { text: msg.error.message, kind: 'error' });
    }
    return;
  }
  if (msg.type === 'progress') {
    if (entry.onProgress) {
      try {
        entry.onProgress(msg.payload);
      } catch (err) {
        console.error('pynn progress callback failed:', err);
      }
    }
    return;
  }
  pending.delete(msg.id);
  if (msg.type === 'result') entry.resolve(msg.payload);
  else {
    const err = new Error((msg.error && msg.error.message) || 'Unknown error in the Python worker.');
    err.kind = msg.error && msg.error.kind;
    entry.reject(err);
  }
};

function failAll(message) {
  fatal = message;
  for (const [id, entry] of pending) {
    pending.delete(id);
    entry.reject(new Error(message));
  }
  emit('status', { state: 'error', text: `Error: ${message}` });
}

worker.onerror = (event) => {
  event.preventDefault();
  failAll(
    `The Python worker stopped (${event.message || 'it could not be started'}). ` +
      'Reload the page; if it happens again, rebuild the site with "python3 build.py".'
  );
};
worker.onmessageerror = () => failAll('A message from the Python worker could not be read. Reload the page.');

// --- state ---------------------------------------------------------------------------------------

let active = null; // {name, kind: "default"|"saved"|"unsaved", layers, params, accuracy}
let build = null;
let dataInfo = { train: LIMITS.samples, test: 2000 };
let fitting = false;
const brokenNames = new Map(); // saved models that from_json rejected during this visit

function setActive(next) {
  active = next;
  emit('active', { ...active });
}

function modelsChanged() {
  emit('models', {});
}

function notice(text, kind = 'info') {
  emit('notice', { text, kind });
}

function describeInfo(info, name, kind) {
  const md = (info && info.metadata) || {};
  let accuracy = typeof md.test_accuracy === 'number' ? md.test_accuracy : null;
  if (kind === 'default' && build && build.default_model && typeof build.default_model.test_accuracy === 'number') {
    accuracy = build.default_model.test_accuracy;
  }
  return { name, kind, layers: info.layers, params: info.params, accuracy };
}

function storageGuard(fn, fallback) {
  try {
    return fn();
  } catch (err) {
    return fallback(err);
  }
}

// --- start-up --------------------------------------------------------------------------------------

function restoreCandidate() {
  return storageGuard(
    () => {
      const last = storage.getLast();
      if (last.kind === 'saved') {
        if (!storage.hasModel(last.name)) {
          return { error: `the saved model "${last.name}" no longer exists`, label: last.name };
        }
        return { json: storage.readModel(last.name), name: last.name, kind: 'saved', label: last.name };
      }
      if (last.kind === 'unsaved') {
        const json = storage.readUnsaved();
        if (json === null) return null;
        let name = 'Unsaved model';
        try {
          const md = JSON.parse(json).metadata;
          if (md && typeof md.name === 'string' && md.name) name = md.name;
        } catch (_) {
          /* the worker reports the real problem */
        }
        if (!/unsaved/i.test(name)) name = `${name} (unsaved)`;
        return { json, name, kind: 'unsaved', label: name };
      }
      return null;
    },
    () => null
  );
}

async function start() {
  emit('status', { state: 'loading', stage: 'start', text: 'Loading Pyodide…' });
  const candidate = restoreCandidate();
  const restore = candidate && candidate.json ? { json: candidate.json } : null;
  const res = await call('init', { restore }, {
    onProgress: (p) => emit('status', { state: 'loading', stage: p.stage, text: p.text }),
  });
  build = res.build;
  dataInfo = res.data;
  if (res.source === 'restored') {
    setActive({ ...describeInfo(res.info, candidate.name, candidate.kind), inSlot: candidate.kind === 'unsaved' });
  } else {
    setActive(describeInfo(res.info, 'Default model', 'default'));
    const problem = res.restoreError || (candidate && candidate.error);
    if (candidate && problem) {
      if (candidate.kind === 'saved') brokenNames.set(candidate.name, problem);
      storageGuard(() => storage.setLast({ kind: 'default' }), () => null);
      notice(
        `Could not restore the last model "${candidate.label}": ${problem}. The default model is active; ` +
          'nothing was deleted and your other saved models are untouched.',
        'error'
      );
    }
  }
  const seconds = (res.startupMs / 1000).toFixed(1);
  emit('status', {
    state: 'ready',
    text: `Ready: py_nn ${res.version} in Pyodide ${build.pyodide || ''} (started in ${seconds} s)`.replace(' in Pyodide  ', ' in Pyodide '),
  });
  modelsChanged();
  return { version: res.version, model: { ...active }, build, data: dataInfo, startupMs: res.startupMs, stages: res.stages };
}

export const ready = start().catch((err) => {
  if (!fatal) failAll(err.message);
  throw err;
});
ready.catch(() => {}); // the page shows the error via the "status" event

// --- API -------------------------------------------------------------------------------------------

export function activeModel() {
  return active ? { ...active } : null;
}

export function buildInfo() {
  return build;
}

export function isFitting() {
  return fitting;
}

function toPixels(pixels) {
  if (pixels instanceof Float32Array) {
    if (pixels.length !== 784) {
      throw new Error(`predict() expected 784 pixel values (28x28); got a Float32Array of length ${pixels.length}.`);
    }
    return new Float32Array(pixels); // a copy we can transfer
  }
  if (Array.isArray(pixels) || ArrayBuffer.isView(pixels)) {
    if (pixels.length !== 784) {
      throw new Error(`predict() expected 784 pixel values (28x28); got ${pixels.length}.`);
    }
    const out = Float32Array.from(pixels);
    if (out.some((v) => !Number.isFinite(v))) {
      throw new Error('predict() expected numbers from 0 (background) to 1 (ink); got a non-number value.');
    }
    return out;
  }
  throw new Error(
    `predict() expected a Float32Array(784) of pixels (28x28, row-major, 0 = background .. 1 = ink); got ${
      pixels === null ? 'null' : typeof pixels
    }.`
  );
}

export async function predict(pixels) {
  const px = toPixels(pixels);
  await ready;
  return call('predict', { pixels: px }, { transfer: [px.buffer] });
}

export async function evaluate() {
  await ready;
  return call('evaluate', {});
}

function persistUnsaved(json, label) {
  try {
    storage.saveUnsaved(json, label);
    storage.setLast({ kind: 'unsaved' });
    if (active) active.inSlot = true; // the active model is the one in pynn.unsaved
    return { persisted: true };
  } catch (err) {
    let next = 'the default model';
    const last = storageGuard(() => storage.getLast(), () => ({ kind: 'default' }));
    if (last.kind === 'saved') next = `your saved model "${last.name}"`;
    if (last.kind === 'unsaved') next = 'the previously kept unsaved model';
    const why =
      err.code === 'quota'
        ? `browser storage is full (it needs ${storage.formatSize(json.length)}; this page already uses ` +
          `${storage.formatSize(storageGuard(() => storage.usage(), () => 0))} of about 5 MB)`
        : err.message.replace(/[.\s]+$/, '');
    return {
      persisted: false,
      persistError:
        `"${label}" is active, but it cannot be kept for your next visit: ${why}. Nothing stored was changed; ` +
        `after a reload ${next} will be active. To keep this one, Export it, or delete a saved model and Save it.`,
    };
  }
}

export async function fit(options = {}, onProgress) {
  if (onProgress !== undefined && typeof onProgress !== 'function') {
    throw new Error(`fit() expected onProgress to be a function (or left out); got ${typeof onProgress}.`);
  }
  await ready;
  const { config, errors } = validateFitConfig(options, { maxSamples: dataInfo.train });
  if (!config) {
    const err = new Error(Object.values(errors).join(' '));
    err.fields = errors;
    throw err;
  }
  if (fitting) throw new Error('A training run is already in progress: wait for it to finish or call stop() first.');
  fitting = true;
  const name = 'Trained model';
  const total = config.epochs;
  const relay = (p) => {
    if (!onProgress) return;
    for (const ev of p.epochs) {
      onProgress({
        type: 'epoch',
        epoch: ev.epoch,
        epochs: ev.epochs,
        loss: ev.loss,
        accuracy: ev.accuracy,
        valLoss: ev.val_loss,
        valAccuracy: ev.val_accuracy,
        progress: ev.epoch / ev.epochs,
        elapsedMs: p.elapsedMs,
      });
    }
    const b = p.batch;
    if (b) {
      onProgress({
        type: 'batch',
        epoch: b.epoch,
        epochs: b.epochs || total,
        batch: b.batch,
        batches: b.batches,
        loss: b.loss,
        accuracy: b.accuracy,
        samples: b.samples,
        progress: ((b.epoch - 1) * b.batches + b.batch) / ((b.epochs || total) * b.batches),
        elapsedMs: p.elapsedMs,
      });
    }
  };
  try {
    const res = await call('fit', { config, name }, { onProgress: relay });
    const out = {
      history: res.history,
      stopped: res.stopped,
      committed: res.committed,
      batches: res.batches,
      elapsedMs: res.elapsedMs,
      evaluation: res.evaluation || null,
      persisted: false,
    };
    if (res.committed) {
      const label = res.stopped ? 'Trained model (stopped, unsaved)' : 'Trained model (unsaved)';
      setActive({ ...describeInfo(res.info, label, 'unsaved'), accuracy: res.evaluation.accuracy });
      const { json } = await call('toJson', { metadata: { name: label } });
      Object.assign(out, persistUnsaved(json, label));
      if (out.persistError) notice(out.persistError, 'error');
    }
    return out;
  } finally {
    fitting = false;
  }
}

export async function stop() {
  if (!fitting) return { stopping: false };
  return call('stop', {});
}

export async function save(name) {
  const clean = storage.checkName(name);
  await ready;
  const savedAt = new Date().toISOString();
  const metadata = { name: clean, savedAt };
  if (active && typeof active.accuracy === 'number') metadata.test_accuracy = active.accuracy;
  const { json } = await call('toJson', { metadata });
  const { replaced } = storage.saveModel(clean, json); // throws (and changes nothing) when storage is full
  brokenNames.delete(clean);
  const inSlot = !!(active && active.inSlot);
  storage.setLast({ kind: 'saved', name: clean });
  // the pynn.unsaved copy of this very model is no longer needed: it now lives under its name
  if (inSlot) storageGuard(() => storage.clearUnsaved(), () => null);
  setActive({ ...active, name: clean, kind: 'saved', inSlot: false, suggestedName: undefined });
  modelsChanged();
  return { name: clean, replaced, chars: json.length };
}

export async function load(name) {
  const clean = storage.checkName(name);
  await ready;
  if (fitting) throw new Error('Training is running: press Stop (or wait for it to finish) before loading a model.');
  const json = storage.readModel(clean);
  const check = storage.inspectDocument(json);
  let info;
  try {
    if (!check.ok) throw new Error(check.reason);
    info = await call('loadJson', { json });
  } catch (err) {
    const reason = err.message.replace(/[.\s]+$/, '');
    brokenNames.set(clean, reason);
    modelsChanged();
    throw new Error(
      `Saved model "${clean}" cannot be loaded: ${reason}. The active model is unchanged; ` +
        `delete "${clean}" from the list if you no longer need it.`
    );
  }
  brokenNames.delete(clean);
  storage.setLast({ kind: 'saved', name: clean });
  setActive(describeInfo(info, clean, 'saved'));
  modelsChanged();
  return { ...active };
}

export function list() {
  return storage.listModels(brokenNames).map((m) => ({
    ...m,
    active: !!(active && active.kind === 'saved' && active.name === m.name),
  }));
}

export async function remove(name) {
  const clean = storage.checkName(name);
  storage.removeModel(clean);
  brokenNames.delete(clean);
  if (active && active.kind === 'saved' && active.name === clean) {
    setActive({ ...active, name: `${clean} (deleted)`, kind: 'unsaved' });
  }
  modelsChanged();
  return { name: clean };
}

function fileNameFor(name) {
  const base = String(name || 'model')
    .replace(/\(.*?\)/g, '')
    .trim()
    .replace(/[^\w.-]+/g, '-')
    .replace(/^-+|-+$/g, '');
  return `${base || 'model'}.json`;
}

export async function exportModel({ download = true } = {}) {
  await ready;
  const name = active ? active.name : 'model';
  const { json } = await call('toJson', { metadata: { name: name.replace(/\s*\((unsaved|stopped, unsaved|deleted)\)$/, ''), exportedAt: new Date().toISOString() } });
  const file = new File([json], fileNameFor(name), { type: 'application/json' });
  if (download && typeof document !== 'undefined') {
    const url = URL.createObjectURL(file);
    const a = document.createElement('a');
    a.href = url;
    a.download = file.name;
    a.hidden = true;
    document.body.appendChild(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 10000);
  }
  return file;
}

const MAX_IMPORT_CHARS = 50e6;

export async function importModel(file) {
  let text;
  let label;
  if (typeof file === 'string') {
    text = file;
    label = 'imported model';
  } else if (file && typeof file.text === 'function') {
    label = file.name ? `"${file.name}"` : 'the file';
    if (file.size > MAX_IMPORT_CHARS) {
      throw new Error(`${label} is ${(file.size / 1e6).toFixed(1)} MB; a py_nn model file for this page is well under 50 MB. Pick the .json file that Export wrote.`);
    }
    text = await file.text();
  } else {
    throw new Error(
      `importModel() expected a File, Blob or the model JSON text; got ${file === null ? 'null' : typeof file}. ` +
        'Pick the .json file that Export wrote.'
    );
  }
  await ready;
  if (fitting) throw new Error('Training is running: press Stop (or wait for it to finish) before importing a model.');
  const check = storage.inspectDocument(text);
  let info;
  try {
    if (!check.ok) throw new Error(check.reason);
    info = await call('loadJson', { json: text });
  } catch (err) {
    throw new Error(`Cannot import ${label}: ${err.message.replace(/[.\s]+$/, '')}. The active model is unchanged; pick a .json file written by Export.`);
  }
  const md = info.metadata || {};
  let name = typeof md.name === 'string' && md.name.trim() ? md.name.trim() : null;
  if (!name) name = file && file.name ? file.name.replace(/\.json$/i, '') : 'Imported model';
  name = name.slice(0, storage.MAX_NAME_LENGTH);
  setActive({ ...describeInfo(info, `${name} (unsaved)`, 'unsaved'), suggestedName: name });
  const { json } = await call('toJson', { metadata: { name } });
  const persisted = persistUnsaved(json, name);
  if (persisted.persistError) notice(persisted.persistError, 'error');
  modelsChanged();
  return { name, layers: info.layers, ...persisted };
}

export const pynn = {
  ready,
  fit,
  stop,
  predict,
  evaluate,
  save,
  load,
  list,
  remove,
  exportModel,
  importModel,
  activeModel,
  buildInfo,
  isFitting,
  validateFitConfig,
  events,
  FIT_DEFAULTS,
  OPTIMIZERS,
};

if (typeof window !== 'undefined') window.pynn = pynn;
export default pynn;
