// session-datasets.js: the page session's data sets (mixed into PageSession): the list, the shape
// a data set gives the training options, switching the active model to a data set's own model,
// and THE one place a data set id becomes what the worker trains on (`resolveDataset`): a built-in
// id stays an id (the worker fetches its shards), a person's own data set (`mine-…`, from the
// store set as `session.ownDatasets`, an object with async `get(id)` and `list()`) is sent whole.

import { DEFAULT_DATASET, builtInDataset, datasetShape } from '../shared/datasets.js';

/** A person's data set ({id, name, classes, side, train: {images, labels}, test: {...}, ...}),
 * checked, as the fit request carries it: fresh copies of the arrays (transferred, so the store's
 * own arrays stay usable). Throws an Error saying what is wrong. */
export function ownPayload(d, inputs) {
  const where = `The data set "${d && d.id}"`;
  if (!d || typeof d.id !== 'string' || !Array.isArray(d.classes) || d.classes.length < 2) {
    throw new Error(`${where} needs an id and at least two class names; got ${JSON.stringify(d && d.classes)}.`);
  }
  const split = (name) => {
    const s = d[name];
    if (!s || !(s.images instanceof Uint8Array) || !(s.labels instanceof Uint8Array)) {
      throw new Error(`${where} needs ${name}: {images: Uint8Array(n*${inputs}), labels: Uint8Array(n)}.`);
    }
    if (s.labels.length === 0 || s.images.length !== s.labels.length * inputs) {
      throw new Error(`${where}: its ${name} split has ${s.images.length} pixel bytes for ${s.labels.length} labels; expected ${inputs} per label and at least one sample.`);
    }
    const bad = s.labels.findIndex((v) => v >= d.classes.length);
    if (bad >= 0) throw new Error(`${where}: ${name} label ${s.labels[bad]} (sample ${bad}) is not one of its ${d.classes.length} classes.`);
    return { images: s.images.slice(), labels: s.labels.slice() };
  };
  return { id: d.id, name: d.name || d.id, classes: d.classes.map(String), train: split('train'), test: split('test') };
}

/** What pynn.datasets() lists for an entry: a built-in one ({count, shards} splits), a person's own
 * as the store lists it (splits as counts) or whole (splits as arrays). */
function summary(d) {
  const count = (s) => (typeof s === 'number' ? s : typeof s.count === 'number' ? s.count : s.labels.length);
  return { id: d.id, name: d.name, classes: [...d.classes], train: count(d.train), test: count(d.test),
    source: d.source || 'yours', license: d.license || '' };
}

export const datasetMethods = {
  /** [{id, name, classes, train, test, source, license}]: the built-in ones, then yours. */
  async datasets() {
    await this.start();
    const own = this.ownDatasets ? await this.ownDatasets.list() : [];
    for (const d of own) this.ownShapes.set(d.id, datasetShape({ side: this.pixels.side, classes: d.classes, train: { count: summary(d).train }, test: { count: summary(d).test } }));
    return [...this.facts.datasets, ...own].map(summary);
  },

  /** The shape ({side, inputs, classes, train, test}) of a data set id, or null if unknown. */
  shapeOf(id) {
    const entry = this.facts && builtInDataset(this.facts, id);
    return entry ? datasetShape(entry) : this.ownShapes.get(id) || null;
  },

  /** The active model's data set id (MNIST until a model is active). */
  get datasetId() {
    return (this.active && this.active.dataset) || DEFAULT_DATASET;
  },

  /** {id} of a built-in data set, or {id, payload} with a person's data set's arrays to send. */
  async resolveDataset(id) {
    if (builtInDataset(this.facts, id)) return { id };
    const own = this.ownDatasets ? await this.ownDatasets.get(id) : null;
    if (!own) {
      const known = this.facts.datasets.map((d) => `"${d.id}"`).join(', ');
      throw new Error(`There is no data set "${id}": the built-in ones are ${known}${this.ownDatasets ? ', plus yours (pynn.datasets() lists them)' : ''}.`);
    }
    const payload = ownPayload(own, this.pixels.inputs);
    this.ownShapes.set(id, datasetShape({ side: this.pixels.side, classes: payload.classes, train: { count: payload.train.labels.length }, test: { count: payload.test.labels.length } }));
    return { id, payload };
  },

  /** Make a built-in data set's own model active (its file is fetched now; it is not kept for
   * the next visit, which starts with the default model): the active model's description. */
  async useDataset(id) {
    await this.start();
    const entry = builtInDataset(this.facts, id);
    if (!entry) throw new Error(`useDataset() expected one of ${this.facts.datasets.map((d) => `"${d.id}"`).join(', ')}; got ${JSON.stringify(id)}.`);
    if (this.training) throw new Error('Training is running: press Stop (or wait for it to finish) before switching data set.');
    if (this.datasetId === id) return { ...this.active };
    const url = new URL(entry.model, new URL('../', import.meta.url)); // the site's folder
    let text;
    try {
      const res = await fetch(url);
      if (!res.ok) throw new Error(`HTTP ${res.status}`);
      text = await res.text();
    } catch (err) {
      throw new Error(`Could not fetch ${entry.name}'s model (${url.pathname}): ${err.message}. If you are offline, it was never loaded on this device. The active model is unchanged.`);
    }
    const info = await this.rpc.call('loadJson', { json: text, trustCode: false });
    this.store.setLast({ kind: 'default' });
    const name = id === this.facts.default_model.dataset ? 'Default model' : `${entry.name} model`;
    this.setActive({ ...this.describe(info, name, 'default'), accuracy: entry.model_test_accuracy });
    return { ...this.active };
  },
};
