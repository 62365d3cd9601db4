// panels/code.js: the Code panel: a Python editor opened on demand (CodeMirror is fetched only
// then), the code generated from the Train settings or a template, Reset, Check (derivatives
// and shapes per component), Train with this code (through the Train panel's run: same
// progress, chart, Stop, held-out results), Stop, Export as Python, and print() output.
// The code is kept between visits by code-store.js; the worker runs it (page-session.js).

import { validateFitConfig, fitDefaults } from '../../shared/fit-options.js';
import { builtInDataset } from '../../shared/datasets.js';
import { createEditor, loadCodeMirror } from '../code-editor.js';
import * as ui from '../ui.js';

const { $ } = ui;
const SAVE_DELAY_MS = 400;
const NAMES = {
  hidden_activation: 'Hidden activation',
  output_activation: 'Output activation',
  loss: 'Loss',
  optimizer: 'Optimizer',
};

const SHOWN_VALUES = 4; // an input row longer than this is shown as its first values and "…"
const num = (v) => {
  if (Array.isArray(v)) return `[${v.slice(0, SHOWN_VALUES).map(num).join(', ')}${v.length > SHOWN_VALUES ? ', …' : ''}]`;
  return typeof v === 'number' && Number.isFinite(v) ? Number(v.toPrecision(4)).toString() : String(v);
};
const sci = (v) => (typeof v === 'number' && Number.isFinite(v) ? v.toExponential(1) : v == null ? '–' : String(v));

/**
 * Wire the Code panel. `train.runFit(config, {onEvent})` is the Train panel's run (progress,
 * chart, results); `store` is code-store.js's; `download(file)` offers a File to the person.
 */
export function mountCode(session, { train, store, download }) {
  let editor = null;
  let opening = null;
  let checking = false;
  let saveTimer = null;
  let templates = {};

  /** The Train form's values as fit options (the form's defaults where a field is not valid). */
  function settings() {
    const defaults = fitDefaults(session.shape);
    // only the fit options: the form also holds the augmentation fields (panels/run-controls.js)
    const values = Object.fromEntries([...new FormData($('#train-form'))].filter(([k]) => k in defaults));
    const { config } = validateFitConfig(values, session.shape);
    return config || { ...defaults, seed: 0 };
  }

  function setStatus(text, kind = 'info') {
    const el = $('#code-status');
    el.textContent = text;
    el.dataset.kind = kind;
  }

  function showError(error) {
    const box = $('#code-error');
    if (!error) {
      box.hidden = true;
      box.textContent = '';
      if (editor) editor.markLine(null);
      return;
    }
    box.hidden = false;
    box.textContent = error.line ? `Line ${error.line}: ${error.message}` : error.message;
    if (editor && error.line) editor.markLine(error.line);
  }

  function output(text, { append = false } = {}) {
    const pre = $('#code-output');
    pre.textContent = append ? pre.textContent + text : text;
    $('#code-output-box').hidden = !pre.textContent;
    pre.scrollTop = pre.scrollHeight;
  }

  function updateButtons() {
    const ready = session.state === 'ready' && editor !== null;
    const busy = session.training || checking;
    $('#code-check').disabled = !ready || busy;
    $('#code-train').disabled = !ready || busy;
    $('#code-export').disabled = !ready;
    $('#code-reset').disabled = !ready || busy;
    $('#code-template').disabled = !ready || busy;
    $('#code-stop').disabled = !busy;
  }

  function keep(text) {
    clearTimeout(saveTimer);
    saveTimer = setTimeout(() => {
      if (!store.writeDraft(text)) setStatus('Your code could not be kept in this browser (storage full or blocked); Export it to keep it.', 'error');
    }, SAVE_DELAY_MS);
  }

  function replaceCode(text, what) {
    editor.setText(text);
    store.writeDraft(text);
    showError(null);
    setStatus(`${what}. Ctrl+Z (Cmd+Z) in the editor brings back what was there.`);
  }

  async function open() {
    if (opening) return opening;
    opening = (async () => {
      $('#code-open').disabled = true;
      setStatus('Loading the editor…');
      try {
        await session.start();
        const [made] = await Promise.all([
          session.codeTemplates(settings()),
          loadCodeMirror(),
        ]);
        templates = made.templates;
        const select = $('#code-template');
        select.replaceChildren(new Option('The Train settings (generated)', ''));
        for (const [key, t] of Object.entries(templates)) select.append(new Option(t.title, key));
        const kept = store.readDraft();
        editor = await createEditor($('#code-editor'), {
          doc: kept !== null ? kept : made.generated,
          label: 'Python code for the network',
          onChange: (text) => {
            keep(text);
            if (!$('#code-error').hidden) showError(null);
          },
          onRun: check,
          onRunAlt: trainWithCode,
          escapeTo: () => $('#code-check'),
        });
        $('#code-open').hidden = true;
        $('#code-body').hidden = false;
        setStatus(kept !== null ? 'Your code from your last visit. Reset returns to the code for the Train settings.' : 'The code for the current Train settings. Change anything, then Check or Train.');
        updateButtons();
        editor.focus();
      } catch (err) {
        opening = null;
        $('#code-open').disabled = false;
        setStatus(err.message, 'error');
      }
    })();
    return opening;
  }

  function renderChecks(result) {
    const table = $('#code-checks');
    const body = table.tBodies[0];
    body.replaceChildren();
    for (const [name, c] of Object.entries(result.components)) {
      const row = body.insertRow();
      row.dataset.component = name;
      row.dataset.ok = String(c.ok);
      const th = document.createElement('th');
      th.scope = 'row';
      th.textContent = NAMES[name] || name;
      row.append(th);
      const verdict = row.insertCell();
      verdict.className = c.ok ? 'pass' : 'fail';
      verdict.textContent = c.ok ? 'pass' : 'fail';
      row.insertCell().textContent = sci(c.maxRelError);
      const detail = row.insertCell();
      const p = document.createElement('p');
      p.textContent = (c.line ? `Line ${c.line}: ` : '') + c.message + (c.shapeOk ? '' : ' (shape)');
      detail.append(p);
      if (c.worst && c.worst.length) {
        const list = document.createElement('ul');
        list.className = 'worst';
        for (const w of c.worst) {
          const li = document.createElement('li');
          const where = w.index != null ? `, index ${JSON.stringify(w.index)}` : '';
          li.textContent = `input ${num(w.input)}${where}: analytic ${num(w.analytic)}, numeric ${num(w.numeric)} (error ${sci(w.relError)})`;
          list.append(li);
        }
        detail.append(list);
      }
    }
    table.hidden = body.rows.length === 0;
  }

  async function check() {
    if (!editor || checking || session.training || session.state !== 'ready') return;
    checking = true;
    updateButtons();
    showError(null);
    $('#code-checks').hidden = true;
    output('');
    setStatus('Checking: running your code and comparing each derivative with finite differences…');
    try {
      const res = await session.checkCode(editor.text(), settings());
      output(res.output || '');
      if (res.error) {
        showError(res.error);
        setStatus('The code did not run: fix the line shown and Check again.', 'error');
        return;
      }
      renderChecks(res);
      const n = Object.keys(res.components).length;
      if (!n) setStatus('The code runs. It defines no component, so the Train form\'s are used; nothing to check.', 'ok');
      else if (res.ok) setStatus(`All ${n} component${n === 1 ? '' : 's'} pass: the derivatives match finite differences.`, 'ok');
      else {
        const failed = Object.entries(res.components).filter(([, c]) => !c.ok).map(([k]) => NAMES[k] || k);
        setStatus(`${failed.join(', ')} ${failed.length === 1 ? 'fails' : 'fail'} the check: see the table.`, 'error');
        const line = Object.values(res.components).map((c) => c.line).find(Boolean);
        if (line) editor.markLine(line);
      }
    } catch (err) {
      setStatus(err.message, 'error');
    } finally {
      checking = false;
      updateButtons();
    }
  }

  async function trainWithCode() {
    if (!editor || checking || session.training || session.state !== 'ready') return;
    showError(null);
    output('');
    $('#code-checks').hidden = true;
    setStatus('Training with your code: progress, chart and results are in the Train panel.');
    try {
      const res = await train.runFit({ ...settings(), code: editor.text() }, {
        what: 'with your code',
        onEvent: (p) => {
          if (p.type === 'output') output(p.text, { append: true });
        },
      });
      setStatus(res.committed ? 'Trained with your code: the new model is active and carries the code.' : 'Stopped before the first batch: the active model is unchanged.', res.committed ? 'ok' : 'info');
    } catch (err) {
      if (err.output) output(err.output, { append: true });
      showError({ message: err.message, line: err.line || null });
      setStatus(err.line ? `Training did not run: line ${err.line} has an error. The active model is unchanged.` : 'Training did not finish. The active model is unchanged.', 'error');
    }
  }

  async function stop() {
    setStatus('Stopping…');
    $('#code-stop').disabled = true;
    try {
      const res = await session.stop();
      if (res && res.restarted) setStatus(res.message, 'error');
    } catch (err) {
      setStatus(err.message, 'error');
    }
  }

  async function exportPython() {
    try {
      const text = await session.pythonScript(editor.text(), settings());
      download(new File([text], 'train_py_nn.py', { type: 'text/x-python' }));
      setStatus('Exported train_py_nn.py: put it next to the digit files below, install the wheel, and run it.', 'ok');
    } catch (err) {
      showError({ message: err.message, line: err.line || null });
      setStatus('Not exported: fix the code first.', 'error');
    }
  }

  $('#code-open').addEventListener('click', open);
  $('#code-check').addEventListener('click', check);
  $('#code-train').addEventListener('click', trainWithCode);
  $('#code-stop').addEventListener('click', stop);
  $('#code-export').addEventListener('click', exportPython);
  $('#code-reset').addEventListener('click', async () => {
    try {
      const made = await session.codeTemplates(settings());
      $('#code-template').value = '';
      replaceCode(made.generated, 'Back to the code for the current Train settings');
    } catch (err) {
      setStatus(err.message, 'error');
    }
  });
  $('#code-template').addEventListener('change', (e) => {
    const t = templates[e.target.value];
    if (t) replaceCode(t.source, `Started from "${t.title}"`);
  });

  session.addEventListener('facts', (e) => {
    const f = e.detail;
    $('#code-wheel').href = f.wheel;
    $('#code-wheel').textContent = f.wheel.split('/').pop();
  });
  // the exported script reads the active data set's shards (train-<k>.u8.gz, test-<k>.u8.gz)
  session.addEventListener('active', (e) => {
    const entry = builtInDataset(session.facts, e.detail.dataset);
    const links = $('#code-data-links');
    links.textContent = '';
    if (!entry) return;
    [...entry.train.shards, ...entry.test.shards].forEach((shard, i) => {
      if (i) links.append(', ');
      links.append(Object.assign(document.createElement('a'), { href: shard.url, download: '', textContent: shard.url.split('/').pop() }));
    });
  });
  session.addEventListener('status', updateButtons);
  session.addEventListener('training', updateButtons);
  session.addEventListener('restarted', (e) => setStatus(e.detail.text, 'error'));
  updateButtons();
  return { open };
}
