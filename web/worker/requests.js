// requests.js: the worker's answers to the page's requests once Python runs (all but `init`, which
// is start-up: worker.js). Each handler checks only the shape of what the page sent (py_nn checks
// the numbers, the Python state the page's model-shape rule) and returns plain data.
//
// Adding a request: a WorkerState method returning JSON (web/python/pynn_worker/), its name in
// shared/protocol.js's REQUESTS, and a line here that calls it with `call(name, ...args)`.

import { UserError, errorText, stripPythonType } from './util.js';
import { call, callJson, ctx } from './context.js';
import { fit, isTraining, runControls } from './training.js';
import { pixelShape } from '../shared/datasets.js';

function requirePixels(payload) {
  const px = payload && payload.pixels;
  const { inputs, side } = pixelShape(ctx.build);
  if (!(px instanceof Float32Array) || px.length !== inputs) {
    throw new UserError(`predict needs a Float32Array of ${inputs} values (${side}x${side} pixels, 0 = background .. 1 = ink).`);
  }
  return px;
}

function requireIndex(payload, key) {
  const v = payload && payload[key];
  if (!Number.isInteger(v) || v < 0) throw new UserError(`${key} must be a whole number >= 0; got ${JSON.stringify(v)}.`);
  return v;
}

/** A Python error's message for a person ('ValueError: x' -> 'x'), as a UserError of `kind`. */
const pyError = (err, kind) => new UserError(stripPythonType(errorText(err)), kind);

/** Run a Python call whose ValueError is the caller's mistake (a bad index): a plain message. */
function checked(fn, kind = 'invalid-options') {
  try {
    return fn();
  } catch (err) {
    if (err instanceof UserError) throw err;
    throw pyError(err, kind);
  }
}

function notWhileTraining(what) {
  if (isTraining()) throw new UserError(`Training is running: press Stop (or wait for it to finish) before ${what}.`, 'busy');
}

export const requests = {
  // the Code panel (pynn_worker.codemodel)
  checkCode: (id, p) => callJson('check_code', String(p.source), JSON.stringify(p.settings || {})),
  codeTemplates: (id, p) => callJson('code_templates', JSON.stringify(p.settings || {})),
  codeInfo: (id, p) => callJson('code_info', String(p.json)),
  pythonScript: (id, p) => checked(() => ({ text: call('python_script', String(p.source), JSON.stringify(p.settings || {})) }), 'code'),
  info: () => callJson('model_info'),
  predict: (id, payload) => callJson('predict', requirePixels(payload)),
  evaluate: () => callJson('evaluate'),
  fit,
  ...runControls,
  inside: (id, payload) => callJson('inside', requirePixels(payload)),
  overview: () => callJson('overview'),
  firstLayer() {
    const proxy = call('first_layer');
    try {
      const bytes = proxy.toJs(); // a fresh Uint8Array copy of the float32 bytes
      return { weights: new Float32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4), inputs: pixelShape(ctx.build).inputs };
    } finally {
      proxy.destroy();
    }
  },
  neuron: (id, payload) => checked(() => callJson('neuron', requireIndex(payload, 'neuron'), (payload && payload.k) || 9)),
  mistakes: (id, payload) => checked(() => callJson('mistakes', JSON.stringify(payload || {}))),
  heldOut: (id, payload) => checked(() => callJson('held_out', requireIndex(payload, 'index'))),
  augmentPreview: (id, payload) => checked(() => callJson('augment_preview', JSON.stringify((payload && payload.augment) || {}), (payload && payload.count) || 8)),
  // One step by hand (pynn_worker.step_by_hand); a person's code comes back as {error, output}
  explainStep: (id, p) => checked(() => callJson('explain_step', requirePixels(p), requireIndex(p, 'label'), JSON.stringify(p.options || {}))),
  explainArray: (id, p) => checked(() => callJson('explain_array', String(p.ref))),
  explainParam: (id, p) => checked(() => callJson('explain_param', JSON.stringify(p.where || {}))),
  gradCheck: (id, p) => checked(() => callJson('grad_check', requirePixels(p), requireIndex(p, 'label'), JSON.stringify(p.options || {}))),
  applyStep: () => notWhileTraining('applying a step') || checked(() => callJson('apply_step')),
  undoStep: () => notWhileTraining('undoing a step') || checked(() => callJson('undo_step')),
  toJson: (id, payload) => ({ json: call('to_json', JSON.stringify((payload && payload.metadata) || {})) }),
  loadJson(id, payload) {
    if (isTraining()) {
      throw new UserError('Training is running: press Stop (or wait for it to finish) before loading another model.', 'busy');
    }
    if (!payload || typeof payload.json !== 'string') throw new UserError('loadJson needs the model document as a string.');
    try {
      return callJson('load_model', payload.json, payload.trustCode === true); // validated before the active model is replaced
    } catch (err) {
      throw pyError(err, /CodeRefusedError/.test(errorText(err)) ? 'carries-code' : 'invalid-model');
    }
  },
};
