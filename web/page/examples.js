// examples.js: the person's own digit samples ("Teach it your handwriting"): kept in IndexedDB
// across visits, counted per digit, exported to and imported from a file, packed for the worker.
//
// A sample is {id, label, pixels: Uint8Array(side * side) 0 = background .. 255 = ink, createdAt}.
// Pixels are stored as bytes (784 per sample), so a few thousand samples take a few MB.
// The store keeps every sample in memory too: when the browser's storage fails (private mode,
// full disk, blocked), a sample is still kept for this visit, the call says why it could not be
// stored, and Export keeps it in a file: nothing the person drew is lost.
// The pure parts (checks, counts, the file format, packing) take `shape` = build.json's shape.

export const FORMAT = 'pynn-examples';
export const FORMAT_VERSION = 1;
const MAX_IMPORT_BYTES = 50e6;

const clause = (text) => String(text).replace(/[.\s]+$/, '');

/** Check a label against `shape.classes`: the digit as an integer, or throws saying what is wrong. */
export function checkLabel(label, shape) {
  const n = typeof label === 'string' && /^\s*\d+\s*$/.test(label) ? Number(label) : label;
  if (!Number.isInteger(n) || n < 0 || n >= shape.classes) {
    throw new Error(`A sample's label must be a digit from 0 to ${shape.classes - 1}; got ${JSON.stringify(label)}.`);
  }
  return n;
}

/**
 * Pixels as a caller gave them (Float32Array/array of 0..1, or Uint8Array of 0..255) -> a new
 * Uint8Array(side * side); throws for a wrong length, a non-number or an empty (all-blank) image.
 */
export function toBytes(pixels, shape) {
  const { inputs, side } = shape;
  if (!(Array.isArray(pixels) || ArrayBuffer.isView(pixels)) || pixels.length !== inputs) {
    const got = pixels && pixels.length !== undefined ? `${pixels.length} values` : String(pixels === null ? null : typeof pixels);
    throw new Error(`A sample must be ${inputs} pixel values (${side}x${side}, row-major, 0 = background .. 1 = ink); got ${got}.`);
  }
  const bytes = pixels instanceof Uint8Array || pixels instanceof Uint8ClampedArray;
  const out = new Uint8Array(inputs);
  let ink = 0;
  for (let i = 0; i < inputs; i++) {
    const v = Number(pixels[i]);
    if (!Number.isFinite(v)) throw new Error(`A sample's pixels must be numbers; value ${i} is ${pixels[i]}.`);
    out[i] = bytes ? v : Math.round(Math.max(0, Math.min(1, v)) * 255);
    ink += out[i];
  }
  if (ink === 0) throw new Error('The sample is blank: draw a digit first.');
  return out;
}

/** Bytes 0..255 -> Float32Array of 0..1 (what predict and the pad's preview take). */
export function toFloats(bytes) {
  const out = new Float32Array(bytes.length);
  for (let i = 0; i < bytes.length; i++) out[i] = bytes[i] / 255;
  return out;
}

/** How many samples of each digit: an array of `classes` counts. */
export function countByDigit(examples, classes) {
  const counts = new Array(classes).fill(0);
  for (const e of examples) if (e.label >= 0 && e.label < classes) counts[e.label]++;
  return counts;
}

/** Samples packed for the worker: {images: Uint8Array(n * inputs), labels: Uint8Array(n)}. */
export function pack(examples, shape) {
  const images = new Uint8Array(examples.length * shape.inputs);
  const labels = new Uint8Array(examples.length);
  examples.forEach((e, i) => {
    images.set(e.pixels, i * shape.inputs);
    labels[i] = e.label;
  });
  return { images, labels };
}

function toBase64(bytes) {
  let s = '';
  for (let i = 0; i < bytes.length; i++) s += String.fromCharCode(bytes[i]);
  return btoa(s);
}

function fromBase64(text) {
  const s = atob(text);
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
  return out;
}

/** The export file's text: {format, version, side, examples: [{label, pixels: base64, createdAt}]}. */
export function exportText(examples, shape) {
  return JSON.stringify({
    format: FORMAT,
    version: FORMAT_VERSION,
    side: shape.side,
    count: examples.length,
    examples: examples.map((e) => ({ label: e.label, createdAt: e.createdAt, pixels: toBase64(e.pixels) })),
  });
}

/**
 * Read an export file's text. Returns {examples: [{label, pixels, createdAt}], skipped: [reason]}:
 * a sample with a bad label or pixel count is skipped (and said why); a file that is not an
 * examples file at all throws, saying what was expected.
 */
export function parseExport(text, shape) {
  const expected = `a samples file written by "Export samples" (JSON with "format": "${FORMAT}")`;
  let doc;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    throw new Error(`This file is not ${expected}: it is not JSON (${clause(err.message)}).`);
  }
  if (!doc || doc.format !== FORMAT || !Array.isArray(doc.examples)) {
    const what = doc && doc.layers ? 'a model file (import it in Models)' : 'something else';
    throw new Error(`This file is not ${expected}; it looks like ${what}.`);
  }
  if (doc.side !== shape.side) {
    throw new Error(`These samples are ${doc.side}x${doc.side} pixels, but this page uses ${shape.side}x${shape.side}.`);
  }
  const examples = [];
  const skipped = [];
  doc.examples.forEach((e, i) => {
    try {
      const label = checkLabel(e && e.label, shape);
      let pixels;
      try {
        pixels = fromBase64(String(e.pixels));
      } catch (_) {
        throw new Error('its pixels are not base64 text');
      }
      if (pixels.length !== shape.inputs) throw new Error(`it has ${pixels.length} pixels, not ${shape.inputs}`);
      const createdAt = typeof e.createdAt === 'string' ? e.createdAt : new Date(0).toISOString();
      examples.push({ label, pixels, createdAt });
    } catch (err) {
      skipped.push(`sample ${i + 1}: ${clause(err.message)}`);
    }
  });
  return { examples, skipped };
}

// --- storage -------------------------------------------------------------------------------------

/**
 * IndexedDB as the store's backend: {getAll(), put(record) -> id, delete(id), clear()}.
 * `factory` is window.indexedDB (null or missing: every call rejects with a clear reason);
 * `db`/`store`/`keyPath` name the database and its one object store (datasets/store.js has its own).
 */
export function idbBackend(factory, { db: DB_NAME = 'pynn', store: STORE = 'examples', keyPath = 'id', autoIncrement = true } = {}) {
  let opened = null;
  const open = () => {
    if (!opened) {
      opened = new Promise((resolve, reject) => {
        if (!factory) {
          reject(new Error('this browser offers no IndexedDB storage here (private window or blocked storage?)'));
          return;
        }
        const req = factory.open(DB_NAME, 1);
        req.onupgradeneeded = () => req.result.createObjectStore(STORE, { keyPath, autoIncrement });
        req.onsuccess = () => resolve(req.result);
        req.onerror = () => reject(req.error || new Error('IndexedDB could not be opened'));
        req.onblocked = () => reject(new Error('IndexedDB is blocked by another tab of this page; close it and try again'));
      });
      opened.catch(() => {
        opened = null; // try again next time
      });
    }
    return opened;
  };
  const run = (mode, fn) =>
    open().then(
      (db) =>
        new Promise((resolve, reject) => {
          const tx = db.transaction(STORE, mode);
          const req = fn(tx.objectStore(STORE));
          tx.oncomplete = () => resolve(req.result);
          tx.onerror = () => reject(tx.error || req.error || new Error('IndexedDB transaction failed'));
          tx.onabort = () => reject(tx.error || new Error('IndexedDB transaction aborted (storage full?)'));
        })
    );
  return {
    getAll: () => run('readonly', (s) => s.getAll()),
    put: (record) => run('readwrite', (s) => s.put(record)),
    delete: (id) => run('readwrite', (s) => s.delete(id)),
    clear: () => run('readwrite', (s) => s.clear()),
  };
}

function storageProblem(err) {
  const name = err && err.name;
  if (name === 'QuotaExceededError') return "the browser's storage for this site is full";
  return clause((err && err.message) || String(err));
}

/**
 * The samples store over `backend` (see idbBackend). Every method is async.
 *   load()              read what earlier visits kept -> {examples, error?}
 *   add(pixels, label)  -> {example, persisted, error?}   (kept in memory even when storing fails)
 *   list()              -> samples, oldest first
 *   remove(id)          -> {removed: sample | null, persisted, error?}
 *   importText(text)    -> {added, skipped, persisted, error?}
 *   exportText()        -> the file text
 * Samples kept only in memory (storage failed) have `stored: false`; `unstored()` counts them.
 */
export function createExampleStore(backend, shape) {
  let examples = [];
  let nextLocalId = -1; // ids for samples storage refused (negative: never clash with IndexedDB's)
  let loaded = null;

  const fail = (what, err) =>
    `${what} could not be stored in this browser: ${storageProblem(err)}. It is kept for this visit; ` +
    'use "Export samples" to keep a file, or free some space and add again.';

  async function load() {
    if (!loaded) {
      loaded = (async () => {
        try {
          const rows = await backend.getAll();
          const fromDisk = rows
            .filter((r) => r && Number.isInteger(r.label) && r.pixels && r.pixels.length === shape.inputs)
            .map((r) => ({ id: r.id, label: r.label, pixels: new Uint8Array(r.pixels), createdAt: r.createdAt, stored: true }));
          examples = [...fromDisk, ...examples];
          return { examples: [...examples] };
        } catch (err) {
          return {
            examples: [...examples],
            error: `Your saved samples could not be read from this browser's storage: ${storageProblem(err)}. ` +
              'Nothing was deleted; new samples are kept for this visit (Export them to keep a file).',
          };
        }
      })();
    }
    return loaded;
  }

  async function keep(pixels, label, createdAt) {
    const record = { label, pixels, createdAt };
    try {
      const id = await backend.put(record);
      const example = { id, label, pixels, createdAt, stored: true };
      examples.push(example);
      return { example, persisted: true };
    } catch (err) {
      const example = { id: nextLocalId--, label, pixels, createdAt, stored: false };
      examples.push(example);
      return { example, persisted: false, error: fail(`The sample of a ${label}`, err) };
    }
  }

  return {
    load,
    async add(pixels, label) {
      const digit = checkLabel(label, shape);
      const bytes = toBytes(pixels, shape);
      await load();
      return keep(bytes, digit, new Date().toISOString());
    },
    async list() {
      await load();
      return [...examples];
    },
    async remove(id) {
      await load();
      const i = examples.findIndex((e) => e.id === id);
      if (i < 0) return { removed: null, persisted: true };
      const [removed] = examples.splice(i, 1);
      if (!removed.stored) return { removed, persisted: true };
      try {
        await backend.delete(id);
        return { removed, persisted: true };
      } catch (err) {
        examples.splice(i, 0, removed); // still stored: keep showing it
        throw new Error(`The sample could not be deleted: ${storageProblem(err)}. It is still there; try again.`);
      }
    },
    async importText(text) {
      if (typeof text !== 'string') throw new Error('Import expected the text of a samples file.');
      if (text.length > MAX_IMPORT_BYTES) throw new Error(`This file is ${(text.length / 1e6).toFixed(1)} MB; a samples file is well under 50 MB.`);
      const { examples: incoming, skipped } = parseExport(text, shape);
      await load();
      let error = null;
      for (const e of incoming) {
        const res = await keep(e.pixels, e.label, e.createdAt);
        if (!res.persisted && !error) error = res.error.replace(`The sample of a ${e.label}`, 'Some imported samples');
      }
      return { added: incoming.length, skipped, persisted: !error, ...(error ? { error } : {}) };
    },
    async exportText() {
      await load();
      return exportText(examples, shape);
    },
    unstored: () => examples.filter((e) => !e.stored).length,
  };
}
