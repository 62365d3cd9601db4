// step-arrays.test.mjs: how "One step by hand" reads the worker's arrays (web/page/step/arrays.js):
// base64 little-endian blocks to typed arrays with their shapes, summaries kept with their refs,
// numbers sent as text, and the small helpers the panel draws with. Run: node --test tests/web/

import test from 'node:test';
import assert from 'node:assert/strict';
import { decodeBlock, decodeStep, toNumber, isSummary, shapeText, row, column, byMagnitude, pageOf } from '../../web/page/step/arrays.js';

/** What the worker's encode() sends for `values` (little-endian, as Python writes it). */
function block(values, shape, dtype = 'float32') {
  const size = dtype === 'float32' ? 4 : 8;
  const view = new DataView(new ArrayBuffer(values.length * size));
  values.forEach((v, i) => (size === 4 ? view.setFloat32(i * 4, v, true) : view.setFloat64(i * 8, v, true)));
  return { shape, dtype, data: Buffer.from(view.buffer).toString('base64') };
}

test('a block becomes a typed array of its dtype with its shape, values bit for bit', () => {
  const values = [0.1, -2.5, 3e-8, 1e30, -0, 7];
  const f32 = decodeBlock(block(values, [2, 3]));
  assert.ok(f32 instanceof Float32Array);
  assert.deepEqual(f32.shape, [2, 3]);
  assert.deepEqual([...f32], values.map(Math.fround));
  assert.ok(Object.is(f32[4], -0), 'the sign of zero survives');
  const f64 = decodeBlock(block(values, [1, 1, 6], 'float64'));
  assert.ok(f64 instanceof Float64Array);
  assert.deepEqual([...f64], values, 'float64 exactly');
  assert.deepEqual(decodeBlock(block([4], [])).shape, [], 'a 0-d array');
});

test('a block that does not match its shape or dtype is refused with what was expected', () => {
  assert.throws(() => decodeBlock(block([1, 2, 3], [2, 2])), /shape \(2, 2\) needs 16 bytes of float32; got 12/);
  assert.throws(() => decodeBlock({ shape: [1], dtype: 'int8', data: 'AA==' }), /"float32" \| "float64"/);
});

test('a step decodes deeply: arrays, summaries with their (tagged) refs, numbers sent as text', () => {
  const res = {
    loss: 0.25, maxDelta: 'NaN', relError: 'Infinity', fusedRule: 'p - y: NaN is not a rule', network: { from: 'active', layers: [784, 10] },
    layers: [{ z: block([1, 2], [1, 2]), a: block([3, 4], [1, 2]) }],
    grads: [{ dW: { shape: [784, 256], dtype: 'float32', ref: 'grads.0.dW', summary: { min: -1, max: '-Infinity' } }, db: null }],
  };
  const out = decodeStep(res, (ref) => `7:${ref}`);
  assert.equal(out.loss, 0.25);
  assert.ok(Number.isNaN(out.maxDelta));
  assert.equal(out.relError, Infinity);
  assert.equal(out.fusedRule, res.fusedRule, 'text stays text');
  assert.deepEqual(out.network, res.network);
  assert.deepEqual([...out.layers[0].a], [3, 4]);
  assert.deepEqual(out.layers[0].z.shape, [1, 2]);
  const dW = out.grads[0].dW;
  assert.ok(isSummary(dW) && !isSummary(out.layers[0].z));
  assert.deepEqual(dW, { shape: [784, 256], dtype: 'float32', ref: '7:grads.0.dW', summary: { min: -1, max: -Infinity } });
  assert.equal(out.grads[0].db, null);
  assert.equal(toNumber('-Infinity'), -Infinity);
  assert.equal(toNumber('Infinity!'), 'Infinity!');
});

test('shapes, rows, columns, order by magnitude and pages', () => {
  assert.equal(shapeText([1, 784]), '(1, 784)');
  assert.equal(shapeText([235146]), '(235146,)');
  const m = Object.assign(Float32Array.from([1, 2, 3, 4, 5, 6]), { shape: [2, 3] });
  assert.deepEqual([...row(m, 1)], [4, 5, 6]);
  assert.deepEqual([...column(m, 2)], [3, 6]);
  assert.ok(column(m, 0) instanceof Float32Array);
  assert.deepEqual(byMagnitude([0.1, -3, 0, 3, 2]), [1, 3, 4, 0, 2]);
  const items = Array.from({ length: 70 }, (_, i) => i);
  assert.deepEqual(pageOf(items, 2, 32), { items: items.slice(64), page: 2, pages: 3 });
  assert.equal(pageOf(items, 9, 32).page, 2, 'past the end: the last page');
  assert.equal(pageOf([], 0, 32).pages, 1);
});
