// session-models.js: the page session's model keeping (mixed into PageSession by page-session.js):
// which stored model comes back at start-up, the unsaved slot, save, load, list, delete and undo,
// export, import, and another tab's changes. Every storage write goes through the model store
// (storage.js); the session's events and active model through PageSession's own methods
// (emit, notice, setActive, describe). No DOM.

import { checkName, formatSize, MAX_NAME_LENGTH, MODEL_PREFIX, PREFIX } from './storage.js';

const MAX_IMPORT_CHARS = 50e6;
export const SUFFIX_RE = /\s*\((unsaved|stopped, unsaved|deleted|replaced in another tab)\)$/;
export const clause = (text) => String(text).replace(/[.\s]+$/, '');
const BUSY = 'Training is running: press Stop (or wait for it to finish) before';

export const modelMethods = {
  /** Which stored model to bring back: {json, name, kind, label} | {error, name, kind, label} | null. */
  restoreCandidate() {
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
  },

  /** Keep the active, nameless model in the pynn.unsaved slot: {persisted, persistError?}. */
  keepUnsaved(json, label) {
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
  },

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
    this.setActive({ ...this.active, name: clean, kind: 'saved', inSlot: false, suggestedName: undefined }, json);
    this.emit('models', {});
    return { name: clean, replaced, chars: json.length };
  },

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
      this.emit('models', {});
      throw new Error(
        `Saved model "${clean}" cannot be loaded: ${clause(err.message)}. The active model is unchanged; ` +
          `delete "${clean}" from the list if you no longer need it.`
      );
    }
    this.broken.delete(clean);
    this.store.setLast({ kind: 'saved', name: clean });
    this.setActive(this.describe(info, clean, 'saved'), json);
    this.emit('models', {});
    return { ...this.active };
  },

  /** Saved models for the list (see storage.listModels), each with `active`. Needs build.json. */
  list() {
    if (!this.facts) throw new Error('The page is still starting (build.json is not read yet): await pynn.ready first.');
    const a = this.active;
    return this.store.listModels(this.shapeOf('mnist'), this.broken).map((m) => ({
      ...m,
      active: !!(a && a.kind === 'saved' && a.name === m.name),
    }));
  },

  /** Delete a saved model; returns {name, text} (the text brings it back with restoreRemoved). */
  remove(name) {
    const clean = checkName(name);
    const text = this.store.readModel(clean);
    this.store.removeModel(clean);
    const last = this.store.getLast();
    if (last.kind === 'saved' && last.name === clean) this.store.setLast({ kind: 'default' });
    this.broken.delete(clean);
    if (this.active && this.active.kind === 'saved' && this.active.name === clean) {
      this.setActive({ ...this.active, name: `${clean} (deleted)`, kind: 'unsaved' });
    }
    this.emit('models', {});
    return { name: clean, text };
  },

  /** Undo a delete: store `text` under `name` again. */
  restoreRemoved(name, text) {
    this.store.saveModel(name, text);
    this.emit('models', {});
  },

  /** The active model as a py_nn document in a File named after it. */
  async exportFile() {
    await this.start();
    const name = this.active ? this.active.name : 'model';
    const metadata = { name: name.replace(SUFFIX_RE, ''), exportedAt: new Date().toISOString() };
    const { json } = await this.rpc.call('toJson', { metadata });
    return new File([json], fileNameFor(name), { type: 'application/json' });
  },

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
    this.setActive({ ...this.describe(info, `${name} (unsaved)`, 'unsaved'), suggestedName: name });
    const { json } = await this.rpc.call('toJson', { metadata: { name } });
    const kept = this.keepUnsaved(json, name);
    this.emit('models', {});
    return { name, layers: info.layers, ...kept };
  },

  /** Characters this page keeps in storage (0 when storage cannot be read). */
  usage() {
    try {
      return this.store.usage();
    } catch (_) {
      return 0;
    }
  },

  /**
   * Another tab changed storage (`key` as in a StorageEvent, null = cleared). The list refreshes;
   * if the active model's own entry now holds another model (or none), the person is told.
   */
  externalChange(key) {
    if (key !== null && !key.startsWith(PREFIX)) return;
    this.emit('models', {});
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
    this.setActive({ ...a, name: `${a.name} (${now === null ? 'deleted' : 'replaced in another tab'})`, kind: 'unsaved', suggestedName: a.name });
    this.notice(
      `"${a.name}" was ${how} in another tab. The model active here is no longer stored under that name: ` +
        'Save it under a name or Export it to keep it.',
      'error', now === null ? 'models.deletedElsewhere' : 'models.replacedElsewhere', { name: a.name }
    );
  },
};

function fileNameFor(name) {
  const base = String(name || 'model')
    .replace(/\(.*?\)/g, '')
    .trim()
    .replace(/[^\w.-]+/g, '-')
    .replace(/^-+|-+$/g, '');
  return `${base || 'model'}.json`;
}
