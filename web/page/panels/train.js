// panels/train.js: the Train panel: the data set (switching makes its own model active), the form
// (checked by fit-options.js, errors shown next to each field), the live progress bar, status line
// and chart, Stop, the test-split results and a table of this visit's runs.

import { validateFitConfig, fitDefaults, layersOf, DEFAULT_LR, OPTIMIZERS, OPTIMIZER_NOTES } from '../../shared/fit-options.js';
import { createTrainingChart } from '../plot.js';
import * as ui from '../ui.js';
import pynn from '../pynn.js';
import { mountRunControls, readAugment } from './run-controls.js';
import { builtInDataset, credit } from '../../shared/datasets.js';
import { announce, TEXT as SAY } from '../a11y/announce.js';
import { tableToggle, TEXT as ALT } from '../a11y/text-alt.js';

const { $ } = ui;
const FIELD_IDS = {
  hidden: 'f-hidden',
  optimizer: 'f-optimizer',
  learningRate: 'f-lr',
  epochs: 'f-epochs',
  batchSize: 'f-batch',
  samples: 'f-samples',
  seed: 'f-seed',
  dataset: 'f-dataset',
};

const fmt = (v, digits = 4) => (v == null || Number.isNaN(v) ? '–' : Number(v).toFixed(digits));
const plural = (n, word) => `${n} ${word}${n === 1 ? '' : 's'}`;

/** Wire the Train panel to `session`. */
export function mountTrain(session) {
  const form = $('#train-form');
  const chart = createTrainingChart($('#chart'), $('.chart-fallback'));
  let lrEdited = false;
  let lastBatches = null;
  const epochTable = tableToggle(ALT.chartCaption, 'chart-table');
  $('.chart-box').after(epochTable.el);
  let epochRows = []; // the chart's numbers per finished epoch, for its table and its label
  let downloadSaid = false;
  const controls = mountRunControls(session, { chart, onProgress: (p) => onProgress(p), readAugment: () => readAugment() });

  function showLrNote() {
    const opt = $('#f-optimizer').value;
    $('#f-lr-help').textContent = lrEdited ? `${OPTIMIZER_NOTES[opt]}: ${DEFAULT_LR[opt]}` : OPTIMIZER_NOTES[opt];
  }

  $('#f-lr').addEventListener('input', () => {
    lrEdited = true;
    showLrNote();
  });
  $('#f-optimizer').addEventListener('change', (e) => {
    if (!lrEdited) $('#f-lr').value = String(DEFAULT_LR[e.target.value]);
    showLrNote();
  });
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

  function updateButtons() {
    const running = session.training;
    $('#train').disabled = session.state !== 'ready' || running;
    $('#train').setAttribute('aria-busy', running ? 'true' : 'false');
    $('#stop').disabled = !running;
    controls.update();
  }

  for (const name of OPTIMIZERS) $('#f-optimizer').append(new Option(name, name));

  // Your data sets (Teach panel, "Your data") in their own group of the choice, refreshed when the
  // choice is opened: picking one keeps the active model; Train then makes a new network for it.
  const yours = document.createElement('optgroup');
  yours.label = 'Yours';
  async function listYours() {
    const own = (await session.datasets()).filter((d) => !builtInDataset(session.facts, d.id));
    const chosen = $('#f-dataset').value;
    yours.replaceChildren(...own.map((d) => new Option(`${d.name} (${d.classes.length} classes)`, d.id)));
    if (own.length && !yours.parentNode) $('#f-dataset').append(yours);
    $('#f-dataset').value = chosen;
    return own;
  }
  $('#f-dataset').addEventListener('focus', () => listYours().catch(() => {}));

  /** A data set of yours chosen for the next Train: its counts next to the form. */
  async function showYours(id) {
    const d = (await listYours()).find((x) => x.id === id);
    if (!d) return;
    $('#f-dataset').value = id;
    $('#f-samples').value = String(d.train);
    $('#f-samples-help').textContent = `1 to ${d.train.toLocaleString('en')} samples`;
    $('#held-out-count').textContent = d.test.toLocaleString('en');
    $('#f-dataset-help').textContent = `Your data set: ${d.train} training and ${d.test} test samples of ${d.classes.length} classes (${d.classes.join(', ')}). Train makes a new network for it; the active model stays until then.`;
  }

  /** The data set's limits and credit next to the form (`id`: a built-in data set). */
  function showDataset(id) {
    const entry = builtInDataset(session.facts, id);
    if (!entry) {
      if (id) showYours(id).catch(() => {});
      return;
    }
    $('#f-dataset').value = id;
    $('#f-samples-help').textContent = `1 to ${entry.train.count.toLocaleString('en')} samples`;
    $('#held-out-count').textContent = entry.test.count.toLocaleString('en');
    $('#f-dataset-help').textContent = `${credit(entry)}. ${entry.train.count.toLocaleString('en')} training and ${entry.test.count.toLocaleString('en')} test samples; its model: ${ui.pct(entry.model_test_accuracy)} on the test samples.`;
  }

  session.addEventListener('facts', (e) => {
    for (const d of e.detail.datasets) $('#f-dataset').append(new Option(d.name, d.id));
    const defaults = fitDefaults(session.shape);
    for (const [key, id] of Object.entries(FIELD_IDS)) {
      const v = defaults[key];
      if (v !== undefined) $(`#${id}`).value = Array.isArray(v) ? v.join(', ') : String(v);
    }
    showDataset(session.datasetId);
    showLrNote();
  });
  session.addEventListener('active', (e) => showDataset(e.detail.dataset));
  // picking a data set makes its own model active (the Draw and Inside panels work at once)
  $('#f-dataset').addEventListener('change', async (e) => {
    const id = e.target.value;
    if (!builtInDataset(session.facts, id)) {
      showYours(id).catch((err) => ui.showMessage(err.message, 'error'));
      return;
    }
    ui.setTrainStatus(`Loading the ${e.target.selectedOptions[0].text} model…`);
    try {
      const active = await session.useDataset(id);
      ui.setTrainStatus(`${active.name} is active: ${active.classes.join(', ')}.`);
      announce($('[data-testid="train-status"]').textContent);
    } catch (err) {
      ui.setTrainStatus('');
      ui.showMessage(err.message, 'error');
      announce(err.message);
      showDataset(session.datasetId);
    }
  });
  session.addEventListener('status', updateButtons);
  session.addEventListener('training', updateButtons);

  function onProgress(p) {
    if (p.type === 'download') {
      ui.setTrainStatus(`${p.text} (${p.samples.toLocaleString('en')} samples)…`);
      if (!downloadSaid) announce(p.text); // once per run: the shards' progress is on the status line
      downloadSaid = true;
    } else if (p.type === 'batch') {
      chart.addBatch(p.epoch - 1 + p.batch / p.batches, p.loss, p.accuracy, (p.epoch - 1) * p.batches + p.batch, p.batches);
      lastBatches = p.batches;
      ui.setProgress(p.progress);
      ui.setTrainStatus(
        `Epoch ${p.epoch}/${p.epochs} · batch ${p.batch}/${p.batches} · loss ${fmt(p.loss)}` +
          (p.accuracy != null ? ` · accuracy ${ui.pct(p.accuracy)}` : '')
      );
    } else {
      chart.addEpoch(p.epoch, p.valLoss, p.valAccuracy, p.epoch * (lastBatches || 1));
      ui.setProgress(p.progress);
      showEpoch(p);
    }
  }

  /** An epoch ended: a screen reader hears its accuracy; the chart's table and label get its numbers. */
  function showEpoch(p) {
    const acc = p.valAccuracy != null ? p.valAccuracy : p.accuracy;
    announce(SAY.epoch(p.epoch, p.epochs, ui.pct(acc)));
    epochRows = epochRows.filter((r) => r[0] !== p.epoch).concat([[p.epoch, p.loss, p.accuracy, p.valLoss, p.valAccuracy]]);
    const pctOr = (v) => (v == null ? '–' : ui.pct(v));
    epochTable.set(ALT.chartHeaders, epochRows.map(([n, l, a, vl, va]) => [n, l ?? '–', pctOr(a), vl ?? '–', pctOr(va)]));
    $('#chart').setAttribute('aria-label', ALT.chartLabel(epochRows.length, ui.pct(acc)));
  }

  function showResult(res, secs) {
    announce(!res.committed ? SAY.stoppedEarly : SAY.trained(res.stopped, res.history.loss.length, ui.pct(res.evaluation.accuracy)));
    if (!res.committed) {
      ui.setTrainStatus(`Stopped before the first batch finished (${secs} s). The active model is unchanged.`);
      ui.showMessage('Training stopped before any batch finished; the active model is unchanged.', 'info');
      return;
    }
    const ev = res.evaluation;
    const epochsDone = res.history.loss.length;
    ui.setTrainStatus(
      (res.stopped
        ? `Stopped after ${plural(epochsDone, 'full epoch')} (${res.batches} batches) in ${secs} s.`
        : `Done: ${plural(epochsDone, 'epoch')} in ${secs} s.`) + ` Held-out accuracy ${ui.pct(ev.accuracy)}, loss ${fmt(ev.loss)}.`
    );
    if (!res.stopped) ui.setProgress(1);
    $('#test-accuracy').textContent = ui.pct(ev.accuracy);
    $('#test-detail').textContent = `on ${ev.count.toLocaleString('en')} test samples · loss ${fmt(ev.loss)}`;
    ui.renderConfusion($('#confusion'), ev.confusion, session.active.classes);
    $('#results').hidden = false;
    addRun(res, ev);
    if (res.persistError) {
      ui.showMessage(res.persistError, 'error');
      return;
    }
    ui.showMessage(
      `${res.stopped ? 'Training stopped' : 'Training finished'}: the new model is active (${ui.pct(ev.accuracy)} on held-out digits).` +
        ' It will be restored on your next visit; Save it to keep it under a name.',
      'info'
    );
  }

  /** A row of the runs table: data set, layers, optimizer, epochs, test accuracy. */
  function addRun(res, ev) {
    const a = session.active;
    const entry = builtInDataset(session.facts, a.dataset);
    const cfg = session.lastFit || {};
    const epochs = `${res.history.loss.length}${res.stopped ? ' (stopped)' : ''}`;
    const row = document.createElement('tr');
    for (const text of [entry ? entry.name : a.dataset, a.layers.join('-'), cfg.optimizer || '', epochs, ui.pct(ev.accuracy, 2)]) {
      row.append(Object.assign(document.createElement('td'), { textContent: text }));
    }
    $('#runs tbody').append(row);
    $('#runs').hidden = false;
  }

  /** One training run with this panel's progress, chart and results (the Code panel's too);
   * `onEvent(p)` sees every progress event. Resolves to the fit's result; rejects after showing why. */
  async function runFit(config, { what = '', onEvent, augment = null } = {}) {
    const layers = layersOf(config, session.shapeOf(config.dataset || session.datasetId)).join('-') + (what ? ` ${what}` : '');
    $('#results').hidden = true;
    $('#test-accuracy').textContent = '';
    $('#test-detail').textContent = '';
    chart.reset(config.epochs);
    epochRows = [];
    epochTable.set(ALT.chartHeaders, []);
    downloadSaid = false;
    ui.setProgress(0);
    ui.setTrainStatus(`Starting: ${layers}, ${config.optimizer}, ${config.samples.toLocaleString('en')} samples…`);
    ui.showMessage(`Training a ${layers} network. You can keep drawing: the current model answers until training ends.`, 'info');
    const started = performance.now();
    try {
      const handler = (p) => {
        if (p.type !== 'output') onProgress(p);
        if (onEvent) onEvent(p);
      };
      // Augmented runs go through the facade, which checks the augmentation settings.
      const res = augment ? await pynn.fit({ ...config, augment }, handler) : await session.fit(config, handler);
      showResult(res, ((performance.now() - started) / 1000).toFixed(1));
      return res;
    } catch (err) {
      ui.setTrainStatus('Training did not run.');
      ui.showMessage(err.message, 'error');
      announce(SAY.failed(err.message));
      throw err;
    }
  }

  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    if (session.training || session.state !== 'ready') return;
    const values = readForm();
    const { config, errors } = validateFitConfig(values, session.shapeOf(values.dataset) || session.shape);
    const first = ui.showFieldErrors(form, errors, FIELD_IDS);
    if (!config) {
      ui.showMessage(`Please fix the training settings: ${Object.values(errors).join(' ')}`, 'error');
      if (first) first.focus();
      return;
    }
    runFit(config, { augment: readAugment() }).catch(() => {}); // runFit showed what went wrong
  });

  $('#stop').addEventListener('click', async () => {
    if (!session.training) return;
    ui.setTrainStatus('Stopping…');
    $('#stop').disabled = true;
    try {
      await session.stop();
    } catch (err) {
      ui.showMessage(err.message, 'error');
    }
  });

  updateButtons();
  return { runFit };
}
