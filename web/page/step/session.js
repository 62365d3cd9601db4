// step/session.js: the session's "One step by hand" requests (mixed into PageSession by
// page-session.js): compute one training step of the active model on one drawing, fetch a
// summarized array whole, one weight through the step, its finite-difference check, and Apply /
// Undo. Apply makes the stepped model the active, unsaved model (kept in the unsaved slot like a
// trained one); Undo brings back the model, the active entry and the stored slot as they were.
// Checked inputs only (pynn.js checks what a caller passes). No DOM.

import { decodeStep } from './arrays.js';
import { SUFFIX_RE } from '../session-models.js';

const BUSY = 'Training is running: press Stop (or wait for it to finish) before';
const HAND_RE = /\s*\+ (\d+) steps? by hand$/;

/** "Default model" -> "Default model + 1 step by hand"; "... + 2 steps by hand" -> "... + 3 steps by hand". */
export function handStepName(name) {
  const base = String(name || 'Model').replace(SUFFIX_RE, '');
  const m = HAND_RE.exec(base);
  const n = m ? Number(m[1]) + 1 : 1;
  return `${base.replace(HAND_RE, '')} + ${n} step${n === 1 ? '' : 's'} by hand`;
}

/** An Error of the worker's answer for a step call, with the call's name in front. */
function named(call, err) {
  if (['fatal', 'busy', 'restarted', 'internal'].includes(err.kind)) return err;
  return Object.assign(new Error(`${call}: ${String(err.message).replace(/[.\s]+$/, '')}.`), { kind: err.kind });
}

/** A request that may run the person's code: its pixels transferred, a code failure as codeError. */
async function withCode(session, type, payload) {
  await session.start();
  let res;
  try {
    res = await session.rpc.call(type, payload, { transfer: [payload.pixels.buffer] });
  } catch (err) {
    throw named(`${type}()`, err);
  }
  if (res.error) throw session.codeError(res.error, res.output);
  return res;
}

export const stepMethods = {
  /**
   * pixels: Float32Array(inputs) (transferred), label: a class, options: {learningRate?, code?,
   * settings?}. -> the step (see README: pynn.explainStep), arrays decoded; a failure of the
   * person's code throws an Error with `line` and `output` (session-code.js's codeError).
   */
  async explainStep(pixels, label, options = {}) {
    const res = await withCode(this, 'explainStep', { pixels, label, options });
    this.stepCount = (this.stepCount || 0) + 1;
    const id = this.stepCount;
    this.stepReady = id; // the worker holds this step until the next one, an Apply or a restart
    return { ...decodeStep(res, (ref) => `${id}:${ref}`), step: id };
  },

  /** The whole array behind a summarized one's `ref` ("<step>:<name>"), a typed array with `.shape`. */
  async explainArray(ref) {
    const m = /^(\d+):(.+)$/.exec(String(ref));
    if (!m) throw new Error(`explainArray() expected the ref of a summarized array of explainStep's result (e.g. "1:grads.0.dW"); got ${JSON.stringify(ref)}.`);
    if (Number(m[1]) !== this.stepReady) {
      throw new Error(`explainArray(): ${JSON.stringify(ref)} belongs to step ${m[1]}, which is gone (${this.stepReady ? `the current step is ${this.stepReady}` : 'a step was applied since, or none is computed'}); call explainStep again.`);
    }
    await this.start();
    try {
      return decodeStep(await this.rpc.call('explainArray', { ref: m[2] }));
    } catch (err) {
      throw named('explainArray()', err);
    }
  },

  /** One parameter through the last step: {index, old, gradient, new, state: {before, after}}. */
  async explainParam(where) {
    if (!this.stepReady) throw new Error('explainParam(): no step is computed (or it was applied): call explainStep first.');
    await this.start();
    try {
      return decodeStep(await this.rpc.call('explainParam', { where }));
    } catch (err) {
      throw named('explainParam()', err);
    }
  },

  /** {backprop, numeric, relError, value, step, modelBackprop, index} for {layer, kind, i, j, code?, settings?}. */
  async gradCheck(pixels, label, options) {
    return decodeStep(await withCode(this, 'gradCheck', { pixels, label, options }));
  },

  /** Take the last computed step: the stepped model becomes the active, unsaved model. */
  async applyStep() {
    if (!this.stepReady) throw new Error('applyStep(): there is no step to apply: call explainStep(pixels, label) first (each step is applied at most once).');
    await this.start();
    if (this.training) throw new Error(`${BUSY} applying a step.`);
    const before = { active: this.active, activeText: this.activeText, last: this.store.getLast(), unsaved: readOrNull(this.store) };
    let info;
    try {
      info = await this.rpc.call('applyStep', {});
    } catch (err) {
      throw named('applyStep()', err);
    }
    this.stepReady = null;
    const name = handStepName(before.active && before.active.name);
    const label = `${name} (unsaved)`;
    this.setActive({ ...this.describe(info, label, 'unsaved'), accuracy: null, suggestedName: name });
    this.stepUndo = { before, after: this.active };
    const { json } = await this.rpc.call('toJson', { metadata: { name: label } });
    const kept = this.keepUnsaved(json, label);
    this.emit('models', {});
    return { ...this.active, ...kept };
  },

  /** Undo the last Apply: the model before it (bit for bit), its name and what was stored. */
  async undoStep() {
    const undo = this.stepUndo;
    if (!undo) throw new Error('undoStep(): there is no applied step to undo.');
    if (this.active !== undo.after) {
      this.stepUndo = null;
      throw new Error('undoStep(): the active model changed since the step was applied (trained, loaded or imported), so the step can no longer be undone.');
    }
    await this.start();
    if (this.training) throw new Error(`${BUSY} undoing a step.`);
    try {
      await this.rpc.call('undoStep', {});
    } catch (err) {
      throw named('undoStep()', err);
    }
    this.stepUndo = null;
    const { active, activeText, last, unsaved } = undo.before;
    try {
      if (unsaved === null) this.store.clearUnsaved();
      else this.store.saveUnsaved(unsaved, active && active.name);
      this.store.setLast(last);
    } catch (_) {
      /* the slot is a spare copy: the model itself is back in the worker */
    }
    this.setActive(active, activeText);
    this.emit('models', {});
    return { ...this.active };
  },
};

function readOrNull(store) {
  try {
    return store.readUnsaved();
  } catch (_) {
    return null;
  }
}
