// datasets.test.mjs: the data sets as the page and the worker read them (web/shared/datasets.js),
// and the page's one place that turns a data set id into what the worker trains on
// (web/page/session-datasets.js): a built-in id stays an id, a person's own data set (here one
// built in the test, shaped like the "Your data" store's objects) is checked and sent whole.

import test from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, existsSync } from 'node:fs';
import { builtInDataset, datasetShape, pixelShape, shardsToFetch, credit } from '../../web/shared/datasets.js';
import { datasetMethods, ownPayload } from '../../web/page/session-datasets.js';

const SITE_BUILD = new URL('../../site/build.json', import.meta.url);
const split = (count, per = 10000) => ({
  count,
  shards: Array.from({ length: Math.ceil(count / per) }, (_, k) => ({ url: `data/mnist/train-${k}.u8.gz`, count: Math.min(per, count - k * per) })),
});
const MNIST = { id: 'mnist', name: 'MNIST digits', classes: [...'0123456789'], side: 28, train: split(60000), test: split(10000), license: 'CC BY-SA 3.0; MNIST by …', model: 'models/mnist.json' };
const BUILD = { datasets: [MNIST, { ...MNIST, id: 'fashion-mnist', name: 'Fashion-MNIST' }] };

test('a fit of n samples needs the shards holding the first n, never one twice', () => {
  const idx = (list) => list.map((s) => s.index);
  assert.deepEqual(idx(shardsToFetch(MNIST.train, 0, 8000)), [0]);
  assert.deepEqual(idx(shardsToFetch(MNIST.train, 0, 10000)), [0]);
  assert.deepEqual(idx(shardsToFetch(MNIST.train, 0, 10001)), [0, 1]);
  assert.deepEqual(idx(shardsToFetch(MNIST.train, 10000, 25000)), [1, 2]); // shard 0 is in already
  assert.deepEqual(idx(shardsToFetch(MNIST.train, 60000, 60000)), []);
  assert.deepEqual(idx(shardsToFetch(MNIST.train, 0, 60000)), [0, 1, 2, 3, 4, 5]);
  assert.deepEqual(idx(shardsToFetch(split(25000), 0, 25000)), [0, 1, 2]); // a short last shard
});

test('shapes and credits come from the entry, nothing else', () => {
  assert.deepEqual(datasetShape(MNIST), { side: 28, inputs: 784, classes: 10, train: 60000, test: 10000 });
  assert.deepEqual(pixelShape(BUILD), { side: 28, inputs: 784 });
  assert.equal(builtInDataset(BUILD, 'fashion-mnist').name, 'Fashion-MNIST');
  assert.equal(builtInDataset(BUILD, 'nope'), null);
  assert.equal(credit(MNIST), 'Licence: CC BY-SA 3.0; MNIST by …');
});

test('the built site describes both data sets with their licences', { skip: !existsSync(SITE_BUILD) && 'site/ not built' }, () => {
  const build = JSON.parse(readFileSync(SITE_BUILD, 'utf8'));
  const ids = build.datasets.map((d) => d.id);
  assert.deepEqual(ids, ['mnist', 'fashion-mnist']);
  assert.match(credit(builtInDataset(build, 'mnist')), /CC BY-SA 3\.0.*Yann LeCun, Corinna Cortes and Christopher J\.C\. Burges/);
  assert.match(credit(builtInDataset(build, 'fashion-mnist')), /MIT.*Zalando Research/);
  for (const d of build.datasets) assert.deepEqual(shardsToFetch(d.train, 0, 8000).map((s) => s.url), [`data/${d.id}/train-0.u8.gz`]);
});

/** A person's data set like the owndata store keeps it: 3 classes, 28x28, ink 0..255. */
function ownDataset(nTrain = 12, nTest = 3) {
  const part = (n) => {
    const labels = Uint8Array.from({ length: n }, (_, i) => i % 3);
    const images = new Uint8Array(n * 784);
    labels.forEach((c, i) => images.fill(200, i * 784 + c * 200, i * 784 + c * 200 + 100));
    return { images, labels };
  };
  return { id: 'mine-shapes', name: 'Shapes', classes: ['circle', 'square', 'star'], side: 28, source: 'yours', license: '', createdAt: 1, train: part(nTrain), test: part(nTest) };
}

function fakeSession(store) {
  return { facts: BUILD, ownDatasets: store, ownShapes: new Map(), pixels: pixelShape(BUILD), ...datasetMethods };
}

test('resolveDataset: a built-in id stays an id; yours is sent whole, as copies', async () => {
  const mine = ownDataset();
  const store = { get: async (id) => (id === mine.id ? mine : null), list: async () => [mine] };
  const s = fakeSession(store);
  assert.deepEqual(await s.resolveDataset('fashion-mnist'), { id: 'fashion-mnist' });
  const { id, payload } = await s.resolveDataset('mine-shapes');
  assert.equal(id, 'mine-shapes');
  assert.deepEqual(payload.classes, ['circle', 'square', 'star']);
  assert.deepEqual([...payload.train.labels], [...mine.train.labels]);
  assert.notEqual(payload.train.images.buffer, mine.train.images.buffer, 'transferring must not detach the store\'s arrays');
  assert.deepEqual(s.shapeOf('mine-shapes'), { side: 28, inputs: 784, classes: 3, train: 12, test: 3 });
  assert.deepEqual(s.shapeOf('mnist').train, 60000);
  await assert.rejects(s.resolveDataset('mine-gone'), /There is no data set "mine-gone": the built-in ones are "mnist", "fashion-mnist", plus yours/);
});

test('a person\'s data set that does not hold together is refused with what is wrong', () => {
  const d = ownDataset();
  assert.throws(() => ownPayload({ ...d, classes: ['one'] }, 784), /needs an id and at least two class names/);
  assert.throws(() => ownPayload({ ...d, test: { images: d.test.images.subarray(1), labels: d.test.labels } }, 784), /test split has 2351 pixel bytes for 3 labels; expected 784 per label/);
  const bad = ownDataset();
  bad.train.labels[5] = 3;
  assert.throws(() => ownPayload(bad, 784), /train label 3 \(sample 5\) is not one of its 3 classes/);
  assert.throws(() => ownPayload({ ...d, train: { images: [], labels: [] } }, 784), /needs train: \{images: Uint8Array\(n\*784\), labels: Uint8Array\(n\)\}/);
});
