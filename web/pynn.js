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
//   pynn.activeModel()                  -> {name, kind, layers, accuracy, params}
//   pynn.events                         EventTarget: "status", "active", "models", "notice", "training"
// Nothing starts on import: the worker is created by the first call (or by reading pynn.ready).
// README.md documents every call.

import { Session } from './session.js';
import { createModelStore } from './storage.js';
import { loadFacts } from './facts.js';
import { validateFitConfig as validateFor, fitDefaults, OPTIMIZERS } from './fit-options.js';
import { saveFile } from './ui.js';

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
    const at = out.findIndex((v) => !(v >= 0 && v <= 1)); // NaN fails both comparisons
    if (at >= 0) {
      const got = typeof pixels[at] === 'number' ? String(pixels[at]) : JSON.stringify(pixels[at]);
      const hint = out[at] > 1 && out[at] <= 255 ? ' Divide 0..255 grey levels by 255.' : '';
      throw new Error(`predict() expected pixel values from 0 (background) to 1 (ink); got ${got} at index ${at}.${hint}`);
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

export async function fit(options = {}, onProgress) {
  if (onProgress !== undefined && typeof onProgress !== 'function') {
    throw new Error(`fit() expected onProgress to be a function (or left out); got ${typeof onProgress}.`);
  }
  await getSession().start();
  const { config, errors } = validateFitConfig(options);
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
  importModel: (file) => getSession().importModel(file),
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
