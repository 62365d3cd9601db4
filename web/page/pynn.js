// pynn.js: the public JavaScript API, `window.pynn` (also `import pynn from './pynn.js'`): a thin
// facade over page-session.js that checks what a caller passes (fit options, pixels, names).
//
//   pynn.ready                          Promise<{version, model, build, data, startupMs, stages}>
//   pynn.snapshotSaved                  Promise<{state: "saved" | "restored" | "none", error?}>: the
//                                       start-up snapshot for the next visit written (or why not)
//   pynn.datasets()                     -> [{id, name, classes, train, test, source, license}]
//   pynn.useDataset(id)                 makes a built-in data set's own model active
//   pynn.fit(options, onProgress)       -> {history, stopped, committed, evaluation, persisted, ...}
//                                       (options.dataset: an id; default the active model's)
//   pynn.stop()                         stops a running fit within one training slice
//   pynn.predict(Float32Array(inputs))  -> {label, className, probabilities}   (row-major, 0..1 ink)
//   pynn.evaluate()                     -> {accuracy, loss, confusion, count} on the active model's test split
//   pynn.save(name) / load(name) / list() / remove(name)
//   pynn.exportModel()                  -> File (and downloads it); importModel(File|Blob|string)
//   pynn.checkCode(source)              -> {ok, components: {name: {ok, maxRelError, shapeOk, message}}, error?}
//   pynn.fit({..., code: source}, cb)   trains with the components the code defines
//   pynn.importModel(file, {trustCode}) a file that carries code is refused unless trustCode: true
//   pynn.pythonScript(source?)          -> the .py text of "Export as Python"
//   pynn.activeModel()                  -> {name, kind, layers, accuracy, params, dataset, classes}
//   pynn.events                         EventTarget: "status", "active", "models", "notice", "training"
//   pynn.pause() / resume() / oneMoreEpoch()   pause a run; resume; +1 epoch (see README)
//   pynn.inside(pixels)                 -> {layers: [{size, activations}], logits, probabilities}
//   pynn.summary() / mistakes({limit, true, predicted}) / heldOut(index) / neuron(i)
//   pynn.explainStep(pixels, label, {learningRate?, code?}) -> one training step by hand, every stage
//   pynn.gradCheck(pixels, label, {layer, kind, i, j}) / explainParam(...) / applyStep() / undoStep()
//   pynn.addExample(pixels, label) / examples() / removeExample(id) / exportExamples() / importExamples(file)
//   pynn.importDataset(file, {name}) / exportDataset(id) / myDatasets() and friends: datasets/api.js
//   pynn.lessonLink(options) / publishSite({title, panels, lesson}): share/api.js
// Nothing starts on import: the worker is created by the first call (or by reading pynn.ready).
// README.md documents every call.

import { PageSession } from './page-session.js';
import { createModelStore } from './storage.js';
import { loadFacts } from '../shared/facts.js';
import { validateFitConfig as validateFor, fitDefaults, OPTIMIZERS } from '../shared/fit-options.js';
import { saveFile } from './ui.js';
import { createExampleStore, idbBackend, pack, toFloats } from './examples.js';
import { createCodeStore } from './code-store.js';
import { datasetCalls, getDatasetStore } from './datasets/api.js';

let session = null;
let exampleStore = null;
const TEACH_KEYS = ['continueTraining', 'data', 'augment'];
export const DATA_CHOICES = ['both', 'mnist', 'mine'];
export const AUGMENT_LIMITS = Object.freeze({ shift: [0, 14, 'pixels'], rotation: [0, 180, 'degrees'], scale: [0, 0.9, 'a fraction'], thickness: [0, 1, 'a fraction'] });

/** The page's one session (created on first use; the Worker only on its first request). */
export function getSession() {
  if (!session) {
    session = new PageSession({
      createWorker: () => new Worker(new URL('../worker/worker.js', import.meta.url), { type: 'module' }),
      store: createModelStore(() => window.localStorage),
      loadFacts: () => loadFacts((url, init) => fetch(url, init), new URL('../', import.meta.url)),
    });
    session.ownDatasets = getDatasetStore(); // your data sets: fit({dataset: "mine-…"}) trains on them
  }
  return session;
}

/** The person's samples (IndexedDB), one store per page; needs build.json's shape. */
export function getExamples() {
  if (!exampleStore) {
    const shape = shapeOrThrow('examples') && getSession().shapeOf('mnist'); // your samples are digits
    exampleStore = createExampleStore(idbBackend(typeof indexedDB === 'undefined' ? null : indexedDB), shape);
  }
  return exampleStore;
}

/** {teach: {continueTraining, data, augment}, errors} from fit options (the rest go to validateFitConfig). */
export function validateTeachOptions(input) {
  const errors = {};
  const teach = { continueTraining: false, data: 'mnist', augment: null };
  if (input.continueTraining !== undefined) {
    if (typeof input.continueTraining !== 'boolean') errors.continueTraining = `continueTraining: expected true or false; got ${JSON.stringify(input.continueTraining)}.`;
    else teach.continueTraining = input.continueTraining;
  }
  if (input.data !== undefined) {
    if (!DATA_CHOICES.includes(input.data)) errors.data = `data: expected one of "mnist", "mine", "both"; got ${JSON.stringify(input.data)}.`;
    else teach.data = input.data;
  } else if (teach.continueTraining) teach.data = 'both';
  if (input.augment !== undefined && input.augment !== null) {
    const a = input.augment;
    if (typeof a !== 'object' || Array.isArray(a)) errors.augment = `augment: expected an object like {shift: 2, rotation: 10}; got ${JSON.stringify(a)}.`;
    else {
      teach.augment = {};
      for (const [key, value] of Object.entries(a)) {
        const lim = AUGMENT_LIMITS[key];
        const n = typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
        if (!lim) errors.augment = `augment: unknown setting "${key}"; valid ones are ${Object.keys(AUGMENT_LIMITS).join(', ')}.`;
        else if (typeof n !== 'number' || !Number.isFinite(n) || n < lim[0] || n > lim[1] || (key === 'shift' && !Number.isInteger(n))) {
          errors[`augment.${key}`] = `augment.${key}: expected ${key === 'shift' ? 'a whole number of' : ''} ${lim[2]} from ${lim[0]} to ${lim[1]}; got ${JSON.stringify(value)}.`.replace('  ', ' ');
        } else teach.augment[key] = n;
      }
    }
  }
  return { teach, errors };
}

function shapeOrThrow(what) {
  const shape = getSession().shape;
  if (!shape) throw new Error(`${what}: the page is still starting (build.json is not read yet); await pynn.ready first.`);
  return shape;
}

/** Check training options against the limits of their data set (`dataset`, default: the active
 * model's): {config, errors} (see fit-options.js). */
export function validateFitConfig(input) {
  const fallback = shapeOrThrow('validateFitConfig()');
  const id = input && typeof input === 'object' ? input.dataset : undefined;
  if (typeof id !== 'string' || !id) return validateFor(input, fallback);
  const shape = getSession().shapeOf(id);
  if (shape) return validateFor(input, shape);
  const { errors } = validateFor({ ...input, dataset: undefined }, fallback);
  const known = getSession().facts.datasets.map((d) => `"${d.id}"`).join(', ');
  errors.dataset = `Data set: expected one of ${known} or one of yours (pynn.datasets() lists them); got ${JSON.stringify(id)}.`;
  return { config: null, errors };
}

/** Pixels as a caller gave them -> a fresh Float32Array(inputs) (ours to transfer), or an Error. */
function toPixels(pixels, inputs, what = 'predict()') {
  const side = Math.sqrt(inputs);
  if (pixels instanceof Float32Array || Array.isArray(pixels) || ArrayBuffer.isView(pixels)) {
    if (pixels.length !== inputs) {
      const got = pixels instanceof Float32Array ? `a Float32Array of length ${pixels.length}` : String(pixels.length);
      throw new Error(`${what} expected ${inputs} pixel values (${side}x${side}); got ${got}.`);
    }
    const out = Float32Array.from(pixels);
    const at = out.findIndex((v) => !(v >= 0 && v <= 1)); // NaN fails both comparisons
    if (at >= 0) {
      const got = typeof pixels[at] === 'number' ? String(pixels[at]) : JSON.stringify(pixels[at]);
      const hint = out[at] > 1 && out[at] <= 255 ? ' Divide 0..255 grey levels by 255.' : '';
      throw new Error(`${what} expected pixel values from 0 (background) to 1 (ink); got ${got} at index ${at}.${hint}`);
    }
    return out;
  }
  throw new Error(
    `${what} expected a Float32Array(${inputs}) of pixels (${side}x${side}, row-major, 0 = background .. 1 = ink); got ${
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

const STEP_OPTIONS = ['learningRate', 'code', 'settings'];
const WEIGHT_KEYS = ['layer', 'kind', 'i', 'j'];

/** pixels, label and options of explainStep() / gradCheck(), checked -> [Float32Array, label, options]. */
function stepInputs(what, pixels, label, options, extra = []) {
  const shape = getSession().shape;
  const px = toPixels(pixels, shape.inputs, what);
  if (!Number.isInteger(label) || label < 0 || label >= shape.classes) {
    throw new Error(`${what} expected the label, the class the drawing shows: a whole number from 0 to ${shape.classes - 1}; got ${JSON.stringify(label) ?? String(label)}.`);
  }
  if (options === null || typeof options !== 'object' || Array.isArray(options)) {
    throw new Error(`${what} expected an options object like {learningRate: 0.01}; got ${JSON.stringify(options) ?? String(options)}.`);
  }
  const allowed = [...extra, ...STEP_OPTIONS];
  const unknown = Object.keys(options).find((k) => !allowed.includes(k));
  if (unknown) throw new Error(`${what}: unknown option "${unknown}"; valid options are ${allowed.join(', ')}.`);
  const out = {};
  if (options.learningRate !== undefined) {
    const { config, errors } = validateFitConfig({ learningRate: options.learningRate });
    if (!config) throw new Error(`${what}: ${errors.learningRate}`);
    out.learningRate = config.learningRate;
  }
  if (options.settings !== undefined && options.code === undefined) {
    throw new Error(`${what}: settings (the Train options an optimizer or layers the code leaves out take) apply only with code; got settings without code.`);
  }
  if (options.code !== undefined) {
    // names the code leaves out: the active model's hidden layers, then the given Train settings;
    // the step's learning rate is the `learningRate` option alone (the optimizer's own otherwise)
    const hidden = (getSession().active ? getSession().active.layers : []).slice(1, -1);
    const { learningRate, ...settings } = codeSettings({ ...(hidden.length ? { hidden } : {}), ...(options.settings || {}) });
    Object.assign(out, settings, { code: checkSource(options.code, what) });
  }
  return [px, label, out];
}

/** {layer, kind, i, j} of gradCheck(): whole numbers and "W" | "b" (py_nn checks the ranges). */
function weightPosition(what, options) {
  const where = {};
  for (const key of WEIGHT_KEYS) {
    const v = options && options[key];
    const ok = key === 'kind' ? v === 'W' || v === 'b' : Number.isInteger(v) && v >= 0;
    if (!ok) {
      const want = key === 'kind' ? '"W" (a weight) or "b" (a bias)' : 'a whole number >= 0';
      throw new Error(`${what} expected ${key} to be ${want}, as in {layer: 0, kind: "W", i: 300, j: 5}; got ${JSON.stringify(v) ?? String(v)}.`);
    }
    where[key] = v;
  }
  return where;
}

export async function explainStep(pixels, label, options = {}) {
  await getSession().start();
  return getSession().explainStep(...stepInputs('explainStep()', pixels, label, options));
}

export async function gradCheck(pixels, label, options = {}) {
  await getSession().start();
  const where = weightPosition('gradCheck()', options);
  const [px, y, rest] = stepInputs('gradCheck()', pixels, label, options, WEIGHT_KEYS);
  return getSession().gradCheck(px, y, { ...rest, ...where });
}

export async function fit(options = {}, onProgress) {
  if (onProgress !== undefined && typeof onProgress !== 'function') {
    throw new Error(`fit() expected onProgress to be a function (or left out); got ${typeof onProgress}.`);
  }
  await getSession().start();
  const isObject = options !== null && typeof options === 'object' && !Array.isArray(options);
  const { code, ...others } = isObject ? options : {};
  if (code !== undefined) checkSource(code, 'fit()');
  const base = Object.fromEntries(Object.entries(others).filter(([k]) => !TEACH_KEYS.includes(k)));
  if (typeof base.dataset === 'string' && !getSession().shapeOf(base.dataset)) await getSession().datasets(); // yours: their shapes
  // a non-object goes to validateFitConfig as is: it says an options object was expected
  const { config, errors } = validateFitConfig(isObject ? base : options);
  const { teach, errors: teachErrors } = validateTeachOptions(isObject ? options : {});
  Object.assign(errors, teachErrors);
  if (config && code !== undefined) config.code = code;
  if (!config || Object.keys(teachErrors).length) {
    const err = new Error(Object.values(errors).join(' '));
    err.fields = errors;
    throw err;
  }
  const datasetId = config.dataset || getSession().datasetId;
  if (teach.data !== 'mnist' && datasetId !== 'mnist') {
    throw new Error(`fit(): data "${teach.data}" mixes in your drawn samples, which are digits, but this run trains on "${datasetId}": pick the MNIST digits data set first (Train panel, or useDataset("mnist")), or use data "mnist".`);
  }
  const all = await getExamples().list();
  if (teach.data !== 'mnist' && all.length === 0) {
    throw new Error(`fit(): data "${teach.data}" needs your own samples and there are none yet: add some with addExample() (or the Teach panel), or use data "mnist".`);
  }
  // your drawn samples are digits: they join MNIST runs only
  const mine = all.length && datasetId === 'mnist' ? pack(all, getSession().shapeOf('mnist')) : null;
  return getSession().fit({ ...config, ...teach }, onProgress, { mine });
}

/**
 * +1 epoch: while a run is paused, train until one more epoch ends and pause again; with no run,
 * continue training the active model for one epoch with the last run's settings (or the defaults).
 */
export async function oneMoreEpoch(onProgress) {
  const s = getSession();
  if (s.training) return s.step();
  const last = s.lastFit || {};
  const keep = ['epochs', 'batchSize', 'optimizer', 'learningRate', 'samples', 'seed', 'data', 'augment'];
  const options = Object.fromEntries(keep.filter((k) => last[k] !== undefined && last[k] !== null).map((k) => [k, last[k]]));
  return fit({ ...options, epochs: 1, continueTraining: true, data: last.data || 'mnist' }, onProgress);
}

async function addExample(pixels, label) {
  await getSession().start();
  return describeExample(await getExamples().add(pixels, label));
}

function describeExample(res) {
  const { example, ...rest } = res;
  return { id: example.id, label: example.label, createdAt: example.createdAt, stored: example.stored, ...rest };
}

export async function exportModel({ download = true } = {}) {
  const file = await getSession().exportFile();
  if (download && typeof document !== 'undefined') saveFile(file);
  return file;
}

export const pynn = {
  /** Settles once the start-up snapshot for the next visit is written and read back ("saved"),
   * when this visit started from one ("restored"), or when none will be written ("none", `error`). */
  get snapshotSaved() {
    const s = getSession();
    s.start();
    return s.snapshotSaved;
  },
  get ready() {
    return getSession().start();
  },
  fit,
  datasets: () => getSession().datasets(),
  useDataset: (id) => getSession().useDataset(id),
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
  pause: () => getSession().pause(),
  resume: () => getSession().resume(),
  oneMoreEpoch,
  explainStep,
  explainArray: (ref) => getSession().explainArray(ref),
  explainParam: (where) => getSession().explainParam(weightPosition('explainParam()', where)),
  gradCheck,
  applyStep: () => getSession().applyStep(),
  undoStep: () => getSession().undoStep(),
  inside: async (pixels) => {
    await getSession().start();
    return getSession().inside(toPixels(pixels, getSession().shape.inputs));
  },
  summary: async () => (await getSession().overview()).summary,
  overview: () => getSession().overview(),
  mistakes: ({ limit, true: t, predicted } = {}) => getSession().mistakes({ limit, true: t, predicted }),
  heldOut: async (index) => {
    const d = await getSession().heldOut(index);
    return Object.assign(toFloats(Uint8Array.from(d.pixels)), { label: d.label, index: d.index });
  },
  neuron: (index, k) => getSession().neuron(index, k),
  firstLayer: () => getSession().firstLayer(),
  augmentPreview: (augment, count) => getSession().augmentPreview(augment, count),
  addExample,
  examples: async () => {
    await getSession().start();
    return (await getExamples().list()).map((e) => ({ id: e.id, label: e.label, createdAt: e.createdAt, stored: e.stored, pixels: toFloats(e.pixels) }));
  },
  removeExample: async (id) => {
    await getSession().start();
    const { removed } = await getExamples().remove(id);
    return { removed: !!removed };
  },
  exportExamples: async ({ download = true } = {}) => {
    await getSession().start();
    const file = new File([await getExamples().exportText()], 'my-digits.json', { type: 'application/json' });
    if (download && typeof document !== 'undefined') saveFile(file);
    return file;
  },
  importExamples: async (file) => {
    await getSession().start();
    const text = typeof file === 'string' ? file : await file.text();
    return getExamples().importText(text);
  },
  ...datasetCalls(() => getSession().facts),
  buildInfo: () => getSession().facts,
  // share/api.js, loaded on first use: lesson links and "Download as a website"
  lessonLink: async (options) => (await import('./share/api.js')).lessonLink(getSession(), options),
  publishSite: async (options) => (await import('./share/api.js')).publishSite(getSession(), options),
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
