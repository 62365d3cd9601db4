// app.js: wires the page together: drawing → predict, the training form → fit (with the live
// chart), and the models panel → storage. All Python runs in the worker behind pynn.js.

import pynn, { validateFitConfig, DEFAULT_LR, FIT_DEFAULTS } from './pynn.js';
import * as storage from './storage.js';
import { createPad, toMnist, drawPreview } from './draw.js';
import { createTrainingChart } from './plot.js';
import * as ui from './ui.js';

const { $ } = ui;
const PREDICT_EVERY_MS = 100;

let isReady = false;
let startFailed = false;
let maxSamples = FIT_DEFAULTS.samples; // size of the training pool, from the data
let training = false;

// --- status and messages -----------------------------------------------------------------------

pynn.events.addEventListener('status', (e) => {
  const { state, text } = e.detail;
  ui.setStatus(state, text);
  if (state === 'error') {
    startFailed = true;
    $('#active-model').textContent = 'None (the network could not be started)';
    updateButtons();
  }
});
pynn.events.addEventListener('notice', (e) => ui.showMessage(e.detail.text, e.detail.kind));
pynn.events.addEventListener('active', () => renderActive());
pynn.events.addEventListener('models', () => renderModelList());

function errorMessage(err) {
  return (err && err.message) || String(err);
}

// --- draw ----------------------------------------------------------------------------------------

const probsEl = $('#probs');
ui.buildProbs(probsEl);
const previewEl = $('[data-testid="preview"]');
drawPreview(previewEl, null);

let generation = 0; // bumps on Clear so a late answer for an old drawing is ignored
let dirty = false;
let inFlight = false;
let lastPredict = 0;
let rafPending = false;
let finalPending = false;

const pad = createPad($('#pad'), {
  onStart: () => ui.setDrawMessage(''),
  onStroke: () => {
    dirty = true;
    schedule();
  },
  onEnd: () => predictDrawingNow(),
});

/** Predict the drawing without the while-drawing throttle: a stroke ended or the model changed. */
function predictDrawingNow() {
  dirty = true;
  finalPending = true;
  schedule();
}

// a trained, loaded or imported model became active: show what it makes of the drawing
pynn.events.addEventListener('active', () => {
  if (!pad.isEmpty()) predictDrawingNow();
});

function schedule() {
  if (rafPending) return;
  rafPending = true;
  requestAnimationFrame(tick);
}

function tick() {
  rafPending = false;
  if (!dirty) return;
  const now = performance.now();
  if (inFlight || (!finalPending && now - lastPredict < PREDICT_EVERY_MS)) {
    schedule();
    return;
  }
  dirty = false;
  finalPending = false;
  runPrediction(false);
}

function clearPrediction() {
  ui.renderPrediction(null);
  ui.renderProbabilities(probsEl, null);
}

async function runPrediction(explicit) {
  const { pixels, empty } = toMnist(pad.canvas);
  drawPreview(previewEl, pixels);
  if (empty || pad.isEmpty()) {
    clearPrediction();
    ui.setDrawMessage('Draw a digit first');
    return;
  }
  if (startFailed) {
    ui.setDrawMessage('No prediction: the network could not be started (see the error at the top).');
    return;
  }
  if (!isReady) {
    ui.setDrawMessage('The model is still loading; the prediction will appear when it is ready.');
    pynn.ready.then(() => {
      dirty = true;
      schedule();
    }, () => {});
    return;
  }
  const gen = generation;
  inFlight = true;
  lastPredict = performance.now();
  try {
    const res = await pynn.predict(pixels);
    if (gen !== generation) return;
    ui.renderPrediction(res.label, res.probabilities[res.label]);
    ui.renderProbabilities(probsEl, res.probabilities, res.label);
    ui.setDrawMessage('');
  } catch (err) {
    if (explicit || gen === generation) ui.setDrawMessage(errorMessage(err));
  } finally {
    inFlight = false;
    if (dirty) schedule();
  }
}

$('#clear').addEventListener('click', () => {
  generation++;
  pad.clear();
  dirty = false;
  drawPreview(previewEl, null);
  clearPrediction();
  ui.setDrawMessage('Draw a digit first');
});

$('#predict').addEventListener('click', () => runPrediction(true));

// --- train ---------------------------------------------------------------------------------------

const form = $('#train-form');
const FIELD_IDS = {
  hidden: 'f-hidden',
  optimizer: 'f-optimizer',
  learningRate: 'f-lr',
  epochs: 'f-epochs',
  batchSize: 'f-batch',
  samples: 'f-samples',
};
const chart = createTrainingChart($('#chart'), $('.chart-fallback'));
let lrEdited = false;

$('#f-lr').addEventListener('input', () => {
  lrEdited = true;
});
$('#f-optimizer').addEventListener('change', (e) => {
  if (!lrEdited) $('#f-lr').value = String(DEFAULT_LR[e.target.value] ?? FIT_DEFAULTS.learningRate);
});
// clear a field's error as soon as it is edited
for (const id of Object.values(FIELD_IDS)) {
  $(`#${id}`).addEventListener('input', () => {
    $(`#${id}`).removeAttribute('aria-invalid');
    $(`#${id}-err`).textContent = '';
  });
}

function readForm() {
  const out = {};
  for (const [key, id] of Object.entries(FIELD_IDS)) out[key] = $(`#${id}`).value;
  return out;
}

function fmt(v, digits = 4) {
  return v == null || Number.isNaN(v) ? '–' : Number(v).toFixed(digits);
}

form.addEventListener('submit', async (e) => {
  e.preventDefault();
  if (training) return;
  const { config, errors } = validateFitConfig(readForm(), { maxSamples });
  const first = ui.showFieldErrors(form, errors, FIELD_IDS);
  if (!config) {
    ui.showMessage(`Please fix the training settings: ${Object.values(errors).join(' ')}`, 'error');
    first && first.focus();
    return;
  }
  if (!isReady) return;

  training = true;
  updateButtons();
  $('#results').hidden = true;
  $('#test-accuracy').textContent = '';
  $('#test-detail').textContent = '';
  chart.reset(config.epochs);
  ui.setProgress(0);
  ui.setTrainStatus(`Starting: ${[784, ...config.hidden, 10].join('-')}, ${config.optimizer}, ${config.samples.toLocaleString('en')} digits…`);
  ui.showMessage(
    `Training a ${[784, ...config.hidden, 10].join('-')} network. You can keep drawing: the current model answers until training ends.`,
    'info'
  );
  const started = performance.now();
  try {
    const res = await pynn.fit(config, (p) => {
      if (p.type === 'batch') {
        const x = p.epoch - 1 + p.batch / p.batches;
        chart.addBatch(x, p.loss, p.accuracy);
        ui.setProgress(p.progress);
        ui.setTrainStatus(
          `Epoch ${p.epoch}/${p.epochs} · batch ${p.batch}/${p.batches} · loss ${fmt(p.loss)}` +
            (p.accuracy != null ? ` · accuracy ${ui.pct(p.accuracy)}` : '')
        );
      } else {
        chart.addEpoch(p.epoch, p.valLoss, p.valAccuracy);
        ui.setProgress(p.progress);
      }
    });
    const secs = ((performance.now() - started) / 1000).toFixed(1);
    if (!res.committed) {
      ui.setTrainStatus(`Stopped before the first batch finished (${secs} s). The active model is unchanged.`);
      ui.showMessage('Training stopped before any batch finished; the active model is unchanged.', 'info');
    } else {
      const ev = res.evaluation;
      const epochsDone = res.history.loss.length;
      ui.setTrainStatus(
        (res.stopped
          ? `Stopped after ${epochsDone} full epoch${epochsDone === 1 ? '' : 's'} (${res.batches} batches) in ${secs} s.`
          : `Done: ${epochsDone} epoch${epochsDone === 1 ? '' : 's'} in ${secs} s.`) +
          ` Held-out accuracy ${ui.pct(ev.accuracy)}, loss ${fmt(ev.loss)}.`
      );
      if (!res.stopped) ui.setProgress(1);
      $('#test-accuracy').textContent = ui.pct(ev.accuracy);
      $('#test-detail').textContent = `on ${ev.count.toLocaleString('en')} digits · loss ${fmt(ev.loss)}`;
      ui.renderConfusion($('#confusion'), ev.confusion);
      $('#results').hidden = false;
      const kept = res.persisted ? ' It will be restored on your next visit; Save it to keep it under a name.' : '';
      if (!res.persistError) {
        ui.showMessage(
          `${res.stopped ? 'Training stopped' : 'Training finished'}: the new model is active (${ui.pct(ev.accuracy)} on held-out digits).${kept}`,
          'info'
        );
      }
    }
  } catch (err) {
    ui.setTrainStatus('Training did not run.');
    ui.showMessage(errorMessage(err), 'error');
    if (err.fields) ui.showFieldErrors(form, err.fields, FIELD_IDS);
  } finally {
    training = false;
    updateButtons();
  }
});

$('#stop').addEventListener('click', async () => {
  if (!training) return;
  ui.setTrainStatus('Stopping…');
  $('#stop').disabled = true;
  try {
    await pynn.stop();
  } catch (err) {
    ui.showMessage(errorMessage(err), 'error');
  }
});

// --- models --------------------------------------------------------------------------------------

function renderActive() {
  const a = pynn.activeModel();
  if (!a) return;
  $('#active-model').textContent = a.name;
  const parts = [ui.describeLayers(a.layers)];
  if (a.params) parts.push(`${a.params.toLocaleString('en')} parameters`);
  if (a.accuracy != null) parts.push(`${ui.pct(a.accuracy)} held-out`);
  $('#active-detail').textContent = parts.join(' · ');
  const nameInput = $('#model-name');
  if (a.suggestedName && !nameInput.value) nameInput.value = a.suggestedName;
}

function renderModelList() {
  let models = [];
  try {
    models = pynn.list();
  } catch (err) {
    ui.showMessage(errorMessage(err), 'error');
  }
  ui.renderModels($('#model-list'), $('#model-empty'), models, {
    onLoad: loadModel,
    onDelete: deleteModel,
    busy: training,
  });
  try {
    const used = storage.usage();
    $('#storage-usage').textContent = used ? `Using ${storage.formatSize(used)} of this browser's storage (about 5 MB).` : '';
  } catch (_) {
    $('#storage-usage').textContent = '';
  }
}

async function loadModel(name) {
  try {
    const m = await pynn.load(name);
    ui.showMessage(`Loaded "${name}" (${ui.describeLayers(m.layers)}). It is now the active model.`, 'info');
  } catch (err) {
    ui.showMessage(errorMessage(err), 'error');
  }
}

async function deleteModel(name) {
  let kept = null; // the stored text, so the deletion can be undone from the message
  try {
    kept = storage.readModel(name);
  } catch (_) {
    kept = null;
  }
  try {
    await pynn.remove(name);
    ui.showMessage(`Deleted "${name}".`, 'info', kept === null ? null : {
      label: 'Undo',
      onClick: () => {
        try {
          storage.saveModel(name, kept);
          ui.showMessage(`Restored "${name}".`, 'info');
        } catch (err) {
          ui.showMessage(errorMessage(err), 'error');
        }
        renderModelList();
      },
    });
  } catch (err) {
    ui.showMessage(errorMessage(err), 'error');
  }
}

$('#save-form').addEventListener('submit', async (e) => {
  e.preventDefault();
  const input = $('#model-name');
  const btn = $('#save');
  btn.disabled = true;
  try {
    const res = await pynn.save(input.value);
    ui.showMessage(
      `${res.replaced ? 'Replaced' : 'Saved'} "${res.name}" (${storage.formatSize(res.chars)}) in this browser.`,
      'info'
    );
  } catch (err) {
    ui.showMessage(errorMessage(err), 'error');
    if (err.code === 'name') input.focus();
  } finally {
    updateButtons();
  }
});

$('#export').addEventListener('click', async () => {
  try {
    const file = await pynn.exportModel();
    ui.showMessage(`Exported the active model as ${file.name} (${storage.formatSize(file.size)}).`, 'info');
  } catch (err) {
    ui.showMessage(errorMessage(err), 'error');
  }
});

$('#import').addEventListener('click', () => $('#import-file').click());
$('#import-file').addEventListener('change', async (e) => {
  const file = e.target.files && e.target.files[0];
  e.target.value = ''; // picking the same file again fires change again
  if (!file) return;
  try {
    const res = await pynn.importModel(file);
    ui.showMessage(
      `Imported "${res.name}" (${ui.describeLayers(res.layers)}); it is now the active model.` +
        (res.persisted ? ' Save it to keep it under a name.' : ''),
      'info'
    );
  } catch (err) {
    ui.showMessage(errorMessage(err), 'error');
  }
});

// --- buttons and start-up ------------------------------------------------------------------------

function updateButtons() {
  const ok = isReady;
  $('#train').disabled = !ok || training;
  $('#stop').disabled = !training;
  $('#save').disabled = !ok;
  $('#export').disabled = !ok;
  $('#import').disabled = !ok || training;
  $('#train').setAttribute('aria-busy', training ? 'true' : 'false');
  renderModelList();
}

updateButtons();

pynn.ready.then(
  (info) => {
    isReady = true;
    if (info.data && info.data.train) maxSamples = info.data.train;
    const dm = info.build && info.build.default_model;
    if (dm) {
      const acc = typeof dm.test_accuracy === 'number' ? `, ${ui.pct(dm.test_accuracy)} on the held-out digits` : '';
      $('#default-info').textContent = `Default model: ${ui.describeLayers(dm.layers)}${acc}, trained when the site was built.`;
    }
    if (info.data && info.data.train) $('#f-samples-help').textContent = `1 to ${info.data.train.toLocaleString('en')} digits`;
    renderActive();
    updateButtons();
    if (!pad.isEmpty()) {
      dirty = true;
      schedule();
    }
    registerOffline();
  },
  () => {
    startFailed = true;
    updateButtons();
  }
);

// Offline support: the service worker precaches the site once the page is ready (so it does not
// compete with start-up). Opt out with ?nosw in the URL.
function registerOffline() {
  if (!('serviceWorker' in navigator) || new URLSearchParams(location.search).has('nosw')) return;
  navigator.serviceWorker.register('./sw.js').catch((err) => {
    console.warn('Offline support is not available:', err && err.message);
  });
}

// another tab saved or deleted a model: show the same list here
window.addEventListener('storage', (e) => {
  if (e.key === null || e.key.startsWith(storage.PREFIX)) renderModelList();
});
