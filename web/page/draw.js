// draw.js: the drawing pad (mouse, touch and pen through Pointer Events) and MNIST-style
// preprocessing of the drawing into side x side pixels (`side` from build.json's shape).
//
// MNIST digits were made like this (LeCun et al.): the ink's bounding box was scaled to fit a
// box MARGIN pixels smaller than the field on every side (20x20 in 28x28), keeping its aspect
// ratio, anti-aliased, then placed in the field so that the centre of mass of the ink sits at
// the centre. inkToMnist() does the same with exact area averaging (every target pixel is the
// mean ink of the source area it covers). It is pure: tests run it in Node.

export const LINE_WIDTH_CSS = 20; // stroke width on a 280 px pad: about 2 MNIST pixels after scaling
export const MARGIN = 4; // MNIST's empty border around the digit's box, in pixels

/**
 * Make `canvas` a drawing pad. Calls onStroke() while drawing and onEnd() on release.
 * Returns {clear(), isEmpty(), putImage(pixels, side), setSide(side), canvas}; setSide records the network's input side
 * on the canvas (data-side), where toMnist(canvas) reads it.
 */
export function createPad(canvas, { onStroke = () => {}, onEnd = () => {}, onStart = () => {} } = {}) {
  const ctx = canvas.getContext('2d', { willReadFrequently: true });
  let drawing = false;
  let pointerId = null;
  let last = null;
  let empty = true;

  function resize() {
    const rect = canvas.getBoundingClientRect();
    const dpr = Math.min(window.devicePixelRatio || 1, 3);
    const w = Math.max(1, Math.round((rect.width || 280) * dpr));
    const h = Math.max(1, Math.round((rect.height || 280) * dpr));
    if (canvas.width === w && canvas.height === h) return;
    // keep what was drawn when the pad is resized (e.g. phone rotation)
    let old = null;
    if (!empty) {
      old = document.createElement('canvas');
      old.width = canvas.width;
      old.height = canvas.height;
      old.getContext('2d').drawImage(canvas, 0, 0);
    }
    canvas.width = w;
    canvas.height = h;
    if (old) ctx.drawImage(old, 0, 0, w, h);
  }

  function style() {
    const scale = canvas.width / (canvas.getBoundingClientRect().width || canvas.width);
    ctx.lineCap = 'round';
    ctx.lineJoin = 'round';
    ctx.lineWidth = LINE_WIDTH_CSS * scale;
    ctx.strokeStyle = '#111';
    ctx.fillStyle = '#111';
    return scale;
  }

  function point(ev) {
    const rect = canvas.getBoundingClientRect();
    return {
      x: ((ev.clientX - rect.left) / rect.width) * canvas.width,
      y: ((ev.clientY - rect.top) / rect.height) * canvas.height,
    };
  }

  function dot(p) {
    ctx.beginPath();
    ctx.arc(p.x, p.y, ctx.lineWidth / 2, 0, Math.PI * 2);
    ctx.fill();
  }

  function segment(a, b) {
    ctx.beginPath();
    ctx.moveTo(a.x, a.y);
    ctx.lineTo(b.x, b.y);
    ctx.stroke();
  }

  canvas.addEventListener('pointerdown', (ev) => {
    if (ev.pointerType === 'mouse' && ev.button !== 0) return;
    if (drawing) return;
    ev.preventDefault();
    resize();
    style();
    drawing = true;
    pointerId = ev.pointerId;
    try {
      canvas.setPointerCapture(ev.pointerId);
    } catch (_) {
      /* synthetic events may have no capturable pointer */
    }
    last = point(ev);
    dot(last);
    empty = false;
    onStart();
    onStroke();
  });

  canvas.addEventListener('pointermove', (ev) => {
    if (!drawing || ev.pointerId !== pointerId) return;
    ev.preventDefault();
    const list = typeof ev.getCoalescedEvents === 'function' ? ev.getCoalescedEvents() : [];
    for (const e of list.length ? list : [ev]) {
      const p = point(e);
      segment(last, p);
      last = p;
    }
    onStroke();
  });

  function end(ev) {
    if (!drawing || ev.pointerId !== pointerId) return;
    drawing = false;
    pointerId = null;
    last = null;
    try {
      canvas.releasePointerCapture(ev.pointerId);
    } catch (_) {
      /* already released */
    }
    onEnd();
  }
  canvas.addEventListener('pointerup', end);
  canvas.addEventListener('pointercancel', end);
  canvas.addEventListener('contextmenu', (ev) => ev.preventDefault());

  new ResizeObserver(() => resize()).observe(canvas);
  resize();

  return {
    canvas,
    clear() {
      ctx.clearRect(0, 0, canvas.width, canvas.height);
      empty = true;
    },
    isEmpty: () => empty,
    /** Show `pixels` (side x side, ink 0..1: a held-out sample) as if drawn: scaled up, anti-aliased. */
    putImage(pixels, side) {
      resize();
      const small = document.createElement('canvas');
      small.width = side;
      small.height = side;
      const img = new ImageData(side, side);
      for (let i = 0; i < side * side; i++) img.data[i * 4 + 3] = Math.round(Math.max(0, Math.min(1, pixels[i])) * 255);
      small.getContext('2d').putImageData(img, 0, 0);
      ctx.clearRect(0, 0, canvas.width, canvas.height);
      ctx.imageSmoothingEnabled = true;
      ctx.drawImage(small, 0, 0, canvas.width, canvas.height);
      empty = !pixels.some((v) => v > 0);
      canvas.dispatchEvent(new Event('input')); // as a stroke's pointerup: Inside and the step follow
    },
    setSide(side) {
      canvas.dataset.side = String(side);
    },
  };
}

/** Mean of src (length n) over dst cells of equal width: exact area averaging in one dimension. */
function resampleAxis(src, srcW, srcH, dstW) {
  // resample each of the srcH rows from srcW to dstW columns
  const out = new Float32Array(dstW * srcH);
  const r = srcW / dstW;
  for (let j = 0; j < dstW; j++) {
    const x0 = j * r;
    const x1 = x0 + r;
    const i0 = Math.floor(x0);
    const i1 = Math.min(srcW, Math.ceil(x1));
    for (let y = 0; y < srcH; y++) {
      let sum = 0;
      const row = y * srcW;
      for (let i = i0; i < i1; i++) {
        const overlap = Math.min(x1, i + 1) - Math.max(x0, i);
        if (overlap > 0) sum += src[row + i] * overlap;
      }
      out[y * dstW + j] = sum / r;
    }
  }
  return out;
}

function transpose(a, w, h) {
  const t = new Float32Array(w * h);
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) t[x * h + y] = a[y * w + x];
  return t;
}

/** Area-average a w x h image to tw x th. */
export function resampleArea(src, w, h, tw, th) {
  const horiz = resampleAxis(src, w, h, tw); // tw x h
  const vert = resampleAxis(transpose(horiz, tw, h), h, tw, th); // rows are columns: th x tw transposed
  return transpose(vert, th, tw); // tw x th, row-major
}

/**
 * Turn an ink image (Float32Array of shape (h, w), row-major, 0..1) into MNIST's format.
 * Returns {pixels: Float32Array of shape (side, side), empty, box: {x, y, w, h} of the ink | null}.
 */
export function inkToMnist(ink, w, h, side, threshold = 0.1) {
  if (!Number.isInteger(side) || side <= 2 * MARGIN) {
    throw new TypeError(`inkToMnist: expected the field side (a whole number above ${2 * MARGIN}); got ${side}.`);
  }
  const fit = side - 2 * MARGIN;
  const centre = side / 2;
  let minX = w;
  let minY = h;
  let maxX = -1;
  let maxY = -1;
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      if (ink[y * w + x] > threshold) {
        if (x < minX) minX = x;
        if (x > maxX) maxX = x;
        if (y < minY) minY = y;
        if (y > maxY) maxY = y;
      }
    }
  }
  const pixels = new Float32Array(side * side);
  if (maxX < 0) return { pixels, empty: true, box: null };

  const bw = maxX - minX + 1;
  const bh = maxY - minY + 1;
  const crop = new Float32Array(bw * bh);
  for (let y = 0; y < bh; y++) {
    for (let x = 0; x < bw; x++) crop[y * bw + x] = ink[(minY + y) * w + (minX + x)];
  }
  // 1. scale the bounding box to fit the fit x fit box, aspect ratio kept
  const s = fit / Math.max(bw, bh);
  const tw = Math.max(1, Math.min(fit, Math.round(bw * s)));
  const th = Math.max(1, Math.min(fit, Math.round(bh * s)));
  const small = resampleArea(crop, bw, bh, tw, th);

  // 2. centre of mass of the scaled image, in continuous coordinates (pixel centres at +0.5)
  let mass = 0;
  let cx = 0;
  let cy = 0;
  for (let y = 0; y < th; y++) {
    for (let x = 0; x < tw; x++) {
      const v = small[y * tw + x];
      mass += v;
      cx += v * (x + 0.5);
      cy += v * (y + 0.5);
    }
  }
  cx = mass > 0 ? cx / mass : tw / 2;
  cy = mass > 0 ? cy / mass : th / 2;

  // 3. place it in the field so that the centre of mass lands on the field's centre
  const ox = Math.round(centre - cx);
  const oy = Math.round(centre - cy);
  for (let y = 0; y < th; y++) {
    const ty = y + oy;
    if (ty < 0 || ty >= side) continue;
    for (let x = 0; x < tw; x++) {
      const tx = x + ox;
      if (tx < 0 || tx >= side) continue;
      pixels[ty * side + tx] = Math.min(1, small[y * tw + x]);
    }
  }
  return { pixels, empty: false, box: { x: minX, y: minY, w: bw, h: bh } };
}

/** Read the pad (ink = alpha channel) and preprocess it; `side` defaults to the pad's data-side. */
export function toMnist(canvas, side = Number(canvas.dataset.side)) {
  const ctx = canvas.getContext('2d', { willReadFrequently: true });
  const { width: w, height: h } = canvas;
  const data = ctx.getImageData(0, 0, w, h).data;
  const ink = new Float32Array(w * h);
  for (let i = 0; i < ink.length; i++) ink[i] = data[i * 4 + 3] / 255;
  return inkToMnist(ink, w, h, side);
}

/** Show side x side pixels (0..1, or null for blank) on a preview canvas, white ink on black as in MNIST. */
export function drawPreview(canvas, pixels, side) {
  const ctx = canvas.getContext('2d', { willReadFrequently: true }); // tiny; tests read it back
  if (canvas.width !== side) canvas.width = side;
  if (canvas.height !== side) canvas.height = side;
  const img = ctx.createImageData(side, side);
  for (let i = 0; i < side * side; i++) {
    const v = Math.round(Math.max(0, Math.min(1, pixels ? pixels[i] : 0)) * 255);
    img.data[i * 4] = v;
    img.data[i * 4 + 1] = v;
    img.data[i * 4 + 2] = v;
    img.data[i * 4 + 3] = 255;
  }
  ctx.putImageData(img, 0, 0);
}
