// storage.test.mjs: the localStorage codec (web/page/storage.js): stored-document inspection, and the
// bookkeeping of saved models over an in-memory Web Storage with a quota.

import test from 'node:test';
import assert from 'node:assert/strict';
import { MemoryStorage } from './memory-storage.mjs';
import {
  createModelStore, inspectDocument, checkName, formatSize, isQuotaError, StorageError, MODEL_PREFIX, UNSAVED_KEY, LAST_KEY,
} from '../../web/page/storage.js';

const SHAPE = { side: 28, inputs: 784, classes: 10, train: 8000, test: 2000 };

function doc(layers = [784, 16, 10], extra = {}) {
  return JSON.stringify({ format: 'py_nn.model', layers, params: { data: 'AAAA' }, metadata: {}, ...extra });
}

// --- inspectDocument -------------------------------------------------------------------------

test('a whole model document for this page is fine', () => {
  const out = inspectDocument(doc(), SHAPE);
  assert.equal(out.ok, true);
  assert.deepEqual(out.doc.layers, [784, 16, 10]);
});

const BROKEN = [
  [null, 'the entry is missing'],
  ['{"format": "py_nn.model", "layers": [784, 1', 'it is not valid JSON (43 characters, probably cut off or edited)'],
  ['[1, 2]', 'it is not a model document (expected a JSON object)'],
  ['{"format": "keras"}', 'it is not a py_nn model (format is "keras", expected "py_nn.model")'],
  ['{"layers": [784, 10]}', 'it is not a py_nn model (format is null, expected "py_nn.model")'],
  [JSON.stringify({ format: 'py_nn.model', layers: [784] }), 'it has no valid "layers" list'],
  [doc([100, 32, 10]), 'it is incompatible with this page (layers [100,32,10]; this page needs 784 inputs and 10 outputs)'],
  [doc([784, 32, 2]), 'it is incompatible with this page (layers [784,32,2]; this page needs 784 inputs and 10 outputs)'],
  [doc([784, 10], { params: {} }), 'it has no parameters ("params.data" is missing)'],
];

for (const [text, reason] of BROKEN) {
  test(`inspectDocument: ${reason}`, () => {
    assert.deepEqual(inspectDocument(text, SHAPE), { ok: false, reason });
  });
}

test('the compatibility rule follows the shape from build.json', () => {
  assert.equal(inspectDocument(doc([64, 8, 3]), { ...SHAPE, inputs: 64, classes: 3 }).ok, true);
});

// --- names and sizes ---------------------------------------------------------------------------

test('names are trimmed, and empty, overlong or non-text names are refused', () => {
  assert.equal(checkName('  my model '), 'my model');
  assert.throws(() => checkName('   '), { name: 'StorageError', code: 'name', message: 'Model name is empty: type a name such as "my model", then Save.' });
  assert.throws(() => checkName('x'.repeat(61)), { message: 'Model name is 61 characters long; use at most 60.' });
  assert.throws(() => checkName(7), { message: 'Model name: expected text, got number. Type a name such as "my model".' });
  assert.throws(() => checkName(null), { message: /got null/ });
});

test('sizes read as KB or MB', () => {
  assert.equal(formatSize(584_000), '584 KB');
  assert.equal(formatSize(10), '1 KB');
  assert.equal(formatSize(2_500_000), '2.50 MB');
});

// --- bookkeeping -----------------------------------------------------------------------------

test('save, list, read and remove models by name', () => {
  const ls = new MemoryStorage();
  const store = createModelStore(() => ls);
  assert.deepEqual(store.listModels(SHAPE), []);
  assert.deepEqual(store.saveModel(' b-model ', doc([784, 8, 10], { metadata: { savedAt: '2026-01-02T03:04:05Z', test_accuracy: 0.9 } })), { replaced: false });
  store.saveModel('a-model', doc());
  assert.deepEqual(store.saveModel('a-model', doc([784, 32, 10])), { replaced: true });
  ls.setItem('unrelated', 'x');

  const list = store.listModels(SHAPE);
  assert.deepEqual(list.map((m) => m.name), ['a-model', 'b-model'], 'sorted by name, other keys ignored');
  assert.deepEqual(list[0].layers, [784, 32, 10]);
  assert.equal(list[1].accuracy, 0.9);
  assert.equal(list[1].savedAt, '2026-01-02T03:04:05Z');
  assert.equal(list[1].broken, false);
  assert.equal(ls.getItem(`${MODEL_PREFIX}b-model`), doc([784, 8, 10], { metadata: { savedAt: '2026-01-02T03:04:05Z', test_accuracy: 0.9 } }));

  store.removeModel('a-model');
  assert.deepEqual(store.names(), ['b-model']);
  assert.throws(() => store.removeModel('a-model'), { code: 'missing', message: 'There is no saved model named "a-model" to delete.' });
  assert.throws(() => store.readModel('nope'), { code: 'missing', message: 'There is no saved model named "nope". Saved models: "b-model".' });
});

test('broken entries are listed with the reason, known reasons from the worker included', () => {
  const ls = new MemoryStorage();
  const store = createModelStore(() => ls);
  ls.setItem(`${MODEL_PREFIX}cut`, '{"format": "py_nn.model"');
  store.saveModel('odd', doc([100, 10]));
  store.saveModel('fine', doc());
  store.saveModel('rejected', doc());
  const list = store.listModels(SHAPE, new Map([['rejected', 'the parameters do not fit the layers']]));
  const broken = Object.fromEntries(list.map((m) => [m.name, m.broken]));
  assert.match(broken.cut, /not valid JSON/);
  assert.match(broken.odd, /incompatible/);
  assert.equal(broken.fine, false);
  assert.equal(broken.rejected, 'the parameters do not fit the layers');
});

test('storage full: the save throws a quota error that says so, and the previous entry stays whole', () => {
  const first = doc([784, 16, 10]);
  const ls = new MemoryStorage(first.length * 2);
  const store = createModelStore(() => ls);
  store.saveModel('kept', first);
  store.setLast({ kind: 'saved', name: 'kept' });
  const big = doc([784, 16, 10], { params: { data: 'B'.repeat(first.length * 2) } });

  assert.throws(() => store.saveModel('kept', big), (err) => {
    assert.ok(err instanceof StorageError);
    assert.equal(err.code, 'quota');
    assert.match(err.message, /^Storage is full: could not store the model "kept" \(it needs 0\.\d\d MB; this page already uses 0\.\d\d MB of the browser's ~5 MB\)\. Nothing was changed and your 1 saved model is intact\./);
    return true;
  });
  assert.equal(ls.getItem(`${MODEL_PREFIX}kept`), first, 'the old document is untouched');
  assert.throws(() => store.saveModel('other', big), { code: 'quota' });
  assert.deepEqual(store.names(), ['kept'], 'no half-written entry appears');
  assert.throws(() => store.saveUnsaved(big, 'Trained model'), { code: 'quota', message: /could not store the model "Trained model"/ });
  assert.equal(store.readUnsaved(), null);
  assert.deepEqual(store.getLast(), { kind: 'saved', name: 'kept' });
  assert.ok(isQuotaError(new DOMException('x', 'QuotaExceededError')));
});

test('the unsaved slot and the model to restore', () => {
  const ls = new MemoryStorage();
  const store = createModelStore(() => ls);
  assert.deepEqual(store.getLast(), { kind: 'default' });
  store.saveUnsaved(doc(), 'Trained model');
  assert.equal(ls.getItem(UNSAVED_KEY), doc());
  assert.equal(store.setLast({ kind: 'unsaved' }), true);
  assert.deepEqual(store.getLast(), { kind: 'unsaved' });
  store.clearUnsaved();
  assert.equal(store.readUnsaved(), null);
  ls.setItem(LAST_KEY, '{"kind": "saved"'); // damaged
  assert.deepEqual(store.getLast(), { kind: 'default', damaged: '{"kind": "saved"' });
  assert.ok(store.usage() > 0);
});

test('blocked storage becomes one clear error', () => {
  const store = createModelStore(() => {
    throw new DOMException('The operation is insecure.', 'SecurityError');
  });
  assert.throws(() => store.listModels(SHAPE), { code: 'unavailable', message: /does not allow the page to use local storage/ });
  assert.deepEqual(store.getLast(), { kind: 'default' });
  assert.equal(store.setLast({ kind: 'default' }), false);
});
