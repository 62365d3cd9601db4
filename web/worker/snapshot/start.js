// start.js: the worker's start-up with a snapshot (capture.js): restore the one of an
// earlier visit of this build, or start normally, capture one right after the worker's Python is imported
// and write it after Ready. The worker passes its own stages; this module only orders them.

import { openSnapshot, recorder, saveInBackground } from './store.js';
import { restore } from './restore.js';

/**
 * runtime → packages + py_nn (`install`) → the worker's Python (`importPython`), or runtime (restored) → the worker's Python. A snapshot that
 * fails in any way is deleted (`reset()` forgets the half-started Python) and the normal start
 * runs. Returns {how: "restored" | "saving" | "none", discard(), saved?, error?}: "saving" means
 * captured (tens of ms) and being written in the background after the init reply; `saved` resolves
 * to {state: "saved" | "none", error?} once it is written and read back (or could not be).
 *   runtime(start): the worker's runtime stage, starting Pyodide with start(loadPyodide, options)
 */
export async function startPython({ buildId, dirs, timed, stages, runtime, install, importPython, reset, current }) {
  const snapshot = buildId ? await timed('snapshotRead', () => openSnapshot(buildId)) : null;
  if (snapshot) {
    try {
      await timed('runtime', () => runtime((load, options) => restore(load, snapshot.parsed, options)));
      await timed('bridge', importPython);
      Object.assign(stages, { snapshotRestore: restore.ms, snapshotRead: snapshot.ms });
      return { how: 'restored', discard: snapshot.discard };
    } catch (err) {
      console.info('[pynn snapshot] restore failed, starting normally:', err && err.message);
      await snapshot.discard();
      reset();
    }
  }
  const rec = buildId ? recorder() : null;
  try {
    await timed('runtime', () => runtime(async (load, options) => {
      const started = await load(rec ? { ...options, ...rec.options } : options);
      if (rec) rec.start(started);
      return started;
    }));
    await install();
  } finally {
    if (rec) rec.stop();
  }
  await timed('bridge', importPython);
  const captured = rec && await timed('snapshotCapture', async () => rec.capture(current(), buildId, dirs));
  const discard = async () => {};
  if (!captured) {
    const error = !buildId ? 'build.json has no build_id' : rec ? 'the start-up could not be captured (see the console)'
      : 'this browser has no Origin Private File System (navigator.storage.getDirectory)';
    return { how: 'none', error, discard };
  }
  const saved = new Promise((resolve) => setTimeout(resolve, 0)) // after the init reply
    .then(() => saveInBackground(captured, buildId)); // {state: "saved" | "none", error?, bytes}: it never rejects
  return { how: 'saving', saved, discard };
}
