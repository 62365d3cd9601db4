// snapshot_roundtrip.mjs: web/worker/snapshot/ in Node. Start Pyodide as the worker does (numpy,
// micropip, the py_nn wheel, the worker's Python package imported), capture a snapshot, restore it in this or a new
// process, and print what both runtimes predict and train (JSON on stdout).
//   node snapshot_roundtrip.mjs --site site --mode capture --out /tmp/s.bin
//   node snapshot_roundtrip.mjs --site site --mode restore --in /tmp/s.bin
//   node snapshot_roundtrip.mjs --site site --mode normal
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { pathToFileURL } from 'node:url';
import { parseArgs, readBuildInfo } from './common.mjs';

const args = parseArgs(process.argv.slice(2));
const site = path.resolve(args.site || 'site');
const build = readBuildInfo(site);
const indexURL = path.join(site, 'pyodide') + path.sep;
const { loadPyodide } = await import(pathToFileURL(path.join(indexURL, 'pyodide.mjs')).href);
// the worker's snapshot modules as sources (the site ships them bundled into worker/worker.js)
const SNAPSHOT_SOURCES = new URL('../../web/worker/snapshot/', import.meta.url);
const snapshot = await import(new URL('capture.js', SNAPSHOT_SOURCES).href);
const { pack, parse } = await import(new URL('format.js', SNAPSHOT_SOURCES).href);
const { restore } = await import(new URL('restore.js', SNAPSHOT_SOURCES).href);
const PYTHON_DIR = '/home/pyodide/pynn_python'; // as web/worker/stages.js
const PYTHON = build.python; // {root, package, state, files}
const t = () => performance.now();

async function normalStart(makeSnapshot) {
  const pyodide = await loadPyodide({ indexURL, ...(makeSnapshot ? snapshot.captureOptions() : {}) });
  const recording = makeSnapshot ? snapshot.startRecording(pyodide) : null;
  try {
    await pyodide.loadPackage(build.packages, { messageCallback: () => {} });
    const wheel = path.join(site, build.wheel);
    const fsWheel = `/tmp/${path.basename(wheel)}`;
    pyodide.FS.writeFile(fsWheel, readFileSync(wheel));
    const micropip = pyodide.pyimport('micropip');
    await micropip.install(`emfs:${fsWheel}`);
    micropip.destroy();
    pyodide.FS.unlink(fsWheel);
    pyodide.FS.mkdirTree(`${PYTHON_DIR}/${PYTHON.package}`);
    for (const name of PYTHON.files) pyodide.FS.writeFile(`${PYTHON_DIR}/${name}`, readFileSync(path.join(site, PYTHON.root, name)));
    pyodide.runPython(`import sys\nif ${JSON.stringify(PYTHON_DIR)} not in sys.path: sys.path.insert(0, ${JSON.stringify(PYTHON_DIR)})`);
    pyodide.pyimport(PYTHON.package).destroy();
  } finally {
    if (recording) recording.stop();
  }
  return { pyodide, recording };
}

/** Predict held-out digits with the default model, then train one short epoch; all as numbers. */
function exercise(pyodide) {
  const pkg = pyodide.pyimport(PYTHON.package);
  const session = pkg[PYTHON.state](JSON.stringify(build.datasets));
  // MNIST's first training shard and its test shard, as the worker adds them
  const mnist = build.datasets.find((d) => d.id === 'mnist');
  const shard = (split) => new Uint8Array(gunzipSync(readFileSync(path.join(site, mnist[split].shards[0].url))));
  const trainShard = shard('train');
  const testShard = shard('test');
  const modelText = readFileSync(path.join(site, build.model), 'utf8');
  const t0 = t();
  session.add_shard('mnist', 'train', trainShard);
  session.add_shard('mnist', 'test', testShard);
  const t1 = t();
  session.load_model(modelText);
  const ms = { data: Math.round(t1 - t0), model: Math.round(t() - t1) };
  const inputs = mnist.side * mnist.side;
  const images = testShard; // the test digits: images first, labels after
  const predictions = [];
  for (const i of [0, 1, 7]) {
    const px = new Float32Array(inputs);
    for (let j = 0; j < inputs; j++) px[j] = images[i * inputs + j] / 255;
    predictions.push(JSON.parse(session.predict(px)).probabilities);
  }
  const about = JSON.parse(session.about());
  // modules first imported after the snapshot: a numpy extension (its library was restored),
  // pure-Python numpy and stdlib modules (files written back, the stdlib zip)
  const late = pyodide.runPython(`
import sys
fresh = [m for m in ("numpy._core._rational_tests", "numpy.polynomial", "email.mime.text") if m not in sys.modules]
from numpy._core._rational_tests import rational
import numpy.polynomial, email.mime.text
[fresh, str(rational(3, 4) * rational(2, 3)), numpy.polynomial.Polynomial([1, 2, 3])(2.0)]
`).toJs();
  const cfg = { hidden: [32], epochs: 1, samples: 512, batchSize: 32, learningRate: 0.05, optimizer: 'sgd', seed: 3 };
  session.fit_start(JSON.stringify(cfg), null, null);
  let slice;
  do slice = JSON.parse(session.fit_slice(1000)); while (!slice.done && !slice.error);
  const fit = JSON.parse(session.fit_finish(false, '{}'));
  session.destroy();
  pkg.destroy();
  return { predictions, about, late, slice: slice.error || null, fit, ms };
}

const out = {};
if (args.mode === 'capture') {
  const t0 = t();
  const { pyodide, recording } = await normalStart(true);
  out.startMs = t() - t0;
  const t1 = t();
  const cap = snapshot.capture(pyodide, recording, { buildId: build.build_id, dirs: [PYTHON_DIR] });
  out.captureMs = t() - t1;
  const t2 = t();
  const { parts, size } = await pack(cap.header, cap.memory, cap.contents);
  out.packMs = t() - t2;
  const all = new Uint8Array(size);
  let at = 0;
  for (const p of parts) { all.set(p, at); at += p.length; }
  if (at !== size) throw new Error(`packed ${at} bytes, expected ${size}`);
  writeFileSync(args.out, all);
  out.size = size;
  out.info = cap.info;
  out.result = exercise(pyodide);
} else if (args.mode === 'restore') {
  const buf = readFileSync(args.in);
  const bytes = new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength).slice();
  const t0 = t();
  const parsed = parse(bytes, { buildId: build.build_id });
  out.parseMs = t() - t0;
  const pyodide = await restore(loadPyodide, parsed, { indexURL });
  out.restoreMs = t() - t0;
  out.result = exercise(pyodide);
} else {
  const t0 = t();
  const { pyodide } = await normalStart(false);
  out.startMs = t() - t0;
  out.result = exercise(pyodide);
}
process.stdout.write(JSON.stringify(out) + '\n');
