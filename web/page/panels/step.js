// panels/step.js: the "One step by hand" panel (a <details>): one real training step of the active
// model on the Draw pad's digit (or a held-out digit) with the label the person picks, shown in
// the seed article's six stages (step/stages.js); click a weight to follow it through the update
// with its finite-difference check; Apply this step / Undo; optionally with the Code panel's code.
// Nothing is computed while the panel is closed.

import pynn, { explainStep, gradCheck } from '../pynn.js';
import { toMnist } from '../draw.js';
import { createCodeStore } from '../code-store.js';
import { renderStages, el, fmt, verdict } from '../step/stages.js';
import * as ui from '../ui.js';
import { errorMessage, num, onLanguageChange, say, setText, t } from '../i18n/i18n.js';
import { modelName } from '../i18n/names.js';

const { $ } = ui;
const STAGE_NAMES = { 'stage-loss': 'step.stageLoss', 'stage-jacobian': 'step.stageJacobian', 'stage-backward': 'step.stageBackward' };

/** Wire the step panel to `session`. */
export function mountStep(session) {
  const root = $('#step');
  const box = $('[data-testid="step-stages"]');
  const codeStore = createCodeStore(() => window.localStorage);
  let shape = null;
  let current = null; // {step, pixels, label, options} of the step on show
  let busy = false;
  let again = false;
  let labelTouched = false; // the person picked the label: keep it until the input changes

  const open = () => root.open && session.state === 'ready' && shape !== null;

  function status(m, kind = 'info') {
    const p = $('[data-testid="step-status"]');
    ui.show(p, m);
    p.dataset.kind = kind;
  }

  function buttons() {
    const ready = session.state === 'ready' && !session.training;
    $('#step-run').disabled = !ready || busy;
    $('#step-apply').disabled = !ready || busy || !current || session.stepReady !== current.step.step;
    const undo = session.stepUndo;
    $('#step-undo').disabled = !ready || busy || !undo || session.active !== undo.after;
  }

  /** {pixels, truth} of the chosen input, or null (and a hint) when there is none. */
  async function input() {
    if ($('#step-source-held').checked) {
      const raw = $('#step-index').value.trim();
      const index = Number(raw);
      if (!/^\d+$/.test(raw) || index >= shape.test) throw Object.assign(new Error(`Held-out digit: expected a whole number from 0 to ${shape.test - 1}; got "${raw}".`), { code: 'heldOutIndex', params: { max: String(shape.test - 1), got: raw } });
      const d = await pynn.heldOut(index);
      return { pixels: d, truth: d.label };
    }
    const { pixels, empty } = toMnist($('#pad'), shape.side);
    if (empty) {
      status({ key: 'step.drawFirst' });
      return null;
    }
    return { pixels, truth: null };
  }

  function options() {
    const out = {};
    const lr = $('#step-lr').value.trim();
    if (lr) out.learningRate = lr;
    if ($('#step-code').checked) {
      const code = codeStore.readDraft();
      if (code === null) throw Object.assign(new Error('The Code panel has no code yet: open the code editor in the Code panel, write or keep the code, then compute again.'), { code: 'noCode' });
      out.code = code;
      const optimizer = $('#f-optimizer') && $('#f-optimizer').value;
      if (optimizer) out.settings = { optimizer }; // an optimizer the code leaves out: the Train form's
    }
    return out;
  }

  async function compute() {
    if (!open()) return;
    if (busy) {
      again = true;
      return;
    }
    busy = true;
    buttons();
    try {
      const got = await input();
      if (!got) return;
      const select = $('#step-label');
      if (!labelTouched) {
        const label = got.truth ?? (await session.predict(Float32Array.from(got.pixels))).label;
        select.value = String(label);
        if (got.truth != null) setText($('#step-label-help'), 'step.trueLabel', { label: String(got.truth) });
        else setText($('#step-label-help'), 'step.predictedLabel', { label: String(label) });
      }
      const label = Number(select.value);
      const opts = options();
      status({ key: 'step.computing' });
      const step = await explainStep(got.pixels, label, opts);
      current = { step, pixels: Float32Array.from(got.pixels), label, options: opts };
      renderStages(box, step, current.pixels, label, { side: shape.side, pick, fetch: (ref) => session.explainArray(ref) });
      $('[data-testid="step-weight"]').prepend(picker(step.network.layers));
      describe(step);
      $('#step-actions').hidden = false;
    } catch (err) {
      current = null; // what was on show is not this input's step: nothing to click or apply
      box.replaceChildren();
      status(err.line ? { key: 'step.codeDidNotRun', params: { detail: err.message } } : errorMessage(err), 'error');
      $('#step-output').textContent = err.output || '';
      $('#step-output').hidden = !err.output;
    } finally {
      busy = false;
      buttons();
      if (again) {
        again = false;
        compute();
      }
    }
  }

  /** The status line after a step: which network was walked, and where a derivative goes wrong. */
  function describe(step) {
    const from = { key: `step.from.${step.network.from}`, params: { layers: step.network.layers.join('-') } };
    $('[data-testid="step-status"]').dataset.step = String(step.step); // which step is on show
    $('#step-output').textContent = step.output || '';
    $('#step-output').hidden = !step.output;
    const wrong = [...box.querySelectorAll('[data-check="mismatch"].step-stage')].map((s) => (STAGE_NAMES[s.dataset.testid] ? t(STAGE_NAMES[s.dataset.testid]) : s.dataset.testid));
    if (wrong.length) status({ key: 'step.wrong', params: { from, stages: wrong.join(t('step.andStage')) } }, 'error');
    else status({ key: 'step.walked', params: { from, before: fmt(step.loss, 5), after: fmt(step.lossAfter, 5) } }, 'ok');
  }

  /** The form to pick a parameter by its place: layer, W or b, row i, column j. */
  function picker(layers) {
    const layer = el('select', { id: 'step-pick-layer', 'aria-label': t('step.pickLayer') }, ...layers.slice(1).map((_, i) => el('option', { value: String(i) }, t('step.layerN', { n: String(i + 1) }))));
    const kind = el('select', { id: 'step-pick-kind', 'aria-label': t('step.pickKind') }, el('option', { value: 'W' }, 'W'), el('option', { value: 'b' }, 'b'));
    const i = el('input', { id: 'step-pick-i', type: 'number', min: '0', value: '0', 'aria-label': t('step.pickRow') });
    const j = el('input', { id: 'step-pick-j', type: 'number', min: '0', value: '0', 'aria-label': t('step.pickColumn') });
    const go = el('button', { type: 'submit', className: 'btn btn-small' }, t('step.follow'));
    const form = el('form', { className: 'row step-pick', novalidate: true }, layer, kind, i, j, go);
    form.addEventListener('submit', (ev) => {
      ev.preventDefault();
      pick(Number(layer.value), kind.value, Number(i.value), Number(j.value));
    });
    return form;
  }

  /** One parameter: old -> gradient -> new, its optimizer state, and its finite-difference check. */
  async function pick(layer, kind, i, j) {
    if (!current) return;
    for (const [id, v] of [['#step-pick-layer', layer], ['#step-pick-kind', kind], ['#step-pick-i', i], ['#step-pick-j', j]]) $(id).value = String(v);
    const out = $('[data-testid="step-weight-detail"]') || $('[data-testid="step-weight"]').appendChild(el('div', { 'data-testid': 'step-weight-detail', 'aria-live': 'polite' }));
    const name = `${kind}${layer + 1}[${i}, ${j}]`;
    out.textContent = t('step.checking', { name });
    try {
      const where = { layer, kind, i, j };
      const { code, settings } = current.options;
      const [param, chk] = await Promise.all([pynn.explainParam(where),
        gradCheck(current.pixels, current.label, { ...where, ...(code !== undefined ? { code, settings } : {}) })]);
      const v = verdict(chk.relError, 'backprop');
      const states = Object.keys(param.state.after).map((k) => el('li', {}, `${k}: ${fmt(param.state.before[k])} → ${fmt(param.state.after[k])}`));
      out.replaceChildren(el('p', {}, el('strong', {}, name), ` ${t('step.place', { index: num(param.index) })} `,
        el('span', { 'data-testid': 'weight-old', 'data-value': String(param.old) }, fmt(param.old, 6)), ` → ${t('step.gradient')} `,
        el('span', { 'data-testid': 'weight-gradient', 'data-value': String(param.gradient) }, fmt(param.gradient, 6)), ' → ',
        el('span', { 'data-testid': 'weight-new', 'data-value': String(param.new) }, fmt(param.new, 6))),
      states.length ? el('ul', { className: 'small' }, ...states) : '',
      el('p', {}, `${t('step.checkBackprop')} `, el('span', { 'data-testid': 'weight-backprop', 'data-value': String(chk.backprop) }, fmt(chk.backprop, 6)),
        `, ${t('step.centralDifference')} `, el('span', { 'data-testid': 'weight-numeric', 'data-value': String(chk.numeric) }, fmt(chk.numeric, 6)),
        ' (h = ', fmt(chk.step, 1), `), ${t('step.relativeError')} `, el('strong', { 'data-testid': 'weight-rel-error', 'data-value': String(chk.relError), 'data-check': v.state }, fmt(chk.relError, 2))));
      out.scrollIntoView({ block: 'nearest' });
    } catch (err) {
      out.textContent = `${name}: ${say(errorMessage(err))}`;
    }
  }

  /** Apply or Undo (`act`: the session's method); then the step of the model now active. */
  async function change(act, done) {
    busy = true;
    buttons();
    const note = $('[data-testid="step-applied"]');
    try {
      ui.show(note, done(await act()));
      note.dataset.kind = 'ok';
    } catch (err) {
      ui.show(note, errorMessage(err));
      note.dataset.kind = 'error';
    } finally {
      busy = false;
      again = false;
      compute();
    }
  }

  const apply = () => {
    const before = current.step;
    return change(() => {
      // the worker applies its last step: refuse if another one (e.g. pynn.explainStep) came since
      if (session.stepReady !== before.step) throw Object.assign(new Error('Another step was computed since the one on show: Compute the step again, then Apply.'), { code: 'stepChanged' });
      return session.applyStep();
    }, (res) => ({ key: res.persistError ? 'step.appliedNotKept' : 'step.applied',
      params: { name: modelName(res.name), before: fmt(before.loss, 5), after: fmt(before.lossAfter, 5), detail: res.persistError || '' } }));
  };
  const undo = () => change(() => session.undoStep(), (res) => ({ key: 'step.undone', params: { name: modelName(res.name) } }));

  const fresh = () => {
    labelTouched = false;
    compute();
  };
  $('#step-form').addEventListener('submit', (ev) => {
    ev.preventDefault();
    compute();
  });
  $('#step-label').addEventListener('change', () => {
    labelTouched = true;
    compute();
  });
  for (const id of ['#step-source-pad', '#step-source-held', '#step-index']) $(id).addEventListener('change', fresh);
  $('#step-code').addEventListener('change', compute);
  $('#step-apply').addEventListener('click', apply);
  $('#step-undo').addEventListener('click', undo);
  // the Draw pad: a finished stroke or Clear is a new input
  $('#pad').addEventListener('pointerup', () => setTimeout(() => $('#step-source-pad').checked && fresh(), 0));
  $('#pad').addEventListener('input', () => $('#step-source-pad').checked && fresh()); // a test digit
  $('#clear').addEventListener('click', () => setTimeout(() => $('#step-source-pad').checked && fresh(), 0));

  root.addEventListener('toggle', () => root.open && compute());
  // the active model's data set gives the sizes and the labels' class names
  const refreshShape = () => {
    shape = session.shape;
    if (!shape) return;
    const names = (session.active && session.active.classes) || Array.from({ length: shape.classes }, (_, d) => String(d));
    $('#step-label').replaceChildren(...names.map((name, d) => new Option(name, String(d))));
    $('#step-index').max = String(shape.test - 1);
  };
  session.addEventListener('facts', refreshShape);
  session.addEventListener('active', () => {
    refreshShape();
    current = null;
    buttons();
    compute(); // the next step of the model now active (after Apply: SGD by hand)
  });
  session.addEventListener('status', buttons);
  session.addEventListener('training', buttons);
  onLanguageChange(() => {
    if (open() && current) compute(); // the stages are built from the answer: build them again
  });
  buttons();
}
