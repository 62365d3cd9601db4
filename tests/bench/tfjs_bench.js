// tfjs_bench.js: the TensorFlow.js 4.22 side of the benchmark: trains the same models as py_nn
// (Dense ReLU layers, softmax, categorical cross-entropy, SGD momentum 0.9) on the site's MNIST
// digits with the wasm backend (SIMD, no threads) and reports per-epoch wall times.
// A classic script loaded after tf.min.js and tf-backend-wasm.min.js; tools/bench_browser.py drives it:
//
//   window.tfjsBench.ready   Promise<{tfjs, backend, simd, threads, train, test}>
//   window.tfjsBench.run({hidden: [128], batchSize: 32, epochs: 6, learningRate: 0.01,
//                         momentum: 0.9, samples: 8000})
//       -> {epochEndMs: [t1, t2, ...] (ms since fit start at each onEpochEnd),
//           epochMs: [t1, t2 - t1, ...], valAccuracy, valLoss, loss, accuracy, totalMs}
// Every epoch also evaluates the 2000 held-out digits (validationData), as py_nn's page does.
'use strict';

(() => {
  const SIDE = 784;
  const CLASSES = 10;

  function setStatus(text) {
    const el = document.getElementById('status');
    if (el) el.textContent = text;
  }

  async function fetchBytes(base) {
    // The digits as shipped: raw .u8, or .u8.gz decoded with the native DecompressionStream.
    const raw = await fetch(base);
    if (raw.ok) return new Uint8Array(await raw.arrayBuffer());
    const gz = await fetch(`${base}.gz`);
    if (!gz.ok) {
      throw new Error(`tfjs_bench: neither ${base} nor ${base}.gz could be fetched (HTTP ${raw.status}, ${gz.status}); ` +
        'the bench folder needs a data/ link to the built site\'s data (run "python3 build.py").');
    }
    const stream = gz.body.pipeThrough(new DecompressionStream('gzip'));
    return new Uint8Array(await new Response(stream).arrayBuffer());
  }

  /** A shard of the site's MNIST (tools/datasets.py: n*784 image bytes, then n labels) as
   * tensors: xs (n, 784) float32 in 0..1, ys (n, 10) one-hot. */
  async function loadShard(name) {
    const bytes = await fetchBytes(`data/mnist/${name}.u8`);
    const n = bytes.length / (SIDE + 1);
    if (!Number.isInteger(n)) throw new Error(`tfjs_bench: data/mnist/${name}.u8.gz holds ${bytes.length} bytes, not n*(${SIDE}+1); rebuild the site.`);
    const x = new Float32Array(n * SIDE);
    for (let i = 0; i < x.length; i += 1) x[i] = bytes[i] / 255;
    const xs = tf.tensor2d(x, [n, SIDE]);
    const ys = tf.tidy(() => tf.oneHot(tf.tensor1d(Array.from(bytes.subarray(n * SIDE)), 'int32'), CLASSES).toFloat());
    return { xs, ys, n };
  }

  /** What py_nn's page trains on: MNIST's first training shard and the 10,000 test digits. */
  async function loadDigits() {
    const [train, test] = await Promise.all([loadShard('train-0'), loadShard('test-0')]);
    return { train, test, counts: { train: train.n, test: test.n } };
  }

  async function start() {
    if (typeof tf === 'undefined' || !tf.wasm) {
      throw new Error('tfjs_bench: tf.min.js or tf-backend-wasm.min.js did not load; the bench folder is incomplete.');
    }
    tf.wasm.setWasmPaths(new URL('./', location.href).href);
    tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', false); // single-threaded, like py_nn's worker
    if (!(await tf.setBackend('wasm'))) throw new Error('tfjs_bench: the wasm backend failed to initialise.');
    await tf.ready();
    setStatus('Loading digits…');
    const data = await loadDigits();
    window.tfjsBench.data = data;
    setStatus('Ready');
    return {
      tfjs: tf.version.tfjs,
      backend: tf.getBackend(),
      simd: !!(await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT')),
      threads: !!(await tf.env().getAsync('WASM_HAS_MULTITHREAD_SUPPORT')),
      train: data.counts.train,
      test: data.counts.test,
    };
  }

  function buildModel(hidden, learningRate, momentum) {
    const model = tf.sequential();
    hidden.forEach((units, i) => {
      model.add(tf.layers.dense(i === 0 ? { units, activation: 'relu', inputShape: [SIDE] } : { units, activation: 'relu' }));
    });
    model.add(tf.layers.dense({ units: CLASSES, activation: 'softmax' }));
    model.compile({
      optimizer: tf.train.momentum(learningRate, momentum),
      loss: 'categoricalCrossentropy',
      metrics: ['accuracy'],
    });
    return model;
  }

  async function run({ hidden, batchSize, epochs, learningRate, momentum = 0.9, samples }) {
    const data = window.tfjsBench.data;
    if (!data) throw new Error('tfjs_bench: run() was called before ready resolved.');
    const n = Math.min(samples ?? data.counts.train, data.counts.train);
    const xs = n === data.counts.train ? data.train.xs : data.train.xs.slice([0, 0], [n, SIDE]);
    const ys = n === data.counts.train ? data.train.ys : data.train.ys.slice([0, 0], [n, CLASSES]);
    const model = buildModel(hidden, learningRate, momentum);
    const epochEndMs = [];
    let last = {};
    setStatus(`Training ${[SIDE, ...hidden, CLASSES].join('-')} at batch ${batchSize}…`);
    const t0 = performance.now();
    try {
      await model.fit(xs, ys, {
        batchSize,
        epochs,
        shuffle: true,
        validationData: [data.test.xs, data.test.ys],
        yieldEvery: 'never', // no frame waits inside an epoch: TF.js at its fastest
        callbacks: {
          onEpochEnd: (epoch, logs) => {
            epochEndMs.push(performance.now() - t0);
            last = logs;
          },
        },
      });
    } finally {
      if (xs !== data.train.xs) xs.dispose();
      if (ys !== data.train.ys) ys.dispose();
      model.dispose();
    }
    const totalMs = performance.now() - t0;
    setStatus('Ready');
    return {
      epochEndMs,
      epochMs: epochEndMs.map((t, i) => (i === 0 ? t : t - epochEndMs[i - 1])),
      totalMs,
      loss: last.loss,
      accuracy: last.acc ?? last.accuracy,
      valLoss: last.val_loss,
      valAccuracy: last.val_acc ?? last.val_accuracy,
      tensorsAfter: tf.memory().numTensors,
    };
  }

  window.tfjsBench = { run, data: null };
  window.tfjsBench.ready = start();
  window.tfjsBench.ready.catch((err) => setStatus(`Error: ${err.message}`));
})();
