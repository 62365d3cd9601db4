// panels/draw.js: the Draw panel: the pad, the network's-eye preview, the prediction and one bar
// per digit, and the scheduler that predicts while a person draws (at most one request in flight,
// at most one every PREDICT_EVERY_MS while drawing, always one when a stroke ends or the model
// changes).

import { createPad, toMnist, drawPreview } from '../draw.js';
import * as ui from '../ui.js';
import { announce, whenRested, SAY } from '../a11y/announce.js';
import { mountTestDigits } from '../a11y/test-digits.js';
import { columns, tableToggle } from '../a11y/text-alt.js';

import { errorMessage, setAttr, setText, t } from '../i18n/i18n.js';

const { $ } = ui;
const PREDICT_EVERY_MS = 100;

/** Wire the Draw panel to `session`. */
export function mountDraw(session) {
  const probsEl = $('#probs');
  const previewEl = $('[data-testid="preview"]');
  const probsTable = tableToggle(t('a11y.probsCaption'), 'probs-table');
  probsEl.after(probsTable.el);
  /** The bars' numbers as a table (`probabilities`: null for none yet). */
  const tabulate = (probabilities) => probsTable.set(columns(['class', 'probability']),
    probabilities ? JSON.parse(probsEl.dataset.classes).map((name, d) => [name, ui.pct(probabilities[d])]) : []);
  let side = null; // from build.json, once read
  // what an empty pad asks for: a digit for MNIST's models, else one of the active model's classes
  const drawFirst = () => (session.datasetId === 'mnist' ? { key: 'draw.drawFirst' } : { key: 'draw.drawSomething', params: { classes: session.active.classes.join(', ') } });

  let generation = 0; // bumps on Clear so a late answer for an old drawing is ignored
  let dirty = false;
  let inFlight = false;
  let lastPredict = 0;
  let rafPending = false;
  let finalPending = false;
  // a screen reader hears the prediction once per drawing, when it rests (a11y/announce.js)
  const rested = whenRested();
  let drawingNo = 0; // a new drawing: each stroke that starts, Clear, a test digit
  let stroking = false;

  const pad = createPad($('#pad'), {
    onStart: () => {
      ui.setDrawMessage('');
      drawingNo++;
      stroking = true;
      rested.cancel();
    },
    onStroke: () => {
      dirty = true;
      schedule();
    },
    onEnd: () => {
      stroking = false;
      predictNow();
    },
  });

  /** Predict the drawing without the while-drawing throttle: a stroke ended or the model changed. */
  function predictNow() {
    dirty = true;
    finalPending = true;
    schedule();
  }

  function schedule() {
    if (rafPending) return;
    rafPending = true;
    requestAnimationFrame(tick);
  }

  function tick() {
    rafPending = false;
    if (!dirty || side === null) return; // build.json not read yet: the "facts" event resumes
    if (inFlight || (!finalPending && performance.now() - lastPredict < PREDICT_EVERY_MS)) {
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
    tabulate(null);
  }

  async function runPrediction(explicit) {
    if (side === null) return;
    const { pixels, empty } = toMnist(pad.canvas, side);
    drawPreview(previewEl, pixels, side);
    if (empty || pad.isEmpty()) {
      clearPrediction();
      ui.setDrawMessage(drawFirst());
      return;
    }
    if (session.state === 'error') {
      ui.setDrawMessage({ key: 'draw.noNetwork' });
      return;
    }
    if (session.state !== 'ready') {
      ui.setDrawMessage({ key: 'draw.stillLoading' });
      return; // the "status: ready" event predicts again
    }
    const gen = generation;
    inFlight = true;
    lastPredict = performance.now();
    try {
      const res = await session.predict(pixels);
      if (gen !== generation) return;
      ui.renderPrediction(res.className, res.probabilities[res.label]);
      ui.renderProbabilities(probsEl, res.probabilities, res.label);
      tabulate(res.probabilities);
      ui.setDrawMessage('');
      const said = SAY.prediction(ui.className(res.className), ui.pct(res.probabilities[res.label]));
      if (explicit) announce(said); // the Predict button: heard at once
      else if (!stroking) rested.later(drawingNo, said);
      session.emit('prediction', res); // an embedding host hears of it (share/embed.js)
    } catch (err) {
      if (explicit || gen === generation) ui.setDrawMessage(errorMessage(err, 'errors.predict'));
    } finally {
      inFlight = false;
      if (dirty) schedule();
    }
  }

  let shownClasses = '';
  /** One bar per class of the active model (its data set's class names). */
  function showClasses(classes) {
    if (JSON.stringify(classes) === shownClasses) return;
    shownClasses = JSON.stringify(classes);
    ui.buildProbs(probsEl, classes);
    ui.renderPrediction(null);
  }

  session.addEventListener('facts', () => {
    ({ side } = session.pixels);
    pad.setSide(side);
    showClasses(session.facts.datasets[0].classes);
    drawPreview(previewEl, null, side);
    setAttr(previewEl, 'aria-label', 'draw.previewSized', { side });
    setText($('#preview-caption'), 'draw.previewCaptionSized', { side });
    if (!pad.isEmpty()) predictNow();
  });
  session.addEventListener('status', (e) => {
    if (e.detail.state === 'ready' && !pad.isEmpty()) predictNow();
  });
  // a trained, loaded or imported model became active: show what it makes of the drawing
  session.addEventListener('active', (e) => {
    showClasses(e.detail.classes);
    if (!pad.isEmpty()) predictNow();
  });

  $('#clear').addEventListener('click', () => {
    generation++;
    drawingNo++;
    rested.cancel();
    pad.clear();
    dirty = false;
    if (side !== null) drawPreview(previewEl, null, side);
    clearPrediction();
    ui.setDrawMessage(drawFirst());
  });
  $('#predict').addEventListener('click', () => runPrediction(true));

  mountTestDigits($('#draw-test-digits'), {
    pad,
    session,
    onPut: () => {
      generation++; // an answer for the drawing before it is not shown
      drawingNo++;
      ui.setDrawMessage('');
      predictNow();
    },
    onError: (err) => {
      ui.setDrawMessage(err.message);
      announce(err.message);
    },
  });
}
