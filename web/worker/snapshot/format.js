// format.js: the bytes of a start-up snapshot file (see capture.js for what is in it):
// packing (in slices, after Ready), checking and unpacking. Pure: no Pyodide, no OPFS.
//
// Layout, every part starting on a 16-byte boundary:
//   "PYNNSNAP" | u32 header length | u32 checksum of everything after these 16 bytes
//   header JSON (format, buildId, libraries, table slots, GOT, files, memory layout)
//   memory: Pyodide's own snapshot header (`prefix` bytes), a bitmap of the 4 KiB heap pages that
//           are not all zero, then those pages (a third of a started heap is zeros)
//   files:  the kept files of Pyodide's file system, one after another

const MAGIC = 'PYNNSNAP';
export const FORMAT = 3;
const ALIGN = 16;
const PAGE = 4096;
const SLICE = 1 << 20; // bytes checked, scanned or copied between two yields (~1 ms)

export const pad = (n) => Math.ceil(n / ALIGN) * ALIGN;

/** An incremental 32-bit checksum over Uint8Arrays of whole 16-byte blocks, fed in order. */
export class Checksum {
  // Fletcher-style running sums in four lanes (word i goes to lane i % 4: four independent chains
  // of additions, ~4 ms for 38 MB once optimized). Not cryptographic: it finds a truncated,
  // shifted or damaged file, which is all a cache needs.
  constructor() {
    this.s = new Int32Array([1, 0, 0, 0, 0, 0, 0, 0]); // a0..a3, b0..b3
  }

  update(part) {
    if (part.byteLength % 16 || part.byteOffset % 4) throw new Error('checksum: parts must be 16-byte aligned');
    const w = new Uint32Array(part.buffer, part.byteOffset, part.byteLength / 4);
    const { s } = this;
    let [a0, a1, a2, a3, b0, b1, b2, b3] = s;
    for (let i = 0; i < w.length; i += 4) {
      a0 = (a0 + w[i]) | 0;
      b0 = (b0 + a0) | 0;
      a1 = (a1 + w[i + 1]) | 0;
      b1 = (b1 + a1) | 0;
      a2 = (a2 + w[i + 2]) | 0;
      b2 = (b2 + a2) | 0;
      a3 = (a3 + w[i + 3]) | 0;
      b3 = (b3 + a3) | 0;
    }
    s.set([a0, a1, a2, a3, b0, b1, b2, b3]);
    return this;
  }

  value() {
    let h = 0x811c9dc5;
    for (const v of this.s) h = Math.imul(h ^ v, 16777619);
    return h >>> 0;
  }
}

export const checksum = (parts) => parts.reduce((c, p) => c.update(p), new Checksum()).value();

const isZero = (words, from, to) => {
  for (let i = from; i < to; i++) if (words[i] !== 0) return false;
  return true;
};

/**
 * Build the file's parts from `header` (plain JSON data), Pyodide's memory snapshot `memory`
 * (prefix + heap) and `contents` (the files' bytes, in header.files order). Runs in slices,
 * awaiting `rest()` between them. Returns {parts, size}: Uint8Arrays to write in order (views of
 * `memory` where possible: nothing large is copied).
 */
export async function pack(header, memory, contents, rest = async () => {}) {
  const prefix = new DataView(memory.buffer, memory.byteOffset, 8).getUint32(4, true);
  const heap = memory.subarray(prefix);
  if (prefix % ALIGN || heap.length % PAGE) throw new Error('snapshot: unexpected memory layout');
  const pages = heap.length / PAGE;
  const bitmap = new Uint8Array(pad(Math.ceil(pages / 8)));
  const words = new Uint32Array(heap.buffer, heap.byteOffset, heap.length / 4);
  const runs = []; // [first page, page count] of non-zero pages
  for (let p = 0; p < pages; p++) {
    if (p % (SLICE / PAGE) === 0) await rest();
    if (isZero(words, (p * PAGE) / 4, ((p + 1) * PAGE) / 4)) continue;
    bitmap[p >> 3] |= 1 << (p & 7);
    const last = runs[runs.length - 1];
    if (last && last[0] + last[1] === p) last[1] += 1;
    else runs.push([p, 1]);
  }
  const pageParts = runs.map(([p, n]) => heap.subarray(p * PAGE, (p + n) * PAGE));
  const pageBytes = pageParts.reduce((n, part) => n + part.length, 0);
  const memoryLength = prefix + bitmap.length + pageBytes;
  const total = contents.reduce((n, data) => n + pad(data.length), 0);
  const blob = new Uint8Array(total); // the files, each padded: ~12 MB copied once, here
  let offset = 0;
  const files = [];
  let copied = 0;
  for (const [i, f] of header.files.entries()) {
    const data = contents[i];
    blob.set(data, offset);
    files.push({ ...f, offset: memoryLength + offset, length: data.length });
    offset += pad(data.length);
    copied += data.length;
    if (copied >= SLICE) {
      copied = 0;
      await rest();
    }
  }
  const json = new TextEncoder().encode(JSON.stringify({
    ...header, format: FORMAT, files, memory: { prefix, heap: heap.length, page: PAGE, bitmap: bitmap.length },
  }));
  const head = new Uint8Array(pad(16 + json.length));
  head.set(new TextEncoder().encode(MAGIC), 0);
  const view = new DataView(head.buffer);
  view.setUint32(8, json.length, true);
  head.set(json, 16);
  const parts = [head, memory.subarray(0, prefix), bitmap, ...pageParts, blob];
  const sum = new Checksum().update(head.subarray(16));
  for (const part of parts.slice(1)) {
    for (let i = 0; i < part.length; i += SLICE) {
      sum.update(part.subarray(i, Math.min(i + SLICE, part.length)));
      await rest();
    }
  }
  view.setUint32(12, sum.value(), true);
  return { parts, size: head.length + memoryLength + total };
}

/**
 * Check and unpack a file (a Uint8Array). Returns {header, memory (Pyodide's snapshot: prefix +
 * the whole heap), file(entry) -> its bytes}. Throws if it is damaged, of another format or, when
 * `buildId` is given, of another build.
 */
export function parse(bytes, { buildId } = {}) {
  if (bytes.length < 16 || new TextDecoder().decode(bytes.subarray(0, 8)) !== MAGIC) {
    throw new Error('snapshot: not a py_nn snapshot (bad magic)');
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const jsonLength = view.getUint32(8, true);
  if (16 + jsonLength > bytes.length || bytes.length % 16) throw new Error('snapshot: truncated');
  if (checksum([bytes.subarray(16)]) !== view.getUint32(12, true)) throw new Error('snapshot: checksum mismatch (damaged file)');
  const header = JSON.parse(new TextDecoder().decode(bytes.subarray(16, 16 + jsonLength)));
  if (header.format !== FORMAT) throw new Error(`snapshot: format ${header.format}, expected ${FORMAT}`);
  if (buildId !== undefined && header.buildId !== buildId) {
    throw new Error(`snapshot: made by build ${header.buildId}, this is build ${buildId}`);
  }
  const body = bytes.subarray(pad(16 + jsonLength));
  const { prefix, heap, page, bitmap: bitmapLength } = header.memory;
  const memory = new Uint8Array(prefix + heap);
  memory.set(body.subarray(0, prefix));
  const bitmap = body.subarray(prefix, prefix + bitmapLength);
  let at = prefix + bitmapLength;
  for (let p = 0; p < heap / page;) {
    if (!(bitmap[p >> 3] & (1 << (p & 7)))) {
      p += 1;
      continue;
    }
    let n = 1;
    while (p + n < heap / page && bitmap[(p + n) >> 3] & (1 << ((p + n) & 7))) n += 1;
    memory.set(body.subarray(at, at + n * page), prefix + p * page);
    at += n * page;
    p += n;
  }
  const file = (f) => body.subarray(f.offset, f.offset + f.length);
  return { header, memory, file };
}
