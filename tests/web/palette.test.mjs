// palette.test.mjs: the weight maps' colours (web/page/palette.js) stay readable for the common colour
// blindnesses. Each colour is simulated with the matrices of Machado, Oliveira & Fernandes (2009,
// "A physiologically-based model for simulation of color vision deficiency", severity 1.0, applied
// to linear RGB) and compared in CIELAB (D65): the two arms of the diverging map must stay far apart
// (CIE76 distance) at every strength, and lightness must fall steadily from the white middle to both
// ends, so the strength of a weight reads without hue. Run: node --test tests/web/

import test from 'node:test';
import assert from 'node:assert/strict';
import { diverging, heat, ramp, DIVERGING_STOPS, HEAT_STOPS } from '../../web/page/palette.js';

const VISIONS = {
  normal: [[1, 0, 0], [0, 1, 0], [0, 0, 1]],
  protanopia: [[0.152286, 1.052583, -0.204868], [0.114503, 0.786281, 0.099216], [-0.003882, -0.048116, 1.051998]],
  deuteranopia: [[0.367322, 0.860646, -0.227968], [0.280085, 0.672501, 0.047413], [-0.011820, 0.042940, 0.968881]],
  tritanopia: [[1.255528, -0.076749, -0.178779], [-0.078411, 0.930809, 0.147602], [0.004733, 0.691367, 0.303900]],
};
const MIN_DISTANCE = 20; // CIE76; about 2.3 is a just-noticeable difference, 20 is plainly different

const toLinear = (c) => ((c /= 255) <= 0.04045 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4);

/** CIELAB (D65) of sRGB bytes [r, g, b] as seen with `vision` (a 3x3 matrix on linear RGB). */
function lab(rgb, vision) {
  const lin = rgb.map(toLinear);
  const [r, g, b] = vision.map((row) => Math.min(1, Math.max(0, row[0] * lin[0] + row[1] * lin[1] + row[2] * lin[2])));
  const xyz = [(0.4124 * r + 0.3576 * g + 0.1805 * b) / 0.95047, 0.2126 * r + 0.7152 * g + 0.0722 * b, (0.0193 * r + 0.1192 * g + 0.9505 * b) / 1.08883];
  const [fx, fy, fz] = xyz.map((t) => (t > (6 / 29) ** 3 ? Math.cbrt(t) : t / (3 * (6 / 29) ** 2) + 4 / 29));
  return [116 * fy - 16, 500 * (fx - fy), 200 * (fy - fz)];
}
const distance = (p, q) => Math.hypot(p[0] - q[0], p[1] - q[1], p[2] - q[2]);

test('the simulation is sound: it keeps greys grey and merges what each blindness merges', () => {
  for (const [name, m] of Object.entries(VISIONS)) {
    assert.ok(distance(lab([128, 128, 128], m), lab([128, 128, 128], VISIONS.normal)) < 1, `${name}: grey stays grey`);
  }
  // pure red and green are far apart normally and close for a deuteranope (the classic confusion)
  const redGreen = (m) => distance(lab([200, 60, 40], m), lab([110, 120, 40], m));
  assert.ok(redGreen(VISIONS.normal) > 40 && redGreen(VISIONS.deuteranopia) < 15,
    `red/green: ${redGreen(VISIONS.normal).toFixed(1)} normal, ${redGreen(VISIONS.deuteranopia).toFixed(1)} deuteranopia`);
});

test('the two arms of the diverging map stay apart at every strength, for every vision', () => {
  for (const [name, m] of Object.entries(VISIONS)) {
    for (const s of [0.25, 0.5, 0.75, 1]) {
      const d = distance(lab(diverging(-s, 1), m), lab(diverging(s, 1), m));
      assert.ok(d > MIN_DISTANCE, `${name}: -${s} and +${s} are only ${d.toFixed(1)} apart (CIE76), want > ${MIN_DISTANCE}`);
    }
  }
});

test('lightness falls steadily from the white middle to both ends, for every vision', () => {
  for (const [name, m] of Object.entries(VISIONS)) {
    for (const sign of [-1, 1]) {
      let last = Infinity;
      for (let i = 0; i <= 100; i++) {
        const L = lab(diverging((sign * i) / 100, 1), m)[0];
        assert.ok(L < last, `${name}: lightness does not fall at ${(sign * i) / 100} (${L.toFixed(2)} after ${last.toFixed(2)})`);
        last = L;
      }
      assert.ok(last < 40, `${name}: the ${sign < 0 ? 'negative' : 'positive'} end is too light (L* ${last.toFixed(1)})`);
    }
  }
  assert.deepEqual(diverging(0, 1), [247, 247, 247], 'zero is white');
  assert.deepEqual(diverging(-3, 1), DIVERGING_STOPS[0], 'clamped at the negative end');
  assert.deepEqual(diverging(3, 1), DIVERGING_STOPS[DIVERGING_STOPS.length - 1], 'clamped at the positive end');
});

test('heat is one ramp: lightness falls from 0 to the maximum, for every vision', () => {
  for (const [name, m] of Object.entries(VISIONS)) {
    let last = Infinity;
    for (let i = 0; i <= 100; i++) {
      const L = lab(heat(i / 100, 1), m)[0];
      assert.ok(L < last, `${name}: heat's lightness does not fall at ${i / 100}`);
      last = L;
    }
  }
  assert.deepEqual(heat(0, 1), HEAT_STOPS[0]);
  assert.deepEqual(heat(1, 1), HEAT_STOPS[HEAT_STOPS.length - 1]);
  assert.deepEqual(ramp(HEAT_STOPS, 0.5), HEAT_STOPS[2], 'a stop is reached exactly');
});
