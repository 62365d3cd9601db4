// storage.js: the localStorage codec for models: key scheme, name checks, document inspection,
// and the primitive reads and writes. It decides nothing: which model to keep, restore or delete
// is page-session.js's job (session-models.js), the only caller of the writes.
//
// localStorage scheme (every key starts with "pynn."):
//
//   pynn.model.<name>   one saved model per key. The value is the model document exactly as
//                       py_nn's NeuralNetwork.to_json() wrote it (format "py_nn.model"); its
//                       "metadata" holds {"name", "savedAt" (ISO time), "test_accuracy", ...}.
//                       <name> is the name the person typed (trimmed, 1..60 characters).
//   pynn.unsaved        the last active model that has no name yet (a freshly trained or
//                       imported one), same document format. At most one such slot.
//   pynn.last           which model to restore on the next visit, a small JSON object:
//                       {"kind": "default"} | {"kind": "saved", "name": "<name>"} |
//                       {"kind": "unsaved"}
//
// There is deliberately no separate index: the list of saved models is the set of
// "pynn.model.*" keys. Every model is written with ONE setItem call, which either stores the
// whole value or throws (QuotaExceededError) and leaves the old value untouched, so a failed
// save can never leave a half-written entry or a stale index, and two tabs saving the same name
// at once leave one whole document (the last write). Nothing is ever deleted to make room: when
// storage is full the write fails, the person is told, and everything already stored stays as
// it was. An entry that cannot be parsed is listed as broken (with the reason) and can be
// deleted; it never stops the others from loading.

export const PREFIX = 'pynn.';
export const MODEL_PREFIX = 'pynn.model.';
export const UNSAVED_KEY = 'pynn.unsaved';
export const LAST_KEY = 'pynn.last';
export const MAX_NAME_LENGTH = 60;

/** Error with a message a person can act on. `code` lets callers branch ("quota", "missing", ...). */
export class StorageError extends Error {
  constructor(message, code) {
    super(message);
    this.name = 'StorageError';
    this.code = code;
  }
}

export function isQuotaError(err) {
  if (!err) return false;
  return (
    err.name === 'QuotaExceededError' ||
    err.name === 'NS_ERROR_DOM_QUOTA_REACHED' ||
    err.code === 22 ||
    err.code === 1014
  );
}

const mb = (chars) => `${(chars / 1e6).toFixed(2)} MB`;

export function formatSize(chars) {
  return chars >= 1e6 ? mb(chars) : `${Math.max(1, Math.round(chars / 1e3))} KB`;
}

/** Check a model name; returns the trimmed name or throws a StorageError saying how to fix it. */
export function checkName(name) {
  if (typeof name !== 'string') {
    throw new StorageError(
      `Model name: expected text, got ${name === null ? 'null' : typeof name}. Type a name such as "my model".`,
      'name'
    );
  }
  const trimmed = name.trim();
  if (!trimmed) throw new StorageError('Model name is empty: type a name such as "my model", then Save.', 'name');
  if (trimmed.length > MAX_NAME_LENGTH) {
    throw new StorageError(
      `Model name is ${trimmed.length} characters long; use at most ${MAX_NAME_LENGTH}.`,
      'name'
    );
  }
  return trimmed;
}

/**
 * What the list of saved models says about a stored document, without loading it: JSON, a py_nn
 * model, layers that fit this page (`shape.inputs` in, one output per class of the data set its
 * metadata names, else `shape.classes`: MNIST's), parameters present.
 * Loading is checked for real by py_nn's from_json in the worker.
 * Returns {ok: true, doc} or {ok: false, reason} (a clause, no final full stop).
 */
export function inspectDocument(text, shape) {
  if (text == null) return { ok: false, reason: 'the entry is missing' };
  let doc;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    return { ok: false, reason: `it is not valid JSON (${text.length} characters, probably cut off or edited)` };
  }
  if (!doc || typeof doc !== 'object' || Array.isArray(doc)) {
    return { ok: false, reason: 'it is not a model document (expected a JSON object)' };
  }
  if (doc.format !== 'py_nn.model') {
    return { ok: false, reason: `it is not a py_nn model (format is ${JSON.stringify(doc.format ?? null)}, expected "py_nn.model")` };
  }
  if (!Array.isArray(doc.layers) || doc.layers.length < 2) {
    return { ok: false, reason: 'it has no valid "layers" list' };
  }
  // a model of a data set that names its classes has one output per class; others are MNIST's
  const named = doc.metadata && doc.metadata.dataset && doc.metadata.dataset.classes;
  const classes = Array.isArray(named) ? named.length : shape.classes;
  if (doc.layers[0] !== shape.inputs || doc.layers[doc.layers.length - 1] !== classes) {
    return {
      ok: false,
      reason: `it is incompatible with this page (layers ${JSON.stringify(doc.layers)}; this page needs ${shape.inputs} inputs and ${classes} outputs)`,
    };
  }
  if (!doc.params || typeof doc.params.data !== 'string') {
    return { ok: false, reason: 'it has no parameters ("params.data" is missing)' };
  }
  return { ok: true, doc };
}

function summary(name, text, shape, extraBroken) {
  const check = inspectDocument(text, shape);
  const entry = { name, chars: text ? text.length : 0, broken: false };
  if (!check.ok) {
    entry.broken = check.reason;
    return entry;
  }
  const md = check.doc.metadata && typeof check.doc.metadata === 'object' ? check.doc.metadata : {};
  entry.layers = check.doc.layers;
  entry.savedAt = typeof md.savedAt === 'string' ? md.savedAt : null;
  entry.accuracy = typeof md.test_accuracy === 'number' ? md.test_accuracy : null;
  if (extraBroken) entry.broken = extraBroken;
  return entry;
}

/**
 * The model store over a Web Storage object. `getBackend()` returns it (localStorage in the page,
 * any object with getItem/setItem/removeItem/key/length in tests); it may throw when the browser
 * blocks storage, which becomes a StorageError("unavailable").
 */
export function createModelStore(getBackend = () => globalThis.localStorage) {
  function store() {
    let ls;
    try {
      ls = getBackend();
    } catch (_) {
      ls = null;
    }
    if (!ls) {
      throw new StorageError(
        'This browser does not allow the page to use local storage (private mode or blocked site data), ' +
          'so models cannot be kept between visits. Use Export to keep a model in a file.',
        'unavailable'
      );
    }
    return ls;
  }

  function keys(prefix) {
    const ls = store();
    const out = [];
    for (let i = 0; i < ls.length; i++) {
      const key = ls.key(i);
      if (key && key.startsWith(prefix)) out.push(key);
    }
    return out;
  }

  /** Characters used by all pynn.* keys (keys + values). */
  function usage() {
    const ls = store();
    return keys(PREFIX).reduce((n, key) => n + key.length + (ls.getItem(key) || '').length, 0);
  }

  /** Saved model names, sorted. */
  function names() {
    return keys(MODEL_PREFIX).map((k) => k.slice(MODEL_PREFIX.length)).sort((a, b) => a.localeCompare(b));
  }

  /**
   * All saved models, sorted by name: [{name, chars, layers, savedAt, accuracy, broken}], where
   * `broken` is false or a clause saying why the entry cannot be used. `knownBroken` maps names
   * to reasons found earlier (e.g. by the worker's from_json); `shape` is build.json's shape.
   */
  function listModels(shape, knownBroken = new Map()) {
    const ls = store();
    return names().map((name) => summary(name, ls.getItem(MODEL_PREFIX + name), shape, knownBroken.get(name)));
  }

  function hasModel(name) {
    return store().getItem(MODEL_PREFIX + name) !== null;
  }

  function readModel(name) {
    const text = store().getItem(MODEL_PREFIX + name);
    if (text === null) {
      const saved = names().map((n) => `"${n}"`);
      throw new StorageError(
        `There is no saved model named "${name}". ` +
          (saved.length ? `Saved models: ${saved.join(', ')}.` : 'No model is saved yet: train one, then Save it.'),
        'missing'
      );
    }
    return text;
  }

  function quotaMessage(what, text) {
    const saved = names().length;
    return (
      `Storage is full: could not store ${what} (it needs ${mb(text.length)}; ` +
      `this page already uses ${mb(usage())} of the browser's ~5 MB). Nothing was changed` +
      (saved ? ` and your ${saved} saved model${saved === 1 ? ' is' : 's are'} intact` : '') +
      '. Delete a saved model you no longer need, or use Export to keep this one in a file.'
    );
  }

  /** Store `text` under `key` in one write; a full storage throws StorageError("quota") and changes nothing. */
  function write(key, text, what) {
    const ls = store();
    try {
      ls.setItem(key, text);
    } catch (err) {
      if (isQuotaError(err)) throw new StorageError(quotaMessage(what, text), 'quota');
      throw new StorageError(`Could not store ${what}: ${err && err.message ? err.message : err}`, 'write');
    }
  }

  /** Save a model document under a name (replacing a model of the same name). Returns {replaced}. */
  function saveModel(name, text) {
    const clean = checkName(name);
    const replaced = hasModel(clean);
    write(MODEL_PREFIX + clean, text, `the model "${clean}"`);
    return { replaced };
  }

  function removeModel(name) {
    if (!hasModel(name)) throw new StorageError(`There is no saved model named "${name}" to delete.`, 'missing');
    store().removeItem(MODEL_PREFIX + name);
  }

  function saveUnsaved(text, label) {
    write(UNSAVED_KEY, text, label ? `the model "${label}"` : 'the trained model');
  }

  function readUnsaved() {
    return store().getItem(UNSAVED_KEY);
  }

  function clearUnsaved() {
    store().removeItem(UNSAVED_KEY);
  }

  /** {kind: "default"} | {kind: "saved", name} | {kind: "unsaved"}; a damaged or unreadable value reads as default. */
  function getLast() {
    let raw;
    try {
      raw = store().getItem(LAST_KEY);
    } catch (_) {
      return { kind: 'default' };
    }
    if (!raw) return { kind: 'default' };
    try {
      const v = JSON.parse(raw);
      if (v && v.kind === 'saved' && typeof v.name === 'string') return { kind: 'saved', name: v.name };
      if (v && v.kind === 'unsaved') return { kind: 'unsaved' };
    } catch (_) {
      /* fall through */
    }
    return { kind: 'default', damaged: raw };
  }

  /** Returns false when even this tiny write fails (storage full: the caller already says so). */
  function setLast(value) {
    try {
      store().setItem(LAST_KEY, JSON.stringify(value));
      return true;
    } catch (_) {
      return false;
    }
  }

  return {
    usage, names, listModels, hasModel, readModel, saveModel, removeModel,
    saveUnsaved, readUnsaved, clearUnsaved, getLast, setLast,
  };
}
