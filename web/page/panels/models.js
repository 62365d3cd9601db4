// panels/models.js: the Models panel: the active model, Save under a name, the saved models (Load,
// Delete with Undo), storage use, Export and Import. Every storage write goes through `session`.

import { formatSize } from '../storage.js';
import * as ui from '../ui.js';

const { $ } = ui;

/** Wire the Models panel to `session`; `download(file)` offers a File to the person. */
export function mountModels(session, { download, askTrust = null }) {
  function renderActive() {
    const a = session.active;
    if (!a) return;
    $('#active-model').textContent = a.name;
    const parts = [ui.describeLayers(a.layers)];
    if (a.params) parts.push(`${a.params.toLocaleString('en')} parameters`);
    if (a.accuracy != null) parts.push(`${ui.pct(a.accuracy)} held-out`);
    $('#active-detail').textContent = parts.join(' · ');
    const nameInput = $('#model-name');
    if (a.suggestedName && !nameInput.value) nameInput.value = a.suggestedName;
  }

  function renderList() {
    if (!session.facts) return;
    let models = [];
    try {
      models = session.list();
    } catch (err) {
      ui.showMessage(err.message, 'error');
    }
    ui.renderModels($('#model-list'), $('#model-empty'), models, { onLoad: load, onDelete: remove, busy: session.training });
    const used = session.usage();
    $('#storage-usage').textContent = used ? `Using ${formatSize(used)} of this browser's storage (about 5 MB).` : '';
  }

  function updateButtons() {
    const ready = session.state === 'ready';
    $('#save').disabled = !ready;
    $('#export').disabled = !ready;
    $('#import').disabled = !ready || session.training;
    renderList();
  }

  async function load(name) {
    try {
      const m = await session.load(name);
      ui.showMessage(`Loaded "${name}" (${ui.describeLayers(m.layers)}). It is now the active model.`, 'info');
    } catch (err) {
      ui.showMessage(err.message, 'error');
    }
  }

  function remove(name) {
    let removed;
    try {
      removed = session.remove(name);
    } catch (err) {
      ui.showMessage(err.message, 'error');
      return;
    }
    ui.showMessage(`Deleted "${name}".`, 'info', {
      label: 'Undo',
      onClick: () => {
        try {
          session.restoreRemoved(name, removed.text);
          ui.showMessage(`Restored "${name}".`, 'info');
        } catch (err) {
          ui.showMessage(err.message, 'error');
        }
      },
    });
  }

  session.addEventListener('facts', (e) => {
    const dm = e.detail.default_model;
    if (dm) {
      const acc = typeof dm.test_accuracy === 'number' ? `, ${ui.pct(dm.test_accuracy)} on the held-out digits` : '';
      $('#default-info').textContent = `Default model: ${ui.describeLayers(dm.layers)}${acc}, trained when the site was built.`;
    }
  });
  session.addEventListener('status', (e) => {
    if (e.detail.state === 'error') {
      $('#active-model').textContent = 'None (the network could not be started)';
      $('#active-detail').textContent = '';
    }
    updateButtons();
  });
  session.addEventListener('active', renderActive);
  session.addEventListener('models', renderList);
  session.addEventListener('training', updateButtons);

  $('#save-form').addEventListener('submit', async (e) => {
    e.preventDefault();
    const input = $('#model-name');
    $('#save').disabled = true;
    try {
      const res = await session.save(input.value);
      ui.showMessage(`${res.replaced ? 'Replaced' : 'Saved'} "${res.name}" (${formatSize(res.chars)}) in this browser.`, 'info');
    } catch (err) {
      ui.showMessage(err.message, 'error');
      if (err.code === 'name') input.focus();
    } finally {
      updateButtons();
    }
  });

  $('#export').addEventListener('click', async () => {
    try {
      const file = await session.exportFile();
      download(file);
      ui.showMessage(`Exported the active model as ${file.name} (${formatSize(file.size)}).`, 'info');
    } catch (err) {
      ui.showMessage(err.message, 'error');
    }
  });

  $('#import').addEventListener('click', () => $('#import-file').click());
  $('#import-file').addEventListener('change', async (e) => {
    const file = e.target.files && e.target.files[0];
    e.target.value = ''; // picking the same file again fires change again
    if (!file) return;
    try {
      const res = await session.importModel(file, { askTrust }); // a file's code runs only if the person trusts it
      if (res.persistError) {
        ui.showMessage(res.persistError, 'error');
        return;
      }
      ui.showMessage(
        `Imported "${res.name}" (${ui.describeLayers(res.layers)}); it is now the active model. Save it to keep it under a name.`,
        'info'
      );
    } catch (err) {
      ui.showMessage(err.message, 'error');
    }
  });

  updateButtons();
}
