// step/stages.js: the six stages of "One step by hand" as DOM, in the seed article's order:
// forward, loss, the output's Jacobian and delta, backward, flatten and update, after. Each stage
// shows its arrays' shapes; small arrays as numbers (full values in data-value) and heat maps in
// Inside's diverging colours, large ones as a summary (whole on request). A derivative that
// disagrees with float64 central differences marks its stage (data-check="mismatch").

import { drawStrip, drawWeights, drawDigit, diverging, heat, symmetricMax } from '../inside-draw.js';
import { isSummary, shapeText, row, column, byMagnitude, pageOf } from './arrays.js';

// A derivative whose largest relative error against float64 central differences is above this is
// marked wrong. Correct ones stay below 1e-2 (the default model on 1,000 held-out digits, each with
// its own and a wrong label: median 7e-5, worst 8.7e-3, the limit of the differences' precision
// where a softmax is confident); a wrong derivative is off by its own size (errors near 1).
export const MISMATCH = 0.05;
const TILES_PER_PAGE = 32;

export const fmt = (v, digits = 4) => {
  if (v == null) return '–';
  if (typeof v !== 'number' || !Number.isFinite(v)) return String(v);
  if (v !== 0 && (Math.abs(v) < 1e-3 || Math.abs(v) >= 1e5)) return v.toExponential(digits - 1);
  return Number(v.toPrecision(digits)).toString();
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
  if (error == null || Number.isNaN(error)) return { state: 'none', text: `${what}: not checked (finite differences could not run here)` };
  if (error > MISMATCH) return { state: 'mismatch', text: `✗ ${what} disagrees with finite differences: relative error ${fmt(error, 2)} (> ${MISMATCH}). It goes wrong here.` };
  return { state: 'ok', text: `✓ ${what} matches finite differences (relative error ${fmt(error, 2)})` };
}

function check(stage, error, what) {
  const v = verdict(error, what);
  if (v.state === 'mismatch' || !stage.dataset.check || stage.dataset.check === 'none') stage.dataset.check = v.state;
  stage.append(el('p', { className: `step-check is-${v.state}`, 'data-check': v.state }, v.text));
}

/** A row of numbers (a (1, m) vector) as a table: header cells `heads`, one data-value per cell. */
function numbers(caption, values, testid, heads = null) {
  const t = el('table', { className: 'step-numbers', 'data-testid': testid }, el('caption', {}, caption));
  if (heads) t.append(el('tr', {}, ...heads.map((h) => el('th', { scope: 'col' }, String(h)))));
  t.append(el('tr', {}, ...Array.from(values, (v) => el('td', { 'data-value': String(v) }, fmt(v)))));
  return scrollBox(caption, t);
}

/** A box that scrolls sideways when `child` is wider: a keyboard reaches it (tabindex), named `label`. */
function scrollBox(label, child) {
  return el('div', { className: 'table-wrap', tabindex: '0', role: 'group', 'aria-label': label }, child);
}

/** A heat map of a (rows, cols) array: one cell per value, diverging colours, clickable if `onCell`. */
function matrix(label, values, rows, cols, onCell = null, max = symmetricMax(values)) {
  const c = el('canvas', { className: 'step-map', role: 'img', 'aria-label': label });
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
  return c;
}

const summaryText = (s) => `min ${fmt(s.summary.min)}, max ${fmt(s.summary.max)}, mean ${fmt(s.summary.mean)}, std ${fmt(s.summary.std)}`;

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
  const s = stage(1, 'Forward: z = a_prev W + b, a = f(z), layer by layer', 'stage-forward');
  const x = el('canvas', { className: 'step-digit', role: 'img', 'aria-label': 'The input x' });
  drawDigit(x, pixels, side);
  s.append(el('figure', { className: 'step-row' }, x, el('figcaption', {}, `x ${shapeText([1, pixels.length])}: the ${side}×${side} pixels in one row`)));
  step.layers.forEach((l, i) => {
    const k = l.z.shape[1];
    const last = i === step.layers.length - 1;
    const fig = el('figure', { className: 'step-layer', 'data-testid': `step-forward-${i + 1}` },
      el('figcaption', {}, `Layer ${i + 1}: z${i + 1} = a${i} W${i + 1} + b${i + 1} → ${shapeText(l.z.shape)}, a${i + 1} = ${last ? 'output activation' : 'f'}(z${i + 1}) → ${shapeText(l.a.shape)}`));
    if (!last) {
      const cols = Math.min(k, 32);
      fig.append(matrix(`z of layer ${i + 1}`, l.z, Math.ceil(k / cols), cols));
      const a = el('canvas', { className: 'step-map', role: 'img', 'aria-label': `a of layer ${i + 1}` });
      drawStrip(a, l.a, { cols, colour: heat });
      a.style.aspectRatio = `${cols} / ${Math.ceil(k / cols)}`;
      fig.append(a, el('p', { className: 'muted small' }, `${Array.from(l.a).filter((v) => v > 0).length} of ${k} units fire (a > 0)`));
    }
    s.append(fig);
  });
  const heads = Array.from({ length: step.logits.length }, (_, d) => d);
  s.append(numbers('The logits z (before the output activation)', step.logits, 'step-logits', heads),
    numbers('The probabilities a = softmax(z) (the output)', step.probabilities, 'step-probabilities', heads));
  return s;
}

function loss(step, label) {
  const s = stage(2, 'Loss and its derivative', 'stage-loss');
  s.append(el('p', {}, 'loss = ', el('strong', { 'data-testid': 'step-loss', 'data-value': String(step.loss) }, fmt(step.loss, 6)), ` for the label ${label}`),
    numbers(`d_loss ${shapeText(step.dLoss.shape)}: one row vector per sample, ready to matmul with the Jacobian`, step.dLoss, 'step-dloss'));
  check(s, step.dLossError, 'The loss derivative');
  return s;
}

function jacobian(step) {
  const s = stage(3, "The output's Jacobian and delta = d_loss @ J", 'stage-jacobian');
  const m = step.jacobian.shape[2];
  s.append(el('figure', { className: 'step-row' }, matrix('The Jacobian of the output activation', step.jacobian, m, m),
    el('figcaption', {}, `J ${shapeText(step.jacobian.shape)}: J[i, j] = ∂a_i / ∂z_j (softmax: p_i (δ_ij − p_j))`)));
  s.append(numbers(`delta = d_loss @ J ${shapeText(step.delta.shape)}`, step.delta, 'step-delta'));
  if (step.fusedDelta) {
    s.append(numbers(`The fused shortcut ${shapeText(step.fusedDelta.shape)}`, step.fusedDelta, 'step-fused'),
      el('p', {}, 'Largest difference: ', el('strong', { 'data-testid': 'step-max-delta', 'data-value': String(step.maxDelta) }, fmt(step.maxDelta, 2)), '. ', step.fusedRule));
  } else s.append(el('p', { className: 'muted' }, 'No fused shortcut for this pair of output activation and loss: training takes this Jacobian path too.'));
  check(s, step.jacobianError, 'The output Jacobian');
  return s;
}

function backward(step, layers, hooks) {
  const s = stage(4, 'Backward: delta carried down through W and f\'(z); dW and db', 'stage-backward');
  for (let i = step.grads.length - 1; i >= 0; i--) {
    const g = step.grads[i];
    const [fanIn, k] = [layers[i], layers[i + 1]];
    const fig = el('div', { className: 'step-layer', 'data-testid': `step-backward-${i + 1}` }, el('h4', {}, `Layer ${i + 1}`));
    if (g.carried) {
      fig.append(el('p', {}, `carried = delta${i + 2} @ W${i + 2}ᵀ ${shapeText(g.carried.shape)}, f'(z${i + 1}) ${shapeText(g.dAct.shape)}, delta${i + 1} = carried * f'(z${i + 1}) ${shapeText(g.delta.shape)}`));
      const cols = Math.min(k, 32);
      fig.append(matrix(`f'(z) of layer ${i + 1}`, g.dAct, Math.ceil(k / cols), cols));
      check(fig, g.dActError, `f'(z) of layer ${i + 1}`);
      if (fig.dataset.check === 'mismatch') s.dataset.check = 'mismatch';
    } else fig.append(el('p', {}, `delta${i + 1} ${shapeText(g.delta.shape)}: the output's delta from stage 3`));
    fig.append(el('p', {}, `dW${i + 1} = a${i}ᵀ delta${i + 1} ${shapeText([fanIn, k])}, db${i + 1} = delta${i + 1} ${shapeText([1, k])} (the batch mean; one sample here)`));
    fig.append(matrix(`db of layer ${i + 1}: click a bias`, g.db, 1, k, (r, j) => hooks.pick(i, 'b', 0, j)));
    if (i === 0 && fanIn === hooks.side * hooks.side) fig.append(firstLayerTiles(g, k, hooks));
    else if (isSummary(g.dW)) fig.append(lazyMatrix(`dW of layer ${i + 1}`, g.dW, i, hooks));
    else fig.append(matrix(`dW of layer ${i + 1}: click a weight`, g.dW, fanIn, k, (r, j) => hooks.pick(i, 'W', r, j)));
    s.append(fig);
  }
  if (!s.dataset.check) s.dataset.check = 'ok';
  return s;
}

/** A large dW: its summary, and a button that fetches it whole and draws it. */
function lazyMatrix(title, dW, layer, hooks) {
  const box = el('div', { className: 'step-lazy' }, el('p', { className: 'muted small' }, `${title} ${shapeText(dW.shape)}: ${summaryText(dW)}`));
  const b = el('button', { type: 'button', className: 'btn btn-small' }, `Show all ${dW.shape[0] * dW.shape[1]} values`);
  b.addEventListener('click', async () => {
    b.disabled = true;
    const whole = await hooks.fetch(dW.ref);
    b.replaceWith(matrix(`${title}: click a weight`, whole, dW.shape[0], dW.shape[1], (r, j) => hooks.pick(layer, 'W', r, j)));
  });
  box.append(b);
  return box;
}

/** The first layer's dW as one side×side picture per hidden unit, paged, most affected units first. */
function firstLayerTiles(g, k, hooks) {
  const box = el('div', { className: 'step-tiles-box' }, el('p', { className: 'hint small' },
    `dW1 ${shapeText(g.dW.shape)} as one ${hooks.side}×${hooks.side} picture per hidden unit: which pixels this example pushes up (red) or down (blue); units with the largest |db| first. Click a pixel for its weight.`));
  const grid = el('div', { className: 'step-tiles', role: 'group', 'aria-label': 'First-layer dW per hidden unit', 'data-testid': 'step-tiles' });
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
      const c = el('canvas', { className: 'step-tile is-clickable', role: 'img', 'aria-label': `Unit ${j}: db ${fmt(g.db[j])}` });
      drawWeights(c, column(whole, j), hooks.side, max);
      c.addEventListener('click', (ev) => {
        const box2 = c.getBoundingClientRect();
        const cx = Math.min(hooks.side - 1, Math.floor(((ev.clientX - box2.left) / box2.width) * hooks.side));
        const cy = Math.min(hooks.side - 1, Math.floor(((ev.clientY - box2.top) / box2.height) * hooks.side));
        hooks.pick(0, 'W', cy * hooks.side + cx, j);
      });
      return el('figure', {}, c, el('figcaption', {}, `unit ${j}`));
    }));
    const prev = el('button', { type: 'button', className: 'btn btn-small', disabled: part.page === 0 }, 'Previous units');
    const next = el('button', { type: 'button', className: 'btn btn-small', disabled: part.page >= part.pages - 1 }, 'Next units');
    prev.addEventListener('click', () => { page = part.page - 1; show(); });
    next.addEventListener('click', () => { page = part.page + 1; show(); });
    nav.replaceChildren(prev, el('span', { className: 'muted small' }, `page ${part.page + 1} of ${part.pages}`), next);
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
  const caption = `${update.optimizer}'s state before and after this step`;
  return scrollBox(caption, el('table', { className: 'step-state', 'data-testid': 'step-state' },
    el('caption', {}, caption),
    el('tr', {}, el('td', {}), el('th', { scope: 'col' }, 'before'), el('th', { scope: 'col' }, 'after')), ...rows));
}

function update(step) {
  const s = stage(5, 'Flatten and update: new_params = optimizer.update(old_params, gradient)', 'stage-update');
  const n = step.paramsLength;
  s.append(el('p', {}, 'The optimizer sees two flat vectors of ', el('strong', { 'data-testid': 'step-params-length' }, n.toLocaleString('en')),
    ` numbers (the model's parameter count): every W then every b, layer by layer.`),
  el('ul', { className: 'small' }, el('li', {}, `old_params ${shapeText([n])}: ${summaryText(step.params)}`), el('li', {}, `gradient ${shapeText([n])}: ${summaryText(step.gradient)}`)),
  el('p', {}, `The rule of ${step.update.optimizer}:`), el('pre', { className: 'step-rule', 'data-testid': 'step-rule' }, step.update.rule), stateRows(step.update),
  el('div', { className: 'step-weight', 'data-testid': 'step-weight' }, el('p', { className: 'hint small' }, 'Click a weight in stage 4 (or pick one below) to follow it through this step.')));
  return s;
}

function after(step, label) {
  const s = stage(6, 'After: this example if the step were taken', 'stage-after');
  const p = Array.from(step.probabilities);
  const q = Array.from(step.probabilitiesAfter);
  s.append(el('p', {}, 'loss ', fmt(step.loss, 6), ' → ', el('strong', { 'data-testid': 'step-loss-after', 'data-value': String(step.lossAfter) }, fmt(step.lossAfter, 6)),
    `; p(${label}) ${fmt(p[label])} → ${fmt(q[label])}`),
  numbers('Probabilities after the step', q, 'step-probabilities-after', p.map((_, d) => d)));
  return s;
}
