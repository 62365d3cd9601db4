// code-store.test.mjs: what the Code panel keeps (web/page/code-store.js): the code in the editor and
// the SHA-256 hashes of model-file code the person chose to trust, over an in-memory Web Storage.

import test from 'node:test';
import assert from 'node:assert/strict';
import { MemoryStorage } from './memory-storage.mjs';
import { createCodeStore, CODE_KEY, TRUST_KEY, MAX_TRUSTED } from '../../web/page/code-store.js';

const hash = (i) => i.toString(16).padStart(64, '0');

test('the code is kept as typed and comes back; clearing forgets it', () => {
  const ls = new MemoryStorage();
  const store = createCodeStore(() => ls);
  assert.equal(store.readDraft(), null);
  assert.equal(store.writeDraft('layers = [784, 10]\n'), true);
  assert.equal(store.readDraft(), 'layers = [784, 10]\n');
  assert.equal(JSON.parse(ls.getItem(CODE_KEY)).source, 'layers = [784, 10]\n');
  store.clearDraft();
  assert.equal(store.readDraft(), null);
});

test('a damaged or foreign value reads as nothing kept', () => {
  const ls = new MemoryStorage();
  const store = createCodeStore(() => ls);
  for (const bad of ['{not json', '42', '{"source": 7}', 'null']) {
    ls.setItem(CODE_KEY, bad);
    assert.equal(store.readDraft(), null, bad);
  }
  ls.setItem(TRUST_KEY, JSON.stringify(['nope', hash(0xab).toUpperCase(), hash(2)]));
  assert.equal(store.isTrusted(hash(2)), true);
  assert.equal(store.isTrusted(hash(0xab).toUpperCase()), false);
  assert.equal(store.isTrusted(hash(0xab)), false); // an upper-case entry is not a hash this page wrote
});

test('trust is per hash: only SHA-256 hex strings, newest kept, at most MAX_TRUSTED', () => {
  const ls = new MemoryStorage();
  const store = createCodeStore(() => ls);
  assert.equal(store.isTrusted(hash(1)), false);
  assert.equal(store.trust('not a hash'), false);
  assert.equal(store.trust(hash(1)), true);
  assert.equal(store.isTrusted(hash(1)), true);
  assert.equal(store.isTrusted(hash(2)), false); // any other code is untrusted
  for (let i = 2; i <= MAX_TRUSTED + 1; i++) store.trust(hash(i));
  assert.equal(JSON.parse(ls.getItem(TRUST_KEY)).length, MAX_TRUSTED);
  assert.equal(store.isTrusted(hash(1)), false); // the oldest went first
  assert.equal(store.isTrusted(hash(MAX_TRUSTED + 1)), true);
});

test('a full or blocked storage says false and changes nothing', () => {
  const ls = new MemoryStorage();
  const store = createCodeStore(() => ls);
  store.writeDraft('kept');
  ls.quota = 0; // full: every write throws QuotaExceededError
  assert.equal(store.writeDraft('lost?'), false);
  assert.equal(store.trust(hash(3)), false);
  assert.equal(store.readDraft(), 'kept');
  const blocked = createCodeStore(() => { throw new Error('SecurityError'); });
  assert.equal(blocked.readDraft(), null);
  assert.equal(blocked.writeDraft('x'), false);
  assert.equal(blocked.isTrusted(hash(1)), false);
});
