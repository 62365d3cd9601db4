// transport.test.mjs: build.json facts (web/shared/facts.js), the worker transport (web/page/rpc.js: replies
// matched by id, progress, a dead worker, restart) and fit progress (web/page/fit-progress.js). The
// worker here is a scripted stand-in that speaks the worker's wire format (shared/protocol.js); the real one is
// exercised by tests/e2e.

import test from 'node:test';
import assert from 'node:assert/strict';
import { checkFacts, loadFacts } from '../../web/shared/facts.js';
import { createRpc } from '../../web/page/rpc.js';
import { progressEvents } from '../../web/page/fit-progress.js';

const split = (count, per = 10000) => ({
  count,
  shards: Array.from({ length: Math.ceil(count / per) }, (_, k) => ({ url: `data/x/s-${k}.u8.gz`, count: Math.min(per, count - k * per), sha256: 'ab' })),
});
const MNIST = { id: 'mnist', name: 'MNIST digits', classes: [...'0123456789'], side: 28, train: split(60000), test: split(10000), model: 'models/mnist.json' };
const BUILD = {
  version: '0.1.0',
  datasets: [MNIST, { ...MNIST, id: 'fashion-mnist', name: 'Fashion-MNIST', model: 'models/fashion-mnist.json' }],
  build_id: '0123456789abcdef',
  precache: ['index.html', 'main.js'],
};

// --- facts -------------------------------------------------------------------------------------

test('build.json with every fact is accepted as is', () => {
  assert.equal(checkFacts(BUILD), BUILD);
});

test('a missing or wrong fact names itself, the file and the fix', () => {
  const cases = [
    [{ ...BUILD, datasets: undefined }, /build\.json has no "datasets".*Rebuild the site with "python3 build\.py"/],
    [{ ...BUILD, datasets: [{ ...MNIST, train: { ...MNIST.train, count: 0 } }] }, /entry "mnist" needs "train": \{count >= 1/],
    [{ ...BUILD, datasets: [{ ...MNIST, test: split(10000, 3000), train: { ...MNIST.train, count: 59999 } }] }, /"train" shards do not add up to 59999 samples/],
    [{ ...BUILD, datasets: [MNIST, { ...MNIST, id: 'big', side: 32 }] }, /entry "big" has side 32; every data set needs the same/],
    [{ ...BUILD, datasets: [{ ...MNIST, classes: ['one'] }] }, /an entry without an id, class names or a model/],
    [{ ...BUILD, build_id: '' }, /no "build_id"/],
    [{ ...BUILD, precache: 'all' }, /no "precache" list/],
    [[], /not a JSON object/],
  ];
  for (const [build, message] of cases) {
    assert.throws(() => checkFacts(build), (err) => {
      assert.match(err.message, message);
      assert.equal(err.file, 'build.json');
      assert.equal(err.kind, 'fatal');
      return true;
    });
  }
});

test('loadFacts reads build.json next to the page and reports HTTP and network failures', async () => {
  const seen = [];
  const ok = async (url) => {
    seen.push(url);
    return { ok: true, status: 200, json: async () => BUILD };
  };
  assert.deepEqual(await loadFacts(ok, 'http://host/user/repo/'), BUILD);
  assert.deepEqual(seen, ['http://host/user/repo/build.json']);
  await assert.rejects(loadFacts(async () => ({ ok: false, status: 404 }), 'http://host/'),
    { message: /build\.json: \/build\.json answered HTTP 404\. Rebuild the site/, file: 'build.json' });
  await assert.rejects(loadFacts(async () => { throw new TypeError('Failed to fetch'); }, 'http://host/'),
    { message: /Could not fetch build\.json \(\/build\.json\): Failed to fetch/ });
});

// --- rpc ---------------------------------------------------------------------------------------

/** A stand-in Worker: records posts; the test answers with reply()/crash(). */
class ScriptedWorker {
  constructor(log) {
    this.posted = [];
    this.terminated = false;
    log.push(this);
  }
  postMessage(msg) {
    this.posted.push(msg);
  }
  terminate() {
    this.terminated = true;
  }
  reply(msg) {
    this.onmessage({ data: msg });
  }
  crash(message) {
    this.onerror({ message, preventDefault() {} });
  }
}

test('no worker exists until the first request; replies are matched by id, progress goes to its caller', async () => {
  const workers = [];
  const rpc = createRpc(() => new ScriptedWorker(workers));
  assert.equal(workers.length, 0);
  const progress = [];
  const a = rpc.call('fit', { epochs: 1 }, { onProgress: (p) => progress.push(p) });
  const b = rpc.call('predict', { pixels: 1 });
  assert.equal(workers.length, 1);
  const [w] = workers;
  assert.deepEqual(w.posted.map((m) => [m.type, typeof m.id]), [['fit', 'number'], ['predict', 'number']]);
  const [fitId, predictId] = w.posted.map((m) => m.id);
  w.reply({ id: fitId, type: 'progress', payload: { batch: 1 } });
  w.reply({ id: predictId, type: 'result', payload: { label: 3 } });
  w.reply({ id: fitId, type: 'error', error: { message: 'Training failed: boom.', kind: 'fit' } });
  assert.deepEqual(await b, { label: 3 });
  await assert.rejects(a, { name: 'WorkerError', message: 'Training failed: boom.', kind: 'fit' });
  assert.deepEqual(progress, [{ batch: 1 }]);
});

test('a start-up failure carries the file that failed', async () => {
  const workers = [];
  const rpc = createRpc(() => new ScriptedWorker(workers));
  const init = rpc.call('init', {});
  const [w] = workers;
  w.reply({ id: w.posted[0].id, type: 'error', error: { message: 'Could not load NumPy.', kind: 'fatal', file: 'pyodide/numpy.whl' } });
  await assert.rejects(init, { kind: 'fatal', file: 'pyodide/numpy.whl' });
});

test('an error nobody waits for goes to onStray', () => {
  const workers = [];
  const stray = [];
  const rpc = createRpc(() => new ScriptedWorker(workers), { onStray: (e) => stray.push(e.message) });
  rpc.call('info', {});
  workers[0].reply({ id: 0, type: 'error', error: { message: 'Unexpected error in the Python worker: x' } });
  assert.deepEqual(stray, ['Unexpected error in the Python worker: x']);
});

test('a dead worker rejects what is pending and what comes next, until restart()', async () => {
  const workers = [];
  const fatal = [];
  const rpc = createRpc(() => new ScriptedWorker(workers), { onFatal: (e) => fatal.push(e) });
  const pending = rpc.call('init', {});
  workers[0].crash('Failed to fetch worker/worker.js');
  await assert.rejects(pending, { kind: 'fatal', file: 'worker/worker.js', message: /could not be started \(Failed to fetch worker\/worker\.js\)\. Press Retry/ });
  await assert.rejects(rpc.call('predict', {}), { kind: 'fatal' });
  assert.equal(fatal.length, 1);
  assert.equal(workers.length, 1);

  rpc.restart();
  assert.equal(workers[0].terminated, true);
  const again = rpc.call('init', {});
  assert.equal(workers.length, 2, 'restart() lets the next request start a new worker');
  workers[1].reply({ id: workers[1].posted[0].id, type: 'result', payload: { ok: true } });
  assert.deepEqual(await again, { ok: true });
});

test('restart() terminates a busy worker and rejects its pending requests; late replies are ignored', async () => {
  const workers = [];
  const rpc = createRpc(() => new ScriptedWorker(workers));
  const busy = rpc.call('fit', {});
  const old = workers[0];
  rpc.restart('Stopped: the worker was restarted.');
  await assert.rejects(busy, { kind: 'restarted', message: 'Stopped: the worker was restarted.' });
  assert.equal(old.terminated, true);
  old.reply({ id: old.posted[0].id, type: 'result', payload: 'late' }); // must not throw or resolve anything
  assert.equal(rpc.started, false);
});

// --- fit progress ------------------------------------------------------------------------------

test("the worker's fit progress becomes pynn.fit's epoch and batch events", () => {
  const seen = [];
  const handle = progressEvents({ epochs: 3 }, (e) => seen.push(e));
  handle({
    elapsedMs: 900,
    epochs: [{ epoch: 1, epochs: 3, loss: 0.5, accuracy: 0.8, val_loss: 0.4, val_accuracy: 0.85 }],
    batch: { epoch: 2, batch: 5, batches: 10, loss: 0.3, accuracy: 0.9, samples: 320 },
  });
  assert.deepEqual(seen, [
    { type: 'epoch', epoch: 1, epochs: 3, loss: 0.5, accuracy: 0.8, valLoss: 0.4, valAccuracy: 0.85, progress: 1 / 3, elapsedMs: 900 },
    { type: 'batch', epoch: 2, epochs: 3, batch: 5, batches: 10, loss: 0.3, accuracy: 0.9, samples: 320, progress: 0.5, elapsedMs: 900 },
  ]);
  assert.equal(progressEvents({ epochs: 3 }, undefined), undefined);
});
