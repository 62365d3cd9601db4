// panels/train.js: the Train panel: the data set (switching makes its own model active), the form
// (checked by fit-options.js, errors shown next to each field), the live progress bar, status line
// and chart, Stop, the test-split results and a table of this visit's runs.

import { validateFitConfig, fitDefaults, layersOf, DEFAULT_LR, OPTIMIZERS } from '../../shared/fit-options.js';
import { createTrainingChart } from '../plot.js';
import * as ui from '../ui.js';
import pynn from '../pynn.js';
import { mountRunControls, readAugment } from './run-controls.js';
import { builtInDataset } from '../../shared/datasets.js';
import { announce, SAY } from '../a11y/announce.js';
import { columns, tableToggle } from '../a11y/text-alt.js';
import { errorMessage, has, setAttr, setText, t } from '../i18n/i18n.js';
import { datasetName, modelName } from '../i18n/names.js';

const { $ } = ui;
const CHART_COLUMNS = () => columns(['epoch', 'trainLoss', 'trainAccuracy', 'valLoss', 'valAccuracy']);
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

const fmt = (v, digits = 4) => (v == null || Number.isNaN(v) ? '–' : { num: Number(v), digits });

/** Wire the Train panel to `session`. */
export function mountTrain(session) {
  const form = $('#train-form');
  const chart = createTrainingChart($('#chart'), $('.chart-fallback'));
  let lrEdited = false;
  let lastBatches = null;
  const epochTable = tableToggle(t('a11y.chartCaption'), 'chart-table');
  $('.chart-box').after(epochTable.el);
  let epochRows = []; // the chart's numbers per finished epoch, for its table and its label
  let downloadSaid = false;
  const controls = mountRunControls(session, { chart, onProgress: (p) => onProgress(p), readAugment: () => readAugment() });

  function showLrNote() {
    const opt = $('#f-optimizer').value;
    const note = { key: `train.optimizerNotes.${opt}` };
    if (lrEdited) setText($('#f-lr-help'), 'train.noteWithLr', { note, lr: String(DEFAULT_LR[opt]) });
    else setText($('#f-lr-help'), note.key);
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
      ui.show($(`#${id}-err`), '');
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
  setAttr(yours, 'label', 'train.yours');
  async function listYours() {
    const own = (await session.datasets()).filter((d) => !builtInDataset(session.facts, d.id));
    const chosen = $('#f-dataset').value;
    yours.replaceChildren(...own.map((d) => new Option(t('train.yourOption', { name: d.name, count: d.classes.length }), d.id)));
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
    setText($('#f-samples-help'), 'train.samplesHelp', { max: d.train });
    setText($('#held-out-count'), 'common.number', { n: d.test });
    setText($('#f-dataset-help'), 'train.yourDatasetHelp', { train: String(d.train), test: String(d.test), count: d.classes.length, classes: d.classes.join(', ') });
  }

  /** The data set's limits and credit next to the form (`id`: a built-in data set). */
  function showDataset(id) {
    const entry = builtInDataset(session.facts, id);
    if (!entry) {
      if (id) showYours(id).catch(() => {});
      return;
    }
    $('#f-dataset').value = id;
    setText($('#f-samples-help'), 'train.samplesHelp', { max: entry.train.count });
    setText($('#held-out-count'), 'common.number', { n: entry.test.count });
    const licence = entry.license ? { key: 'train.licence', params: { license: entry.license } } : { key: 'train.noLicence', params: { name: entry.name } };
    setText($('#f-dataset-help'), 'train.builtInHelp', { licence, train: entry.train.count, test: entry.test.count, acc: { pct: entry.model_test_accuracy } });
  }

  session.addEventListener('facts', (e) => {
    for (const d of e.detail.datasets) {
      const option = new Option(d.name, d.id);
      if (has(`datasets.${d.id}`)) setText(option, `datasets.${d.id}`); // a built-in data set's name in the page's language
      $('#f-dataset').append(option);
    }
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
      showYours(id).catch((err) => ui.showMessage(errorMessage(err), 'error'));
      return;
    }
    ui.setTrainStatus({ key: 'train.loadingModel', params: { name: e.target.selectedOptions[0].text } });
    try {
      const active = await session.useDataset(id);
      ui.setTrainStatus({ key: 'train.datasetActive', params: { name: modelName(active.name), classes: active.classes.join(', ') } });
      announce($('[data-testid="train-status"]').textContent);
    } catch (err) {
      ui.setTrainStatus('');
      ui.showMessage(errorMessage(err), 'error');
      showDataset(session.datasetId);
    }
  });
  session.addEventListener('status', updateButtons);
  session.addEventListener('training', updateButtons);

  function onProgress(p) {
    if (p.type === 'download') {
      const d = p.download || p;
      ui.setTrainStatus({ key: 'train.downloading', params: { name: datasetName({ id: d.dataset, name: d.name }), split: { key: `train.split.${d.split}` }, files: String(d.files), count: d.of, samples: p.samples } });
      if (!downloadSaid) announce($('[data-testid="train-status"]').textContent); // once per run: the shards' progress is on the status line
      downloadSaid = true;
    } else if (p.type === 'batch') {
      chart.addBatch(p.epoch - 1 + p.batch / p.batches, p.loss, p.accuracy, (p.epoch - 1) * p.batches + p.batch, p.batches);
      lastBatches = p.batches;
      ui.setProgress(p.progress);
      const params = { epoch: String(p.epoch), epochs: String(p.epochs), batch: String(p.batch), batches: String(p.batches), loss: fmt(p.loss) };
      if (p.accuracy != null) ui.setTrainStatus({ key: 'train.batchStatusAcc', params: { ...params, acc: { pct: p.accuracy } } });
      else ui.setTrainStatus({ key: 'train.batchStatus', params });
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
    epochTable.set(CHART_COLUMNS(), epochRows.map(([n, l, a, vl, va]) => [n, l ?? '–', pctOr(a), vl ?? '–', pctOr(va)]));
    $('#chart').setAttribute('aria-label', t('a11y.chartLabel', { count: epochRows.length, acc: ui.pct(acc) }));
  }

  function showResult(res, secs) {
    announce(!res.committed ? SAY.stoppedEarly() : SAY.trained(res.stopped, res.history.loss.length, ui.pct(res.evaluation.accuracy)));
    if (!res.committed) {
      ui.setTrainStatus({ key: 'train.stoppedEarly', params: { secs } });
      ui.showMessage({ key: 'train.stoppedEarlyMessage' }, 'info');
      return;
    }
    const ev = res.evaluation;
    const epochsDone = res.history.loss.length;
    const done = res.stopped
      ? { key: 'train.stoppedAfter', params: { count: epochsDone, batches: String(res.batches), secs } }
      : { key: 'train.done', params: { count: epochsDone, secs } };
    ui.setTrainStatus({ key: 'train.finished', params: { done, acc: { pct: ev.accuracy }, loss: fmt(ev.loss) } });
    if (!res.stopped) ui.setProgress(1);
    setText($('#test-accuracy'), 'draw.pct', { p: { pct: ev.accuracy } });
    setText($('#test-detail'), 'train.testDetail', { count: ev.count, loss: fmt(ev.loss) });
    ui.renderConfusion($('#confusion'), ev.confusion, session.active.classes);
    $('#results').hidden = false;
    addRun(res, ev);
    if (res.persistError) {
      ui.showMessage(res.persistError, 'error');
      return;
    }
    ui.showMessage({ key: res.stopped ? 'train.stoppedMessage' : 'train.finishedMessage', params: { acc: { pct: ev.accuracy } } }, 'info');
  }

  /** A row of the runs table: data set, layers, optimizer, epochs, test accuracy. */
  function addRun(res, ev) {
    const a = session.active;
    const entry = builtInDataset(session.facts, a.dataset);
    const cfg = session.lastFit || {};
    const n = String(res.history.loss.length);
    const epochs = res.stopped ? { key: 'train.epochsStopped', params: { n } } : n;
    const row = document.createElement('tr');
    for (const m of [entry ? datasetName(entry) : a.dataset, a.layers.join('-'), cfg.optimizer || '', epochs, { key: 'draw.pct', params: { p: { pct: ev.accuracy, digits: 2 } } }]) {
      const td = document.createElement('td');
      ui.show(td, m);
      row.append(td);
    }
    $('#runs tbody').append(row);
    $('#runs').hidden = false;
  }

  /** One training run with this panel's progress, chart and results (the Code panel's too);
   * `onEvent(p)` sees every progress event. Resolves to the fit's result; rejects after showing why. */
  async function runFit(config, { what = '', onEvent, augment = null } = {}) {
    const layers = layersOf(config, session.shapeOf(config.dataset || session.datasetId)).join('-') + (what ? ` ${what}` : '');
    $('#results').hidden = true;
    ui.show($('#test-accuracy'), '');
    ui.show($('#test-detail'), '');
    chart.reset(config.epochs);
    epochRows = [];
    epochTable.set(CHART_COLUMNS(), []);
    downloadSaid = false;
    ui.setProgress(0);
    ui.setTrainStatus({ key: 'train.starting', params: { layers, optimizer: config.optimizer, samples: config.samples } });
    ui.showMessage({ key: 'train.training', params: { layers } }, 'info');
    const started = performance.now();
    try {
      const handler = (p) => {
        if (p.type !== 'output') onProgress(p);
        if (onEvent) onEvent(p);
      };
      // Augmented runs go through the facade, which checks the augmentation settings.
      const res = augment ? await pynn.fit({ ...config, augment }, handler) : await session.fit(config, handler);
      showResult(res, { num: (performance.now() - started) / 1000, digits: 1 });
      return res;
    } catch (err) {
      ui.setTrainStatus({ key: 'train.didNotRun' });
      ui.showMessage(errorMessage(err, 'train.didNotRun'), 'error');
      announce(SAY.failed(err.message));
      throw err;
    }
  }

  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    if (session.training || session.state !== 'ready') return;
    const values = readForm();
    const { config, errors } = validateFitConfig(values, session.shapeOf(values.dataset) || session.shape);
    const shown = Object.fromEntries(Object.entries(errors).map(([k, text]) => [k, { key: `train.invalid.${k}`, detail: text, text }]));
    const first = ui.showFieldErrors(form, shown, FIELD_IDS);
    if (!config) {
      ui.showMessage({ key: 'train.fixSettings', params: { detail: Object.values(errors).join(' ') } }, 'error');
      if (first) first.focus();
      return;
    }
    runFit(config, { augment: readAugment() }).catch(() => {}); // runFit showed what went wrong
  });

  $('#stop').addEventListener('click', async () => {
    if (!session.training) return;
    ui.setTrainStatus({ key: 'train.stopping' });
    $('#stop').disabled = true;
    try {
      await session.stop();
    } catch (err) {
      ui.showMessage(errorMessage(err), 'error');
    }
  });

  updateButtons();
  return { runFit };
}
