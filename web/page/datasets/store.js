// datasets/store.js: your data sets, kept in IndexedDB (database "pynn-datasets", one record per
// data set, pixels as Uint8Arrays) with the samples store's rules (examples.js): every data set is
// also kept in memory, so when the browser refuses to store one (private window, full disk) it
// still works for this visit, the call says `persisted: false` and why, and Export keeps a file.

import { idbBackend } from '../examples.js';
import { INPUTS, SIDE, checkClasses, checkName, datasetId } from './rules.js';

/** IndexedDB for data sets: {getAll, put(record), delete(id)}; `factory` is window.indexedDB. */
export const datasetsBackend = (factory) => idbBackend(factory, { db: 'pynn-datasets', store: 'datasets', autoIncrement: false });

const problem = (err) => (err && err.name === 'QuotaExceededError' ? "the browser's storage for this site is full" : String((err && err.message) || err).replace(/[.\s]+$/, ''));
const count = (split) => split.labels.length;

/** A data set's summary, as list() gives it: no pixels. */
const summary = (d) => ({ id: d.id, name: d.name, classes: [...d.classes], train: count(d.train), test: count(d.test), createdAt: d.createdAt, stored: d.stored });

/** Throws unless `d` is a whole data set: classes, 28x28 pixels, labels within the classes. */
export function checkDataset(d) {
  const what = `Data set ${JSON.stringify(d && d.name)}`;
  checkClasses(d.classes);
  if (d.side !== SIDE) throw new Error(`${what} is ${d.side}x${d.side} pixels; this page uses ${SIDE}x${SIDE}.`);
  for (const split of ['train', 'test']) {
    const s = d[split];
    if (!s || !(s.images instanceof Uint8Array) || !(s.labels instanceof Uint8Array) || s.images.length !== s.labels.length * INPUTS) {
      throw new Error(`${what}: ${split} must be {images: Uint8Array(n * ${INPUTS}), labels: Uint8Array(n)}.`);
    }
    const bad = s.labels.findIndex((l) => l >= d.classes.length);
    if (bad >= 0) throw new Error(`${what}: ${split} label ${s.labels[bad]} (sample ${bad + 1}) is not a class index below ${d.classes.length}.`);
  }
}

/**
 * The store over `backend` (datasetsBackend(indexedDB), or any {getAll, put, delete}):
 *   load()          -> {error?}: reads what earlier visits kept (once)
 *   list()          -> [{id, name, classes, train, test, createdAt, stored}] (counts, no pixels)
 *   get(id)         -> the whole data set, or null
 *   put(dataset)    -> {id, persisted, error?}: adds or replaces (id: "mine-<slug of the name>")
 *   remove(id)      -> {removed: data set | null}
 *   rename(id, name)-> {id, persisted, error?} (the id follows the name)
 */
export function createDatasetStore(backend) {
  const sets = new Map();
  let loaded = null;

  function load() {
    if (!loaded) {
      loaded = backend.getAll().then((rows) => {
        for (const r of rows) {
          try {
            checkDataset(r);
            if (!sets.has(r.id)) sets.set(r.id, { ...r, stored: true });
          } catch (_) { /* a damaged record is left alone on disk, and not listed */ }
        }
        return {};
      }, (err) => ({ error: `Your data sets could not be read from this browser's storage: ${problem(err)}. Nothing was deleted; new ones are kept for this visit (Export them to keep a file).` }));
    }
    return loaded;
  }

  async function put(dataset) {
    await load();
    checkDataset(dataset);
    const id = dataset.id || datasetId(dataset.name);
    const { stored: _s, skipped: _k, notes: _n, ...record } = { ...dataset, id };
    try {
      await backend.put(record);
      sets.set(id, { ...record, stored: true });
      return { id, persisted: true };
    } catch (err) {
      sets.set(id, { ...record, stored: false });
      return { id, persisted: false, error: `Data set ${JSON.stringify(record.name)} could not be stored in this browser: ${problem(err)}. It is kept for this visit; use Export to keep a zip, or free some space and import it again.` };
    }
  }

  return {
    load,
    put,
    async list() {
      await load();
      return [...sets.values()].map(summary);
    },
    async get(id) {
      await load();
      const d = sets.get(id);
      return d ? { ...d, classes: [...d.classes] } : null;
    },
    async remove(id) {
      await load();
      const d = sets.get(id);
      if (!d) return { removed: null };
      if (d.stored) {
        try {
          await backend.delete(id);
        } catch (err) {
          throw new Error(`Data set ${JSON.stringify(d.name)} could not be deleted: ${problem(err)}. It is still there; try again.`);
        }
      }
      sets.delete(id);
      return { removed: d };
    },
    async rename(id, name) {
      await load();
      const d = sets.get(id);
      if (!d) throw new Error(`There is no data set of yours with id ${JSON.stringify(id)}.`);
      const text = checkName(name, [...sets.values()].filter((o) => o.id !== id));
      const res = await put({ ...d, id: datasetId(text), name: text });
      if (res.id !== id) await this.remove(id);
      return res;
    },
  };
}
