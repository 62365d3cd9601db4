// step/stages.js: the six stages of "One step by hand" as DOM, in the seed article's order:
// forward, loss, the output's Jacobian and delta, backward, flatten and update, after. Each stage
// shows its arrays' shapes; small arrays as numbers (full values in data-value) and heat maps in
// Inside's diverging colours, large ones as a summary (whole on request). A derivative that
// disagrees with float64 central differences marks its stage (data-check="mismatch").

import { drawStrip, drawWeights, drawDigit, diverging, heat, symmetricMax } from '../inside-draw.js';
import { isSummary, shapeText, row, column, byMagnitude, pageOf } from './arrays.js';
import { summarize, tableToggle } from '../a11y/text-alt.js';
import { num, t } from '../i18n/i18n.js';

// A derivative whose largest relative error against float64 central differences is above this is
// marked wrong. Correct ones stay below 1e-2 (the default model on 1,000 held-out digits, each with
// its own and a wrong label: median 7e-5, worst 8.7e-3, the limit of the differences' precision
// where a softmax is confident); a wrong derivative is off by its own size (errors near 1).
export const MISMATCH = 0.05;
const TILES_PER_PAGE = 32;
const TABLE_CELLS = 256; // a heat map this small also offers its numbers as a table

export const fmt = (v, digits = 4) => {
  if (v == null) return '–';
  if (typeof v !== 'number' || !Number.isFinite(v)) return String(v);
  if (v !== 0 && (Math.abs(v) < 1e-3 || Math.abs(v) >= 1e5)) return v.toExponential(digits - 1);
  return num(Number(v.toPrecision(digits)), { maximumFractionDigits: 20, useGrouping: false });
};

/** An element: el('p', {className: 'x', 'data-testid': 'y'}, 'text', child, ...). */
export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v == null || v === false) continue;
    if (k in node && !k.includes('-')) node[k] = v;
    else node.setAttribute(k, v === true ? '' : String(v));
  }
  node.append(...children.filter((c) => c != null && c !== false));
  return node;
}

/** A verdict on a derivative check: {state: "ok" | "mismatch" | "none", text}. */
export function verdict(error, what) {
  if (error == null || Number.isNaN(error)) return { state: 'none', text: t('step.check.none', { what }) };
  if (error > MISMATCH) return { state: 'mismatch', text: t('step.check.mismatch', { what, error: fmt(error, 2), limit: MISMATCH }) };
  return { state: 'ok', text: t('step.check.ok', { what, error: fmt(error, 2) }) };
}

function check(stage, error, what) {
  const v = verdict(error, what);
  if (v.state === 'mismatch' || !stage.dataset.check || stage.dataset.check === 'none') stage.dataset.check = v.state;
  stage.append(el('p', { className: `step-check is-${v.state}`, 'data-check': v.state }, v.text));
}

/** A row of numbers (a (1, m) vector) as a table: header cells `heads`, one data-value per cell. */
function numbers(caption, values, testid, heads = null) {
  const table = el('table', { className: 'step-numbers', 'data-testid': testid }, el('caption', {}, caption));
  if (heads) table.append(el('tr', {}, ...heads.map((h) => el('th', { scope: 'col' }, String(h)))));
  table.append(el('tr', {}, ...Array.from(values, (v) => el('td', { 'data-value': String(v) }, fmt(v)))));
  return scrollBox(caption, table);
}

/** A box that scrolls sideways when `child` is wider: a keyboard reaches it (tabindex), named `label`. */
function scrollBox(label, child) {
  return el('div', { className: 'table-wrap', tabindex: '0', role: 'group', 'aria-label': label }, child);
}

/** A heat map of a (rows, cols) array: one cell per value, diverging colours, clickable if `onCell`;
 * its summary in its label, and, when small, its numbers as a table on demand (a fragment). */
function matrix(label, values, rows, cols, onCell = null, max = symmetricMax(values)) {
  const c = el('canvas', { className: 'step-map', role: 'img', 'aria-label': `${label}: ${summarize(values)}` });
  drawStrip(c, values, { cols, colour: diverging, max });
  c.style.aspectRatio = `${cols} / ${rows}`;
  if (onCell) {
    c.classList.add('is-clickable');
    c.addEventListener('click', (ev) => {
      const box = c.getBoundingClientRect();
      const j = Math.min(cols - 1, Math.floor(((ev.clientX - box.left) / box.width) * cols));
      const i = Math.min(rows - 1, Math.floor(((ev.clientY - box.top) / box.height) * rows));
      onCell(i, j);
    });
  }
  if (values.length > TABLE_CELLS) return c;
  const toggle = tableToggle(`${label} ${shapeText([rows, cols])}`);
  toggle.set(['Row', ...Array.from({ length: cols }, (_, j) => String(j))],
    Array.from({ length: rows }, (_, i) => [i, ...Array.from(values.subarray(i * cols, (i + 1) * cols))]));
  const out = document.createDocumentFragment();
  out.append(c, toggle.el);
  return out;
}

const summaryText = (s) => t('step.summary', { min: fmt(s.summary.min), max: fmt(s.summary.max), mean: fmt(s.summary.mean), std: fmt(s.summary.std) });

function stage(n, title, testid, ...children) {
  return el('section', { className: 'step-stage', 'data-testid': testid, 'aria-labelledby': `${testid}-h` },
    el('h3', { id: `${testid}-h` }, el('span', { className: 'step-n' }, `${n}.`), ` ${title}`), ...children);
}

/**
 * Render `step` (pynn.explainStep's result for `pixels`, label `label`) into `box`.
 * hooks: {pick(layer, kind, i, j): a weight was clicked, fetch(ref): the whole array, side}
 */
export function renderStages(box, step, pixels, label, hooks) {
  const layers = step.network.layers;
  box.replaceChildren(forward(step, pixels, hooks.side), loss(step, label), jacobian(step), backward(step, layers, hooks), update(step), after(step, label));
}

function forward(step, pixels, side) {
  const s = stage(1, t('step.forward'), 'stage-forward');
  const x = el('canvas', { className: 'step-digit', role: 'img', 'aria-label': t('step.inputX') });
  drawDigit(x, pixels, side);
  s.append(el('figure', { className: 'step-row' }, x, el('figcaption', {}, `x ${shapeText([1, pixels.length])}: ${t('step.pixelsInRow', { side: String(side) })}`)));
  step.layers.forEach((l, i) => {
    const k = l.z.shape[1];
    const last = i === step.layers.length - 1;
    const fig = el('figure', { className: 'step-layer', 'data-testid': `step-forward-${i + 1}` },
      el('figcaption', {}, `${t('step.layerTitle', { n: String(i + 1) })}: z${i + 1} = a${i} W${i + 1} + b${i + 1} → ${shapeText(l.z.shape)}, a${i + 1} = ${last ? t('step.outputActivation') : 'f'}(z${i + 1}) → ${shapeText(l.a.shape)}`));
    if (!last) {
      const cols = Math.min(k, 32);
      fig.append(matrix(t('step.ofLayer', { what: 'z', n: String(i + 1) }), l.z, Math.ceil(k / cols), cols));
      const a = el('canvas', { className: 'step-map', role: 'img', 'aria-label': `${t('step.ofLayer', { what: 'a', n: String(i + 1) })}: ${summarize(l.a)}` });
      drawStrip(a, l.a, { cols, colour: heat });
      a.style.aspectRatio = `${cols} / ${Math.ceil(k / cols)}`;
      fig.append(a, el('p', { className: 'muted small' }, t('step.unitsFire', { active: String(Array.from(l.a).filter((v) => v > 0).length), k: String(k) })));
    }
    s.append(fig);
  });
  const heads = Array.from({ length: step.logits.length }, (_, d) => d);
  s.append(numbers(t('step.logits'), step.logits, 'step-logits', heads),
    numbers(t('step.probabilities'), step.probabilities, 'step-probabilities', heads));
  return s;
}

function loss(step, label) {
  const s = stage(2, t('step.lossTitle'), 'stage-loss');
  s.append(el('p', {}, 'loss = ', el('strong', { 'data-testid': 'step-loss', 'data-value': String(step.loss) }, fmt(step.loss, 6)), ` ${t('step.forLabel', { label: String(label) })}`),
    numbers(`d_loss ${shapeText(step.dLoss.shape)}: ${t('step.dLoss')}`, step.dLoss, 'step-dloss'));
  check(s, step.dLossError, t('step.lossDerivative'));
  return s;
}

function jacobian(step) {
  const s = stage(3, t('step.jacobianTitle'), 'stage-jacobian');
  const m = step.jacobian.shape[2];
  s.append(el('figure', { className: 'step-row' }, matrix(t('step.jacobianLabel'), step.jacobian, m, m),
    el('figcaption', {}, `J ${shapeText(step.jacobian.shape)}: J[i, j] = ∂a_i / ∂z_j (softmax: p_i (δ_ij − p_j))`)));
  s.append(numbers(`delta = d_loss @ J ${shapeText(step.delta.shape)}`, step.delta, 'step-delta'));
  if (step.fusedDelta) {
    s.append(numbers(`${t('step.fused')} ${shapeText(step.fusedDelta.shape)}`, step.fusedDelta, 'step-fused'),
      el('p', {}, `${t('step.largestDifference')} `, el('strong', { 'data-testid': 'step-max-delta', 'data-value': String(step.maxDelta) }, fmt(step.maxDelta, 2)), '. ', step.fusedRule));
  } else s.append(el('p', { className: 'muted' }, t('step.noFused')));
  check(s, step.jacobianError, t('step.outputJacobian'));
  return s;
}

function backward(step, layers, hooks) {
  const s = stage(4, t('step.backwardTitle'), 'stage-backward');
  for (let i = step.grads.length - 1; i >= 0; i--) {
    const g = step.grads[i];
    const [fanIn, k] = [layers[i], layers[i + 1]];
    const fig = el('div', { className: 'step-layer', 'data-testid': `step-backward-${i + 1}` }, el('h4', {}, t('step.layerTitle', { n: String(i + 1) })));
    if (g.carried) {
      fig.append(el('p', {}, `carried = delta${i + 2} @ W${i + 2}ᵀ ${shapeText(g.carried.shape)}, f'(z${i + 1}) ${shapeText(g.dAct.shape)}, delta${i + 1} = carried * f'(z${i + 1}) ${shapeText(g.delta.shape)}`));
      const cols = Math.min(k, 32);
      fig.append(matrix(t('step.ofLayer', { what: "f'(z)", n: String(i + 1) }), g.dAct, Math.ceil(k / cols), cols));
      check(fig, g.dActError, t('step.ofLayer', { what: "f'(z)", n: String(i + 1) }));
      if (fig.dataset.check === 'mismatch') s.dataset.check = 'mismatch';
    } else fig.append(el('p', {}, `delta${i + 1} ${shapeText(g.delta.shape)}: ${t('step.outputDelta')}`));
    fig.append(el('p', {}, `dW${i + 1} = a${i}ᵀ delta${i + 1} ${shapeText([fanIn, k])}, db${i + 1} = delta${i + 1} ${shapeText([1, k])} ${t('step.batchMean')}`));
    fig.append(matrix(t('step.clickBias', { n: String(i + 1) }), g.db, 1, k, (r, j) => hooks.pick(i, 'b', 0, j)));
    if (i === 0 && fanIn === hooks.side * hooks.side) fig.append(firstLayerTiles(g, k, hooks));
    else if (isSummary(g.dW)) fig.append(lazyMatrix(t('step.ofLayer', { what: 'dW', n: String(i + 1) }), g.dW, i, hooks));
    else fig.append(matrix(t('step.clickWeight', { title: t('step.ofLayer', { what: 'dW', n: String(i + 1) }) }), g.dW, fanIn, k, (r, j) => hooks.pick(i, 'W', r, j)));
    s.append(fig);
  }
  if (!s.dataset.check) s.dataset.check = 'ok';
  return s;
}

/** A large dW: its summary, and a button that fetches it whole and draws it. */
function lazyMatrix(title, dW, layer, hooks) {
  const box = el('div', { className: 'step-lazy' }, el('p', { className: 'muted small' }, `${title} ${shapeText(dW.shape)}: ${summaryText(dW)}`));
  const b = el('button', { type: 'button', className: 'btn btn-small' }, t('step.showAll', { n: dW.shape[0] * dW.shape[1] }));
  b.addEventListener('click', async () => {
    b.disabled = true;
    const whole = await hooks.fetch(dW.ref);
    b.replaceWith(matrix(t('step.clickWeight', { title }), whole, dW.shape[0], dW.shape[1], (r, j) => hooks.pick(layer, 'W', r, j)));
  });
  box.append(b);
  return box;
}

/** The first layer's dW as one side×side picture per hidden unit, paged, most affected units first. */
function firstLayerTiles(g, k, hooks) {
  const box = el('div', { className: 'step-tiles-box' }, el('p', { className: 'hint small' },
    `dW1 ${shapeText(g.dW.shape)} ${t('step.tilesHint', { side: String(hooks.side) })}`));
  const grid = el('div', { className: 'step-tiles', role: 'group', 'aria-label': t('step.tilesLabel'), 'data-testid': 'step-tiles' });
  const nav = el('div', { className: 'row' });
  box.append(nav, grid);
  const order = byMagnitude(g.db);
  let page = 0;
  let whole = null;
  const show = async () => {
    if (!whole) whole = isSummary(g.dW) ? await hooks.fetch(g.dW.ref) : g.dW;
    const part = pageOf(order, page, TILES_PER_PAGE);
    const max = symmetricMax(whole); // one scale for all units
    grid.replaceChildren(...part.items.map((j) => {
      const c = el('canvas', { className: 'step-tile is-clickable', role: 'img', 'aria-label': `${t('step.unitDb', { j: String(j), db: fmt(g.db[j]) })}, dW ${summarize(column(whole, j))}` });
      drawWeights(c, column(whole, j), hooks.side, max);
      c.addEventListener('click', (ev) => {
        const box2 = c.getBoundingClientRect();
        const cx = Math.min(hooks.side - 1, Math.floor(((ev.clientX - box2.left) / box2.width) * hooks.side));
        const cy = Math.min(hooks.side - 1, Math.floor(((ev.clientY - box2.top) / box2.height) * hooks.side));
        hooks.pick(0, 'W', cy * hooks.side + cx, j);
      });
      return el('figure', {}, c, el('figcaption', {}, t('step.unit', { j: String(j) })));
    }));
    const prev = el('button', { type: 'button', className: 'btn btn-small', disabled: part.page === 0 }, t('step.previousUnits'));
    const next = el('button', { type: 'button', className: 'btn btn-small', disabled: part.page >= part.pages - 1 }, t('step.nextUnits'));
    prev.addEventListener('click', () => { page = part.page - 1; show(); });
    next.addEventListener('click', () => { page = part.page + 1; show(); });
    nav.replaceChildren(prev, el('span', { className: 'muted small' }, t('step.page', { page: String(part.page + 1), pages: String(part.pages) })), next);
  };
  show().catch((err) => grid.replaceChildren(el('p', { className: 'code-error' }, err.message)));
  return box;
}

function stateRows(update) {
  const { before, after } = update.state;
  const rows = Object.keys(after.numbers).map((k) => el('tr', {}, el('th', { scope: 'row' }, k), el('td', {}, fmt(before.numbers[k])), el('td', {}, fmt(after.numbers[k]))));
  for (const k of Object.keys(after.vectors)) {
    const b = before.vectors[k];
    const a = after.vectors[k];
    const text = (v) => (v == null ? '–' : isSummary(v) ? `${shapeText(v.shape)} ${summaryText(v)}` : `${shapeText(v.shape)} |max| ${fmt(symmetricMax(v))}`);
    rows.push(el('tr', {}, el('th', { scope: 'row' }, k), el('td', {}, text(b)), el('td', {}, text(a))));
  }
  const caption = t('step.stateCaption', { optimizer: update.optimizer });
  return scrollBox(caption, el('table', { className: 'step-state', 'data-testid': 'step-state' },
    el('caption', {}, caption),
    el('tr', {}, el('td', {}), el('th', { scope: 'col' }, t('step.before')), el('th', { scope: 'col' }, t('step.after'))), ...rows));
}

function update(step) {
  const s = stage(5, t('step.updateTitle'), 'stage-update');
  const n = step.paramsLength;
  s.append(el('p', {}, `${t('step.flatStart')} `, el('strong', { 'data-testid': 'step-params-length' }, num(n)),
    ` ${t('step.flatEnd')}`),
  el('ul', { className: 'small' }, el('li', {}, `old_params ${shapeText([n])}: ${summaryText(step.params)}`), el('li', {}, `gradient ${shapeText([n])}: ${summaryText(step.gradient)}`)),
  el('p', {}, t('step.rule', { optimizer: step.update.optimizer })), el('pre', { className: 'step-rule', 'data-testid': 'step-rule' }, step.update.rule), stateRows(step.update),
  el('div', { className: 'step-weight', 'data-testid': 'step-weight' }, el('p', { className: 'hint small' }, t('step.clickHint'))));
  return s;
}

function after(step, label) {
  const s = stage(6, t('step.afterTitle'), 'stage-after');
  const p = Array.from(step.probabilities);
  const q = Array.from(step.probabilitiesAfter);
  s.append(el('p', {}, 'loss ', fmt(step.loss, 6), ' → ', el('strong', { 'data-testid': 'step-loss-after', 'data-value': String(step.lossAfter) }, fmt(step.lossAfter, 6)),
    `; p(${label}) ${fmt(p[label])} → ${fmt(q[label])}`),
  numbers(t('step.probabilitiesAfter'), q, 'step-probabilities-after', p.map((_, d) => d)));
  return s;
}
