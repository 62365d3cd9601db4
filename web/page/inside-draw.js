// inside-draw.js: pictures of what is inside a network: a weight image in a diverging colour map
// (purple negative, white zero, orange positive: palette.js), heat strips of activations, digit thumbnails and
// weight histograms. The colour and layout maths are pure (tested in Node); the draw* functions
// only put the result on a canvas.

import { num } from './i18n/i18n.js';
import { diverging, heat, themeColour } from './palette.js';

// the colour maps live in palette.js (one palette for the page); re-exported for the panels
export { diverging, heat };

/** The largest |value| (1 when all are 0), so that zero sits in the middle of the colour map. */
export function symmetricMax(values) {
  let m = 0;
  for (let i = 0; i < values.length; i++) {
    const a = Math.abs(values[i]);
    if (a > m) m = a;
  }
  return m > 0 ? m : 1;
}

/**
 * RGBA bytes (length values.length * 4) colouring each value with `colour(v, max)`; `max`
 * defaults to symmetricMax(values) (for heat: the largest value).
 */
export function toRGBA(values, { colour = diverging, max = symmetricMax(values) } = {}) {
  const out = new Uint8ClampedArray(values.length * 4);
  for (let i = 0; i < values.length; i++) {
    const [r, g, b] = colour(values[i], max);
    out[i * 4] = r;
    out[i * 4 + 1] = g;
    out[i * 4 + 2] = b;
    out[i * 4 + 3] = 255;
  }
  return out;
}

/** Columns x rows for `n` cells at most `maxCols` wide: {cols, rows}. */
export function gridShape(n, maxCols) {
  const cols = Math.max(1, Math.min(n, maxCols));
  return { cols, rows: Math.max(1, Math.ceil(n / cols)) };
}

/**
 * The order to show neurons in: "index" (0, 1, 2, ...) or "firing" (the strongest activation on
 * the current drawing first; ties and a missing drawing keep index order). Returns indices.
 */
export function neuronOrder(n, sort, activations) {
  const order = Array.from({ length: n }, (_, i) => i);
  if (sort === 'firing' && activations && activations.length === n) {
    order.sort((a, b) => activations[b] - activations[a] || a - b);
  }
  return order;
}

/**
 * Bars for a histogram in a w x h box: [{x, y, w, h}] per bin, heights scaled to `maxCount`
 * (defaults to the largest count), bins spread evenly over the width.
 */
export function histogramBars(counts, w, h, maxCount = Math.max(1, ...counts)) {
  const bw = w / counts.length;
  return counts.map((c, i) => {
    const bh = (c / maxCount) * h;
    return { x: i * bw, y: h - bh, w: bw, h: bh };
  });
}

/** Softmax of logits (numerically stable), for checks and for pictures. */
export function softmax(logits) {
  const m = Math.max(...logits);
  const e = logits.map((z) => Math.exp(z - m));
  const s = e.reduce((a, b) => a + b, 0);
  return e.map((v) => v / s);
}

/** Per-class accuracy from a confusion matrix (rows true, columns predicted): [accuracy | null]. */
export function perClassAccuracy(matrix) {
  return matrix.map((row, i) => {
    const total = row.reduce((a, b) => a + b, 0);
    return total ? row[i] / total : null;
  });
}

// --- canvas --------------------------------------------------------------------------------------

function put(canvas, rgba, w, h) {
  if (canvas.width !== w) canvas.width = w;
  if (canvas.height !== h) canvas.height = h;
  const ctx = canvas.getContext('2d');
  const img = ctx.createImageData(w, h);
  img.data.set(rgba);
  ctx.putImageData(img, 0, 0);
}

/** A side x side weight image (e.g. one first-layer neuron's 784 weights), diverging colours. */
export function drawWeights(canvas, weights, side, max) {
  put(canvas, toRGBA(weights, { colour: diverging, max: max ?? symmetricMax(weights) }), side, side);
}

/** A layer's activations as a heat strip (cols x rows cells, one pixel each; CSS scales it up). */
export function drawStrip(canvas, values, { cols = values.length, colour = heat, max } = {}) {
  const { rows } = gridShape(values.length, cols);
  const cells = new Float32Array(cols * rows).fill(colour === heat ? 0 : 0);
  cells.set(values);
  const top = max ?? (colour === heat ? Math.max(1e-9, ...values) : symmetricMax(values));
  put(canvas, toRGBA(cells, { colour, max: top }), cols, rows);
}

/** A digit (pixels 0..1 or bytes 0..255) as white ink on black, as MNIST shows it. */
export function drawDigit(canvas, pixels, side) {
  const bytes = pixels instanceof Uint8Array;
  const rgba = new Uint8ClampedArray(side * side * 4);
  for (let i = 0; i < side * side; i++) {
    const v = bytes ? pixels[i] : Math.round(Math.max(0, Math.min(1, pixels[i])) * 255);
    rgba[i * 4] = v;
    rgba[i * 4 + 1] = v;
    rgba[i * 4 + 2] = v;
    rgba[i * 4 + 3] = 255;
  }
  put(canvas, rgba, side, side);
}

/**
 * Weight histograms of one layer: `start` (grey, may be null) behind `now` (blue), on shared bins
 * ({edges, counts} each). The canvas keeps its CSS size; drawn at devicePixelRatio.
 */
export function drawHistogram(canvas, now, start) {
  const dpr = (typeof window !== 'undefined' && window.devicePixelRatio) || 1;
  const w = Math.max(1, Math.round((canvas.clientWidth || 300) * dpr));
  const h = Math.max(1, Math.round((canvas.clientHeight || 100) * dpr));
  canvas.width = w;
  canvas.height = h;
  const ctx = canvas.getContext('2d');
  ctx.clearRect(0, 0, w, h);
  const axis = 14 * dpr;
  const maxCount = Math.max(1, ...now.counts, ...(start ? start.counts : []));
  const nowFill = themeColour('--hist-now');
  const layers = start ? [[start, themeColour('--hist-start')], [now, nowFill]] : [[now, nowFill]];
  for (const [hist, fill] of layers) {
    ctx.fillStyle = fill;
    for (const b of histogramBars(hist.counts, w, h - axis, maxCount)) ctx.fillRect(b.x, b.y, Math.max(1, b.w - dpr), b.h);
  }
  ctx.fillStyle = themeColour('--muted');
  ctx.font = `${11 * dpr}px system-ui, sans-serif`;
  ctx.textBaseline = 'bottom';
  const lo = now.edges[0];
  const hi = now.edges[now.edges.length - 1];
  ctx.textAlign = 'left';
  ctx.fillText(num(lo, { minimumFractionDigits: 2, maximumFractionDigits: 2 }), 0, h);
  ctx.textAlign = 'right';
  ctx.fillText(num(hi, { minimumFractionDigits: 2, maximumFractionDigits: 2 }), w, h);
  if (lo < 0 && hi > 0) {
    const x = (-lo / (hi - lo)) * w;
    ctx.textAlign = 'center';
    ctx.fillText('0', x, h);
    ctx.fillRect(x, 0, dpr, h - axis);
  }
}
