// panels/your-data.js: the Teach panel's "Your data": create a data set with class names you choose,
// draw samples of each on the teaching pad ("Add as <class>"), counts per class, import a zip of class
// folders or a Kaggle CSV, export a zip, delete with Undo. The data sets live in datasets/store.js.

import { toMnist } from '../draw.js';
import pynn from '../pynn.js';
import { getDatasetStore } from '../datasets/api.js';
import { saveFile, show, $ } from '../ui.js';
import { onLanguageChange, t } from '../i18n/i18n.js';

/** Wire "Your data" to the teaching pad (`padEl`, the canvas; `pad`, its createPad handle). */
export function mountYourData(session, padEl, pad) {
  const select = $('#ds-select');
  const buttons = $('.ds-class-buttons');
  const counts = $('.ds-counts');
  const message = $('[data-testid="dataset-message"]');
  const say = (m, kind = 'info', action = null) => {
    show(message, m);
    message.dataset.kind = kind;
    if (action) {
      const b = Object.assign(document.createElement('button'), { type: 'button', className: 'btn btn-small', textContent: t(action.label) });
      b.addEventListener('click', () => { b.remove(); action.onClick(); });
      message.append(' ', b);
    }
  };
  let busy = false;

  async function render(selected = select.value) {
    const list = await pynn.myDatasets();
    select.textContent = '';
    if (!list.length) select.append(new Option(t('data.none'), ''));
    for (const d of list) {
      const params = { name: d.name, count: d.classes.length, samples: String(d.train + d.test) };
      select.append(new Option(t(d.stored ? 'data.option' : 'data.optionNotStored', params), d.id));
    }
    if (list.some((d) => d.id === selected)) select.value = selected;
    const current = list.find((d) => d.id === select.value);
    for (const id of ['#ds-export', '#ds-delete']) $(id).disabled = !current;
    buttons.textContent = '';
    counts.textContent = '';
    if (!current) return;
    const full = await pynn.myDataset(current.id);
    current.classes.forEach((name, c) => {
      const b = Object.assign(document.createElement('button'), { type: 'button', className: 'btn', textContent: t('data.addAs', { name }) });
      b.addEventListener('click', () => add(current.id, c, name));
      buttons.append(b);
      const n = [...full.train.labels, ...full.test.labels].filter((l) => l === c).length;
      const li = document.createElement('li');
      li.textContent = `${name}: ${n}`;
      li.setAttribute('data-testid', `ds-count-${c}`);
      counts.append(li);
    });
  }

  /** `what` (a catalog key, or {key, params}) says what did not happen if `fn` throws. */
  async function run(what, fn) {
    if (busy) return;
    busy = true;
    try {
      await fn();
    } catch (err) {
      say({ key: 'data.failed', params: { what: typeof what === 'string' ? { key: what } : what, detail: err.message } }, 'error');
    } finally {
      busy = false;
    }
  }

  function add(id, c, name) {
    return run('data.notAdded', async () => {
      const { pixels, empty } = toMnist(padEl, 28);
      if (empty || pad.isEmpty()) {
        say({ key: 'data.drawFirst', params: { name } }, 'error');
        return;
      }
      const res = await pynn.addDatasetSample(id, pixels, c);
      pad.clear();
      const split = { key: `train.split.${res.split}` };
      say(res.persisted ? { key: 'data.added', params: { name, split } } : { key: 'data.addedNotStored', params: { name, split, detail: res.error } }, res.persisted ? 'info' : 'error');
      await render(id);
    });
  }

  $('#dataset-create').addEventListener('submit', (ev) => {
    ev.preventDefault();
    run('data.notCreated', async () => {
      const res = await pynn.createDataset($('#ds-name').value, $('#ds-classes').value);
      $('#ds-name').value = '';
      $('#ds-classes').value = '';
      say(res.persisted ? { key: 'data.created', params: { name: res.name, classes: res.classes.join(', ') } } : { key: 'teach.notStored', detail: res.error }, res.persisted ? 'info' : 'error');
      await render(res.id);
    });
  });
  select.addEventListener('change', () => render());
  $('#ds-import').addEventListener('click', () => $('#ds-file').click());
  $('#ds-file').addEventListener('change', (ev) => {
    const file = ev.target.files && ev.target.files[0];
    ev.target.value = '';
    if (!file) return;
    run({ key: 'data.cannotImport', params: { file: file.name } }, async () => {
      say({ key: 'data.reading', params: { file: file.name } });
      const res = await pynn.importDataset(file);
      // the notes and skip reasons are the import's own English details (datasets/import.js)
      const skipped = res.skipped.length ? ` Skipped ${res.skipped.length}: ${res.skipped.slice(0, 3).map((s) => `${s.file} (${s.reason})`).join('; ')}.` : '';
      const notes = res.notes.length ? ` ${res.notes.map((n) => n[0].toUpperCase() + n.slice(1)).join('. ')}.` : '';
      const params = { name: res.name, count: res.classes.length, classes: res.classes.join(', '), train: String(res.train), test: String(res.test), details: `${notes}${skipped}${res.persisted ? '' : ` ${res.error}`}` };
      say({ key: 'data.imported', params }, res.persisted ? 'info' : 'error');
      await render(res.id);
    });
  });
  $('#ds-export').addEventListener('click', () => run('data.notExported', async () => {
    const file = await pynn.exportDataset(select.value);
    saveFile(file);
    say({ key: 'data.exported', params: { file: file.name } });
  }));
  $('#ds-delete').addEventListener('click', () => run('data.notDeleted', async () => {
    const { removed } = await getDatasetStore().remove(select.value);
    if (!removed) return;
    await render('');
    say({ key: 'models.deleted', params: { name: removed.name } }, 'info', {
      label: 'models.undo',
      onClick: () => run('data.notRestored', async () => {
        const res = await getDatasetStore().put(removed);
        say(res.persisted ? { key: 'models.restored', params: { name: removed.name } } : { key: 'teach.notStored', detail: res.error }, res.persisted ? 'info' : 'error');
        await render(res.id);
      }),
    });
  }));

  session.addEventListener('facts', async () => {
    const { error } = await getDatasetStore().load();
    if (error) say({ key: 'teach.notStored', detail: error }, 'error');
    render();
  });
  onLanguageChange(() => render().catch(() => {})); // the choice and the buttons say their words again
}
