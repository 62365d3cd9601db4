// panels/inside.js: the "Inside the network" panel (a <details>): model summary, live activations
// of the Draw pad's digit, the first layer's weights as pictures (sortable by firing, click for
// the digits a neuron likes), mistakes with a clickable confusion matrix and per-class accuracy,
// weight histograms (start vs now). Nothing is computed while the panel is closed, so drawing
// stays as fast as without it.

import { toMnist } from '../draw.js';
import { drawWeights, drawStrip, drawDigit, drawHistogram, diverging, gridShape, neuronOrder, symmetricMax } from '../inside-draw.js';
import { paintSwatches } from '../palette.js';
import * as ui from '../ui.js';
import { columns, stats, summarize, tableToggle } from '../a11y/text-alt.js';

import { errorMessage, num, onLanguageChange, t as T } from '../i18n/i18n.js';

const { $ } = ui;
const LIVE_EVERY_MS = 120;
const MISTAKES_SHOWN = 60;
const fmt = (v, d = 3) => (v == null ? '–' : num(Number(v), { minimumFractionDigits: d, maximumFractionDigits: d }));

/** Wire the Inside panel to `session`. */
export function mountInside(session) {
  const root = $('#inside');
  paintSwatches();
  const padEl = $('#pad');
  let shape = null;
  let weights = null; // {weights: Float32Array, inputs}
  let lastFirst = null; // first hidden layer's activations on the drawing
  let stale = true; // the model changed since we last drew the panel
  let liveBusy = false;
  let liveAgain = false;
  let lastLive = 0;
  let filter = { true: null, predicted: null };
  let mistakesGen = 0;

  const open = () => root.open && session.state === 'ready';
  // the pictures' numbers, as tables on demand (a11y/text-alt.js)
  const tables = {};
  for (const [key, testid, caption] of [['live', 'live-layers', T('a11y.liveCaption')], ['neurons', 'neuron-grid', T('a11y.neuronsCaption')], ['hist', 'histograms', T('a11y.histCaption')]]) {
    tables[key] = tableToggle(caption, `${testid}-table`);
    $(`[data-testid="${testid}"]`).after(tables[key].el);
  }

  // --- overview: summary, confusion + per-class, histograms ---------------------------------------
  async function refresh() {
    if (!open()) return;
    stale = false;
    try {
      const [ov, first] = await Promise.all([session.overview(), session.firstLayer()]);
      weights = first;
      renderSummary(ov.summary);
      renderConfusion(ov.evaluation.confusion, ov.perClass);
      renderHistograms(ov.histograms);
      renderNeurons();
      await renderMistakes();
      live();
    } catch (err) {
      const m = errorMessage(err);
      ui.showMessage({ key: 'inside.failed', params: { detail: m.detail != null ? m.detail : T(m.key, m.params) } }, 'error');
    }
  }

  function renderSummary(rows) {
    const t = $('[data-testid="model-summary"]');
    t.innerHTML = '<caption class="visually-hidden"></caption><thead><tr></tr></thead>';
    t.querySelector('caption').textContent = T('inside.summaryCaption');
    for (const col of ['layer', 'shape', 'params', 'activation', 'min', 'max', 'mean', 'std', 'dead']) {
      const th = Object.assign(document.createElement('th'), { scope: 'col', textContent: T(`inside.columns.${col}`) });
      if (col === 'dead') th.title = T('inside.deadTitle');
      t.querySelector('thead tr').append(th);
    }
    const tb = document.createElement('tbody');
    for (const r of rows) {
      const tr = document.createElement('tr');
      const hidden = /^hidden (\d+)$/.exec(r.name);
      const name = hidden ? T('inside.hiddenN', { n: hidden[1] }) : r.name === 'output' ? T('inside.output') : r.name;
      const cells = [name, `${r.shape[0]}→${r.shape[1]}`, num(r.params), r.activation, fmt(r.min), fmt(r.max), fmt(r.mean, 4), fmt(r.std),
        r.deadShare == null ? '–' : ui.pct(r.deadShare)];
      cells.forEach((c, i) => {
        const td = document.createElement(i === 0 ? 'th' : 'td');
        if (i === 0) td.scope = 'row';
        td.textContent = c;
        tr.append(td);
      });
      tb.append(tr);
    }
    t.append(tb);
  }

  /** The active model's name of class k ("7" for MNIST, "Trouser" for Fashion-MNIST). */
  const nameOf = (k) => (session.active && session.active.classes ? session.active.classes[k] : String(k));

  function renderConfusion(matrix, perClass) {
    const t = $('[data-testid="inside-confusion"]');
    ui.renderConfusion(t, matrix, matrix.map((_, k) => nameOf(k)));
    const head = t.querySelector('thead tr');
    const th = document.createElement('th');
    th.scope = 'col';
    th.textContent = T('inside.acc');
    th.title = T('inside.accTitle');
    head.append(th);
    t.querySelectorAll('tbody tr').forEach((tr, i) => {
      const td = document.createElement('td');
      td.className = 'acc';
      const a = perClass[i].accuracy;
      td.textContent = a == null ? '–' : ui.pct(a, 0);
      td.setAttribute('data-testid', `class-accuracy-${i}`);
      tr.append(td);
      tr.querySelectorAll('td:not(.acc)').forEach((cell, j) => {
        cell.tabIndex = 0;
        cell.setAttribute('role', 'button');
        cell.setAttribute('aria-label', T('inside.cellLabel', { i: String(i), j: String(j), count: cell.textContent }));
        const pick = () => setFilter(i, j);
        cell.addEventListener('click', pick);
        cell.addEventListener('keydown', (ev) => {
          if (ev.key === 'Enter' || ev.key === ' ') {
            ev.preventDefault();
            pick();
          }
        });
      });
    });
  }

  function setFilter(t, p) {
    $('#m-true').value = t == null ? '' : String(t);
    $('#m-pred').value = p == null ? '' : String(p);
    filter = { true: t, predicted: p };
    renderMistakes();
    $('[data-testid="mistakes"]').scrollIntoView({ block: 'nearest' });
  }

  async function renderMistakes() {
    const list = $('[data-testid="mistakes"]');
    const opts = { limit: MISTAKES_SHOWN };
    if (filter.true != null) opts.true = filter.true;
    if (filter.predicted != null) opts.predicted = filter.predicted;
    const diag = filter.true != null && filter.true === filter.predicted;
    const gen = ++mistakesGen; // a newer filter wins: an older answer is dropped
    const items = diag ? [] : await session.mistakes(opts);
    const digits = await Promise.all(items.map((m) => session.heldOut(m.index)));
    if (gen !== mistakesGen) return;
    list.textContent = '';
    $('#m-count').textContent = diag ? T('inside.diagonal')
      : T(items.length === MISTAKES_SHOWN ? 'inside.mistakesShownMore' : 'inside.mistakesShown', { count: items.length });
    items.forEach((m, k) => {
      const li = document.createElement('li');
      li.className = 'mistake';
      const c = document.createElement('canvas');
      drawDigit(c, Uint8Array.from(digits[k].pixels), shape.side);
      c.setAttribute('role', 'img');
      c.setAttribute('aria-label', T('inside.heldOutDigit', { index: String(m.index) }));
      const top = m.probabilities.map((p, d) => [p, d]).sort((a, b) => b[0] - a[0]).slice(0, 3);
      const cap = document.createElement('span');
      cap.className = 'mistake-text';
      const line = (tag, text, cls = '') => Object.assign(document.createElement(tag), { textContent: text, className: cls });
      cap.append(`${T('inside.true')} `, line('b', nameOf(m.label)), ' → ', line('b', nameOf(m.predicted), 'wrong'), document.createElement('br'),
        line('small', top.map(([p, d]) => `${nameOf(d)}: ${ui.pct(p, 0)}`).join(' · ')));
      li.append(c, cap);
      li.setAttribute('data-label', String(m.label));
      li.setAttribute('data-predicted', String(m.predicted));
      list.append(li);
    });
  }

  function renderHistograms(hists) {
    const box = $('[data-testid="histograms"]');
    box.textContent = '';
    for (const h of hists) {
      const fig = document.createElement('figure');
      const c = document.createElement('canvas');
      c.setAttribute('role', 'img');
      c.setAttribute('aria-label', T(h.start ? 'inside.histogramBoth' : 'inside.histogram', { layer: String(h.layer) }));
      const cap = document.createElement('figcaption');
      cap.textContent = T(h.start ? 'inside.layer' : 'inside.layerNowOnly', { layer: String(h.layer) });
      fig.append(c, cap);
      box.append(fig);
      drawHistogram(c, { edges: h.edges, counts: h.now }, h.start ? { edges: h.edges, counts: h.start } : null);
    }
    tables.hist.set(columns(['layerBin', 'atStart', 'now']), hists.flatMap((h) => h.now.map((count, k) =>
      [`Layer ${h.layer}: ${fmt(h.edges[k])} to ${fmt(h.edges[k + 1])}`, h.start ? h.start[k] : '–', count])));
  }

  // --- first-layer neurons ---------------------------------------------------------------------------
  function renderNeurons() {
    const grid = $('[data-testid="neuron-grid"]');
    if (!weights) return;
    const n = weights.weights.length / weights.inputs;
    const order = neuronOrder(n, $('#neuron-sort').value, lastFirst);
    const max = symmetricMax(weights.weights); // one scale for all: compare neurons by colour
    grid.textContent = '';
    const rows = [];
    for (const j of order) {
      const b = document.createElement('button');
      b.type = 'button';
      b.className = 'neuron';
      const w = weights.weights.subarray(j * weights.inputs, (j + 1) * weights.inputs);
      const label = lastFirst ? T('inside.neuronFires', { j: String(j), value: fmt(lastFirst[j], 2) }) : T('inside.neuron', { j: String(j) });
      b.setAttribute('aria-label', `${label}; ${T('a11y.weightsSummary', { summary: summarize(w) })}`);
      const s = stats(w);
      rows.push([j, s.min, s.max, s.mean, lastFirst ? lastFirst[j] : '–']);
      const c = document.createElement('canvas');
      drawWeights(c, w, shape.side, max);
      b.append(c);
      b.addEventListener('click', () => showNeuron(j));
      grid.append(b);
    }
    tables.neurons.set(columns(['neuron', 'min', 'max', 'mean', 'fires']), rows);
  }

  async function showNeuron(j) {
    const box = $('[data-testid="neuron-detail"]');
    box.hidden = false;
    box.textContent = '';
    const h = document.createElement('h4');
    h.textContent = T('inside.neuronTitle', { j: String(j) });
    const big = document.createElement('canvas');
    big.className = 'neuron-big';
    big.setAttribute('role', 'img');
    big.setAttribute('aria-label', `${T('inside.neuronLarge', { j: String(j) })}: ${summarize(weights.weights.subarray(j * weights.inputs, (j + 1) * weights.inputs))}`);
    drawWeights(big, weights.weights.subarray(j * weights.inputs, (j + 1) * weights.inputs), shape.side);
    const row = document.createElement('ul');
    row.className = 'top-digits';
    row.setAttribute('aria-label', T('inside.neuronDigits', { j: String(j) }));
    box.append(h, big, row);
    const res = await session.neuron(j, 9);
    for (const d of res.digits) {
      const li = document.createElement('li');
      const c = document.createElement('canvas');
      drawDigit(c, Uint8Array.from(d.pixels), shape.side);
      c.setAttribute('role', 'img');
      c.setAttribute('aria-label', `Held-out ${nameOf(d.label)}`);
      const cap = document.createElement('span');
      cap.textContent = nameOf(d.label);
      li.append(c, cap);
      li.setAttribute('aria-label', T('inside.neuronDigit', { name: nameOf(d.label), value: fmt(d.input, 2) }));
      row.append(li);
    }
  }

  // --- live activations -------------------------------------------------------------------------------
  async function live() {
    if (!open() || !shape) return;
    if (liveBusy) {
      liveAgain = true;
      return;
    }
    const box = $('[data-testid="live-layers"]');
    const { pixels, empty } = toMnist(padEl, shape.side);
    if (empty) {
      lastFirst = null;
      box.textContent = '';
      tables.live.set(columns(['layer', 'units', 'above0', 'min', 'max', 'mean']), []);
      $('#live-hint').hidden = false;
      return;
    }
    liveBusy = true;
    lastLive = performance.now();
    try {
      const res = await session.inside(pixels);
      $('#live-hint').hidden = true;
      renderLive(box, res);
      const first = res.layers.length ? res.layers[0].activations : null;
      const sortChanged = $('#neuron-sort').value === 'firing';
      lastFirst = first;
      if (sortChanged) renderNeurons();
    } catch (err) {
      ui.show(box, errorMessage(err));
    } finally {
      liveBusy = false;
      if (liveAgain) {
        liveAgain = false;
        setTimeout(live, Math.max(0, LIVE_EVERY_MS - (performance.now() - lastLive)));
      }
    }
  }

  function layerRow(box, title, values, opts, testid) {
    const fig = document.createElement('figure');
    fig.className = 'live-layer';
    fig.setAttribute('data-testid', testid);
    const cap = document.createElement('figcaption');
    cap.textContent = title;
    const c = document.createElement('canvas');
    c.setAttribute('role', 'img');
    c.setAttribute('aria-label', title);
    drawStrip(c, values, opts);
    c.style.aspectRatio = `${c.width} / ${c.height}`;
    fig.append(cap, c);
    box.append(fig);
    return fig;
  }

  function renderLive(box, res) {
    box.textContent = '';
    res.layers.forEach((l, i) => {
      const active = l.activations.filter((v) => v > 0).length;
      layerRow(box, T('inside.hiddenLayer', { n: String(i + 1), size: String(l.size), active: String(active), max: fmt(Math.max(...l.activations), 2) }), l.activations,
        { cols: gridShape(l.size, 32).cols }, `live-layer-${i + 1}`);
    });
    layerRow(box, T('inside.logits', { values: res.logits.map((v) => fmt(v, 1)).join(T('inside.listSeparator')) }), res.logits,
      { colour: diverging, max: symmetricMax(res.logits) }, 'live-logits');
    const probs = document.createElement('ol');
    probs.className = 'live-probs';
    probs.setAttribute('aria-label', T('inside.softmax'));
    const best = res.probabilities.indexOf(Math.max(...res.probabilities));
    res.probabilities.forEach((p, d) => {
      const li = document.createElement('li');
      li.className = d === best ? 'is-top' : '';
      const bar = document.createElement('span');
      bar.className = 'bar';
      bar.style.setProperty('--p', `${(p * 100).toFixed(1)}%`); // CSSOM: allowed by the page's CSP
      const [digit, value] = [nameOf(d), ui.pct(p, 0)].map((t) => Object.assign(document.createElement('span'), { textContent: t }));
      li.append(digit, bar, value);
      probs.append(li);
    });
    box.append(probs);
    const row = (name, v) => [name, v.length, v.filter((x) => x > 0).length, ...Object.values(stats(v))];
    tables.live.set(columns(['layer', 'units', 'above0', 'min', 'max', 'mean']), [...res.layers.map((l, i) => row(T('a11y.hiddenLayer', { n: String(i + 1) }), l.activations)),
      row(T('a11y.outputLogits'), res.logits), row(T('a11y.softmax'), res.probabilities)]);
  }

  function scheduleLive() {
    if (!open()) return;
    if (performance.now() - lastLive >= LIVE_EVERY_MS) live();
    else liveAgain = true;
  }

  // the Draw panel's pad: listen, never interfere
  padEl.addEventListener('pointermove', (ev) => {
    if (ev.buttons) scheduleLive();
  });
  padEl.addEventListener('pointerup', () => setTimeout(live, 0));
  padEl.addEventListener('input', () => setTimeout(live, 0)); // a test digit put on the pad
  $('#clear').addEventListener('click', () => setTimeout(live, 0));

  for (let d = 0; d < 10; d++) {
    $('#m-true').append(new Option(String(d), String(d)));
    $('#m-pred').append(new Option(String(d), String(d)));
  }
  const readFilter = () => {
    const v = (id) => ($(id).value === '' ? null : Number($(id).value));
    filter = { true: v('#m-true'), predicted: v('#m-pred') };
    renderMistakes();
  };
  $('#m-true').addEventListener('change', readFilter);
  $('#m-pred').addEventListener('change', readFilter);
  $('#neuron-sort').addEventListener('change', renderNeurons);

  root.addEventListener('toggle', () => {
    if (root.open && stale) refresh();
    else if (root.open) live();
  });
  session.addEventListener('facts', (e) => {
    shape = session.pixels;
  });
  session.addEventListener('active', () => {
    stale = true;
    if (open()) refresh();
  });
  session.addEventListener('status', (e) => {
    if (e.detail.state === 'ready' && root.open) refresh();
  });
  onLanguageChange(() => {
    if (open()) refresh(); // its tables and captions are built from the answers: build them again
  });
}
