// session.js: the page's state around the Python worker: start-up and Retry, the active model, the
// one "training" flag, the rules for what is restored and kept, every storage write, and the
// events the panels listen to. No DOM: panels render, the session decides.
//
// Events (an EventTarget; `event.detail` as shown):
//   facts     build.json, once it is read (shape, default model, build id)
//   status    {state: "loading" | "ready" | "error", stage?, text, file?}   (error: Retry is possible)
//   active    the active model {name, kind: "default" | "saved" | "unsaved", layers, params, accuracy}
//   models    {} the saved models changed (here or in another tab)
//   training  {running, paused?}
//   notice    {text, kind} something the person must know that no call returned (a model that
//             could not be restored, a model replaced from another tab, a stray worker error)
//   restarted {text} Stop ended a worker that did not answer (code in an endless loop) and
//             a new one runs with the model that was active (session-code.js)

import { createRpc } from './rpc.js';
import { takeEarlyWorker } from './boot.js';
import { codeMethods, STOP_WAIT_MS } from './session-code.js';
import { insideMethods } from './session-inside.js';
import { progressEvents } from './fit-progress.js';
import { checkName, formatSize, MAX_NAME_LENGTH, MODEL_PREFIX, PREFIX } from './storage.js';

const MAX_IMPORT_CHARS = 50e6;
const SUFFIX_RE = /\s*\((unsaved|stopped, unsaved|deleted|replaced in another tab)\)$/;
const clause = (text) => String(text).replace(/[.\s]+$/, '');
const BUSY = 'Training is running: press Stop (or wait for it to finish) before';

export class Session extends EventTarget {
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
      onStray: (err) => this.#notice(err.message, 'error'),
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
  }

  #emit(type, detail) {
    this.dispatchEvent(new CustomEvent(type, { detail }));
  }

  #notice(text, kind = 'info') {
    this.#emit('notice', { text, kind });
  }

  #status(state, detail) {
    this.state = state;
    this.#emit('status', { state, ...detail });
  }

  #setActive(next, storedText = null) {
    this.active = next;
    this.activeText = next && next.kind === 'saved' ? storedText : null;
    this.#emit('active', { ...next });
  }

  #setTraining(running) {
    this.training = running;
    this.#emit('training', { running });
  }

  #failed(err) {
    this.#status('error', { text: `Error: ${err.message}`, file: err.file || null });
  }

  get shape() {
    return this.facts ? this.facts.shape : null;
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
    return this.start();
  }

  async #start() {
    this.#status('loading', { stage: 'start', text: 'Loading Pyodide…' });
    try {
      if (!this.facts) {
        this.facts = await this.loadFacts();
        this.#emit('facts', this.facts);
      }
      const candidate = this.#restoreCandidate();
      const restore = candidate && candidate.json ? { json: candidate.json } : null;
      const res = await this.rpc.call('init', { restore }, {
        onProgress: (p) => this.#status('loading', { stage: p.stage, text: p.text }),
      });
      this.#adoptStart(res, candidate);
      const seconds = (res.startupMs / 1000).toFixed(1);
      this.#status('ready', { text: `Ready: py_nn ${res.version} in Pyodide ${this.facts.pyodide}, ${res.kernel === 'simd' ? 'WebAssembly SIMD' : res.kernel} kernel (started in ${seconds} s)` });
      this.#emit('models', {});
      return { version: res.version, model: { ...this.active }, build: this.facts, data: res.data, startupMs: res.startupMs, stages: res.stages };
    } catch (err) {
      if (this.state !== 'error') this.#failed(err);
      throw err;
    }
  }

  #adoptStart(res, candidate) {
    if (res.source === 'restored') {
      const stored = candidate.kind === 'saved' ? candidate.json : null;
      this.#setActive({ ...this.#describe(res.info, candidate.name, candidate.kind), inSlot: candidate.kind === 'unsaved' }, stored);
      return;
    }
    this.#setActive(this.#describe(res.info, 'Default model', 'default'));
    const problem = res.restoreError || (candidate && candidate.error);
    if (candidate && problem) {
      if (candidate.kind === 'saved') this.broken.set(candidate.name, clause(problem));
      this.store.setLast({ kind: 'default' });
      this.#notice(
        `Could not restore the last model "${candidate.label}": ${clause(problem)}. The default model is active; ` +
          'nothing was deleted and your other saved models are untouched.',
        'error'
      );
    }
  }

  /** Which stored model to bring back: {json, name, kind, label} | {error, name, kind, label} | null. */
  #restoreCandidate() {
    try {
      const last = this.store.getLast();
      if (last.kind === 'saved') {
        if (!this.store.hasModel(last.name)) {
          return { error: `the saved model "${last.name}" no longer exists`, name: last.name, kind: 'saved', label: last.name };
        }
        return { json: this.store.readModel(last.name), name: last.name, kind: 'saved', label: last.name };
      }
      if (last.kind === 'unsaved') {
        const json = this.store.readUnsaved();
        if (json === null) return null;
        let name = 'Unsaved model';
        try {
          const md = JSON.parse(json).metadata;
          if (md && typeof md.name === 'string' && md.name) name = md.name;
        } catch (_) {
          /* the worker reports the real problem */
        }
        if (!/unsaved/i.test(name)) name = `${name} (unsaved)`;
        return { json, name, kind: 'unsaved', label: name };
      }
    } catch (_) {
      /* storage unavailable: start with the default model */
    }
    return null;
  }

  #describe(info, name, kind) {
    const md = (info && info.metadata) || {};
    let accuracy = typeof md.test_accuracy === 'number' ? md.test_accuracy : null;
    const dm = this.facts && this.facts.default_model;
    if (kind === 'default' && dm && typeof dm.test_accuracy === 'number') accuracy = dm.test_accuracy;
    return { name, kind, layers: info.layers, params: info.params, accuracy };
  }

  // --- the network -------------------------------------------------------------------------------

  /** pixels: Float32Array(shape.inputs), checked by the caller; its buffer is transferred. */
  async predict(pixels) {
    await this.start();
    return this.rpc.call('predict', { pixels }, { transfer: [pixels.buffer] });
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
      const payload = { config, name: named };
      const transfer = [];
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
        evaluation: res.evaluation || null,
        before: res.before || null,
        after: res.after || null,
        oversample: res.oversample || 0,
        persisted: false,
      };
      if (res.committed) {
        const label = res.stopped ? `${named} (stopped, unsaved)` : `${named} (unsaved)`;
        this.#setActive({ ...this.#describe(res.info, label, 'unsaved'), accuracy: res.evaluation.accuracy });
        const { json } = await this.rpc.call('toJson', { metadata: { name: label } });
        Object.assign(out, this.#keepUnsaved(json, label));
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
    this.#emit('training', { running: this.training, paused });
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

  // --- keeping models ------------------------------------------------------------------------------

  /** Keep the active, nameless model in the pynn.unsaved slot: {persisted, persistError?}. */
  #keepUnsaved(json, label) {
    try {
      this.store.saveUnsaved(json, label);
      this.store.setLast({ kind: 'unsaved' });
      this.active.inSlot = true;
      return { persisted: true };
    } catch (err) {
      const last = this.store.getLast();
      const next = last.kind === 'saved' ? `your saved model "${last.name}"`
        : last.kind === 'unsaved' ? 'the previously kept unsaved model' : 'the default model';
      const why = err.code === 'quota'
        ? `browser storage is full (it needs ${formatSize(json.length)}; this page already uses ${formatSize(this.usage())} of about 5 MB)`
        : clause(err.message);
      return {
        persisted: false,
        persistError:
          `"${label}" is active, but it cannot be kept for your next visit: ${why}. Nothing stored was changed; ` +
          `after a reload ${next} will be active. To keep this one, Export it, or delete a saved model and Save it.`,
      };
    }
  }

  async save(name) {
    const clean = checkName(name);
    await this.start();
    const metadata = { name: clean, savedAt: new Date().toISOString() };
    if (this.active && typeof this.active.accuracy === 'number') metadata.test_accuracy = this.active.accuracy;
    const { json } = await this.rpc.call('toJson', { metadata });
    const { replaced } = this.store.saveModel(clean, json); // throws (and changes nothing) when storage is full
    this.broken.delete(clean);
    this.store.setLast({ kind: 'saved', name: clean });
    if (this.active.inSlot) {
      try {
        this.store.clearUnsaved(); // this very model now lives under its name
      } catch (_) {
        /* the slot is only a spare copy */
      }
    }
    this.#setActive({ ...this.active, name: clean, kind: 'saved', inSlot: false, suggestedName: undefined }, json);
    this.#emit('models', {});
    return { name: clean, replaced, chars: json.length };
  }

  async load(name) {
    const clean = checkName(name);
    await this.start();
    if (this.training) throw new Error(`${BUSY} loading a model.`);
    const json = this.store.readModel(clean);
    let info;
    try {
      info = await this.rpc.call('loadJson', { json, trustCode: true }); // this browser's own model: its code may run
    } catch (err) {
      if (['fatal', 'busy', 'restarted', 'internal'].includes(err.kind)) throw err;
      this.broken.set(clean, clause(err.message));
      this.#emit('models', {});
      throw new Error(
        `Saved model "${clean}" cannot be loaded: ${clause(err.message)}. The active model is unchanged; ` +
          `delete "${clean}" from the list if you no longer need it.`
      );
    }
    this.broken.delete(clean);
    this.store.setLast({ kind: 'saved', name: clean });
    this.#setActive(this.#describe(info, clean, 'saved'), json);
    this.#emit('models', {});
    return { ...this.active };
  }

  /** Saved models for the list (see storage.listModels), each with `active`. Needs build.json. */
  list() {
    if (!this.facts) throw new Error('The page is still starting (build.json is not read yet): await pynn.ready first.');
    const a = this.active;
    return this.store.listModels(this.facts.shape, this.broken).map((m) => ({
      ...m,
      active: !!(a && a.kind === 'saved' && a.name === m.name),
    }));
  }

  /** Delete a saved model; returns {name, text} (the text brings it back with restoreRemoved). */
  remove(name) {
    const clean = checkName(name);
    const text = this.store.readModel(clean);
    this.store.removeModel(clean);
    const last = this.store.getLast();
    if (last.kind === 'saved' && last.name === clean) this.store.setLast({ kind: 'default' });
    this.broken.delete(clean);
    if (this.active && this.active.kind === 'saved' && this.active.name === clean) {
      this.#setActive({ ...this.active, name: `${clean} (deleted)`, kind: 'unsaved' });
    }
    this.#emit('models', {});
    return { name: clean, text };
  }

  /** Undo a delete: store `text` under `name` again. */
  restoreRemoved(name, text) {
    this.store.saveModel(name, text);
    this.#emit('models', {});
  }

  /** The active model as a py_nn document in a File named after it. */
  async exportFile() {
    await this.start();
    const name = this.active ? this.active.name : 'model';
    const metadata = { name: name.replace(SUFFIX_RE, ''), exportedAt: new Date().toISOString() };
    const { json } = await this.rpc.call('toJson', { metadata });
    return new File([json], fileNameFor(name), { type: 'application/json' });
  }

  /** Make a model file (File, Blob or the JSON text) the active model and keep it for the next visit. */
  async importModel(file, { trustCode = false, askTrust = null } = {}) {
    let text;
    let label;
    if (typeof file === 'string') {
      text = file;
      label = 'the text';
    } else if (file && typeof file.text === 'function') {
      label = file.name ? `"${file.name}"` : 'the file';
      if (file.size > MAX_IMPORT_CHARS) {
        throw new Error(`${label} is ${(file.size / 1e6).toFixed(1)} MB; a py_nn model file for this page is well under 50 MB. Pick the .json file that Export wrote.`);
      }
      text = await file.text();
    } else {
      throw new Error(
        `importModel() expected a File, Blob or the model JSON text; got ${file === null ? 'null' : typeof file}. ` +
          'Pick the .json file that Export wrote.'
      );
    }
    if (!text.trim()) {
      throw new Error(`Cannot import ${label}: it is empty. The active model is unchanged; pick a .json file written by Export.`);
    }
    await this.start();
    if (this.training) throw new Error(`${BUSY} importing a model.`);
    const trusted = await this.trustFileCode(text, label, { trustCode, askTrust }); // throws when its code may not run
    let info;
    try {
      info = await this.rpc.call('loadJson', { json: text, trustCode: trusted });
    } catch (err) {
      if (['fatal', 'busy', 'restarted'].includes(err.kind)) throw err;
      throw new Error(`Cannot import ${label}: ${clause(err.message)}. The active model is unchanged; pick a .json file written by Export.`);
    }
    const md = info.metadata || {};
    let name = typeof md.name === 'string' && md.name.trim() ? md.name.trim() : null;
    if (!name) name = file && file.name ? file.name.replace(/\.json$/i, '') : 'Imported model';
    name = name.slice(0, MAX_NAME_LENGTH);
    this.#setActive({ ...this.#describe(info, `${name} (unsaved)`, 'unsaved'), suggestedName: name });
    const { json } = await this.rpc.call('toJson', { metadata: { name } });
    const kept = this.#keepUnsaved(json, name);
    this.#emit('models', {});
    return { name, layers: info.layers, ...kept };
  }

  /** Characters this page keeps in storage (0 when storage cannot be read). */
  usage() {
    try {
      return this.store.usage();
    } catch (_) {
      return 0;
    }
  }

  /**
   * Another tab changed storage (`key` as in a StorageEvent, null = cleared). The list refreshes;
   * if the active model's own entry now holds another model (or none), the person is told.
   */
  externalChange(key) {
    if (key !== null && !key.startsWith(PREFIX)) return;
    this.#emit('models', {});
    const a = this.active;
    if (!a || a.kind !== 'saved' || (key !== null && key !== MODEL_PREFIX + a.name)) return;
    let now = null;
    try {
      now = this.store.hasModel(a.name) ? this.store.readModel(a.name) : null;
    } catch (_) {
      return;
    }
    if (now === this.activeText) return;
    const how = now === null ? 'deleted' : 'replaced with a different model';
    this.#setActive({ ...a, name: `${a.name} (${now === null ? 'deleted' : 'replaced in another tab'})`, kind: 'unsaved', suggestedName: a.name });
    this.#notice(
      `"${a.name}" was ${how} in another tab. The model active here is no longer stored under that name: ` +
        'Save it under a name or Export it to keep it.',
      'error'
    );
  }
}

Object.assign(Session.prototype, codeMethods, insideMethods);

function fileNameFor(name) {
  const base = String(name || 'model')
    .replace(/\(.*?\)/g, '')
    .trim()
    .replace(/[^\w.-]+/g, '-')
    .replace(/^-+|-+$/g, '');
  return `${base || 'model'}.json`;
}
