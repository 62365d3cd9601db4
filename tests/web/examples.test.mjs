// examples.test.mjs: the person's samples (web/page/examples.js): checks, counts, the export file, packing,
// and the store's promise that nothing is lost when the browser's storage fails.
// The store runs over an in-memory backend with IndexedDB's contract (put returns the new id);
// the real IndexedDB adapter is exercised in Chromium by tests/e2e/test_teach.py.
// Run: node --test tests/web/

import test from 'node:test';
import assert from 'node:assert/strict';
import {
  checkLabel, toBytes, toFloats, countByDigit, pack, exportText, parseExport, createExampleStore, FORMAT,
} from '../../web/page/examples.js';

const SHAPE = { side: 28, inputs: 784, classes: 10, train: 8000, test: 2000 };

function memoryBackend() {
  const rows = new Map();
  let next = 1;
  return {
    rows,
    getAll: async () => [...rows.values()].map((r) => ({ ...r })),
    put: async (r) => {
      const id = r.id ?? next++;
      rows.set(id, { ...r, id });
      return id;
    },
    delete: async (id) => void rows.delete(id),
    clear: async () => rows.clear(),
  };
}

/** A backend whose every call fails as a full disk does. */
function fullBackend(rowsOnDisk = []) {
  const quota = () => Object.assign(new Error('The quota has been exceeded.'), { name: 'QuotaExceededError' });
  return {
    getAll: async () => rowsOnDisk,
    put: async () => { throw quota(); },
    delete: async () => { throw quota(); },
    clear: async () => { throw quota(); },
  };
}

function digit(value = 0.8) {
  const px = new Float32Array(784);
  for (let y = 6; y < 22; y++) px[y * 28 + 14] = value;
  return px;
}

test('labels: digits 0-9 (numbers or digit strings) pass, anything else says what is expected', () => {
  assert.equal(checkLabel(3, SHAPE), 3);
  assert.equal(checkLabel('7', SHAPE), 7);
  for (const bad of [10, -1, 2.5, 'x', null, undefined]) {
    assert.throws(() => checkLabel(bad, SHAPE), /digit from 0 to 9/);
  }
});

test('pixels become bytes 0..255 and back; wrong length, non-numbers and blank images are refused', () => {
  const b = toBytes(digit(1), SHAPE);
  assert.equal(b.length, 784);
  assert.equal(b[6 * 28 + 14], 255);
  assert.equal(b[0], 0);
  const f = toFloats(b);
  assert.equal(f[6 * 28 + 14], 1);
  assert.equal(toBytes(digit(0.5), SHAPE)[6 * 28 + 14], 128);
  assert.throws(() => toBytes(new Float32Array(10), SHAPE), /784 pixel values \(28x28.*got 10 values/);
  assert.throws(() => toBytes(new Float32Array(784), SHAPE), /blank/);
  const nan = digit();
  nan[5] = NaN;
  assert.throws(() => toBytes(nan, SHAPE), /value 5/);
  assert.throws(() => toBytes('pixels', SHAPE), /784 pixel values/);
});

test('counts per digit and packing for the worker keep every sample in order', () => {
  const ex = [3, 3, 0, 9].map((label, i) => ({ label, pixels: new Uint8Array(784).fill(i + 1) }));
  assert.deepEqual(countByDigit(ex, 10), [1, 0, 0, 2, 0, 0, 0, 0, 0, 1]);
  const { images, labels } = pack(ex, SHAPE);
  assert.deepEqual([...labels], [3, 3, 0, 9]);
  assert.equal(images.length, 4 * 784);
  assert.equal(images[2 * 784], 3);
  assert.equal(images[4 * 784 - 1], 4);
});

test('the export file round-trips; bad samples are skipped with a reason, foreign files refused', () => {
  const ex = [
    { label: 4, pixels: toBytes(digit(), SHAPE), createdAt: '2026-01-01T00:00:00.000Z' },
    { label: 1, pixels: toBytes(digit(0.3), SHAPE), createdAt: '2026-01-02T00:00:00.000Z' },
  ];
  const text = exportText(ex, SHAPE);
  const doc = JSON.parse(text);
  assert.equal(doc.format, FORMAT);
  assert.equal(doc.count, 2);
  const back = parseExport(text, SHAPE);
  assert.deepEqual(back.skipped, []);
  assert.deepEqual(back.examples.map((e) => e.label), [4, 1]);
  assert.deepEqual([...back.examples[1].pixels], [...ex[1].pixels]);

  doc.examples.push({ label: 12, pixels: doc.examples[0].pixels }, { label: 2, pixels: 'AAAA' });
  const partly = parseExport(JSON.stringify(doc), SHAPE);
  assert.equal(partly.examples.length, 2);
  assert.match(partly.skipped[0], /sample 3: .*digit from 0 to 9/);
  assert.match(partly.skipped[1], /sample 4: it has 3 pixels, not 784/);

  assert.throws(() => parseExport('not json', SHAPE), /not a samples file|not JSON/);
  assert.throws(() => parseExport(JSON.stringify({ layers: [784, 10] }), SHAPE), /model file/);
  assert.throws(() => parseExport(JSON.stringify({ ...doc, side: 16 }), SHAPE), /16x16 pixels, but this page uses 28x28/);
});

test('the store adds, lists, removes and reads back what an earlier visit kept', async () => {
  const backend = memoryBackend();
  const store = createExampleStore(backend, SHAPE);
  const a = await store.add(digit(), 5);
  const b = await store.add(digit(0.4), '2');
  assert.equal(a.persisted, true);
  assert.equal(backend.rows.size, 2);
  assert.deepEqual((await store.list()).map((e) => e.label), [5, 2]);
  await store.remove(a.example.id);
  assert.deepEqual((await store.list()).map((e) => e.id), [b.example.id]);
  assert.equal(backend.rows.size, 1);

  const nextVisit = createExampleStore(backend, SHAPE);
  const { examples, error } = await nextVisit.load();
  assert.equal(error, undefined);
  assert.deepEqual(examples.map((e) => e.label), [2]);
  assert.ok(examples[0].pixels instanceof Uint8Array);
  await assert.rejects(store.add(new Float32Array(784), 1), /blank/);
  await assert.rejects(store.add(digit(), 11), /digit from 0 to 9/);
  assert.equal(backend.rows.size, 1, 'a refused sample is not stored');
});

test('when storage is full, a new sample is kept for this visit and the message says how to keep it', async () => {
  const onDisk = [{ id: 7, label: 8, pixels: toBytes(digit(), SHAPE), createdAt: 'x' }];
  const store = createExampleStore(fullBackend(onDisk), SHAPE);
  const res = await store.add(digit(), 3);
  assert.equal(res.persisted, false);
  assert.match(res.error, /storage for this site is full.*kept for this visit.*Export samples/);
  assert.deepEqual((await store.list()).map((e) => e.label), [8, 3], 'nothing lost: old and new samples listed');
  assert.equal(store.unstored(), 1);
  // the unstored one can be exported and removed; a stored one that cannot be deleted stays
  const file = parseExport(await store.exportText(), SHAPE);
  assert.deepEqual(file.examples.map((e) => e.label), [8, 3]);
  await store.remove(res.example.id);
  await assert.rejects(store.remove(7), /could not be deleted.*still there/);
  assert.deepEqual((await store.list()).map((e) => e.id), [7]);
});

test('unreadable storage: load says so, deletes nothing, and new samples still work in memory', async () => {
  const broken = { ...memoryBackend(), getAll: async () => { throw new Error('IndexedDB is blocked'); } };
  const store = createExampleStore(broken, SHAPE);
  const { error } = await store.load();
  assert.match(error, /could not be read.*blocked.*Nothing was deleted/);
  const res = await store.add(digit(), 0);
  assert.equal(res.persisted, true);
  assert.equal((await store.list()).length, 1);
});

test('importing a file adds its samples next to the existing ones', async () => {
  const backend = memoryBackend();
  const store = createExampleStore(backend, SHAPE);
  await store.add(digit(), 1);
  const text = exportText([{ label: 6, pixels: toBytes(digit(), SHAPE), createdAt: 'y' }], SHAPE);
  const res = await store.importText(text);
  assert.deepEqual({ added: res.added, skipped: res.skipped, persisted: res.persisted }, { added: 1, skipped: [], persisted: true });
  assert.deepEqual((await store.list()).map((e) => e.label), [1, 6]);
  assert.equal(backend.rows.size, 2);
  await assert.rejects(store.importText('{"format": "other"}'), /not a samples file/);
  assert.equal(backend.rows.size, 2);
});
