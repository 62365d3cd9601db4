// panels/your-data.js: the Teach panel's "Your data": create a data set with class names you choose,
// draw samples of each on the teaching pad ("Add as <class>"), counts per class, import a zip of class
// folders or a Kaggle CSV, export a zip, delete with Undo. The data sets live in datasets/store.js.

import { toMnist } from '../draw.js';
import pynn from '../pynn.js';
import { getDatasetStore } from '../datasets/api.js';
import { saveFile, $ } from '../ui.js';

/** Wire "Your data" to the teaching pad (`padEl`, the canvas; `pad`, its createPad handle). */
export function mountYourData(session, padEl, pad) {
  const select = $('#ds-select');
  const buttons = $('.ds-class-buttons');
  const counts = $('.ds-counts');
  const message = $('[data-testid="dataset-message"]');
  const say = (text, kind = 'info', action = null) => {
    message.textContent = text;
    message.dataset.kind = kind;
    if (action) {
      const b = Object.assign(document.createElement('button'), { type: 'button', className: 'btn btn-small', textContent: action.label });
      b.addEventListener('click', () => { b.remove(); action.onClick(); });
      message.append(' ', b);
    }
  };
  let busy = false;

  async function render(selected = select.value) {
    const list = await pynn.myDatasets();
    select.textContent = '';
    if (!list.length) select.append(new Option('none yet: create or import one', ''));
    for (const d of list) {
      const where = d.stored ? '' : ', this visit only: not stored';
      select.append(new Option(`${d.name} (${d.classes.length} classes, ${d.train + d.test} samples${where})`, d.id));
    }
    if (list.some((d) => d.id === selected)) select.value = selected;
    const current = list.find((d) => d.id === select.value);
    for (const id of ['#ds-export', '#ds-delete']) $(id).disabled = !current;
    buttons.textContent = '';
    counts.textContent = '';
    if (!current) return;
    const full = await pynn.myDataset(current.id);
    current.classes.forEach((name, c) => {
      const b = Object.assign(document.createElement('button'), { type: 'button', className: 'btn', textContent: `Add as ${name}` });
      b.addEventListener('click', () => add(current.id, c, name));
      buttons.append(b);
      const n = [...full.train.labels, ...full.test.labels].filter((l) => l === c).length;
      const li = document.createElement('li');
      li.textContent = `${name}: ${n}`;
      li.setAttribute('data-testid', `ds-count-${c}`);
      counts.append(li);
    });
  }

  async function run(what, fn) {
    if (busy) return;
    busy = true;
    try {
      await fn();
    } catch (err) {
      say(`${what}: ${err.message}`, 'error');
    } finally {
      busy = false;
    }
  }

  function add(id, c, name) {
    return run('Not added', async () => {
      const { pixels, empty } = toMnist(padEl, 28);
      if (empty || pad.isEmpty()) {
        say(`Draw a ${name} on the teaching pad first, then add it.`, 'error');
        return;
      }
      const res = await pynn.addDatasetSample(id, pixels, c);
      pad.clear();
      const added = `Added as ${name} (${res.split} split).`;
      say(res.persisted ? `${added} Draw the next one.` : `${added} ${res.error}`, res.persisted ? 'info' : 'error');
      await render(id);
    });
  }

  $('#dataset-create').addEventListener('submit', (ev) => {
    ev.preventDefault();
    run('Not created', async () => {
      const res = await pynn.createDataset($('#ds-name').value, $('#ds-classes').value);
      $('#ds-name').value = '';
      $('#ds-classes').value = '';
      say(res.persisted ? `Created "${res.name}" with classes ${res.classes.join(', ')}. Draw on the teaching pad, then "Add as …".` : res.error, res.persisted ? 'info' : 'error');
      await render(res.id);
    });
  });
  select.addEventListener('change', () => render());
  $('#ds-import').addEventListener('click', () => $('#ds-file').click());
  $('#ds-file').addEventListener('change', (ev) => {
    const file = ev.target.files && ev.target.files[0];
    ev.target.value = '';
    if (!file) return;
    run(`Cannot import ${file.name}`, async () => {
      say(`Reading ${file.name}…`);
      const res = await pynn.importDataset(file);
      const skipped = res.skipped.length ? ` Skipped ${res.skipped.length}: ${res.skipped.slice(0, 3).map((s) => `${s.file} (${s.reason})`).join('; ')}.` : '';
      const notes = res.notes.length ? ` ${res.notes.map((n) => n[0].toUpperCase() + n.slice(1)).join('. ')}.` : '';
      const text = `Imported "${res.name}": ${res.classes.length} classes (${res.classes.join(', ')}), ${res.train} training and ${res.test} test samples.${notes}${skipped}`;
      say(res.persisted ? text : `${text} ${res.error}`, res.persisted ? 'info' : 'error');
      await render(res.id);
    });
  });
  $('#ds-export').addEventListener('click', () => run('Not exported', async () => {
    const file = await pynn.exportDataset(select.value);
    saveFile(file);
    say(`Exported to ${file.name}.`);
  }));
  $('#ds-delete').addEventListener('click', () => run('Not deleted', async () => {
    const { removed } = await getDatasetStore().remove(select.value);
    if (!removed) return;
    await render('');
    say(`Deleted "${removed.name}".`, 'info', {
      label: 'Undo',
      onClick: () => run('Not restored', async () => {
        const res = await getDatasetStore().put(removed);
        say(res.persisted ? `Restored "${removed.name}".` : res.error, res.persisted ? 'info' : 'error');
        await render(res.id);
      }),
    });
  }));

  session.addEventListener('facts', async () => {
    const { error } = await getDatasetStore().load();
    if (error) say(error, 'error');
    render();
  });
}
