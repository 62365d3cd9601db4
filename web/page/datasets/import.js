// datasets/import.js: a file -> a data set of yours. A zip of class folders (images decoded by the
// browser: createImageBitmap and a canvas) or a CSV in Kaggle's MNIST layout; which one is decided
// by the content, not the file's name. The rules (layout, CSV, split, preparing) are in rules.js.

import { LIMITS, SIDE, checkName, packSplits, parseCsv, prepareImage } from './rules.js';
import { loadFflate, readZip } from './zip.js';

const isZip = (b) => b.length >= 4 && b[0] === 0x50 && b[1] === 0x4b && (b[2] === 3 || b[2] === 5) && (b[3] === 4 || b[3] === 6);
const looksLikeCsv = (b) => {
  const head = new TextDecoder().decode(b.subarray(0, 2000));
  return /^[^\n]*,[^\n]*,/.test(head) && !/[\u0000-\u0008\u000e-\u001f]/.test(head);
};

/** Decode an image file with the browser -> {rgba, width, height}; throws a reason to skip it. */
async function decodeImage(bytes) {
  let bitmap;
  try {
    bitmap = await createImageBitmap(new Blob([bytes]), { colorSpaceConversion: 'none', premultiplyAlpha: 'none' });
  } catch (_) {
    throw new Error('not a readable PNG or JPEG image');
  }
  const { width, height } = bitmap;
  if (width * height > LIMITS.imagePixels) {
    bitmap.close();
    throw new Error(`${width}x${height} pixels, over the ${LIMITS.imagePixels.toLocaleString('en')} an image may have`);
  }
  const canvas = typeof OffscreenCanvas === 'function' ? new OffscreenCanvas(width, height) : Object.assign(document.createElement('canvas'), { width, height });
  const ctx = canvas.getContext('2d', { willReadFrequently: true, colorSpace: 'srgb' });
  ctx.drawImage(bitmap, 0, 0);
  bitmap.close();
  return { rgba: ctx.getImageData(0, 0, width, height).data, width, height };
}

async function fromZip(bytes, notes) {
  const ff = await loadFflate();
  const { layout, files, meta } = readZip(bytes, ff);
  const skipped = [...layout.skipped];
  const samples = [];
  let inverted = 0;
  let fitted = 0;
  for (const f of layout.files) {
    try {
      const { rgba, width, height } = await decodeImage(files.get(f.name));
      const prepared = prepareImage(rgba, width, height);
      if (prepared.empty) throw new Error('blank: no ink once the background is taken away');
      if (prepared.inverted) inverted++;
      if (width !== SIDE || height !== SIDE) fitted++;
      samples.push({ label: f.label, pixels: prepared.pixels, split: f.split });
    } catch (err) {
      skipped.push({ file: f.name, reason: err.message });
    }
  }
  const missing = layout.classes.filter((_, c) => !samples.some((s) => s.label === c));
  if (missing.length) {
    throw new Error(`Class folder ${missing.map((c) => JSON.stringify(c)).join(', ')} has no image the page could read (${skipped.slice(-1).map((s) => `${s.file}: ${s.reason}`)}); nothing was imported.`);
  }
  if (inverted) notes.push(`inverted: dark ink on a light background in ${inverted} of ${samples.length} images (the network sees light ink on black, as in MNIST)`);
  if (fitted) notes.push(`fitted into 20x20 and centred in ${SIDE}x${SIDE}: ${fitted} of ${samples.length} images (the others were ${SIDE}x${SIDE} already)`);
  const licence = meta && typeof meta.license === 'string' ? meta.license : '';
  return { classes: layout.classes, samples, skipped, metaName: meta && typeof meta.name === 'string' ? meta.name : null, license: licence };
}

function fromCsv(bytes, notes) {
  const { classes, samples } = parseCsv(new TextDecoder().decode(bytes));
  // Kaggle's digits are light ink on black already; a CSV of dark-on-light images is inverted
  const light = samples.filter((s) => (s.pixels[0] + s.pixels[SIDE - 1] + s.pixels[SIDE * SIDE - 1]) / 3 > 127);
  for (const s of light) s.pixels = s.pixels.map((v) => 255 - v);
  if (light.length) notes.push(`inverted: dark ink on a light background in ${light.length} of ${samples.length} rows`);
  return { classes, samples, skipped: [], metaName: null, license: '' };
}

/**
 * Read a zip of class folders or a Kaggle-layout CSV into a data set of yours (without its id).
 * `name` defaults to the zip's dataset.json name or the file's name; `taken`: [{id, name}] of the
 * data sets there are (a clash is refused); `seed`: the 80/20 split's. Resolves to the data set
 * with `skipped: [{file, reason}]` and `notes: [string]`. Throws a clear error for bad data.
 */
export async function readDatasetFile(blob, { name, seed = 0, taken = [] } = {}) {
  if (!(blob instanceof Blob)) {
    throw new Error(`importDataset() expected a File or Blob (a .zip of class folders or a Kaggle-layout .csv); got ${blob === null ? 'null' : typeof blob}.`);
  }
  const fileName = blob.name || 'the file';
  if (blob.size === 0) throw new Error(`${JSON.stringify(fileName)} is empty: pick a .zip of class folders or a Kaggle-layout .csv.`);
  if (blob.size > LIMITS.fileBytes) {
    throw new Error(`${JSON.stringify(fileName)} is ${(blob.size / 1e6).toFixed(1)} MB; the page reads files up to ${(LIMITS.fileBytes / 1e6).toFixed(0)} MB. Use a smaller part of the data.`);
  }
  const bytes = new Uint8Array(await blob.arrayBuffer());
  const notes = [];
  let read;
  if (isZip(bytes)) read = await fromZip(bytes, notes);
  else if (looksLikeCsv(bytes)) read = fromCsv(bytes, notes);
  else throw new Error(`${JSON.stringify(fileName)} is neither a zip nor a CSV: pick a .zip with one folder of images per class, or a .csv in Kaggle's MNIST layout (label,pixel0,...,pixel783).`);
  const base = (blob.name || 'my data').replace(/\.(zip|csv)$/i, '');
  const finalName = checkName(name ?? read.metaName ?? base, taken);
  const { train, test } = packSplits(read.samples, seed);
  return Object.assign({
    name: finalName, classes: read.classes, side: SIDE, source: 'yours', license: read.license,
    createdAt: new Date().toISOString(), train, test,
  }, { skipped: read.skipped, notes });
}
