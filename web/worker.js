// worker.js: the one place where Python runs. A module worker that owns Pyodide and py_nn.
//
// Protocol (main thread <-> worker), every message is {id, type, payload}:
//   request types: init, predict, evaluate, fit, stop, toJson, loadJson, info
//   replies:       {id, type: "progress", payload}   (init stages, training progress)
//                  {id, type: "result", payload}
//                  {id, type: "error", error: {message, kind}}
// Every request is answered exactly once with "result" or "error"; nothing is thrown past the
// message handler. The worker never touches the DOM or localStorage.
//
// Start-up runs in named stages behind one promise (`ready`), every request awaits it:
//   runtime ("Loading Pyodide…") → packages ("Loading NumPy…") → py_nn ("Installing py_nn…")
//   → data + model ("Loading model…").

const SITE = new URL('./', import.meta.url);
const SLICE_MS = 25; // training runs in slices of about this long, then yields so "stop" and "predict" get through
const PROGRESS_EVERY_MS = 250; // at most ~4 batch-progress messages per second (+ every epoch end)

class UserError extends Error {
  constructor(message, kind = 'user') {
    super(message);
    this.kind = kind;
  }
}

let pyodide = null;
let py = null; // PyProxy functions of the bridge module (kept for the worker's life)
let ready = null; // Promise of the start-up stages
let training = null; // {stopRequested} while a fit runs

const post = (msg) => self.postMessage(msg);
const progress = (id, payload) => post({ id, type: 'progress', payload });

// Python side of the bridge. Only strings, numbers and JS typed arrays cross the boundary:
// results come back as JSON strings, so no PyProxy leaks out of these calls.
const BRIDGE = String.raw`
import json, time
import numpy as np
import py_nn

_S = {"net": None, "fit": None}

def _err_text(e):
    return f"{type(e).__name__}: {e}"

def load_data(images, labels, train, test):
    imgs = np.frombuffer(images.to_bytes(), dtype=np.uint8).reshape(-1, 784)
    ys = np.frombuffer(labels.to_bytes(), dtype=np.uint8).astype(np.int64)
    x = imgs.astype(np.float32)
    x *= np.float32(1.0 / 255.0)
    train, test = int(train), int(test)
    _S["x_train"], _S["y_train"] = x[:train], ys[:train]
    _S["x_test"], _S["y_test"] = x[train:train + test], ys[train:train + test]
    return json.dumps({"train": int(len(_S["y_train"])), "test": int(len(_S["y_test"]))})

def _info(net):
    md = getattr(net, "metadata", None) or {}
    layers = [int(v) for v in net.layers]
    params = sum(a * b + b for a, b in zip(layers[:-1], layers[1:]))
    return {"layers": layers, "params": int(params), "metadata": md}

def model_info():
    return json.dumps(_info(_S["net"]))

def parse_model(text):
    """Validate a model document with from_json; returns the network or raises ValueError."""
    net = py_nn.NeuralNetwork.from_json(text)
    layers = [int(v) for v in net.layers]
    if layers[0] != 784 or layers[-1] != 10:
        raise ValueError(
            f"the model has layers {layers}, but this page needs 784 inputs (28x28 pixels) and 10 outputs "
            "(digits 0-9)")
    return net

def load_model(text):
    net = parse_model(text)          # raises before anything is replaced
    _S["net"] = net
    return json.dumps(_info(net))

def to_json(metadata_json):
    net = _S["net"]
    md = dict(getattr(net, "metadata", None) or {})
    md.update(json.loads(metadata_json or "{}"))
    return net.to_json(metadata=md)

def predict(pixels):
    x = np.frombuffer(pixels.to_bytes(), dtype=np.float32).reshape(1, 784)
    p = np.asarray(_S["net"].predict(x), dtype=np.float64)[0]
    return json.dumps({"label": int(np.argmax(p)), "probabilities": [float(v) for v in p]})

def _evaluate(net):
    x, y = _S["x_test"], _S["y_test"]
    p = net.predict(x)  # one forward pass serves the loss, the accuracy and the matrix
    pred = p.argmax(axis=1)
    loss = float(np.mean(py_nn.categorical_crossentropy(p, py_nn.to_categorical(y, 10))))
    cm = py_nn.confusion_matrix(y, pred, num_classes=10)
    return {"accuracy": float(np.mean(pred == y)), "loss": loss, "count": int(len(y)),
            "confusion": cm.tolist()}

def evaluate():
    return json.dumps(_evaluate(_S["net"]))

def fit_start(cfg_json):
    cfg = json.loads(cfg_json)
    layers = [784] + [int(h) for h in cfg["hidden"]] + [10]
    opt = py_nn.get_optimizer(cfg["optimizer"], lr=float(cfg["learningRate"]))
    net = py_nn.NeuralNetwork(layers=layers, hidden_activation="relu", output_activation="softmax",
                              loss="categorical_crossentropy", optimizer=opt, dtype="float32",
                              seed=int(cfg.get("seed", 0)))
    n = int(cfg["samples"])
    x, y = _S["x_train"][:n], _S["y_train"][:n]
    gen = net.fit_steps(x, y, batch_size=int(cfg["batchSize"]), epochs=int(cfg["epochs"]),
                        categorical=True, validation_data=(_S["x_test"], _S["y_test"]), shuffle=True)
    _S["fit"] = {"net": net, "gen": gen, "cfg": cfg, "batches_done": 0, "last": None,
                 "history": {"loss": [], "accuracy": [], "val_loss": [], "val_accuracy": []}}
    return json.dumps({"layers": layers})

def _clean(ev):
    out = {}
    for k, v in ev.items():
        if isinstance(v, (np.floating, np.integer)):
            v = v.item()
        out[k] = v
    return out

def fit_slice(budget_ms):
    f = _S["fit"]
    t0 = time.perf_counter()
    epochs, done = [], False
    while True:
        try:
            ev = _clean(next(f["gen"]))
        except StopIteration:
            done = True
            break
        if ev.get("event") == "epoch":
            for k in f["history"]:
                f["history"][k].append(ev.get(k))
            epochs.append(ev)
        else:
            f["batches_done"] += 1
            f["last"] = ev
        if (time.perf_counter() - t0) * 1000.0 >= budget_ms:
            break
    return json.dumps({"batch": f["last"], "epochs": epochs, "done": done})

def fit_finish(stopped, metadata_json):
    f = _S.pop("fit")
    try:
        f["gen"].close()
    except Exception:
        pass
    result = {"history": f["history"], "stopped": bool(stopped), "batches": f["batches_done"],
              "committed": False}
    if f["batches_done"] > 0:
        net = f["net"]
        ev = _evaluate(net)
        md = json.loads(metadata_json)
        md["test_accuracy"] = ev["accuracy"]
        net.metadata = md
        _S["net"] = net
        result.update(committed=True, evaluation=ev, info=_info(net))
    return json.dumps(result)

def fit_abort():
    f = _S.pop("fit", None)
    if f is not None:
        try:
            f["gen"].close()
        except Exception:
            pass
`;

// --- helpers ---------------------------------------------------------------------------------

/** Last line of a Python traceback ("ValueError: ..."), or the JS message. */
function errorText(err) {
  const text = (err && err.message) || String(err);
  if (err && err.type && /Traceback/.test(text)) {
    const lines = text.trim().split('\n').filter((l) => l.trim());
    return lines[lines.length - 1].trim();
  }
  return text;
}

function stripPythonType(text) {
  // "py_nn.serialization.ModelFormatError: msg." -> "msg" (the caller adds its own sentence end)
  return text.replace(/^(?:[A-Za-z_][\w]*\.)*[A-Za-z_]\w*(?:Error|Exception):\s*/, '').replace(/[.\s]+$/, '');
}

async function fetchOk(url, what) {
  let res;
  try {
    res = await fetch(url);
  } catch (err) {
    throw new UserError(`Could not fetch ${what} (${url.pathname}): ${err.message}. Is the site still being served?`, 'fatal');
  }
  if (!res.ok) {
    throw new UserError(
      `Could not fetch ${what}: ${url.pathname} answered HTTP ${res.status}. Rebuild the site with "python3 build.py" and serve the site/ folder.`,
      'fatal'
    );
  }
  return res;
}

// Yield to the event loop so queued messages ("stop", "predict") are handled between slices.
// A MessageChannel round trip is not clamped like nested setTimeout calls.
function yieldToEventLoop() {
  return new Promise((resolve) => {
    const ch = new MessageChannel();
    ch.port1.onmessage = () => {
      ch.port1.close();
      resolve();
    };
    ch.port2.postMessage(0);
  });
}

// --- start-up stages ---------------------------------------------------------------------------

async function stageRuntime(id) {
  progress(id, { stage: 'runtime', text: 'Loading Pyodide…' });
  const indexURL = new URL('./pyodide/', import.meta.url).href;
  let mod;
  try {
    mod = await import(new URL('./pyodide/pyodide.mjs', import.meta.url).href);
  } catch (err) {
    throw new UserError(
      `Could not load Pyodide from ${indexURL}pyodide.mjs (${err.message}). Rebuild the site with "python3 build.py".`,
      'fatal'
    );
  }
  try {
    pyodide = await mod.loadPyodide({ indexURL });
  } catch (err) {
    throw new UserError(`Pyodide failed to start: ${errorText(err)}. Reload the page; if it persists, rebuild the site.`, 'fatal');
  }
}

async function stagePackages(id) {
  progress(id, { stage: 'packages', text: 'Loading NumPy…' });
  const problems = [];
  try {
    await pyodide.loadPackage(['numpy', 'micropip'], {
      messageCallback: () => {},
      errorCallback: (msg) => problems.push(msg),
    });
  } catch (err) {
    problems.push(errorText(err));
  }
  if (problems.length) {
    throw new UserError(
      `Could not load NumPy and micropip into Pyodide: ${problems.map((p) => String(p).trim()).join(' ')}. Rebuild the site with "python3 build.py".`,
      'fatal'
    );
  }
}

async function stagePyNN(id, build) {
  progress(id, { stage: 'py_nn', text: 'Installing py_nn…' });
  if (!build.wheel) throw new UserError('build.json names no py_nn wheel ("wheel"). Rebuild the site with "python3 build.py".', 'fatal');
  const wheelURL = new URL(build.wheel, SITE).href; // absolute, so it works under any sub-path
  await fetchOk(new URL(wheelURL), 'the py_nn wheel'); // a clear message for a missing file (cached for micropip)
  const micropip = pyodide.pyimport('micropip');
  try {
    await micropip.install(wheelURL);
  } catch (err) {
    throw new UserError(`Could not install py_nn from ${wheelURL}: ${errorText(err)}. Rebuild the site with "python3 build.py".`, 'fatal');
  } finally {
    micropip.destroy();
  }
  try {
    defineBridge();
  } catch (err) {
    throw new UserError(`py_nn was installed but could not be imported: ${errorText(err)}. Rebuild the site with "python3 build.py".`, 'fatal');
  }
}

function defineBridge() {
  const dictType = pyodide.globals.get('dict');
  const ns = dictType();
  dictType.destroy();
  pyodide.runPython(BRIDGE, { globals: ns });
  const names = ['load_data', 'model_info', 'parse_model', 'load_model', 'to_json', 'predict', 'evaluate',
    'fit_start', 'fit_slice', 'fit_finish', 'fit_abort'];
  py = {};
  for (const name of names) py[name] = ns.get(name);
  ns.destroy();
}

// Start downloading the digits while Pyodide loads; stageData() awaits the result.
function fetchData(build) {
  const dataURL = new URL(build.data || 'data/mnist.json', SITE);
  const imgURL = new URL('mnist-images.u8', dataURL);
  const lblURL = new URL('mnist-labels.u8', dataURL);
  return Promise.all([
    fetchOk(dataURL, 'the digit data description').then((r) => r.json()),
    fetchOk(imgURL, 'the digit images').then((r) => r.arrayBuffer()),
    fetchOk(lblURL, 'the digit labels').then((r) => r.arrayBuffer()),
  ]);
}

async function stageData(id, dataPromise) {
  progress(id, { stage: 'model', text: 'Loading model…' });
  const [meta, imgBuf, lblBuf] = await dataPromise;
  const images = new Uint8Array(imgBuf);
  const labels = new Uint8Array(lblBuf);
  const count = meta.count ?? labels.length;
  if (images.length !== count * 784 || labels.length !== count) {
    throw new UserError(
      `The digit data is inconsistent: ${images.length} image bytes and ${labels.length} labels for ${count} digits. Rebuild the site.`,
      'fatal'
    );
  }
  const train = meta.train ?? 8000;
  const test = meta.test ?? count - train;
  return JSON.parse(py.load_data(images, labels, train, test));
}

async function init(id, payload) {
  const t0 = performance.now();
  const buildURL = new URL('build.json', SITE);
  const build = await (await fetchOk(buildURL, 'build.json')).json();
  const dataPromise = fetchData(build);
  dataPromise.catch(() => {}); // awaited (and reported) in stageData
  const restoring = !!(payload && payload.restore && typeof payload.restore.json === 'string');
  const modelURL = new URL(build.model || 'models/default.json', SITE);
  const modelPromise = restoring ? null : fetchOk(modelURL, 'the default model').then((r) => r.text());
  if (modelPromise) modelPromise.catch(() => {});
  const stages = {};
  const timed = async (name, fn) => {
    const t = performance.now();
    const out = await fn();
    stages[name] = Math.round(performance.now() - t);
    return out;
  };
  await timed('runtime', () => stageRuntime(id));
  await timed('packages', () => stagePackages(id));
  await timed('py_nn', () => stagePyNN(id, build));
  const data = await timed('data', () => stageData(id, dataPromise));
  const tModel = performance.now();

  // The model: the restored one if it is valid, otherwise the shipped default.
  let restoreError = null;
  let info = null;
  let source = 'default';
  if (payload && payload.restore && typeof payload.restore.json === 'string') {
    try {
      info = JSON.parse(py.load_model(payload.restore.json));
      source = 'restored';
    } catch (err) {
      restoreError = stripPythonType(errorText(err));
    }
  }
  if (!info) {
    const text = await (modelPromise || fetchOk(modelURL, 'the default model').then((r) => r.text()));
    try {
      info = JSON.parse(py.load_model(text));
    } catch (err) {
      throw new UserError(`The default model (${modelURL.pathname}) could not be loaded: ${stripPythonType(errorText(err))}. Rebuild the site.`, 'fatal');
    }
  }
  stages.model = Math.round(performance.now() - tModel);
  const version = pyodide.runPython('import py_nn; py_nn.__version__');
  return { info, source, restoreError, data, build, version, stages, startupMs: Math.round(performance.now() - t0) };
}

// --- requests ----------------------------------------------------------------------------------

function requirePixels(payload) {
  const px = payload && payload.pixels;
  if (!(px instanceof Float32Array) || px.length !== 784) {
    throw new UserError('predict needs a Float32Array of 784 values (28x28 pixels, 0 = background .. 1 = ink).');
  }
  return px;
}

async function fit(id, payload) {
  if (training) {
    throw new UserError('A training run is already in progress: wait for it to finish or press Stop first.', 'busy');
  }
  const cfg = payload.config;
  training = { stopRequested: false };
  const t0 = performance.now();
  let lastSent = 0;
  let stopped = false;
  try {
    py.fit_start(JSON.stringify(cfg));
    for (;;) {
      if (training.stopRequested) {
        stopped = true;
        break;
      }
      const slice = JSON.parse(py.fit_slice(SLICE_MS));
      const now = performance.now();
      if (slice.epochs.length || slice.done || now - lastSent >= PROGRESS_EVERY_MS) {
        lastSent = now;
        progress(id, { batch: slice.batch, epochs: slice.epochs, elapsedMs: Math.round(now - t0) });
      }
      if (slice.done) break;
      await yieldToEventLoop();
    }
    const metadata = {
      name: payload.name || 'Trained model',
      trainedAt: new Date().toISOString(),
      training: { ...cfg, stopped, seconds: Math.round(performance.now() - t0) / 1000 },
    };
    const result = JSON.parse(py.fit_finish(stopped, JSON.stringify(metadata)));
    result.elapsedMs = Math.round(performance.now() - t0);
    return result;
  } catch (err) {
    try {
      py.fit_abort();
    } catch (_) {
      /* already cleaned */
    }
    throw new UserError(`Training failed: ${stripPythonType(errorText(err))}. The active model is unchanged.`, 'fit');
  } finally {
    training = null;
  }
}

const handlers = {
  init,
  async info() {
    return JSON.parse(py.model_info());
  },
  async predict(id, payload) {
    return JSON.parse(py.predict(requirePixels(payload)));
  },
  async evaluate() {
    return JSON.parse(py.evaluate());
  },
  fit,
  async stop() {
    if (!training) return { stopping: false };
    training.stopRequested = true;
    return { stopping: true };
  },
  async toJson(id, payload) {
    return { json: py.to_json(JSON.stringify((payload && payload.metadata) || {})) };
  },
  async loadJson(id, payload) {
    if (training) {
      throw new UserError('Training is running: press Stop (or wait for it to finish) before loading another model.', 'busy');
    }
    if (!payload || typeof payload.json !== 'string') throw new UserError('loadJson needs the model document as a string.');
    try {
      return JSON.parse(py.load_model(payload.json)); // from_json validates before the active model is replaced
    } catch (err) {
      throw new UserError(stripPythonType(errorText(err)), 'invalid-model');
    }
  },
};

self.onmessage = async (event) => {
  const { id, type, payload } = event.data || {};
  try {
    const handler = handlers[type];
    if (!handler) throw new UserError(`Unknown request "${type}".`);
    if (type === 'init') {
      ready = handler(id, payload);
      post({ id, type: 'result', payload: await ready });
      return;
    }
    if (!ready) throw new UserError('The worker has not been started (send "init" first).');
    await ready;
    post({ id, type: 'result', payload: await handler(id, payload) });
  } catch (err) {
    const kind = (err && err.kind) || 'internal';
    const message = err instanceof UserError ? err.message : `Unexpected error in the Python worker: ${errorText(err)}`;
    post({ id, type: 'error', error: { message, kind } });
  }
};

self.addEventListener('unhandledrejection', (event) => {
  event.preventDefault();
  post({ id: 0, type: 'error', error: { message: `Unexpected error in the Python worker: ${errorText(event.reason)}`, kind: 'internal' } });
});
