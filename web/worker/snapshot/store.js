// store.js: where the worker keeps the start-up snapshot (capture.js makes and restores
// it): one file per build in the Origin Private File System, `pynn-snapshots/<build_id>.snapshot`.
// Every function here fails quietly (null, or a state with the reason): without OPFS, with a full
// disk, a lock held by another tab or a damaged file, the page simply starts the normal way.
// Worker only.
//
//   openSnapshot(buildId)   -> {parsed: Promise, discard()} | null   (deletes other builds' files)
//   recorder()              -> the start-up hooks for a first visit (null if OPFS is unavailable)
//   saveInBackground(...)   -> writes a captured snapshot after Ready, in slices, never for long;
//                              {state: "saved", bytes} or {state: "none", error, bytes: 0}

import { startRecording, capture, captureOptions } from './capture.js';
import { checksum, pack, parse } from './format.js';

export const DIR = 'pynn-snapshots';
const SUFFIX = '.snapshot';
const CHUNK = 2 << 20; // bytes written per slice (a few ms), so requests are answered in between
const SAVE_DELAY_MS = 300; // let the first drawings after Ready go first

const warn = (...args) => console.info('[pynn snapshot]', ...args); // info: not a page problem

async function folder(create = false) {
  if (!globalThis.navigator || !navigator.storage || !navigator.storage.getDirectory) return null;
  const root = await navigator.storage.getDirectory();
  try {
    return await root.getDirectoryHandle(DIR, { create });
  } catch (_) {
    return null;
  }
}

async function removeQuietly(dir, name) {
  try {
    await dir.removeEntry(name);
  } catch (_) { /* locked by another tab, or already gone */ }
}

/** Read a whole file: a sync access handle (fastest, exclusive), else the File. */
async function readAll(handle) {
  let access = null;
  try {
    access = await handle.createSyncAccessHandle();
  } catch (_) { /* another tab reads or writes it: use the File */ }
  if (!access) return new Uint8Array(await (await handle.getFile()).arrayBuffer());
  try {
    const bytes = new Uint8Array(access.getSize());
    if (access.read(bytes, { at: 0 }) !== bytes.length) throw new Error('short read');
    return bytes;
  } finally {
    access.close();
  }
}

/**
 * The snapshot of this build, if there is one: {parsed (a Promise: read and checked), discard()}.
 * Deletes other builds' snapshots. The read runs while Pyodide's own files load.
 */
export async function openSnapshot(buildId) {
  try {
    const dir = await folder();
    if (!dir) return null;
    const mine = `${buildId}${SUFFIX}`;
    let handle = null;
    for await (const [name, entry] of dir.entries()) {
      if (name === mine && entry.kind === 'file') handle = entry;
      else if (!name.startsWith(`${buildId}.`)) await removeQuietly(dir, name); // an older build's
    }
    if (!handle) return null;
    const ms = {};
    const parsed = (async () => {
      const t0 = performance.now();
      const bytes = await readAll(handle);
      const t1 = performance.now();
      const out = parse(bytes, { buildId });
      Object.assign(ms, { read: Math.round(t1 - t0), check: Math.round(performance.now() - t1), size: bytes.length });
      return out;
    })();
    parsed.catch(() => {}); // the restore reports it
    return { parsed, discard: () => removeQuietly(dir, mine), ms };
  } catch (err) {
    warn(`not read: ${err.message}`);
    return null;
  }
}

/** Hooks for a first visit: loadPyodide options and the recorder of numpy's libraries. */
export function recorder() {
  if (!globalThis.navigator || !navigator.storage || !navigator.storage.getDirectory) return null;
  let recording = null;
  return {
    options: captureOptions(),
    start(pyodide) {
      try {
        recording = startRecording(pyodide);
      } catch (err) {
        warn(`not recording: ${err.message}`);
      }
    },
    stop() {
      if (recording) recording.stop();
    },
    /** Capture now (synchronous, tens of ms); null if it cannot be done. */
    capture(pyodide, buildId, dirs) {
      if (!recording) return null;
      recording.stop();
      try {
        return capture(pyodide, recording, { buildId, dirs });
      } catch (err) {
        warn(`not captured: ${err.message}`);
        return null;
      } finally {
        recording = null;
      }
    },
  };
}

const pause = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** Write `parts` into `file` through a createWritable() stream (committed on close), in slices. */
async function writeParts(file, parts) {
  const stream = await file.createWritable();
  try {
    for (const part of parts) {
      for (let i = 0; i < part.length; i += CHUNK) {
        // a copy of exactly this slice: WebKit's write(view) writes the view's whole buffer
        await stream.write(part.slice(i, Math.min(i + CHUNK, part.length)));
        await pause(0);
      }
    }
    await stream.close();
  } catch (err) {
    await stream.abort().catch(() => {});
    throw err;
  }
}

/** Read `file` back and check its size and the format's checksum; throws the reason if not right. */
async function verify(file, size) {
  const bytes = new Uint8Array(await (await file.getFile()).arrayBuffer());
  if (bytes.length !== size) throw new Error(`read back ${bytes.length} bytes, wrote ${size}`);
  const stored = new DataView(bytes.buffer).getUint32(12, true);
  if (checksum([bytes.subarray(16)]) !== stored) throw new Error('read back a damaged file (checksum mismatch)');
}

/**
 * Pack and write `captured` to OPFS after a short delay, in slices; read it back and check it
 * before it is renamed into place. Resolves (never rejects) to {state: "saved", bytes} or
 * {state: "none", error, bytes: 0} with the reason it was not saved (a partial file is deleted).
 */
export async function saveInBackground(captured, buildId) {
  const name = `${buildId}${SUFFIX}`;
  const temp = `${buildId}.partial`;
  let dir = null;
  try {
    await pause(SAVE_DELAY_MS);
    const { parts, size } = await pack(captured.header, captured.memory, captured.contents, () => pause(0));
    captured.memory = null;
    captured.contents = null;
    dir = await folder(true);
    if (!dir) throw new Error('no snapshot folder in the origin private file system');
    const { quota, usage } = navigator.storage.estimate ? await navigator.storage.estimate() : {};
    if (quota && usage !== undefined && quota - usage < size * 1.2) {
      throw new Error(`${size} bytes needed, ${quota - usage} free`);
    }
    const file = await dir.getFileHandle(temp, { create: true });
    await writeParts(file, parts);
    await verify(file, size);
    await removeQuietly(dir, name);
    await file.move(dir, name); // move(name) alone is missing in WebKit
    return { state: 'saved', bytes: size };
  } catch (err) {
    const error = `not saved: ${err && err.message}`;
    warn(error);
    if (dir) await removeQuietly(dir, temp);
    return { state: 'none', error, bytes: 0 };
  } finally {
    captured.memory = null; // free the ~50 MB
    captured.contents = null;
  }
}
