// protocol.js: the messages between the page (page/rpc.js) and the Python worker (worker/worker.js).
// Pure data, imported by both sides; neither side imports the other's modules.
//
//   request  {id, type, payload}              type: one of REQUESTS
//   replies  {id, type: "progress", payload}  any number (start-up stages, training progress)
//            then exactly one of {id, type: "result", payload} | {id, type: "error", error}
//            error = {message, kind, file?}; kind: one of ERROR_KINDS
//   events   {id: null, type: one of EVENTS, payload}  sent by the worker on its own:
//            "snapshot" {state: "saved" | "none", error?, bytes?, ms?} once the start-up snapshot
//            for the next visit was written and read back (or could not be)
// An error with id 0 is an unexpected error inside the worker that no request is waiting for.

export const REQUESTS = Object.freeze([
  'init', 'info', 'predict', 'evaluate', 'fit', 'stop', 'pause', 'resume', 'step', 'toJson', 'loadJson',
  'inside', 'overview', 'firstLayer', 'neuron', 'mistakes', 'heldOut', 'augmentPreview',
  'checkCode', 'codeTemplates', 'codeInfo', 'pythonScript',
  'explainStep', 'explainArray', 'explainParam', 'gradCheck', 'applyStep', 'undoStep',
]);

export const REPLIES = Object.freeze(['progress', 'result', 'error']);

export const EVENTS = Object.freeze(['snapshot']);

export const ERROR_KINDS = Object.freeze([
  'fatal', 'internal', 'busy', 'restarted', 'data', 'fit', 'code', 'invalid-options', 'invalid-model', 'carries-code',
]);

// The requests that read a data set's samples (the worker fetches what is missing first). A fit
// loads its own once its run exists (worker/training.js), so Stop and Pause count meanwhile.
export const NEEDS_DATA = Object.freeze(['evaluate', 'overview', 'neuron', 'mistakes', 'heldOut', 'augmentPreview']);
