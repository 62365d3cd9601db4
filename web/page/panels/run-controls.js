// panels/run-controls.js: the Train panel's extra controls: Pause / Resume, +1 epoch, the chart's
// x-axis (epochs or batches), and the augmentation fields with their preview.

import pynn, { validateTeachOptions } from '../pynn.js';
import { drawDigit } from '../inside-draw.js';
import * as ui from '../ui.js';
import { errorMessage, setAttr, setText } from '../i18n/i18n.js';

const { $ } = ui;
const AUGMENT_IDS = { shift: 'a-shift', rotation: 'a-rotation', scale: 'a-scale', thickness: 'a-thickness' };

/** The augmentation settings in the form: an object of the non-zero ones, or null (all off). Throws a message. */
export function readAugment() {
  const raw = {};
  for (const [key, id] of Object.entries(AUGMENT_IDS)) raw[key] = $(`#${id}`).value.trim() || '0';
  const { teach, errors } = validateTeachOptions({ augment: raw });
  const detail = Object.values(errors).join(' ');
  ui.show($('#augment-err'), detail ? { key: 'train.invalid.augment', detail } : '');
  if (Object.keys(errors).length) throw new Error(Object.values(errors).join(' '));
  const on = Object.fromEntries(Object.entries(teach.augment).filter(([, v]) => v));
  return Object.keys(on).length ? on : null;
}

/** Wire Pause/Resume, +1 epoch, the chart axis and the augmentation preview; returns {update()}. */
export function mountRunControls(session, { chart, onProgress }) {
  const pauseBtn = $('#pause');
  const moreBtn = $('#one-more');

  function update() {
    const running = session.training;
    pauseBtn.disabled = !running;
    setText(pauseBtn, running && session.paused ? 'train.resume' : 'train.pause');
    pauseBtn.setAttribute('aria-pressed', running && session.paused ? 'true' : 'false');
    moreBtn.disabled = session.state !== 'ready' || (running && !session.paused);
  }

  pauseBtn.addEventListener('click', async () => {
    try {
      if (session.paused) {
        await session.resume();
        ui.setTrainStatus({ key: 'train.resumed' });
      } else {
        await session.pause();
        ui.setTrainStatus({ key: 'train.paused' });
      }
    } catch (err) {
      ui.showMessage(errorMessage(err), 'error');
    }
    update();
  });

  moreBtn.addEventListener('click', async () => {
    if (session.training) {
      await session.step();
      ui.setTrainStatus({ key: 'train.oneMorePausing' });
      update();
      return;
    }
    ui.setTrainStatus({ key: 'train.oneMoreRunning' });
    chart.reset(1);
    try {
      const res = await pynn.oneMoreEpoch(onProgress);
      if (res.committed) {
        ui.setTrainStatus({ key: 'train.oneMoreDone', params: { before: { pct: res.before.heldOut }, after: { pct: res.after.heldOut } } });
        setText($('#test-accuracy'), 'draw.pct', { p: { pct: res.evaluation.accuracy } });
      }
    } catch (err) {
      ui.showMessage(errorMessage(err), 'error');
    }
  });

  $('#chart-axis').addEventListener('change', (e) => chart.setAxis(e.target.value));

  $('#augment-preview').addEventListener('click', async () => {
    const box = $('.augment-preview');
    let settings;
    try {
      settings = readAugment() || {};
    } catch (_) {
      return; // the message is next to the fields
    }
    try {
      const res = await session.augmentPreview(settings, 8);
      box.textContent = '';
      for (const [row, label] of [[res.originals, 'train.original'], [res.augmented, 'train.augmented']]) {
        for (const px of row) {
          const c = document.createElement('canvas');
          drawDigit(c, Uint8Array.from(px), session.shape.side);
          setAttr(c, 'title', label);
          box.append(c);
        }
      }
      box.hidden = false;
    } catch (err) {
      ui.show($('#augment-err'), errorMessage(err));
    }
  });
  for (const id of Object.values(AUGMENT_IDS)) $(`#${id}`).addEventListener('input', () => ui.show($('#augment-err'), ''));

  return { update };
}
