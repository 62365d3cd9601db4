// training.js: the worker's training slice loop and its controls (stop, pause, resume, +1 epoch).
// py_nn's fit_steps runs in slices of about SLICE_MS, then yields to the worker's event loop, so
// "stop" and "predict" are answered while it trains (no SharedArrayBuffer needed).

import { UserError, errorText, stripPythonType, yieldToEventLoop } from './util.js';
import { call, callJson, memory, post } from './context.js';
import { ensureData } from './datasets.js';

const SLICE_MS = 25; // training runs in slices of about this long, then yields
const PROGRESS_EVERY_MS = 250; // at most ~4 batch-progress messages per second (+ every epoch end)

let training = null; // {stopRequested, paused, wake, pauseAtEpoch, epochsDone} while a fit runs

export const isTraining = () => training !== null;

const progress = (id, payload) => post({ id, type: 'progress', payload });

function wake() {
  if (training && training.wake) training.wake();
}

/** A fit whose code failed: a result (not an error) carrying the code's {message, line} and output. */
function codeFailed({ error, output }) {
  return { committed: false, stopped: false, batches: 0, history: null, codeError: error, output: output || '' };
}

/** The fit settings without the code (a model keeps its code once, in metadata.code). */
function settingsOf(cfg) {
  const { code, ...rest } = cfg;
  return code == null ? rest : { ...rest, withCode: true };
}

/** Wait while paused; report the pause and the resume. */
async function waitWhilePaused(id, t0) {
  const elapsed = () => Math.round(performance.now() - t0);
  progress(id, { paused: true, batch: null, epochs: [], elapsedMs: elapsed() });
  await new Promise((resolve) => (training.wake = resolve));
  training.wake = null;
  if (!training.paused) progress(id, { paused: false, batch: null, epochs: [], elapsedMs: elapsed() });
}

/** The `fit` request: train in slices until done or stopped; the result of WorkerState.fit_finish. */
export async function fit(id, payload) {
  if (training) {
    throw new UserError('A training run is already in progress: wait for it to finish or press Stop first.', 'busy');
  }
  const cfg = payload.config;
  training = { stopRequested: false, paused: false, wake: null, pauseAtEpoch: null, epochsDone: 0 };
  const t0 = performance.now();
  let lastSent = 0;
  let done = false;
  try {
    // the run's samples first (shards fetched if missing): Stop and Pause already count meanwhile
    await ensureData('fit', payload, (p) => progress(id, p));
    const mine = payload.mine && payload.mine.labels instanceof Uint8Array ? payload.mine : null;
    const started = callJson('fit_start', JSON.stringify(cfg), mine ? mine.images : null, mine ? mine.labels : null);
    if (started.error) return codeFailed(started); // the code did not run: nothing was trained
    progress(id, { started, batch: null, epochs: [], elapsedMs: 0, output: started.output || '' });
    while (!done && !training.stopRequested) {
      if (training.paused) {
        await waitWhilePaused(id, t0);
        continue;
      }
      const slice = callJson('fit_slice', SLICE_MS);
      if (slice.error) {
        call('fit_abort'); // the learner's code failed in a step: the active model stays
        return codeFailed(slice);
      }
      training.epochsDone += slice.epochs.length;
      if (training.pauseAtEpoch !== null && training.epochsDone >= training.pauseAtEpoch) {
        training.pauseAtEpoch = null;
        training.paused = true;
      }
      const now = performance.now();
      done = slice.done;
      if (slice.epochs.length || done || slice.output || now - lastSent >= PROGRESS_EVERY_MS) {
        lastSent = now;
        progress(id, { batch: slice.batch, epochs: slice.epochs, elapsedMs: Math.round(now - t0), output: slice.output || '' });
      }
      if (!done) await yieldToEventLoop();
    }
    const stopped = !done;
    const metadata = {
      name: payload.name || 'Trained model',
      trainedAt: new Date().toISOString(),
      training: { ...settingsOf(cfg), stopped, seconds: Math.round(performance.now() - t0) / 1000 },
    };
    const result = callJson('fit_finish', stopped, JSON.stringify(metadata));
    result.elapsedMs = Math.round(performance.now() - t0);
    result.memory = memory(); // the run's peak WebAssembly memory (it never shrinks)
    return result;
  } catch (err) {
    call('fit_abort'); // the active model stays
    if (err instanceof UserError && (err.kind === 'data' || err.kind === 'invalid-options')) throw err; // names its file or option
    throw new UserError(`Training failed: ${stripPythonType(errorText(err))}. The active model is unchanged.`, 'fit');
  } finally {
    training = null;
  }
}

/** The run controls: each answers at once, the slice loop acts on it between slices. */
export const runControls = {
  async stop() {
    if (!training) return { stopping: false };
    training.stopRequested = true;
    wake();
    return { stopping: true };
  },
  pause() {
    if (!training) return { paused: false };
    training.paused = true;
    return { paused: true, epochsDone: training.epochsDone };
  },
  resume() {
    if (!training) return { paused: false };
    training.paused = false;
    training.pauseAtEpoch = null;
    wake();
    return { paused: false };
  },
  step() {
    if (!training) return { stepping: false };
    training.pauseAtEpoch = training.epochsDone + 1;
    training.paused = false;
    wake();
    return { stepping: true, untilEpoch: training.pauseAtEpoch };
  },
};
