// session-inside.js: the session's Inside-panel requests (mixed into PageSession by page-session.js): one
// drawing's activations, the model overview, first-layer weights, a neuron's top digits, mistakes,
// one held-out digit, the augmentation preview. Each waits for start-up, then asks the worker.

export const insideMethods = {

  /** pixels: Float32Array(shape.inputs), transferred. -> {layers: [{size, activations}], logits, probabilities} */
  async inside(pixels) {
    await this.start();
    return this.rpc.call('inside', { pixels }, { transfer: [pixels.buffer] });
  },

  /** {summary, evaluation, perClass, histograms} of the active model (see pynn_worker.WorkerState.overview). */
  async overview() {
    await this.start();
    return this.rpc.call('overview', {});
  },

  /** {weights: Float32Array(layers[1] * inputs) (row j = neuron j's weights), inputs}. */
  async firstLayer() {
    await this.start();
    return this.rpc.call('firstLayer', {});
  },

  async neuron(neuron, k = 9) {
    await this.start();
    return this.rpc.call('neuron', { neuron, k });
  },

  async mistakes(options = {}) {
    await this.start();
    return this.rpc.call('mistakes', options);
  },

  async heldOut(index) {
    await this.start();
    return this.rpc.call('heldOut', { index });
  },

  async augmentPreview(augment, count = 8) {
    await this.start();
    return this.rpc.call('augmentPreview', { augment, count });
  },
};
