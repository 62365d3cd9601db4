// panels/code.js: the Code panel: a Python editor opened on demand (CodeMirror is fetched only
// then), the code generated from the Train settings or a template, Reset, Check (derivatives
// and shapes per component), Train with this code (through the Train panel's run: same
// progress, chart, Stop, held-out results), Stop, Export as Python, and print() output.
// The code is kept between visits by code-store.js; the worker runs it (page-session.js).

import { validateFitConfig, fitDefaults } from '../../shared/fit-options.js';
import { builtInDataset } from '../../shared/datasets.js';
import { createEditor, loadCodeMirror } from '../code-editor.js';
import * as ui from '../ui.js';
import { errorMessage, has, setText, t } from '../i18n/i18n.js';

const { $ } = ui;
const SAVE_DELAY_MS = 400;
const NAMES = ['hidden_activation', 'output_activation', 'loss', 'optimizer']; // code.components.<name>
const componentName = (name) => (NAMES.includes(name) ? t(`code.components.${name}`) : name);

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

  function setStatus(m, kind = 'info') {
    const el = $('#code-status');
    ui.show(el, typeof m === 'string' ? { key: m } : m);
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
    box.textContent = error.line ? t('code.line', { line: String(error.line), detail: error.message }) : error.message;
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
      if (!store.writeDraft(text)) setStatus('code.notKept', 'error');
    }, SAVE_DELAY_MS);
  }

  function replaceCode(text, what) {
    editor.setText(text);
    store.writeDraft(text);
    showError(null);
    setStatus({ key: 'code.replaced', params: { what } });
  }

  async function open() {
    if (opening) return opening;
    opening = (async () => {
      $('#code-open').disabled = true;
      setStatus('code.loading');
      try {
        await session.start();
        const [made] = await Promise.all([
          session.codeTemplates(settings()),
          loadCodeMirror(),
        ]);
        templates = made.templates;
        const select = $('#code-template');
        const generated = new Option('', '');
        setText(generated, 'code.generated');
        select.replaceChildren(generated);
        for (const [key, tpl] of Object.entries(templates)) {
          const option = new Option(tpl.title, key);
          if (has(`code.templates.${key}`)) setText(option, `code.templates.${key}`); // the worker's title, translated
          select.append(option);
        }
        const kept = store.readDraft();
        editor = await createEditor($('#code-editor'), {
          doc: kept !== null ? kept : made.generated,
          label: t('code.editorLabel'),
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
        setStatus(kept !== null ? 'code.keptCode' : 'code.generatedCode');
        updateButtons();
        editor.focus();
      } catch (err) {
        opening = null;
        $('#code-open').disabled = false;
        setStatus(errorMessage(err), 'error');
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
      th.textContent = componentName(name);
      row.append(th);
      const verdict = row.insertCell();
      verdict.className = c.ok ? 'pass' : 'fail';
      verdict.textContent = t(c.ok ? 'code.pass' : 'code.fail');
      row.insertCell().textContent = sci(c.maxRelError);
      const detail = row.insertCell();
      const p = document.createElement('p');
      const message = c.message + (c.shapeOk ? '' : ` ${t('code.shape')}`);
      p.textContent = c.line ? t('code.line', { line: String(c.line), detail: message }) : message;
      detail.append(p);
      if (c.worst && c.worst.length) {
        const list = document.createElement('ul');
        list.className = 'worst';
        for (const w of c.worst) {
          const li = document.createElement('li');
          const where = w.index != null ? t('code.index', { index: JSON.stringify(w.index) }) : '';
          li.textContent = t('code.worst', { input: num(w.input), where, analytic: num(w.analytic), numeric: num(w.numeric), error: sci(w.relError) });
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
    setStatus('code.checking');
    try {
      const res = await session.checkCode(editor.text(), settings());
      output(res.output || '');
      if (res.error) {
        showError(res.error);
        setStatus('code.didNotRun', 'error');
        return;
      }
      renderChecks(res);
      const n = Object.keys(res.components).length;
      if (!n) setStatus('code.noComponent', 'ok');
      else if (res.ok) setStatus({ key: 'code.allPass', params: { count: n } }, 'ok');
      else {
        const failed = Object.entries(res.components).filter(([, c]) => !c.ok).map(([k]) => componentName(k));
        setStatus({ key: 'code.fails', params: { names: failed.join(', '), count: failed.length } }, 'error');
        const line = Object.values(res.components).map((c) => c.line).find(Boolean);
        if (line) editor.markLine(line);
      }
    } catch (err) {
      setStatus(errorMessage(err), 'error');
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
    setStatus('code.training');
    try {
      const res = await train.runFit({ ...settings(), code: editor.text() }, {
        what: t('code.withYourCode'),
        onEvent: (p) => {
          if (p.type === 'output') output(p.text, { append: true });
        },
      });
      setStatus(res.committed ? 'code.trained' : 'code.stoppedEarly', res.committed ? 'ok' : 'info');
    } catch (err) {
      if (err.output) output(err.output, { append: true });
      showError({ message: err.message, line: err.line || null });
      setStatus(err.line ? { key: 'code.trainLineError', params: { line: String(err.line) } } : 'code.trainFailed', 'error');
    }
  }

  async function stop() {
    setStatus('train.stopping');
    $('#code-stop').disabled = true;
    try {
      const res = await session.stop();
      if (res && res.restarted) setStatus(res.detail, 'error');
    } catch (err) {
      setStatus(errorMessage(err), 'error');
    }
  }

  async function exportPython() {
    try {
      const text = await session.pythonScript(editor.text(), settings());
      download(new File([text], 'train_py_nn.py', { type: 'text/x-python' }));
      setStatus('code.exported', 'ok');
    } catch (err) {
      showError({ message: err.message, line: err.line || null });
      setStatus('code.notExported', 'error');
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
      replaceCode(made.generated, { key: 'code.backToGenerated' });
    } catch (err) {
      setStatus(errorMessage(err), 'error');
    }
  });
  $('#code-template').addEventListener('change', (e) => {
    const tpl = templates[e.target.value];
    if (tpl) replaceCode(tpl.source, { key: 'code.startedFrom', params: { title: e.target.selectedOptions[0].text } });
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
  session.addEventListener('restarted', (e) => setStatus(e.detail, 'error'));
  updateButtons();
  return { open };
}
