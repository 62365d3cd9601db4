// step/arrays.js: the arrays of "One step by hand" as the page uses them. The worker sends each
// array as {shape, dtype: "float32" | "float64", data: base64 of the little-endian values}, or,
// when large, as {shape, dtype, ref, summary: {min, max, mean, std, absMax}} (the whole array on
// request: explainArray(ref)); numbers JSON cannot hold come as "NaN", "Infinity", "-Infinity".
// Pure: no DOM, no worker; tested by tests/web/step-arrays.test.mjs.

const TYPES = { float32: [Float32Array, 4], float64: [Float64Array, 8] };
const LITTLE = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1; // this machine's byte order

/** A number the worker sent as text ("NaN", "Infinity", "-Infinity") as a number; others as they are. */
export const toNumber = (v) => (typeof v === 'string' && /^(-?Infinity|NaN)$/.test(v) ? Number(v) : v);

/** Bytes of a base64 string (atob: in browsers, workers and Node >= 16). */
function base64Bytes(text) {
  const raw = atob(text);
  const out = new Uint8Array(raw.length);
  for (let i = 0; i < raw.length; i++) out[i] = raw.charCodeAt(i);
  return out;
}

/** One {shape, dtype, data} block -> a Float32Array / Float64Array with `.shape` (an array of ints). */
export function decodeBlock(block) {
  const kind = TYPES[block && block.dtype];
  if (!kind || typeof block.data !== 'string' || !Array.isArray(block.shape)) {
    throw new Error(`expected an array block {shape, dtype: "float32" | "float64", data: base64}; got ${JSON.stringify(block && { shape: block.shape, dtype: block.dtype })}.`);
  }
  const [Typed, size] = kind;
  const bytes = base64Bytes(block.data);
  const count = block.shape.reduce((a, b) => a * b, 1);
  if (bytes.length !== count * size) {
    throw new Error(`an array of shape (${block.shape.join(', ')}) needs ${count * size} bytes of ${block.dtype}; got ${bytes.length}.`);
  }
  let out;
  if (LITTLE) out = new Typed(bytes.buffer);
  else {
    out = new Typed(count);
    const view = new DataView(bytes.buffer);
    for (let i = 0; i < count; i++) out[i] = size === 4 ? view.getFloat32(i * 4, true) : view.getFloat64(i * 8, true);
  }
  out.shape = block.shape.slice();
  return out;
}

/** Is `v` a summarized array (sent as a summary and a ref, whole only on request)? */
export const isSummary = (v) => !!v && typeof v === 'object' && typeof v.ref === 'string' && Array.isArray(v.shape);

/**
 * The worker's step result with every array block decoded (a typed array with `.shape`) and every
 * number-as-text a number. A summarized array keeps {shape, dtype, ref, summary}; `tag(ref)` may
 * rewrite its ref (the session marks which step it belongs to).
 */
export function decodeStep(value, tag = (ref) => ref) {
  if (Array.isArray(value)) return value.map((v) => decodeStep(v, tag));
  if (value === null || typeof value !== 'object') return toNumber(value);
  if (typeof value.data === 'string' && value.dtype in TYPES) return decodeBlock(value);
  if (isSummary(value)) {
    const summary = Object.fromEntries(Object.entries(value.summary || {}).map(([k, v]) => [k, toNumber(v)]));
    return { shape: value.shape.slice(), dtype: value.dtype, ref: tag(value.ref), summary };
  }
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, decodeStep(v, tag)]));
}

/** "(1, 784)": a shape as the seed article writes it. */
export const shapeText = (shape) => `(${shape.join(', ')}${shape.length === 1 ? ',' : ''})`;

/** Row `r` of a 2-D (or (1, ...) leading) typed array of shape (rows, cols), as a subarray. */
export function row(array, r = 0) {
  const cols = array.shape[array.shape.length - 1];
  return array.subarray(r * cols, (r + 1) * cols);
}

/** Column `j` of a (rows, cols) typed array, as a new array of the same type (e.g. one unit's weights). */
export function column(array, j) {
  const [rows, cols] = array.shape;
  const out = new array.constructor(rows);
  for (let i = 0; i < rows; i++) out[i] = array[i * cols + j];
  return out;
}

/** Indices 0..n-1 ordered by |values| descending (ties by index): units an example moved most first. */
export function byMagnitude(values) {
  return Array.from({ length: values.length }, (_, i) => i).sort((a, b) => Math.abs(values[b]) - Math.abs(values[a]) || a - b);
}

/** The page `page` (0-based) of `items`, `size` per page: {items, page, pages}. */
export function pageOf(items, page, size) {
  const pages = Math.max(1, Math.ceil(items.length / size));
  const p = Math.max(0, Math.min(pages - 1, page));
  return { items: items.slice(p * size, (p + 1) * size), page: p, pages };
}
