// draw.test.mjs: the MNIST preprocessing of a drawing (draw.js inkToMnist), on synthetic ink.
// Run: node --test tests/web/

import test from 'node:test';
import assert from 'node:assert/strict';
import { inkToMnist, resampleArea, MARGIN } from '../../web/page/draw.js';

const SIDE = 28; // MNIST's field; inkToMnist takes it as an argument (the page reads build.json)

/** A w x h ink image with the given rectangles [x, y, width, height] painted at full ink. */
function ink(w, h, rects) {
  const a = new Float32Array(w * h);
  for (const [x0, y0, rw, rh] of rects) {
    for (let y = y0; y < y0 + rh; y++) for (let x = x0; x < x0 + rw; x++) a[y * w + x] = 1;
  }
  return a;
}

/** Bounding box {x, y, w, h} of pixels above 0.01, centre of mass {cx, cy} (pixel centres at +0.5). */
function measure(pixels, side) {
  let minX = side, minY = side, maxX = -1, maxY = -1, mass = 0, cx = 0, cy = 0;
  for (let y = 0; y < side; y++) {
    for (let x = 0; x < side; x++) {
      const v = pixels[y * side + x];
      mass += v;
      cx += v * (x + 0.5);
      cy += v * (y + 0.5);
      if (v > 0.01) {
        minX = Math.min(minX, x); maxX = Math.max(maxX, x);
        minY = Math.min(minY, y); maxY = Math.max(maxY, y);
      }
    }
  }
  return { x: minX, y: minY, w: maxX - minX + 1, h: maxY - minY + 1, cx: cx / mass, cy: cy / mass, mass };
}

test('an empty pad gives an empty, all-zero input', () => {
  const out = inkToMnist(new Float32Array(200 * 200), 200, 200, SIDE);
  assert.equal(out.empty, true);
  assert.equal(out.box, null);
  assert.equal(out.pixels.length, SIDE * SIDE);
  assert.ok(out.pixels.every((v) => v === 0));
});

test('a tall stroke is scaled into the 20x20 box with its aspect ratio kept', () => {
  // 40 x 100 ink, far from the centre of a 300 x 200 pad
  const out = inkToMnist(ink(300, 200, [[230, 60, 40, 100]]), 300, 200, SIDE);
  assert.equal(out.empty, false);
  assert.deepEqual(out.box, { x: 230, y: 60, w: 40, h: 100 });
  const m = measure(out.pixels, SIDE);
  assert.equal(m.h, SIDE - 2 * MARGIN, 'the long side fills the 20-pixel box');
  assert.equal(m.w, 8, 'the short side keeps the 2:5 aspect ratio (20 * 40 / 100)');
  assert.ok(out.pixels.every((v) => v >= 0 && v <= 1), 'values stay in 0..1');
});

test('a wide stroke fills the box horizontally', () => {
  const out = inkToMnist(ink(280, 280, [[10, 200, 250, 25]]), 280, 280, SIDE);
  const m = measure(out.pixels, SIDE);
  assert.equal(m.w, SIDE - 2 * MARGIN);
  assert.equal(m.h, 2); // 20 * 25 / 250
});

test('the centre of mass, not the bounding box, lands on the centre of the field', () => {
  // an "L": a heavy vertical bar and a light foot; its mass sits left of its box's centre
  const out = inkToMnist(ink(280, 280, [[40, 40, 30, 150], [70, 160, 90, 30]]), 280, 280, SIDE);
  const m = measure(out.pixels, SIDE);
  assert.ok(Math.abs(m.cx - SIDE / 2) <= 0.5, `centre of mass x ${m.cx}`);
  assert.ok(Math.abs(m.cy - SIDE / 2) <= 0.5, `centre of mass y ${m.cy}`);
  const boxCentreX = m.x + m.w / 2;
  assert.ok(boxCentreX - SIDE / 2 > 1, `the box is shifted right of the centre (box centre x ${boxCentreX})`);
});

test('the same drawing moved on the pad gives the same input', () => {
  const a = inkToMnist(ink(280, 280, [[20, 30, 60, 120]]), 280, 280, SIDE);
  const b = inkToMnist(ink(280, 280, [[190, 140, 60, 120]]), 280, 280, SIDE);
  assert.deepEqual(Array.from(a.pixels), Array.from(b.pixels));
});

test('faint ink below the threshold does not count as the digit', () => {
  const a = ink(100, 100, [[40, 20, 20, 60]]);
  a[0] = 0.05; // a speck in the corner
  const out = inkToMnist(a, 100, 100, SIDE);
  assert.deepEqual(out.box, { x: 40, y: 20, w: 20, h: 60 });
});

test('another field size works the same way (side comes from build.json)', () => {
  const out = inkToMnist(ink(100, 100, [[10, 10, 50, 50]]), 100, 100, 16);
  assert.equal(out.pixels.length, 256);
  const m = measure(out.pixels, 16);
  assert.equal(m.w, 16 - 2 * MARGIN);
});

test('a missing field side is refused with a message', () => {
  assert.throws(() => inkToMnist(new Float32Array(4), 2, 2), /expected the field side/);
});

test('area averaging keeps the mean ink', () => {
  const src = Float32Array.from({ length: 30 * 12 }, (_, i) => (i * 7919) % 13 / 12);
  const out = resampleArea(src, 30, 12, 7, 5);
  const mean = (a) => a.reduce((s, v) => s + v, 0) / a.length;
  assert.ok(Math.abs(mean(out) - mean(src)) < 1e-5, `${mean(out)} vs ${mean(src)}`);
});
