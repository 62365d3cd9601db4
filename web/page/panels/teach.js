// panels/teach.js: the "Teach it your handwriting" panel: a pad, a 0-9 row (and keys 0-9) that keeps
// the drawing as a sample, per-digit counts, the gallery (review, delete), export/import of the
// samples file, and "Continue training" of the active model with before/after accuracies.

import { createPad, toMnist } from '../draw.js';
import { drawDigit } from '../inside-draw.js';
import { countByDigit } from '../examples.js';
import pynn, { getExamples } from '../pynn.js';
import * as ui from '../ui.js';
import { announce } from '../a11y/announce.js';
import { mountTestDigits } from '../a11y/test-digits.js';
import { errorMessage, setAttr, setText } from '../i18n/i18n.js';

const { $ } = ui;

/** Wire the Teach panel to `session` (samples live in pynn's example store). */
export function mountTeach(session) {
  const padEl = $('#teach-pad');
  const message = $('[data-testid="teach-message"]');
  const buttons = $('.digit-buttons');
  const gallery = $('.sample-gallery');
  const countsEl = $('.teach-counts');
  const say = (m, kind = 'info') => {
    ui.show(message, m);
    message.dataset.kind = kind;
  };
  let shape = null;
  let busy = false;
  const pad = createPad(padEl, { onStart: () => say('') });

  function buildButtons(classes) {
    buttons.textContent = '';
    for (let d = 0; d < classes; d++) {
      const b = document.createElement('button');
      b.type = 'button';
      b.className = 'btn digit-btn';
      b.textContent = String(d);
      setAttr(b, 'aria-label', 'teach.thisIs', { digit: String(d) });
      b.addEventListener('click', () => keep(d));
      buttons.append(b);
    }
  }

  async function keep(digit) {
    if (!shape || busy) return;
    const { pixels, empty } = toMnist(padEl, shape.side);
    if (empty || pad.isEmpty()) {
      say({ key: 'teach.drawFirst' }, 'error');
      return;
    }
    busy = true;
    try {
      const res = await getExamples().add(pixels, digit);
      pad.clear();
      say(res.persisted ? { key: 'teach.kept', params: { digit: String(digit) } } : { key: 'teach.notStored', detail: res.error }, res.persisted ? 'info' : 'error');
      await render();
    } catch (err) {
      say(errorMessage(err), 'error');
    } finally {
      busy = false;
    }
  }

  async function render() {
    const list = await getExamples().list();
    const counts = countByDigit(list, shape.classes);
    countsEl.textContent = '';
    counts.forEach((c, d) => {
      const li = document.createElement('li');
      li.dataset.testid = `count-${d}`;
      li.setAttribute('data-testid', `count-${d}`);
      li.innerHTML = `<span class="count-digit">${d}</span><span class="count-n">${c}</span>`;
      setAttr(li, 'aria-label', 'teach.countLabel', { digit: String(d), count: c });
      countsEl.append(li);
    });
    $('#teach-total').textContent = `(${list.length})`;
    gallery.textContent = '';
    for (const e of [...list].reverse()) {
      const li = document.createElement('li');
      li.className = 'sample' + (e.stored ? '' : ' unstored');
      const c = document.createElement('canvas');
      c.className = 'thumb';
      drawDigit(c, e.pixels, shape.side);
      c.setAttribute('role', 'img');
      setAttr(c, 'aria-label', 'teach.sampleOf', { digit: String(e.label) });
      const label = document.createElement('span');
      label.textContent = String(e.label);
      const del = document.createElement('button');
      del.type = 'button';
      del.className = 'btn btn-small btn-quiet';
      del.textContent = '×';
      setAttr(del, 'aria-label', 'teach.deleteSample', { digit: String(e.label) });
      del.addEventListener('click', async () => {
        try {
          await getExamples().remove(e.id);
          say({ key: 'teach.deletedSample', params: { digit: String(e.label) } });
        } catch (err) {
          say(errorMessage(err), 'error');
        }
        render();
      });
      li.append(c, label, del);
      gallery.append(li);
    }
    updateButtons();
  }

  // your samples are digits: continuing a model of another data set on them makes no sense
  const digitsModel = () => session.datasetId === 'mnist';

  function updateButtons() {
    $('#continue').disabled = session.state !== 'ready' || session.training || !digitsModel();
    if (digitsModel()) ui.show($('#continue-note'), '');
    else setText($('#continue-note'), 'teach.notDigits', { classes: session.active.classes.slice(0, 3).join(', ') });
  }

  padEl.addEventListener('keydown', (ev) => {
    if (/^[0-9]$/.test(ev.key) && Number(ev.key) < (shape ? shape.classes : 10)) {
      ev.preventDefault();
      keep(Number(ev.key));
    }
  });
  padEl.addEventListener('pointerdown', () => padEl.focus({ preventScroll: true }));
  // no pointer: a held-out digit on the pad, then a digit button (or a key on the pad) keeps it
  mountTestDigits($('#teach-test-digits'), { pad, session, where: 'teach', onPut: () => say(''), onError: (err) => say(err.message, 'error') });
  $('#teach-clear').addEventListener('click', () => {
    pad.clear();
    say('');
  });

  $('#examples-export').addEventListener('click', async () => {
    try {
      const file = await pynn.exportExamples();
      say({ key: 'teach.exported', params: { file: file.name } });
    } catch (err) {
      say(errorMessage(err), 'error');
    }
  });
  $('#examples-import').addEventListener('click', () => $('#examples-file').click());
  $('#examples-file').addEventListener('change', async (ev) => {
    const file = ev.target.files && ev.target.files[0];
    ev.target.value = '';
    if (!file) return;
    try {
      const res = await getExamples().importText(await file.text());
      const params = { count: res.added, file: file.name };
      const done = res.skipped.length
        ? { key: 'teach.importedSkipped', params: { ...params, skipped: res.skipped.length, reasons: res.skipped.slice(0, 3).join('; ') } }
        : { key: 'teach.imported', params };
      say(res.error ? { key: 'teach.notStored', detail: res.error } : done, res.error ? 'error' : 'info');
    } catch (err) {
      say({ key: 'teach.cannotImport', params: { file: file.name, detail: err.message } }, 'error');
    }
    render();
  });

  const pct = (v) => (v == null ? '–' : { key: 'draw.pct', params: { p: { pct: v } } });
  $('#continue-form').addEventListener('submit', async (ev) => {
    ev.preventDefault();
    if (session.training || session.state !== 'ready') return;
    const data = $('#continue-form').querySelector('input[name="data"]:checked').value;
    const status = $('[data-testid="continue-status"]');
    const table = $('[data-testid="before-after"]');
    setText(status, 'teach.training');
    try {
      const res = await pynn.fit({
        continueTraining: true, data, epochs: $('#c-epochs').value, learningRate: $('#c-lr').value, optimizer: 'adam',
      }, (p) => {
        if (p.type === 'batch') {
          setText(status, 'teach.progress', { epoch: String(p.epoch), epochs: String(p.epochs), batch: String(p.batch), batches: String(p.batches), p: { pct: p.progress, digits: 0 } });
        }
      });
      const rows = [[{ key: 'teach.heldOutRow' }, res.before && res.before.heldOut, res.after && res.after.heldOut]];
      if (res.after && res.after.mineCount) rows.push([{ key: 'teach.mineRow', params: { count: res.after.mineCount } }, res.before && res.before.mine, res.after.mine]);
      const tbody = table.querySelector('tbody');
      tbody.textContent = '';
      for (const [what, b, a] of rows) {
        const tr = document.createElement('tr');
        tr.innerHTML = '<th scope="row"></th><td></td><td></td>';
        [what, pct(b), pct(a)].forEach((m, i) => ui.show(tr.children[i], m));
        tbody.append(tr);
      }
      table.hidden = false;
      if (!res.committed) setText(status, 'teach.stoppedEarly');
      else if (res.oversample) setText(status, 'teach.doneMix', { n: String(res.oversample) });
      else setText(status, 'teach.done');
      announce(status.textContent); // the status line's batches are not read out; its end is
      if (res.persistError) ui.showMessage(res.persistError, 'error');
    } catch (err) {
      ui.show(status, errorMessage(err, 'train.didNotRun'));
      announce(status.textContent);
    }
  });

  session.addEventListener('facts', async (e) => {
    shape = session.shapeOf('mnist'); // your samples are digits
    pad.setSide(shape.side);
    buildButtons(shape.classes);
    const { error } = await getExamples().load();
    if (error) say({ key: 'teach.notStored', detail: error }, 'error');
    render();
  });
  session.addEventListener('status', updateButtons);
  session.addEventListener('training', updateButtons);
  session.addEventListener('active', updateButtons);
  return { padEl, pad }; // "Your data" draws on the same pad (panels/your-data.js)
}
