// panels/train.js: the Train panel: the form (checked by fit-options.js, errors shown next to each
// field), the live progress bar, status line and chart, Stop, and the held-out results.

import { validateFitConfig, fitDefaults, layersOf, DEFAULT_LR, OPTIMIZERS, OPTIMIZER_NOTES } from '../../shared/fit-options.js';
import { createTrainingChart } from '../plot.js';
import * as ui from '../ui.js';
import pynn from '../pynn.js';
import { mountRunControls, readAugment } from './run-controls.js';

const { $ } = ui;
const FIELD_IDS = {
  hidden: 'f-hidden',
  optimizer: 'f-optimizer',
  learningRate: 'f-lr',
  epochs: 'f-epochs',
  batchSize: 'f-batch',
  samples: 'f-samples',
  seed: 'f-seed',
};

const fmt = (v, digits = 4) => (v == null || Number.isNaN(v) ? '–' : Number(v).toFixed(digits));
const plural = (n, word) => `${n} ${word}${n === 1 ? '' : 's'}`;

/** Wire the Train panel to `session`. */
export function mountTrain(session) {
  const form = $('#train-form');
  const chart = createTrainingChart($('#chart'), $('.chart-fallback'));
  let lrEdited = false;
  let lastBatches = null;
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

  session.addEventListener('facts', (e) => {
    const { shape } = e.detail;
    const defaults = fitDefaults(shape);
    for (const [key, id] of Object.entries(FIELD_IDS)) {
      const v = defaults[key];
      $(`#${id}`).value = Array.isArray(v) ? v.join(', ') : String(v);
    }
    $('#f-samples-help').textContent = `1 to ${shape.train.toLocaleString('en')} digits`;
    $('#held-out-count').textContent = shape.test.toLocaleString('en');
    showLrNote();
  });
  session.addEventListener('status', updateButtons);
  session.addEventListener('training', updateButtons);

  function onProgress(p) {
    if (p.type === 'batch') {
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
    }
  }

  function showResult(res, secs) {
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
    $('#test-detail').textContent = `on ${ev.count.toLocaleString('en')} digits · loss ${fmt(ev.loss)}`;
    ui.renderConfusion($('#confusion'), ev.confusion);
    $('#results').hidden = false;
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

  /** One training run with this panel's progress, chart and results (the Code panel's too);
   * `onEvent(p)` sees every progress event. Resolves to the fit's result; rejects after showing why. */
  async function runFit(config, { what = '', onEvent, augment = null } = {}) {
    const layers = layersOf(config, session.shape).join('-') + (what ? ` ${what}` : '');
    $('#results').hidden = true;
    $('#test-accuracy').textContent = '';
    $('#test-detail').textContent = '';
    chart.reset(config.epochs);
    ui.setProgress(0);
    ui.setTrainStatus(`Starting: ${layers}, ${config.optimizer}, ${config.samples.toLocaleString('en')} digits…`);
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
      throw err;
    }
  }

  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    if (session.training || session.state !== 'ready') return;
    const { config, errors } = validateFitConfig(readForm(), session.shape);
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
