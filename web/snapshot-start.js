// snapshot-start.js: the worker's start-up with a snapshot (snapshot.js): restore the one of an
// earlier visit of this build, or start normally, capture one right after bridge.py is imported
// and write it after Ready. The worker passes its own stages; this module only orders them.

import { openSnapshot, recorder, saveInBackground } from './snapshot-store.js';
import { restore } from './snapshot-restore.js';

/**
 * runtime → packages + py_nn (`install`) → bridge, or runtime (restored) → bridge. A snapshot that
 * fails in any way is deleted (`reset()` forgets the half-started Python) and the normal start
 * runs. Returns {how: "restored" | "saved" | "none", discard()}: "saved" means captured (tens of
 * ms) and written in the background after the init reply; "none": no OPFS, or it could not.
 *   runtime(start): the worker's runtime stage, starting Pyodide with start(loadPyodide, options)
 */
export async function startPython({ buildId, dirs, timed, stages, runtime, install, bridge, reset, current }) {
  const snapshot = buildId ? await timed('snapshotRead', () => openSnapshot(buildId)) : null;
  if (snapshot) {
    try {
      await timed('runtime', () => runtime((load, options) => restore(load, snapshot.parsed, options)));
      await timed('bridge', bridge);
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
  await timed('bridge', bridge);
  const captured = rec && await timed('snapshotCapture', async () => rec.capture(current(), buildId, dirs));
  if (!captured) return { how: 'none', discard: async () => {} };
  setTimeout(() => saveInBackground(captured, buildId), 0); // after the init reply
  return { how: 'saved', discard: async () => {} };
}
