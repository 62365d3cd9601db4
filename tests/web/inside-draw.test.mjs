// inside-draw.test.mjs: the colour maps, layouts and small maths behind the Inside panel's pictures
// (web/page/inside-draw.js). Run: node --test tests/web/

import test from 'node:test';
import assert from 'node:assert/strict';
import {
  symmetricMax, diverging, heat, toRGBA, gridShape, neuronOrder, histogramBars, softmax, perClassAccuracy,
} from '../../web/page/inside-draw.js';

// the colours themselves (ends, lightness, colour-blind simulations): palette.test.mjs

test('a weight image is scaled by its largest |weight|, so zero stays white', () => {
  const w = new Float32Array([-0.2, 0, 0.1, 0.05]);
  assert.equal(symmetricMax(w), Math.fround(0.2));
  assert.equal(symmetricMax(new Float32Array(4)), 1);
  const rgba = toRGBA(w);
  assert.equal(rgba.length, 16);
  assert.deepEqual([...rgba.slice(0, 4)], [...diverging(-1, 1), 255], 'the most negative weight is the negative end');
  assert.deepEqual([...rgba.slice(4, 8)], [247, 247, 247, 255], 'zero is white');
  assert.deepEqual([...rgba.slice(8, 12)], [...diverging(0.5, 1), 255], 'half the scale on the positive side');
});

test('heat: 0 is the light end, the maximum the dark end, negatives clamp to 0', () => {
  assert.deepEqual(heat(0, 2), heat(-1, 2));
  assert.deepEqual(heat(2, 2), heat(1, 1));
  assert.ok(heat(2, 2)[1] < heat(1, 2)[1] && heat(1, 2)[1] < heat(0, 2)[1], 'darker as it fires more');
  assert.deepEqual(heat(3, 0), heat(0, 1), 'an all-zero layer stays light');
});

test('grids, firing order and histogram bars', () => {
  assert.deepEqual(gridShape(128, 16), { cols: 16, rows: 8 });
  assert.deepEqual(gridShape(10, 16), { cols: 10, rows: 1 });
  assert.deepEqual(gridShape(33, 16), { cols: 16, rows: 3 });
  assert.deepEqual(neuronOrder(4, 'index', [0, 3, 1, 3]), [0, 1, 2, 3]);
  assert.deepEqual(neuronOrder(4, 'firing', [0, 3, 1, 3]), [1, 3, 2, 0], 'strongest first, ties by index');
  assert.deepEqual(neuronOrder(3, 'firing', null), [0, 1, 2], 'no drawing: index order');
  const bars = histogramBars([1, 4, 2, 0], 100, 40);
  assert.equal(bars.length, 4);
  assert.deepEqual(bars[1], { x: 25, y: 0, w: 25, h: 40 });
  assert.deepEqual(bars[0], { x: 0, y: 30, w: 25, h: 10 });
  assert.equal(bars[3].h, 0);
});

test('softmax and per-class accuracy', () => {
  const p = softmax([1, 2, 3]);
  assert.ok(Math.abs(p.reduce((a, b) => a + b, 0) - 1) < 1e-12);
  assert.ok(Math.abs(p[2] / p[1] - Math.E) < 1e-9);
  assert.deepEqual(softmax([1000, 1000]), [0.5, 0.5], 'large logits do not overflow');
  assert.deepEqual(perClassAccuracy([[8, 2], [1, 3]]), [0.8, 0.75]);
  assert.deepEqual(perClassAccuracy([[0, 0], [0, 5]]), [null, 1], 'a class with no digits has no accuracy');
});
