// datasets.test.mjs: your data sets' pure parts (web/page/datasets/): the Kaggle CSV, the zip layout,
// the seeded split, the limits (zip bombs built with the real fflate the site ships), preparing an
// image, and the store over a memory backend and over one that refuses.
// Needs the built site (site/vendor/fflate.mjs): python3 build.py. Run: node --test tests/web/

import test from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import {
  LIMITS, INPUTS, parseCsv, zipLayout, seededSplit, packSplits, prepareImage, checkName, checkClasses, datasetId,
} from '../../web/page/datasets/rules.js';
import { listZip, inflateZip, readZip } from '../../web/page/datasets/zip.js';
import { createDatasetStore } from '../../web/page/datasets/store.js';

const FFLATE = new URL('../../site/vendor/fflate.mjs', import.meta.url);
if (!existsSync(fileURLToPath(FFLATE))) throw new Error('site/vendor/fflate.mjs is missing: run python3 build.py first.');
const ff = await import(FFLATE.href);

const HEADER = ['label', ...Array.from({ length: INPUTS }, (_, i) => `pixel${i}`)].join(',');
const row = (label, v = 0) => [label, ...Array.from({ length: INPUTS }, (_, i) => (i === 400 ? 255 : v))].join(',');
const csv = (...rows) => [HEADER, ...rows].join('\n');
const entries = (names, size = 100) => names.map((name) => ({ name, originalSize: name.endsWith('/') ? 0 : size }));

test('CSV: whole-number labels keep their number as the class', () => {
  const { classes, samples } = parseCsv(csv(row(3), row(0), row(1), row(3)));
  assert.deepEqual(classes, ['0', '1', '3']);
  assert.deepEqual(samples.map((s) => s.label), [2, 0, 1, 2]);
  assert.equal(samples[0].pixels[400], 255);
  assert.equal(samples[0].pixels.length, INPUTS);
});

test('CSV: names as labels, sorted; a header is optional', () => {
  const { classes, samples } = parseCsv([row('square'), row('circle'), row('square')].join('\r\n'));
  assert.deepEqual(classes, ['circle', 'square']);
  assert.deepEqual(samples.map((s) => s.label), [1, 0, 1]);
});

test('CSV: the wrong number of columns, bad pixels, unknown or mixed labels, empty: clear errors', () => {
  assert.throws(() => parseCsv(''), /The CSV is empty: expected a header "label,pixel0,...,pixel783"/);
  assert.throws(() => parseCsv(HEADER), /has a header but no rows/);
  const testCsv = Array.from({ length: INPUTS }, (_, i) => `pixel${i}`).join(',') + '\n' + Array(INPUTS).fill(0).join(',');
  assert.throws(() => parseCsv(testCsv), /The CSV has 784 columns; expected 785.*Kaggle's test.csv cannot be imported/);
  assert.throws(() => parseCsv(csv(row(1), row(2) + ',7')), /row 3 has 786 columns; expected 785/);
  assert.throws(() => parseCsv(csv(row(1), row(2, 300))), /row 3, pixel0, is "300"; expected a whole number from 0 to 255/);
  assert.throws(() => parseCsv(csv(row('a'), row(''))), /row 3 has the label "": labels must be all whole numbers or all names/);
  assert.throws(() => parseCsv(csv(row('a'), row('7'))), /row 3 has the label "7": labels must be all whole numbers or all names/);
  assert.throws(() => parseCsv(csv(row('a'), row('z')), { classes: ['a', 'b'] }), /row 3 has the label "z", which is not one of the classes \("a", "b"\)/);
  assert.throws(() => parseCsv(csv(row(1), row(1))), /only one label \("1"\); a data set needs at least 2 classes/);
  const many = Array.from({ length: LIMITS.classes + 1 }, (_, i) => row(`c${i}`));
  assert.throws(() => parseCsv(csv(...many)), new RegExp(`has ${LIMITS.classes + 1} classes; the page supports at most ${LIMITS.classes}`));
});

test('zip layout: class folders (sorted, like Keras), inside one top folder, split later', () => {
  const out = zipLayout(entries(['shapes/', 'shapes/square/1.png', 'shapes/circle/a.PNG', 'shapes/circle/b.jpg', 'shapes/readme.txt']));
  assert.deepEqual(out.classes, ['circle', 'square']);
  assert.deepEqual(out.files.map((f) => [f.name, f.label, f.split]),
    [['shapes/square/1.png', 1, null], ['shapes/circle/a.PNG', 0, null], ['shapes/circle/b.jpg', 0, null]]);
  assert.deepEqual(out.skipped, [{ file: 'shapes/readme.txt', reason: 'not inside a class folder' }]);
});

test('zip layout: train/ and test/ on top give the split; dataset.json gives the class order', () => {
  const out = zipLayout(entries(['dataset.json', 'train/b/1.png', 'train/a/1.png', 'test/a/2.png', 'test/b/2.png']), { classes: ['b', 'a'] });
  assert.deepEqual(out.classes, ['b', 'a']);
  assert.equal(out.meta, 'dataset.json');
  assert.deepEqual(out.files.map((f) => [f.label, f.split]), [[0, 'train'], [1, 'train'], [1, 'test'], [0, 'test']]);
  // train/ alone: the seeded split
  assert.deepEqual(zipLayout(entries(['train/a/1.png', 'train/b/1.png'])).files.map((f) => f.split), [null, null]);
});

test('zip layout: non-images and system files are skipped with a reason', () => {
  const out = zipLayout(entries(['a/1.png', 'a/notes.txt', 'b/1.jpeg', '__MACOSX/a/._1.png', 'b/.DS_Store']));
  assert.deepEqual(out.skipped, [
    { file: 'a/notes.txt', reason: 'not an image (expected .png, .jpg, .jpeg)' },
    { file: '__MACOSX/a/._1.png', reason: 'a hidden or system file' },
    { file: 'b/.DS_Store', reason: 'a hidden or system file' },
  ]);
});

test('zip layout: one class, an empty folder, no folders, too many classes, mixed top: clear errors', () => {
  assert.throws(() => zipLayout(entries(['cats/1.png', 'cats/2.png'])), /This zip has one class folder \("cats"\); a data set needs at least 2/);
  assert.throws(() => zipLayout(entries(['a/1.png', 'b/'])), /Class folder "b" has no images \(PNG or JPEG\)/);
  assert.throws(() => zipLayout(entries(['a/1.png', 'b/x.txt'])), /Class folder "b" has no images/);
  assert.throws(() => zipLayout(entries(['1.png', '2.png'])), /This zip has no class folders/);
  const many = Array.from({ length: LIMITS.classes + 1 }, (_, i) => `c${i}/1.png`);
  assert.throws(() => zipLayout(entries(many)), new RegExp(`${LIMITS.classes + 1} classes; the page supports at most ${LIMITS.classes}`));
  assert.throws(() => zipLayout(entries(['train/a/1.png', 'train/b/1.png', 'c/1.png'])), /a train\/ folder and also c\/ beside it/);
  assert.throws(() => zipLayout(entries(['test/a/1.png', 'test/b/1.png'])), /a test\/ folder but no train\/ folder/);
});

test('zip layout: declared sizes past the limit are refused before anything is inflated', () => {
  const big = [{ name: 'a/1.png', originalSize: LIMITS.unzippedBytes }, { name: 'b/1.png', originalSize: 1 }];
  assert.throws(() => zipLayout(big), /would expand to 200\.0 MB; the page reads at most 200\.0 MB/);
  const out = zipLayout([{ name: 'a/1.png', originalSize: LIMITS.imageBytes + 1 }, { name: 'a/2.png', originalSize: 9 }, { name: 'b/1.png', originalSize: 9 }]);
  assert.match(out.skipped[0].reason, /over the 20\.0 MB an image may have/);
});

test('seeded split: 80/20 per class, the same for the same seed, different for another', () => {
  const labels = [...Array(50).fill(0), ...Array(10).fill(1), 2];
  const a = seededSplit(labels, 0);
  assert.deepEqual(a, seededSplit(labels, 0));
  assert.notDeepEqual(a, seededSplit(labels, 1));
  const tests = (c) => labels.filter((l, i) => l === c && a[i]).length;
  assert.deepEqual([tests(0), tests(1), tests(2)], [10, 2, 0]);
  const px = (v) => new Uint8Array(INPUTS).fill(v);
  const { train, test: held } = packSplits([{ label: 0, pixels: px(1), split: 'test' }, { label: 1, pixels: px(2), split: 'train' }]);
  assert.deepEqual([...train.labels, ...held.labels], [1, 0]);
  assert.equal(held.images[0], 1);
});

test('names: trimmed, clash with built-in or yours refused, ids from slugs; classes checked', () => {
  assert.equal(checkName('  Letters '), 'Letters');
  assert.equal(datasetId('Mes Lettres éà!'), 'mine-mes-lettres-ea');
  assert.throws(() => checkName('mnist digits', [{ id: 'mnist', name: 'MNIST digits' }]), /There is already a data set named "MNIST digits": pick another name/);
  assert.throws(() => checkName('letters', [{ id: 'mine-letters', name: 'Letters' }]), /already a data set named "Letters"/);
  assert.throws(() => checkName(' '), /The data set has no name/);
  assert.deepEqual(checkClasses(' a, b ,c,'), ['a', 'b', 'c']);
  assert.throws(() => checkClasses('a'), /at least 2 classes; got 1/);
  assert.throws(() => checkClasses('a, A'), /Class "A" is named twice/);
});

test('preparing an image: dark on light is inverted, fitted into 20x20 and centred; 28x28 kept exactly', () => {
  // a 60x40 white image with a black 10x20 bar: the bar becomes light ink, fitted and centred
  const w = 60;
  const h = 40;
  const rgba = new Uint8ClampedArray(w * h * 4).fill(255);
  for (let y = 10; y < 30; y++) for (let x = 20; x < 30; x++) rgba.fill(0, (y * w + x) * 4, (y * w + x) * 4 + 3);
  const { pixels, inverted } = prepareImage(rgba, w, h);
  assert.equal(inverted, true);
  const rows = [...Array(28).keys()].filter((y) => pixels.subarray(y * 28, y * 28 + 28).some((v) => v > 0));
  assert.deepEqual([rows[0], rows.at(-1)], [4, 23]); // 20 rows tall, centred
  assert.equal(pixels[14 * 28 + 14], 255);
  // a 28x28 light-on-dark grey image: the same bytes back (what Export writes)
  const grey = Uint8Array.from({ length: INPUTS }, (_, i) => (i % 28 > 3 && i % 28 < 24 && i > 112 && i < 672 ? (i * 37) % 256 : 0));
  const rgba28 = new Uint8ClampedArray(INPUTS * 4);
  grey.forEach((v, i) => rgba28.set([v, v, v, 255], i * 4));
  const back = prepareImage(rgba28, 28, 28);
  assert.equal(back.inverted, false);
  assert.deepEqual([...back.pixels], [...grey]);
});

// --- zips built with the real fflate ----------------------------------------------------------------

const PNG = new Uint8Array(300).fill(9);

test('readZip: lists, then inflates only the images and dataset.json', () => {
  const z = ff.zipSync({ 'dataset.json': ff.strToU8('{"classes": ["b", "a"], "name": "x"}'), 'a/1.png': PNG, 'b/1.png': PNG, 'b/n.txt': ff.strToU8('x') });
  const { layout, files, meta } = readZip(z, ff);
  assert.deepEqual(layout.classes, ['b', 'a']);
  assert.deepEqual([...files.keys()].sort(), ['a/1.png', 'b/1.png']);
  assert.deepEqual(files.get('a/1.png'), PNG);
  assert.equal(meta.name, 'x');
});

test('a damaged zip: a clear error', () => {
  const z = ff.zipSync({ 'a/1.png': PNG, 'b/1.png': PNG });
  assert.throws(() => listZip(z.subarray(0, z.length - 30), ff), /This zip is damaged or not a zip/);
  const flipped = Uint8Array.from(z);
  flipped.fill(0xff, 40, 60); // inside the first file's deflate stream
  assert.throws(() => readZip(flipped, ff), /This zip is damaged/);
});

/** Set every declared uncompressed size in a zip (local headers and central directory) to `size`. */
function lie(zip, size) {
  const out = Uint8Array.from(zip);
  const v = new DataView(out.buffer);
  for (let i = 0; i + 4 <= out.length; i++) {
    const sig = v.getUint32(i, true);
    if (sig === 0x04034b50) v.setUint32(i + 22, size, true);
    if (sig === 0x02014b50) v.setUint32(i + 24, size, true);
  }
  return out;
}

test('a zip bomb that declares a small size: inflating stops past what it declared', () => {
  const bomb = ff.zipSync({ 'a/1.png': new Uint8Array(30e6), 'b/1.png': PNG }, { level: 9 });
  assert.ok(bomb.length < 100e3, `the bomb is ${bomb.length} bytes`);
  const lying = lie(bomb, 1000);
  const entries = listZip(lying, ff);
  assert.deepEqual(entries.map((e) => e.originalSize), [1000, 1000]);
  assert.throws(() => readZip(lying, ff), /"a\/1.png" expands past the size it declares \(1000 bytes\); unpacking stopped/);
});

test('a zip that inflates past the limit: stopped while inflating', () => {
  const z = ff.zipSync({ 'a/1.png': new Uint8Array(3e6), 'b/1.png': new Uint8Array(3e6) }, { level: 9 });
  const declared = new Map(listZip(z, ff).map((e) => [e.name, e.originalSize]));
  assert.throws(() => inflateZip(z, ff, new Set(declared.keys()), declared, 4e6), /This zip expands past 4\.0 MB, the most the page reads; unpacking stopped/);
  assert.equal(inflateZip(z, ff, new Set(declared.keys()), declared, 7e6).size, 2);
});

// --- the store --------------------------------------------------------------------------------------

function memoryBackend() {
  const rows = new Map();
  return {
    rows,
    getAll: async () => [...rows.values()],
    put: async (r) => (rows.set(r.id, structuredClone(r)), r.id),
    delete: async (id) => void rows.delete(id),
  };
}

const refusing = () => ({
  getAll: async () => { throw new Error('this browser offers no IndexedDB storage here (private window or blocked storage?)'); },
  put: async () => { throw new DOMException('quota', 'QuotaExceededError'); },
  delete: async () => { throw new Error('no'); },
});

const dataset = (name, n = 3) => ({
  name, classes: ['x', 'o'], side: 28, source: 'yours', license: '', createdAt: '2026-12-03T00:00:00Z',
  train: { images: new Uint8Array(n * INPUTS).fill(7), labels: Uint8Array.from({ length: n }, (_, i) => i % 2) },
  test: { images: new Uint8Array(INPUTS).fill(8), labels: Uint8Array.of(1) },
});

test('store: put, list (counts), get (pixels), survives a new store on the same backend, remove', async () => {
  const backend = memoryBackend();
  const store = createDatasetStore(backend);
  const res = await store.put({ ...dataset('X and O'), skipped: [], notes: [] });
  assert.deepEqual(res, { id: 'mine-x-and-o', persisted: true });
  assert.deepEqual(await store.list(), [{ id: 'mine-x-and-o', name: 'X and O', classes: ['x', 'o'], train: 3, test: 1, createdAt: '2026-12-03T00:00:00Z', stored: true }]);
  assert.equal(backend.rows.get('mine-x-and-o').skipped, undefined);
  const again = createDatasetStore(backend);
  const d = await again.get('mine-x-and-o');
  assert.deepEqual(d.test.images, new Uint8Array(INPUTS).fill(8));
  assert.equal((await again.rename('mine-x-and-o', 'Noughts')).id, 'mine-noughts');
  assert.deepEqual([...backend.rows.keys()], ['mine-noughts']);
  assert.equal((await again.remove('mine-noughts')).removed.name, 'Noughts');
  assert.deepEqual(await again.list(), []);
  assert.equal(backend.rows.size, 0);
});

test('store: bad data sets are refused before anything is written', async () => {
  const backend = memoryBackend();
  const store = createDatasetStore(backend);
  const bad = dataset('bad');
  bad.train.labels[0] = 5;
  await assert.rejects(store.put(bad), /train label 5 \(sample 1\) is not a class index below 2/);
  await assert.rejects(store.put({ ...dataset('b'), side: 32 }), /is 32x32 pixels; this page uses 28x28/);
  assert.equal(backend.rows.size, 0);
});

test('store: when the browser refuses, the data set is kept for the visit and the call says why', async () => {
  const store = createDatasetStore(refusing());
  assert.match((await store.load()).error, /could not be read from this browser's storage: this browser offers no IndexedDB/);
  const res = await store.put(dataset('Kept'));
  assert.equal(res.persisted, false);
  assert.match(res.error, /could not be stored in this browser: the browser's storage for this site is full. It is kept for this visit; use Export/);
  assert.deepEqual((await store.list()).map((d) => [d.name, d.stored]), [['Kept', false]]);
  assert.equal((await store.get('mine-kept')).train.labels.length, 3);
  assert.equal((await store.remove('mine-kept')).removed.name, 'Kept'); // never stored: nothing to delete on disk
});
