// pynn_driver.js: the py_nn side of the benchmark, injected by tools/bench_browser.py into the built
// site's page; it only uses the public `window.pynn` API (the same one a person would use).
//
//   window.pynnBench.fit({hidden, batchSize, epochs, learningRate, samples})
//       -> {epochEndMs, epochMs, source, accuracy, loss, elapsedMs, memory}
//      Per-epoch times: the progress events' own epoch time (`epochMs`) when the page reports
//      one; otherwise differences of `elapsedMs` between consecutive epoch events (the worker
//      reports progress after each training slice of ~25 ms, so each value can be up to one
//      slice late; differences do not accumulate that error).
//   window.pynnBench.predictLatency({count: 200, warmup: 10})
//       -> {ms: [...], labels: [...], correct} predictions of real held-out digits, timed around
//      each awaited pynn.predict() call (main thread -> worker -> main thread).
'use strict';

(() => {
  const SIDE = 784;

  async function fetchBytes(url) {
    const raw = await fetch(url);
    if (raw.ok) return new Uint8Array(await raw.arrayBuffer());
    const gz = await fetch(`${url}.gz`);
    if (!gz.ok) throw new Error(`pynn_driver: neither ${url} nor ${url}.gz could be fetched (HTTP ${raw.status}, ${gz.status}).`);
    return new Uint8Array(await new Response(gz.body.pipeThrough(new DecompressionStream('gzip'))).arrayBuffer());
  }

  /** The first `count` of MNIST's test digits (its test shard, build.json's datasets) as
   * Float32Array(784) each, with their labels. */
  async function heldOutDigits(count) {
    const mnist = window.pynn.buildInfo().datasets.find((d) => d.id === 'mnist');
    const url = new URL(mnist.test.shards[0].url.replace(/\.gz$/, ''), location.href);
    const bytes = await fetchBytes(url);
    const n = mnist.test.shards[0].count;
    const digits = [];
    for (let i = 0; i < count; i += 1) {
      const px = new Float32Array(SIDE);
      for (let j = 0; j < SIDE; j += 1) px[j] = bytes[i * SIDE + j] / 255;
      digits.push({ px, label: bytes[n * SIDE + i] });
    }
    return digits;
  }

  async function fit(options) {
    await window.pynn.ready;
    const epochEndMs = [];
    const reported = [];
    const res = await window.pynn.fit({ optimizer: 'sgd', ...options }, (p) => {
      if (p.type !== 'epoch') return;
      epochEndMs.push(p.elapsedMs);
      if (typeof p.epochMs === 'number') reported.push(p.epochMs);
    });
    const own = reported.length === epochEndMs.length && reported.length > 0;
    return {
      epochEndMs,
      epochMs: own ? reported : epochEndMs.map((t, i) => (i === 0 ? t : t - epochEndMs[i - 1])),
      source: own ? 'progress epochMs' : 'elapsedMs differences between epoch progress events',
      accuracy: res.evaluation ? res.evaluation.accuracy : null,
      loss: res.evaluation ? res.evaluation.loss : null,
      elapsedMs: res.elapsedMs,
      stopped: res.stopped,
      memory: res.memory, // {wasmBytes}: the worker's WebAssembly memory after the fit (its peak)
    };
  }

  async function predictLatency({ count = 200, warmup = 10 } = {}) {
    await window.pynn.ready;
    const digits = await heldOutDigits(count);
    for (let i = 0; i < warmup; i += 1) await window.pynn.predict(digits[i % count].px);
    const ms = [];
    const labels = [];
    let correct = 0;
    for (const { px, label } of digits) {
      const t = performance.now();
      const out = await window.pynn.predict(px);
      ms.push(performance.now() - t);
      labels.push(out.label);
      if (out.label === label) correct += 1;
    }
    return { ms, labels, correct, model: window.pynn.activeModel() };
  }

  window.pynnBench = { fit, predictLatency };
})();
