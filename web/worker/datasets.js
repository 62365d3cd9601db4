// datasets.js: the samples a request needs, loaded into the Python state before it runs. Ready
// never waits for data. A built-in data set's gzip shards (build.json "datasets",
// tools/datasets.py) are fetched when first needed: a fit of n samples fetches the training shards
// holding its first n and the test shards; evaluate and the Inside requests the test shards of the
// active model's data set. A person's own data set comes whole with the fit request (typed arrays,
// transferred). A failed fetch is that request's error (kind "data"); the next request retries.

import { UserError, REBUILD, errorText, stripPythonType, gunzip } from './util.js';
import { callJson, ctx, SITE } from './context.js';
import { builtInDataset, shardsToFetch } from '../shared/datasets.js';

const MB = (bytes) => `${(bytes / 1e6).toFixed(1)} MB`;

/** A shard's gzip bytes; `.unzip()` decodes them when they are added (one decoded shard at a time:
 * all six of MNIST's decoded at once would hold 47 MB in the worker). */
async function fetchShard(url, what) {
  let res;
  try {
    res = await fetch(url);
  } catch (err) {
    throw new UserError(`Could not fetch ${what} (${url.pathname}): ${err.message}. If you are offline, this data was never loaded on this device: connect to the network and try again (drawing and predicting work offline).`, 'data', url.pathname);
  }
  if (!res.ok) throw new UserError(`Could not fetch ${what}: ${url.pathname} answered HTTP ${res.status}. ${REBUILD} and serve the site/ folder.`, 'data', url.pathname);
  const gz = await res.arrayBuffer();
  return {
    async unzip() {
      try {
        return await gunzip(gz);
      } catch (err) {
        throw new UserError(`Could not decode ${what} (${url.pathname}, gzip expected): ${err.message}. ${REBUILD}.`, 'data', url.pathname);
      }
    },
  };
}

const loading = new Map(); // `${id}/${split}` -> the load under way (one at a time per split)

/** Load the first `wanted` samples of a built-in split; report {download: {...}} per shard. */
function loadSplit(entry, split, wanted, report) {
  const key = `${entry.id}/${split}`;
  const previous = loading.get(key) || Promise.resolve();
  const next = previous.catch(() => {}).then(async () => {
    const loaded = callJson('data_counts', entry.id)[split];
    const shards = shardsToFetch(entry[split], loaded, wanted);
    if (!shards.length) return;
    const total = shards.reduce((sum, s) => sum + s.count, 0);
    let done = 0;
    const status = (files) => report({ download: { dataset: entry.id, name: entry.name, split, files, of: shards.length, samples: total, text: `Downloading ${entry.name} (${split}): ${files} of ${shards.length} file${shards.length > 1 ? 's' : ''}` } });
    status(0);
    // fetched at once, added in order (the Python pool appends)
    const bytes = shards.map((s) => fetchShard(new URL(s.url, SITE), `${entry.name}'s ${split} samples`).then((b) => {
      done += 1;
      status(done);
      return b;
    }));
    bytes.forEach((p) => p.catch(() => {}));
    for (const [i, shard] of shards.entries()) {
      const data = await (await bytes[i]).unzip();
      bytes[i] = null; // the decoded shard goes once added (the pool keeps its own copy)
      try {
        callJson('add_shard', entry.id, split, data);
      } catch (err) {
        throw new UserError(`Could not use ${shard.url} (${MB(data.length)}): ${stripPythonType(errorText(err))}. ${REBUILD}.`, 'data', new URL(shard.url, SITE).pathname);
      }
    }
  });
  loading.set(key, next);
  return next;
}

/** A person's data set sent with a fit ({id, name, classes, train: {images, labels}, test}). */
function putOwn(dataset) {
  const ok = (s) => s && s.images instanceof Uint8Array && s.labels instanceof Uint8Array;
  if (!dataset || typeof dataset.id !== 'string' || !ok(dataset.train) || !ok(dataset.test)) {
    throw new UserError('A data set sent with fit needs {id, classes, train: {images, labels}, test: {images, labels}} with Uint8Array images and labels.', 'invalid-options');
  }
  const about = JSON.stringify({ id: dataset.id, name: dataset.name, classes: dataset.classes });
  try {
    callJson('put_dataset', about, dataset.train.images, dataset.train.labels, dataset.test.images, dataset.test.labels);
  } catch (err) {
    throw new UserError(`Cannot train on the data set "${dataset.id}": ${stripPythonType(errorText(err))}.`, 'invalid-options');
  }
}

/** Load what request `type` needs; `report(payload)` sends a progress message to its caller. */
export async function ensureData(type, payload, report) {
  const p = payload || {};
  if (type === 'fit' && p.dataset && typeof p.dataset === 'object') {
    putOwn(p.dataset);
    return;
  }
  const id = (type === 'fit' && p.config && p.config.dataset) || callJson('active_dataset').id;
  const entry = builtInDataset(ctx.build, id);
  if (!entry) {
    const counts = callJson('data_counts', id);
    if (counts.test > 0) return; // a person's data set, sent earlier in this visit
    throw new UserError(`The data set "${id}" is not in the worker: send it with the fit request (pynn.fit({dataset: "${id}"}) does), or pick a built-in one.`, 'data');
  }
  const train = type === 'fit' ? Number(p.config && p.config.samples) || 0 : type === 'augmentPreview' ? Number(p.count) || 8 : 0;
  await Promise.all([loadSplit(entry, 'test', entry.test.count, report), train ? loadSplit(entry, 'train', train, report) : null]);
}
