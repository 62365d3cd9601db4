// page-session.js: the page's state around the Python worker: start-up and Retry, the active model, the
// one "training" flag, the rules for what is restored and kept, every storage write, and the
// events the panels listen to. No DOM: panels render, the session decides.
//
// Events (an EventTarget; `event.detail` as shown):
//   facts     build.json, once it is read (shape, default model, build id)
//   status    {state: "loading" | "ready" | "error", stage?, text, file?}   (error: Retry is possible)
//   active    the active model {name, kind: "default" | "saved" | "unsaved", layers, params, accuracy,
//             dataset (its data set's id), classes (its class names)}
//   models    {} the saved models changed (here or in another tab)
//   training  {running, paused?}
//   prediction {label, probabilities} the Draw panel's latest prediction (an embedding host hears it)
//   notice    {text, kind} something the person must know that no call returned (a model that
//             could not be restored, a model replaced from another tab, a stray worker error)
//   restarted {text} Stop ended a worker that did not answer (code in an endless loop) and
//             a new one runs with the model that was active (session-code.js)

import { createRpc } from './rpc.js';
import { takeEarlyWorker } from './boot.js';
import { codeMethods, STOP_WAIT_MS } from './session-code.js';
import { insideMethods } from './session-inside.js';
import { progressEvents } from './fit-progress.js';
import { modelMethods, clause } from './session-models.js';
import { stepMethods } from './step/session.js';
import { datasetMethods } from './session-datasets.js';
import { DEFAULT_DATASET, builtInDataset, pixelShape } from '../shared/datasets.js';

// the kernel that really runs (init's `kernelVariant`), as the status line names it
const KERNELS = { 'relaxed-simd': 'WebAssembly SIMD kernel, relaxed (fused multiply-add)', simd: 'WebAssembly SIMD kernel', numpy: 'NumPy kernel (no SIMD)' };


export class PageSession extends EventTarget {
  /**
   * createWorker: () => Worker (called on the first request and on Retry);
   * store: storage.js's createModelStore(); loadFacts: () => Promise<build.json object>.
   */
  constructor({ createWorker, store, loadFacts }) {
    super();
    this.store = store;
    this.loadFacts = loadFacts;
    // the first start uses the worker boot.js created at the top of the page, if there is one
    this.rpc = createRpc(() => takeEarlyWorker() || createWorker(), {
      onFatal: (err) => this.#failed(err),
      onStray: (err) => this.notice(err.message, 'error'),
      onEvent: (type, payload) => {
        if (type === 'snapshot') this.#snapshotWritten(payload);
      },
    });
    this.facts = null; // build.json
    this.state = 'idle';
    this.active = null;
    this.training = false; // the page's one flag for "a fit is running"
    this.paused = false; // the running fit is paused (Pause, or +1 epoch reached its epoch)
    this.lastFit = null; // the last fit's config (for +1 epoch after a run)
    this.broken = new Map(); // saved models that from_json rejected during this visit: name -> reason
    this.activeText = null; // the stored text of the active saved model (to notice another tab replacing it)
    this.startup = null;
    this.stages = null; // the last start's stages (init's `stages`), updated when the snapshot is written
    this.ownDatasets = null; // a person's data sets: {get(id), list()} (session-datasets.js)
    this.ownShapes = new Map(); // their shapes, once listed or resolved: id -> shape
    this.#resetSnapshot();
  }

  // --- the start-up snapshot for the next visit ----------------------------------------------------

  /** A new promise for this start's snapshot (`snapshotSaved`): {state: "restored" | "saved" | "none", error?}. */
  #resetSnapshot() {
    if (this.#resolveSnapshot) this.#resolveSnapshot({ state: 'none', error: 'the Python worker was restarted' });
    this.snapshotSaved = new Promise((resolve) => { this.#resolveSnapshot = resolve; });
  }

  #resolveSnapshot = null;

  /** The worker's "snapshot" event: written and read back ("saved"), or not ("none" + error). */
  #snapshotWritten(result) {
    const state = result && result.state === 'saved' ? 'saved' : 'none';
    const out = { state, ...(result && result.error ? { error: String(result.error) } : {}), ...(result && result.bytes ? { bytes: result.bytes } : {}) };
    if (this.stages) {
      this.stages.snapshot = state;
      if (out.error) this.stages.snapshotError = out.error;
    }
    this.#resolveSnapshot(out);
    this.emit('snapshot', out);
  }

  /** At Ready: a start that will not write a snapshot settles `snapshotSaved` at once. */
  #snapshotAtReady(stages) {
    this.stages = stages;
    if (stages.snapshot === 'saving') return;
    const out = { state: stages.snapshot === 'restored' ? 'restored' : 'none' };
    if (stages.snapshotError) out.error = stages.snapshotError;
    this.#resolveSnapshot(out);
    this.emit('snapshot', out);
  }

  emit(type, detail) {
    this.dispatchEvent(new CustomEvent(type, { detail }));
  }

  /** A message for the page: `text` in English, and the catalog's `key` and `params` when it has one. */
  notice(text, kind = 'info', key = null, params = null) {
    this.emit('notice', { text, kind, key, params });
  }

  #status(state, detail) {
    this.state = state;
    this.emit('status', { state, ...detail });
  }

  setActive(next, storedText = null) {
    this.active = next;
    this.activeText = next && next.kind === 'saved' ? storedText : null;
    this.emit('active', { ...next });
  }

  #setTraining(running) {
    this.training = running;
    this.emit('training', { running });
  }

  #failed(err) {
    this.#status('error', { text: `Error: ${err.message}`, file: err.file || null });
  }

  /** The shape of the active model's data set ({side, inputs, classes, train, test}). */
  get shape() {
    return this.facts ? this.shapeOf(this.datasetId) || this.shapeOf(DEFAULT_DATASET) : null;
  }

  /** The pixels every data set shares: {side, inputs}. */
  get pixels() {
    return this.facts ? pixelShape(this.facts) : null;
  }

  // --- start-up and Retry ------------------------------------------------------------------------

  /** Start once (later calls return the same promise): build.json, then the worker's init. */
  start() {
    if (!this.startup) {
      this.startup = this.#start();
      this.startup.catch(() => {}); // the page shows the error through the "status" event
    }
    return this.startup;
  }

  /** Terminate the worker and start again (after a start-up failure or a dead worker). */
  retry() {
    if (this.state === 'loading' && this.startup) return this.startup;
    this.rpc.restart('The Python worker was restarted.');
    this.startup = null;
    this.#resetSnapshot();
    return this.start();
  }

  async #start() {
    this.#status('loading', { stage: 'start', text: 'Loading Pyodide…', key: 'status.stages.runtime' });
    try {
      if (!this.facts) {
        this.facts = await this.loadFacts();
        this.emit('facts', this.facts);
      }
      const candidate = this.restoreCandidate();
      const restore = candidate && candidate.json ? { json: candidate.json } : null;
      const res = await this.rpc.call('init', { restore }, {
        onProgress: (p) => this.#status('loading', { stage: p.stage, text: p.text, key: `status.stages.${p.stage}` }),
      });
      this.#adoptStart(res, candidate);
      this.#snapshotAtReady(res.stages);
      const seconds = (res.startupMs / 1000).toFixed(1);
      const kernel = KERNELS[res.kernelVariant] ? { key: `status.kernels.${res.kernelVariant}` } : { key: 'status.kernelNamed', params: { kernel: res.kernel } };
      this.#status('ready', {
        text: `Ready: py_nn ${res.version} in Pyodide ${this.facts.pyodide}, ${KERNELS[res.kernelVariant] || `${res.kernel} kernel`} (started in ${seconds} s)`,
        key: 'status.ready', params: { version: res.version, pyodide: this.facts.pyodide, kernel, seconds: { num: res.startupMs / 1000, digits: 1 } },
      });
      this.emit('models', {});
      return { version: res.version, model: { ...this.active }, build: this.facts, data: res.data, startupMs: res.startupMs, stages: res.stages, kernel: res.kernel, kernelVariant: res.kernelVariant };
    } catch (err) {
      if (this.state !== 'error') this.#failed(err);
      throw err;
    }
  }

  #adoptStart(res, candidate) {
    if (res.source === 'restored') {
      const stored = candidate.kind === 'saved' ? candidate.json : null;
      this.setActive({ ...this.describe(res.info, candidate.name, candidate.kind), inSlot: candidate.kind === 'unsaved' }, stored);
      return;
    }
    this.setActive(this.describe(res.info, 'Default model', 'default'));
    const problem = res.restoreError || (candidate && candidate.error);
    if (candidate && problem) {
      if (candidate.kind === 'saved') this.broken.set(candidate.name, clause(problem));
      this.store.setLast({ kind: 'default' });
      this.notice(
        `Could not restore the last model "${candidate.label}": ${clause(problem)}. The default model is active; ` +
          'nothing was deleted and your other saved models are untouched.',
        'error', 'models.restoreFailed', { name: candidate.label, detail: clause(problem) }
      );
    }
  }

  describe(info, name, kind) {
    const md = (info && info.metadata) || {};
    let accuracy = typeof md.test_accuracy === 'number' ? md.test_accuracy : null;
    const dm = this.facts && this.facts.default_model;
    if (kind === 'default' && dm && typeof dm.test_accuracy === 'number') accuracy = dm.test_accuracy;
    // the worker always names the data set (a model file without one is MNIST's)
    const named = md.dataset || { id: DEFAULT_DATASET };
    const entry = builtInDataset(this.facts, named.id);
    const classes = entry ? entry.classes : named.classes;
    return { name, kind, layers: info.layers, params: info.params, accuracy, dataset: named.id, classes: [...classes], fingerprint: info.fingerprint || null };
  }

  // --- the network -------------------------------------------------------------------------------

  /** pixels: Float32Array(shape.inputs), checked by the caller; its buffer is transferred. */
  async predict(pixels) {
    await this.start();
    const res = await this.rpc.call('predict', { pixels }, { transfer: [pixels.buffer] });
    return { label: res.label, className: this.active.classes[res.label], probabilities: res.probabilities };
  }

  async evaluate() {
    await this.start();
    return this.rpc.call('evaluate', {});
  }

  /** Train with a config from fit-options.validateFitConfig; the result as documented for pynn.fit. */
  async fit(config, onProgress, { mine = null } = {}) {
    await this.start();
    if (this.training) throw new Error('A training run is already in progress: wait for it to finish or call stop() first.');
    this.#setTraining(true);
    this.lastFit = { ...config };
    const events = progressEvents(config, onProgress);
    const watch = (p) => {
      if (typeof p.paused === 'boolean') this.#setPaused(p.paused);
      if (events) events(p);
    };
    try {
      const named = config.code != null ? 'Trained with code' : config.continueTraining ? 'Continued model' : 'Trained model';
      const data = await this.resolveDataset(config.dataset || this.datasetId);
      const payload = { config: { ...config, dataset: data.id }, name: named };
      const transfer = [];
      if (data.payload) {
        payload.dataset = data.payload;
        for (const s of [data.payload.train, data.payload.test]) transfer.push(s.images.buffer, s.labels.buffer);
      }
      if (mine && mine.labels.length) {
        payload.mine = mine;
        transfer.push(mine.images.buffer, mine.labels.buffer);
      }
      const res = await this.rpc.call('fit', payload, { onProgress: watch, transfer });
      if (res.codeError) throw this.codeError(res.codeError, res.output);
      const out = {
        history: res.history,
        stopped: res.stopped,
        committed: res.committed,
        batches: res.batches,
        elapsedMs: res.elapsedMs,
        memory: res.memory || null,
        evaluation: res.evaluation || null,
        before: res.before || null,
        after: res.after || null,
        oversample: res.oversample || 0,
        persisted: false,
      };
      if (res.committed) {
        const label = res.stopped ? `${named} (stopped, unsaved)` : `${named} (unsaved)`;
        this.setActive({ ...this.describe(res.info, label, 'unsaved'), accuracy: res.evaluation.accuracy });
        const { json } = await this.rpc.call('toJson', { metadata: { name: label } });
        Object.assign(out, this.keepUnsaved(json, label));
      }
      return out;
    } finally {
      this.paused = false;
      this.#setTraining(false);
    }
  }

  /** Stop a fit between batches, or a Check; a worker that does not answer within STOP_WAIT_MS
   * (code in an endless loop) is replaced and the active model restored (session-code.js). */
  async stop({ waitMs = STOP_WAIT_MS } = {}) {
    if (this.checking) return this.recover('Check was stopped');
    if (!this.training) return { stopping: false };
    let timer;
    const late = new Promise((resolve) => { timer = setTimeout(() => resolve(null), waitMs); });
    const answer = await Promise.race([this.rpc.call('stop', {}).catch(() => null), late]);
    clearTimeout(timer);
    return answer || this.recover('Training was stopped');
  }

  #setPaused(paused) {
    if (this.paused === paused) return;
    this.paused = paused;
    this.emit('training', { running: this.training, paused });
  }

  /** Pause the running fit between slices: {paused} (false when nothing runs). */
  async pause() {
    if (!this.training) return { paused: false };
    const res = await this.rpc.call('pause', {});
    if (res.paused) this.#setPaused(true);
    return res;
  }

  async resume() {
    if (!this.training) return { paused: false };
    const res = await this.rpc.call('resume', {});
    this.#setPaused(false);
    return res;
  }

  /** Paused run: train until one more epoch ends, then pause again: {stepping, untilEpoch}. */
  async step() {
    if (!this.training) return { stepping: false };
    const res = await this.rpc.call('step', {});
    this.#setPaused(false);
    return res;
  }
}

Object.assign(PageSession.prototype, codeMethods, insideMethods, modelMethods, stepMethods);
Object.defineProperties(PageSession.prototype, Object.getOwnPropertyDescriptors(datasetMethods)); // keeps its getter
