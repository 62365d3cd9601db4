// snapshot.test.mjs: web/worker/snapshot/capture.js in Pyodide-in-Node (the site's own Pyodide, numpy, py_nn
// wheel and the worker's Python package). Three processes (tests/pyodide/snapshot_roundtrip.mjs): a normal start, a
// start that captures a snapshot, and a start restored from that file; all three predict the same
// held-out digits and train the same seeded network: the results must be identical, and modules
// first imported after the restore (a numpy extension among them) must work. Then the
// container checks: a damaged, truncated or other-build file is refused by parse().

import test from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { checksum, parse } from '../../web/worker/snapshot/format.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const SITE = process.env.PYNN_SITE_DIR || path.join(ROOT, 'site');
const DRIVER = path.join(ROOT, 'tests/pyodide/snapshot_roundtrip.mjs');
const haveSite = existsSync(path.join(SITE, 'pyodide', 'pyodide.mjs'));
const buildId = haveSite ? JSON.parse(readFileSync(path.join(SITE, 'build.json'), 'utf8')).build_id : null;

function run(...args) {
  const out = execFileSync(process.execPath, [DRIVER, '--site', SITE, ...args], { encoding: 'utf8', maxBuffer: 1 << 26, timeout: 240_000 });
  return JSON.parse(out.trim().split('\n').pop());
}

test('checksum: any changed word changes it; parts may be split on any 16-byte boundary', () => {
  const a = new Uint8Array(4096).map((_, i) => (i * 7) & 255);
  const whole = checksum([a]);
  assert.equal(checksum([a.subarray(0, 1024), a.subarray(1024)]), whole);
  const b = a.slice();
  b[2001] ^= 1;
  assert.notEqual(checksum([b]), whole);
  const swapped = a.slice();
  swapped.set(a.subarray(0, 16), 16);
  swapped.set(a.subarray(16, 32), 0);
  assert.notEqual(checksum([swapped]), whole, 'two blocks swapped');
  const shifted = a.slice();
  shifted.set(a.subarray(0, 4), 4);
  shifted.set(a.subarray(4, 8), 0);
  assert.notEqual(checksum([shifted]), whole, 'two words swapped');
  assert.throws(() => checksum([new Uint8Array(6)]), /aligned/);
});

test('Pyodide in Node: a restored runtime predicts and trains exactly like a normal start', { skip: !haveSite && 'site/ not built', timeout: 600_000 }, async (t) => {
  const dir = mkdtempSync(path.join(tmpdir(), 'pynn-snapshot-'));
  const file = path.join(dir, 'runtime.snapshot');
  const normal = run('--mode', 'normal');
  const captured = run('--mode', 'capture', '--out', file);
  assert.ok(captured.info.libs >= 10, `numpy's shared libraries recorded: ${captured.info.libs}`);
  assert.ok(captured.size > 10e6, `snapshot size ${captured.size}`);
  const restored = run('--mode', 'restore', '--in', file);
  assert.equal(restored.result.about.kernel, normal.result.about.kernel);
  assert.deepEqual(restored.result.predictions, normal.result.predictions);
  assert.deepEqual(restored.result.fit, normal.result.fit);
  // a numpy extension, a numpy and a stdlib module imported for the first time after the restore
  assert.deepEqual(restored.result.late, [['numpy._core._rational_tests', 'numpy.polynomial', 'email.mime.text'], '1/2', 17]);
  const { ms: _m1, ...capturedResult } = captured.result;
  const { ms: _m2, ...normalResult } = normal.result;
  assert.deepEqual(capturedResult, normalResult, 'capturing changes nothing in the running runtime');
  assert.ok(normal.result.fit.committed && normal.result.fit.evaluation.accuracy > 0.5);

  await t.test('parse refuses a damaged, truncated or other-build file', () => {
    const bytes = new Uint8Array(readFileSync(file));
    assert.equal(parse(bytes, { buildId }).header.buildId, buildId);
    const flipped = bytes.slice();
    flipped[flipped.length >> 1] ^= 0x40;
    assert.throws(() => parse(flipped, { buildId }), /checksum/);
    assert.throws(() => parse(bytes.slice(0, bytes.length - 4096), { buildId }), /checksum|truncated/);
    assert.throws(() => parse(bytes, { buildId: 'another-build' }), /build/);
    const magic = bytes.slice();
    magic[0] = 0;
    assert.throws(() => parse(magic, { buildId }), /magic/);
  });
});
