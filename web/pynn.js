// pynn.js: the public JavaScript API, `window.pynn` (also `import pynn from './pynn.js'`): a thin
// facade over session.js that checks what a caller passes (fit options, pixels, names).
//
//   pynn.ready                          Promise<{version, model, build, data, startupMs, stages}>
//   pynn.fit(options, onProgress)       -> {history, stopped, committed, evaluation, persisted, ...}
//   pynn.stop()                         stops a running fit within one training slice
//   pynn.predict(Float32Array(inputs))  -> {label, probabilities}   (row-major, 0..1 ink)
//   pynn.evaluate()                     -> {accuracy, loss, confusion, count} on the held-out digits
//   pynn.save(name) / load(name) / list() / remove(name)
//   pynn.exportModel()                  -> File (and downloads it); importModel(File|Blob|string)
//   pynn.checkCode(source)              -> {ok, components: {name: {ok, maxRelError, shapeOk, message}}, error?}
//   pynn.fit({..., code: source}, cb)   trains with the components the code defines
//   pynn.importModel(file, {trustCode}) a file that carries code is refused unless trustCode: true
//   pynn.pythonScript(source?)          -> the .py text of "Export as Python"
//   pynn.activeModel()                  -> {name, kind, layers, accuracy, params}
//   pynn.events                         EventTarget: "status", "active", "models", "notice", "training"
// Nothing starts on import: the worker is created by the first call (or by reading pynn.ready).
// README.md documents every call.

import { Session } from './session.js';
import { createModelStore } from './storage.js';
import { loadFacts } from './facts.js';
import { validateFitConfig as validateFor, fitDefaults, OPTIMIZERS } from './fit-options.js';
import { saveFile } from './ui.js';
import { createCodeStore } from './code-store.js';

let session = null;

/** The page's one session (created on first use; the Worker only on its first request). */
export function getSession() {
  if (!session) {
    session = new Session({
      createWorker: () => new Worker(new URL('./worker.js', import.meta.url), { type: 'module' }),
      store: createModelStore(() => window.localStorage),
      loadFacts: () => loadFacts((url, init) => fetch(url, init), new URL('./', import.meta.url)),
    });
  }
  return session;
}

function shapeOrThrow(what) {
  const shape = getSession().shape;
  if (!shape) throw new Error(`${what}: the page is still starting (build.json is not read yet); await pynn.ready first.`);
  return shape;
}

/** Check training options against the data's limits: {config, errors} (see fit-options.js). */
export function validateFitConfig(input) {
  return validateFor(input, shapeOrThrow('validateFitConfig()'));
}

/** Pixels as a caller gave them -> a fresh Float32Array(inputs) (ours to transfer), or an Error. */
function toPixels(pixels, inputs) {
  const side = Math.sqrt(inputs);
  if (pixels instanceof Float32Array || Array.isArray(pixels) || ArrayBuffer.isView(pixels)) {
    if (pixels.length !== inputs) {
      const got = pixels instanceof Float32Array ? `a Float32Array of length ${pixels.length}` : String(pixels.length);
      throw new Error(`predict() expected ${inputs} pixel values (${side}x${side}); got ${got}.`);
    }
    const out = Float32Array.from(pixels);
    if (out.some((v) => !Number.isFinite(v))) {
      throw new Error('predict() expected numbers from 0 (background) to 1 (ink); got a non-number value.');
    }
    return out;
  }
  throw new Error(
    `predict() expected a Float32Array(${inputs}) of pixels (${side}x${side}, row-major, 0 = background .. 1 = ink); got ${
      pixels === null ? 'null' : typeof pixels
    }.`
  );
}

export async function predict(pixels) {
  await getSession().start();
  return getSession().predict(toPixels(pixels, getSession().shape.inputs));
}

const MAX_CODE_CHARS = 200000;

/** `code` as fit() and checkCode() take it: a string of at most MAX_CODE_CHARS characters. */
function checkSource(code, what) {
  if (typeof code !== 'string' || code.length > MAX_CODE_CHARS) {
    throw new Error(`${what} expected the Python code as a string of at most ${MAX_CODE_CHARS} characters; got ${typeof code === 'string' ? `${code.length} characters` : code === null ? 'null' : typeof code}.`);
  }
  return code;
}

/** The training settings for code: fit options without `code`, checked (defaults for the rest). */
function codeSettings(options) {
  const { config, errors } = validateFitConfig(options);
  if (!config) throw Object.assign(new Error(Object.values(errors).join(' ')), { fields: errors });
  return config;
}

export async function checkCode(source, options = {}) {
  checkSource(source, 'checkCode()');
  await getSession().start();
  return getSession().checkCode(source, codeSettings(options));
}

export async function pythonScript(source, options = {}) {
  await getSession().start();
  const code = source === undefined ? (createCodeStore(() => window.localStorage).readDraft() || '') : checkSource(source, 'pythonScript()');
  return getSession().pythonScript(code, codeSettings(options));
}

export async function fit(options = {}, onProgress) {
  if (onProgress !== undefined && typeof onProgress !== 'function') {
    throw new Error(`fit() expected onProgress to be a function (or left out); got ${typeof onProgress}.`);
  }
  await getSession().start();
  const { code, ...rest } = options && typeof options === 'object' ? options : { options };
  if (code !== undefined) checkSource(code, 'fit()');
  const { config, errors } = validateFitConfig(options && typeof options === 'object' ? rest : options);
  if (config && code !== undefined) config.code = code;
  if (!config) {
    const err = new Error(Object.values(errors).join(' '));
    err.fields = errors;
    throw err;
  }
  return getSession().fit(config, onProgress);
}

export async function exportModel({ download = true } = {}) {
  const file = await getSession().exportFile();
  if (download && typeof document !== 'undefined') saveFile(file);
  return file;
}

export const pynn = {
  get ready() {
    return getSession().start();
  },
  fit,
  stop: () => getSession().stop(),
  predict,
  evaluate: () => getSession().evaluate(),
  save: (name) => getSession().save(name),
  load: (name) => getSession().load(name),
  list: () => getSession().list(),
  remove: async (name) => ({ name: getSession().remove(name).name }),
  exportModel,
  importModel: (file, { trustCode = false } = {}) => getSession().importModel(file, { trustCode: trustCode === true }),
  checkCode,
  pythonScript,
  activeModel: () => (getSession().active ? { ...getSession().active } : null),
  buildInfo: () => getSession().facts,
  isFitting: () => getSession().training,
  validateFitConfig,
  get events() {
    return getSession();
  },
  get FIT_DEFAULTS() {
    return Object.freeze(fitDefaults(shapeOrThrow('FIT_DEFAULTS')));
  },
  OPTIMIZERS,
};

if (typeof window !== 'undefined') window.pynn = pynn;
export default pynn;
