// datasets/zip.js: reading and writing zips with fflate (pinned, self-hosted as vendor/fflate.mjs,
// loaded on first use), within the limits: the sizes the zip declares are checked before anything
// is inflated, and inflating stops as soon as the files pass what they declared or the limit.

import { LIMITS, zipLayout } from './rules.js';

let fflate = null;
const CHUNK = 16384; // bytes of the zip pushed at a time: bounds what one push can inflate

/** fflate's module, imported once from the site's vendor/ folder. */
export function loadFflate(url = new URL('../../vendor/fflate.mjs', import.meta.url)) {
  if (!fflate) {
    fflate = import(url.href).catch((err) => {
      fflate = null;
      throw new Error(`The zip library (${url.pathname}) did not load (${err.message}); if you are offline, try again online, otherwise rebuild the site with "python3 build.py".`);
    });
  }
  return fflate;
}

const damaged = (err) => new Error(`This zip is damaged or not a zip (${String(err && err.message || err).replace(/\.$/, '')}); nothing was imported. Make it again, e.g. with your system's "compress" command.`);

/**
 * The zip's entries as its central directory declares them, nothing inflated:
 * [{name, size, originalSize, compression}]. Throws a clear error for a damaged zip.
 */
export function listZip(bytes, ff) {
  const entries = [];
  try {
    ff.unzipSync(bytes, { filter: (f) => void entries.push(f) }); // filter returns undefined: inflate none
  } catch (err) {
    throw damaged(err);
  }
  return entries;
}

/**
 * Inflate the files `wanted` (a Set of names) of a zip, counting bytes as they come out.
 * `declared` maps a name to its declared size. -> Map name -> Uint8Array. Throws (and stops
 * inflating) when a file gives more than it declared or all of them pass LIMITS.unzippedBytes.
 */
export function inflateZip(bytes, ff, wanted, declared, limit = LIMITS.unzippedBytes) {
  const out = new Map();
  let total = 0;
  let stop = null;
  const unzip = new ff.Unzip((file) => {
    if (!wanted.has(file.name) || out.has(file.name)) return;
    const chunks = [];
    let size = 0;
    file.ondata = (err, data, final) => {
      if (stop) throw stop;
      if (err) throw damaged(err);
      size += data.length;
      total += data.length;
      if (size > (declared.get(file.name) ?? 0) || total > limit) {
        stop = new Error(total > limit
          ? `This zip expands past ${(limit / 1e6).toFixed(1)} MB, the most the page reads; unpacking stopped and nothing was imported. Zip a smaller part of the data.`
          : `This zip is damaged: ${JSON.stringify(file.name)} expands past the size it declares (${declared.get(file.name)} bytes); unpacking stopped and nothing was imported.`);
        file.terminate();
        throw stop;
      }
      chunks.push(data);
      if (final) out.set(file.name, concat(chunks, size));
    };
    file.start();
  });
  unzip.register(ff.UnzipInflate);
  try {
    for (let i = 0; i < bytes.length; i += CHUNK) unzip.push(bytes.subarray(i, i + CHUNK), i + CHUNK >= bytes.length);
  } catch (err) {
    throw stop || damaged(err);
  }
  const missing = [...wanted].filter((n) => !out.has(n));
  if (missing.length) throw damaged(new Error(`${missing.length} file(s) could not be read, e.g. ${JSON.stringify(missing[0])}`));
  return out;
}

function concat(chunks, size) {
  if (chunks.length === 1) return chunks[0];
  const all = new Uint8Array(size);
  let at = 0;
  for (const c of chunks) {
    all.set(c, at);
    at += c.length;
  }
  return all;
}

/**
 * Read a zip of class folders: its layout (rules.js's zipLayout) from the declared entries, then
 * the image files and dataset.json inflated. -> {layout, files: Map name -> bytes, meta: object | null}.
 */
export function readZip(bytes, ff) {
  const entries = listZip(bytes, ff);
  const declared = new Map(entries.map((e) => [e.name, e.originalSize]));
  let meta = null;
  const metaName = entries.find((e) => /(^|\/)dataset\.json$/.test(e.name) && e.originalSize < 1e6);
  if (metaName) {
    try {
      const text = new TextDecoder().decode(inflateZip(bytes, ff, new Set([metaName.name]), declared).get(metaName.name));
      meta = JSON.parse(text);
    } catch (_) {
      meta = null; // a damaged dataset.json only loses the class order and licence
    }
  }
  const classes = meta && Array.isArray(meta.classes) ? meta.classes.map(String) : null;
  const layout = zipLayout(entries, { classes });
  const files = inflateZip(bytes, ff, new Set(layout.files.map((f) => f.name)), declared);
  return { layout, files, meta };
}
