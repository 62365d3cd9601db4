// datasets/rules.js: the pure rules of a data set of your own: the limits, names, the Kaggle CSV
// layout, the zip layout of class folders (Keras' image_dataset_from_directory), the seeded 80/20
// split, and preparing a decoded image like the pad's input. No DOM, no storage: node --test runs it.
//
// A data set: {name, classes: [string], side: 28, source: "yours", license: "", createdAt,
//   train: {images: Uint8Array(n * 784), labels: Uint8Array(n)}, test: {images, labels}};
// pixels 0 = background .. 255 = ink, row-major side x side, labels are class indexes.

import { inkToMnist } from '../draw.js';

export const SIDE = 28;
export const INPUTS = SIDE * SIDE;

/** Every limit of an import, stated once (README's "Your data" says the same). */
export const LIMITS = Object.freeze({
  // enough for the alphabet (26) and a few more; the class buttons, the bars and a 32x32
  // confusion matrix still fit a phone-width panel
  classes: 32,
  // as many as MNIST's training set (Kaggle's train.csv has 42,000): 47 MB of pixels in IndexedDB
  samples: 60000,
  fileBytes: 100e6, // the zip or CSV file itself (Kaggle's train.csv is 73 MB)
  unzippedBytes: 200e6, // all the files of a zip, inflated (checked before and while inflating)
  imageBytes: 20e6, // one image file inside a zip
  imagePixels: 4096 * 4096, // one decoded image (width x height)
  nameChars: 60,
});

export const IMAGE_EXTENSIONS = ['png', 'jpg', 'jpeg'];
const SPLITS = ['train', 'test'];
const TEST_SHARE = 0.2;
export const META_FILE = 'dataset.json';

const mb = (n) => `${(n / 1e6).toFixed(1)} MB`;
const quote = (s) => JSON.stringify(String(s));

/** The id of a data set of yours named `name`: "mine-" and a slug of the name. */
export function datasetId(name) {
  const slug = String(name).normalize('NFKD').replace(/[\u0300-\u036f]/g, '').toLowerCase()
    .replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, '');
  return `mine-${slug || 'data'}`;
}

/**
 * A data set's name, trimmed; throws if it is empty, too long, or clashes with `taken`
 * ([{id, name}] of the data sets there are: built-in and yours).
 */
export function checkName(name, taken = []) {
  if (typeof name !== 'string') throw new Error(`A data set's name must be text; got ${name === null ? 'null' : typeof name}.`);
  const text = name.trim();
  if (!text) throw new Error('The data set has no name: give one, e.g. {name: "letters"}.');
  if (text.length > LIMITS.nameChars) throw new Error(`The data set's name is ${text.length} characters long; use at most ${LIMITS.nameChars}.`);
  const id = datasetId(text);
  const clash = taken.find((d) => d.id === id || String(d.name).trim().toLowerCase() === text.toLowerCase());
  if (clash) {
    throw new Error(`There is already a data set named ${quote(clash.name)}: pick another name (e.g. {name: ${quote(`${text} 2`)}}) or delete that one first. Nothing was imported.`);
  }
  return text;
}

/** Class names as a person types them ("a, b, c" or an array): trimmed, 2..LIMITS.classes, unique. */
export function checkClasses(input) {
  const list = (Array.isArray(input) ? input : String(input ?? '').split(',')).map((c) => String(c).trim()).filter(Boolean);
  if (list.length < 2) throw new Error(`A data set needs at least 2 classes; got ${list.length} (${list.map(quote).join(', ') || 'none'}). Type class names separated by commas, e.g. "circle, square, triangle".`);
  tooManyClasses(list.length);
  const seen = new Set();
  for (const c of list) {
    if (c.length > LIMITS.nameChars) throw new Error(`Class name ${quote(c.slice(0, 20) + '…')} is ${c.length} characters long; use at most ${LIMITS.nameChars}.`);
    if (seen.has(c.toLowerCase())) throw new Error(`Class ${quote(c)} is named twice; every class needs its own name.`);
    seen.add(c.toLowerCase());
  }
  return list;
}

function tooManyClasses(n) {
  if (n > LIMITS.classes) throw new Error(`This data set has ${n} classes; the page supports at most ${LIMITS.classes}. Keep ${LIMITS.classes} or fewer class folders (or labels).`);
}

function tooManySamples(n) {
  if (n > LIMITS.samples) throw new Error(`This data set has ${n.toLocaleString('en')} samples; the page keeps at most ${LIMITS.samples.toLocaleString('en')}. Use a smaller part of it.`);
}

/** A seeded random number generator (mulberry32): the same seed gives the same split everywhere. */
export function seededRandom(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * The seeded 80/20 split: for `labels` (class index per sample), whether each sample goes to
 * test. Per class, so every class with 2 or more samples is in both splits.
 */
export function seededSplit(labels, seed = 0) {
  const rand = seededRandom(seed);
  const byClass = new Map();
  labels.forEach((c, i) => byClass.set(c, [...(byClass.get(c) || []), i]));
  const isTest = new Array(labels.length).fill(false);
  for (const c of [...byClass.keys()].sort((a, b) => a - b)) {
    const idx = byClass.get(c);
    for (let i = idx.length - 1; i > 0; i--) { // Fisher-Yates
      const j = Math.floor(rand() * (i + 1));
      [idx[i], idx[j]] = [idx[j], idx[i]];
    }
    const nTest = idx.length < 2 ? 0 : Math.max(1, Math.round(idx.length * TEST_SHARE));
    for (let k = 0; k < nTest; k++) isTest[idx[k]] = true;
  }
  return isTest;
}

/**
 * Samples [{label, pixels: Uint8Array(784), split: "train" | "test" | null}] -> {train, test}
 * packed; samples without a split are split 80/20 with `seed`.
 */
export function packSplits(samples, seed = 0) {
  const free = samples.filter((s) => !s.split);
  const isTest = seededSplit(free.map((s) => s.label), seed);
  free.forEach((s, i) => (s.split = isTest[i] ? 'test' : 'train'));
  const out = {};
  for (const split of SPLITS) {
    const part = samples.filter((s) => s.split === split);
    const images = new Uint8Array(part.length * INPUTS);
    part.forEach((s, i) => images.set(s.pixels, i * INPUTS));
    out[split] = { images, labels: Uint8Array.from(part, (s) => s.label) };
  }
  return out;
}

// --- Kaggle CSV ------------------------------------------------------------------------------------

/**
 * Parse a CSV in Kaggle's MNIST layout: a header `label,pixel0,...,pixel783`, then one row per
 * image: the label (a whole number or a name) and 784 grey levels 0..255 (0 = background).
 * `classes` (optional): the only labels allowed, in order. -> {classes, samples: [{label, pixels}]}.
 */
export function parseCsv(text, { classes: allowed = null } = {}) {
  const lines = text.split(/\r?\n/).filter((l) => l.trim() !== '');
  if (lines.length === 0) throw new Error(`The CSV is empty: expected a header "label,pixel0,...,pixel${INPUTS - 1}" and one row per image (Kaggle's MNIST layout).`);
  const first = lines[0].split(',');
  const hasHeader = !/^\s*-?\d+(\.\d+)?\s*$/.test(first[1] ?? '');
  const rows = hasHeader ? lines.slice(1) : lines;
  const cols = INPUTS + 1;
  if (first.length !== cols) {
    const hint = first.length === INPUTS ? ' It has no label column: Kaggle\'s test.csv cannot be imported, use train.csv.' : '';
    throw new Error(`The CSV has ${first.length} columns; expected ${cols}: a label and ${INPUTS} pixels (label,pixel0,...,pixel${INPUTS - 1}, Kaggle's MNIST layout).${hint}`);
  }
  if (rows.length === 0) throw new Error('The CSV has a header but no rows: add one row per image.');
  tooManySamples(rows.length);
  const raw = [];
  rows.forEach((line, r) => {
    const cells = line.split(',');
    const where = `row ${r + (hasHeader ? 2 : 1)}`;
    if (cells.length !== cols) throw new Error(`The CSV's ${where} has ${cells.length} columns; expected ${cols} (a label and ${INPUTS} pixels). Nothing was imported.`);
    const pixels = new Uint8Array(INPUTS);
    for (let i = 0; i < INPUTS; i++) {
      const v = Number(cells[i + 1]);
      if (!Number.isInteger(v) || v < 0 || v > 255 || cells[i + 1].trim() === '') {
        throw new Error(`The CSV's ${where}, pixel${i}, is ${quote(cells[i + 1])}; expected a whole number from 0 to 255. Nothing was imported.`);
      }
      pixels[i] = v;
    }
    raw.push({ name: cells[0].trim().replace(/^"(.*)"$/, '$1'), pixels, where });
  });
  const classes = allowed ? [...allowed] : csvClasses(raw);
  tooManyClasses(classes.length);
  const index = new Map(classes.map((c, i) => [c, i]));
  const samples = raw.map((s) => {
    if (!index.has(s.name)) {
      throw new Error(`The CSV's ${s.where} has the label ${quote(s.name)}, which is not one of the classes (${classes.map(quote).join(', ')}). Nothing was imported.`);
    }
    return { label: index.get(s.name), pixels: s.pixels, split: null };
  });
  if (classes.length < 2) throw new Error(`The CSV has only one label (${quote(classes[0])}); a data set needs at least 2 classes.`);
  return { classes, samples };
}

/** The classes of CSV labels: all whole numbers ("0".."9", in number order) or all names (sorted). */
function csvClasses(raw) {
  const names = [...new Set(raw.map((s) => s.name))];
  const numeric = names.filter((n) => /^\d+$/.test(n));
  if (numeric.length === names.length) return numeric.sort((a, b) => Number(a) - Number(b));
  const bad = raw.find((s) => s.name === '' || (numeric.length && /^\d+$/.test(s.name)));
  if (bad) {
    throw new Error(`The CSV's ${bad.where} has the label ${quote(bad.name)}: labels must be all whole numbers or all names, never empty. Nothing was imported.`);
  }
  return names.sort();
}

// --- the zip layout ----------------------------------------------------------------------------------

const isHidden = (parts) => parts.some((p) => p.startsWith('.') || p === '__MACOSX');

/**
 * Decide what each file of a zip is, before anything is inflated: `entries` [{name, originalSize}]
 * as the zip's central directory declares them. Layout: one folder per class (any depth below it),
 * optionally under train/ and test/, optionally all inside one top folder; a dataset.json (as
 * Export writes) at the top. -> {classes, files: [{name, label, split: "train"|"test"|null}],
 * meta: name of dataset.json | null, skipped: [{file, reason}]}. Throws on a bad layout or limit.
 */
export function zipLayout(entries, { classes: ordered = null } = {}) {
  const declared = entries.reduce((s, e) => s + (e.originalSize || 0), 0);
  if (declared > LIMITS.unzippedBytes) {
    throw new Error(`This zip would expand to ${mb(declared)}; the page reads at most ${mb(LIMITS.unzippedBytes)}. Nothing was unpacked; zip a smaller part of the data.`);
  }
  const skipped = [];
  const paths = entries.map((e) => ({ ...e, parts: e.name.split('/').filter(Boolean), dir: e.name.endsWith('/') }));
  const visible = paths.filter((p) => !isHidden(p.parts));
  // everything inside one top folder (a zipped folder): look inside it
  let strip = 0;
  for (;;) {
    const tops = new Set(visible.map((p) => p.parts[strip]));
    const [top] = tops;
    const deep = visible.some((p) => !p.dir && p.parts.length - strip >= 3); // folders inside it
    if (tops.size !== 1 || SPLITS.includes(top) || !deep) break;
    strip++;
  }
  const rel = (p) => p.parts.slice(strip);
  const tops = new Set(visible.filter((p) => rel(p).length > 1 || p.dir).map((p) => rel(p)[0]));
  const split = tops.has('train');
  if (split && [...tops].some((t) => !SPLITS.includes(t))) {
    const others = [...tops].filter((t) => !SPLITS.includes(t));
    throw new Error(`This zip has a train/ folder and also ${others.map((t) => `${t}/`).join(', ')} beside it; with train/ and test/ on top, put every class folder inside them.`);
  }
  if (!split && tops.has('test')) throw new Error('This zip has a test/ folder but no train/ folder; add train/ (or leave both out for a seeded 80/20 split).');
  const classOf = (r) => (split ? r.slice(1) : r);
  const folders = new Map(); // class -> image count
  const files = [];
  let meta = null;
  for (const p of paths) {
    const r = rel(p);
    if (isHidden(p.parts)) {
      if (!p.dir) skipped.push({ file: p.name, reason: 'a hidden or system file' });
      continue;
    }
    const c = classOf(r);
    if (p.dir) {
      if (c.length === 1 && !folders.has(c[0])) folders.set(c[0], 0);
      continue;
    }
    if (r.length === 1 && r[0] === META_FILE) {
      meta = p.name;
      continue;
    }
    if (c.length < 2) {
      skipped.push({ file: p.name, reason: 'not inside a class folder' });
      continue;
    }
    const ext = (c[c.length - 1].split('.').pop() || '').toLowerCase();
    if (!IMAGE_EXTENSIONS.includes(ext)) {
      skipped.push({ file: p.name, reason: `not an image (expected ${IMAGE_EXTENSIONS.map((e) => `.${e}`).join(', ')})` });
      if (!folders.has(c[0])) folders.set(c[0], 0);
      continue;
    }
    if (p.originalSize > LIMITS.imageBytes) {
      skipped.push({ file: p.name, reason: `${mb(p.originalSize)}, over the ${mb(LIMITS.imageBytes)} an image may have` });
      continue;
    }
    folders.set(c[0], (folders.get(c[0]) || 0) + 1);
    files.push({ name: p.name, className: c[0], split: split ? r[0] : null, originalSize: p.originalSize });
  }
  const names = [...folders.keys()];
  const classes = ordered && names.every((n) => ordered.includes(n)) ? ordered.filter((n) => folders.has(n)) : names.sort();
  tooManyClasses(classes.length);
  if (classes.length < 2) {
    throw new Error(classes.length ? `This zip has one class folder (${quote(classes[0])}); a data set needs at least 2: one folder of images per class.`
      : 'This zip has no class folders: expected one folder of images (PNG or JPEG) per class, e.g. circle/1.png, square/1.png.');
  }
  const empty = classes.filter((c) => !folders.get(c));
  if (empty.length) {
    const others = skipped.filter((k) => k.reason.startsWith('not an image') && empty.includes(classOf(rel(paths.find((p) => p.name === k.file)))[0]));
    const seen = others.length ? ` (${others.slice(0, 3).map((k) => k.file.split('/').pop()).join(', ')} ${others.length === 1 ? 'is not an image' : 'are not images'})` : '';
    throw new Error(`Class folder ${empty.map(quote).join(', ')} has no images (PNG or JPEG)${seen}; put images in it or remove it.`);
  }
  if (split && !files.some((f) => f.split === 'test')) files.forEach((f) => (f.split = null)); // train/ alone: split it
  tooManySamples(files.length);
  const index = new Map(classes.map((c, i) => [c, i]));
  return { classes, files: files.map((f) => ({ ...f, label: index.get(f.className) })), meta, skipped };
}

// --- preparing a decoded image ----------------------------------------------------------------------

/**
 * RGBA bytes of a decoded image (w x h) -> {pixels: Uint8Array(784), inverted, empty}.
 * Grey over white (transparency counts as background), light backgrounds (the border's mean above
 * middle grey) inverted so ink is light on dark as in MNIST, the background level taken away;
 * then an image of exactly 28x28 is kept as it is (already prepared: what Export writes), any
 * other size is fitted into 20x20 and centred by centre of mass in 28x28 like the pad's drawing.
 */
export function prepareImage(rgba, w, h) {
  const grey = new Float32Array(w * h);
  for (let i = 0; i < grey.length; i++) {
    const a = rgba[i * 4 + 3] / 255;
    const luma = (0.299 * rgba[i * 4] + 0.587 * rgba[i * 4 + 1] + 0.114 * rgba[i * 4 + 2]) / 255;
    grey[i] = a * luma + (1 - a); // over white
  }
  let border = 0;
  let n = 0;
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      if (y === 0 || x === 0 || y === h - 1 || x === w - 1) {
        border += grey[y * w + x];
        n++;
      }
    }
  }
  const inverted = border / n > 0.5;
  const background = inverted ? 1 - border / n : border / n;
  const ink = grey.map((v) => Math.max(0, ((inverted ? 1 - v : v) - background) / (1 - background || 1)));
  const pixels = new Uint8Array(INPUTS);
  if (w === SIDE && h === SIDE) {
    for (let i = 0; i < INPUTS; i++) pixels[i] = Math.round(ink[i] * 255);
  } else {
    const fitted = inkToMnist(ink, w, h, SIDE).pixels;
    for (let i = 0; i < INPUTS; i++) pixels[i] = Math.round(Math.min(1, fitted[i]) * 255);
  }
  return { pixels, inverted, empty: !pixels.some((v) => v > 0) };
}
