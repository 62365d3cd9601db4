// datasets/api.js: window.pynn's calls for your data sets (pynn.js spreads them in): import a zip
// or CSV, export a zip, list yours, create one to draw, add a drawn sample, delete. One store per page.

import { createDatasetStore, datasetsBackend } from './store.js';
import { readDatasetFile } from './import.js';
import { datasetZip } from './export.js';
import { INPUTS, checkClasses, checkName } from './rules.js';

let store = null;

/** The page's store of your data sets (IndexedDB, or memory when the browser refuses). */
export function getDatasetStore() {
  if (!store) store = createDatasetStore(datasetsBackend(typeof indexedDB === 'undefined' ? null : indexedDB));
  return store;
}

/** The names there are: yours, and the built-in data sets build.json lists (when it does). */
async function taken(facts) {
  const builtIn = (facts && Array.isArray(facts.datasets) ? facts.datasets : []).map((d) => ({ id: d.id, name: d.name }));
  return [...builtIn, ...(await getDatasetStore().list())];
}

async function need(id) {
  const d = await getDatasetStore().get(id);
  if (!d) {
    const ids = (await getDatasetStore().list()).map((x) => JSON.stringify(x.id));
    throw new Error(`There is no data set of yours with id ${JSON.stringify(id)}. Yours: ${ids.join(', ') || 'none yet (import one with pynn.importDataset(file))'}.`);
  }
  return d;
}

/** pynn's data-set calls; `facts()` gives build.json (for the built-in names). */
export function datasetCalls(facts = () => null) {
  return {
    /** A zip of class folders or a Kaggle CSV -> {id, name, classes, train, test, skipped, notes, persisted, error?}. */
    async importDataset(file, { name, seed = 0 } = {}) {
      const d = await readDatasetFile(file, { name, seed, taken: await taken(facts()) });
      const { skipped, notes } = d;
      const res = await getDatasetStore().put(d);
      return { id: res.id, name: d.name, classes: d.classes, train: d.train.labels.length, test: d.test.labels.length, skipped, notes, persisted: res.persisted, ...(res.error ? { error: res.error } : {}) };
    },
    /** A data set of yours as a zip File (train/<class>/<n>.png, test/..., dataset.json). */
    async exportDataset(id) {
      return datasetZip(await need(id));
    },
    /** Yours: [{id, name, classes, train, test, createdAt, stored}] (counts, no pixels). */
    myDatasets: () => getDatasetStore().list(),
    /** The whole data set (pixels as in the interface: Uint8Array, 0 = background .. 255 = ink). */
    myDataset: (id) => need(id),
    /** An empty data set to draw: name and class names ("a, b, c" or an array). */
    async createDataset(name, classes) {
      const text = checkName(name, await taken(facts()));
      const empty = () => ({ images: new Uint8Array(0), labels: new Uint8Array(0) });
      const d = { name: text, classes: checkClasses(classes), side: 28, source: 'yours', license: '', createdAt: new Date().toISOString(), train: empty(), test: empty() };
      const res = await getDatasetStore().put(d);
      return { ...res, name: text, classes: d.classes };
    },
    /**
     * Add one drawn sample (Float32Array(784) 0..1 or Uint8Array 0..255) of class `label` (index
     * or name); every fifth sample of a class goes to the test split. -> {id, split, persisted, error?}
     */
    async addDatasetSample(id, pixels, label) {
      const d = await need(id);
      const c = typeof label === 'string' ? d.classes.indexOf(label) : label;
      if (!Number.isInteger(c) || c < 0 || c >= d.classes.length) {
        throw new Error(`Class ${JSON.stringify(label)} is not one of ${d.name}'s: ${d.classes.map((x) => JSON.stringify(x)).join(', ')}.`);
      }
      if (!pixels || pixels.length !== INPUTS) throw new Error(`A sample must be ${INPUTS} pixel values (28x28); got ${pixels && pixels.length}.`);
      const bytes = pixels instanceof Uint8Array ? Uint8Array.from(pixels) : Uint8Array.from(pixels, (v) => Math.round(Math.max(0, Math.min(1, v)) * 255));
      if (!bytes.some((v) => v)) throw new Error('The sample is blank: draw on the teaching pad first.');
      const ofClass = [...d.train.labels, ...d.test.labels].filter((l) => l === c).length;
      const split = ofClass % 5 === 4 ? 'test' : 'train';
      const s = d[split];
      const images = new Uint8Array(s.images.length + INPUTS);
      images.set(s.images);
      images.set(bytes, s.images.length);
      const res = await getDatasetStore().put({ ...d, [split]: { images, labels: Uint8Array.from([...s.labels, c]) } });
      return { ...res, split };
    },
    async removeDataset(id) {
      const { removed } = await getDatasetStore().remove(id);
      return { removed: !!removed };
    },
  };
}
