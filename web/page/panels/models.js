// panels/models.js: the Models panel: the active model, Save under a name, the saved models (Load,
// Delete with Undo), storage use, Export and Import. Every storage write goes through `session`.

import { formatSize } from '../storage.js';
import * as ui from '../ui.js';
import { errorMessage, onLanguageChange, setText, t } from '../i18n/i18n.js';
import { modelName } from '../i18n/names.js';

const { $ } = ui;

/** Wire the Models panel to `session`; `download(file)` offers a File to the person. */
export function mountModels(session, { download, askTrust = null }) {
  function renderActive() {
    const a = session.active;
    if (!a) return;
    ui.show($('#active-model'), modelName(a.name));
    const parts = [ui.describeLayers(a.layers)];
    if (a.params) parts.push(t('models.parameters', { n: a.params }));
    if (a.accuracy != null) parts.push(t('models.heldOut', { acc: { pct: a.accuracy } }));
    ui.show($('#active-detail'), parts.join(' · '));
    const nameInput = $('#model-name');
    if (a.suggestedName && !nameInput.value) nameInput.value = a.suggestedName;
  }

  function renderList() {
    if (!session.facts) return;
    let models = [];
    try {
      models = session.list();
    } catch (err) {
      ui.showMessage(errorMessage(err), 'error');
    }
    ui.renderModels($('#model-list'), $('#model-empty'), models, { onLoad: load, onDelete: remove, busy: session.training });
    const used = session.usage();
    if (used) setText($('#storage-usage'), 'models.usage', { size: formatSize(used) });
    else ui.show($('#storage-usage'), '');
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
      ui.showMessage({ key: 'models.loaded', params: { name, layers: ui.describeLayers(m.layers) } }, 'info');
    } catch (err) {
      ui.showMessage(errorMessage(err, 'models.loadFailed'), 'error');
    }
  }

  function remove(name) {
    let removed;
    try {
      removed = session.remove(name);
    } catch (err) {
      ui.showMessage(errorMessage(err, 'models.deleteFailed'), 'error');
      return;
    }
    ui.showMessage({ key: 'models.deleted', params: { name } }, 'info', {
      label: 'models.undo',
      onClick: () => {
        try {
          session.restoreRemoved(name, removed.text);
          ui.showMessage({ key: 'models.restored', params: { name } }, 'info');
        } catch (err) {
          ui.showMessage(errorMessage(err, 'models.restoreFailedShort'), 'error');
        }
      },
    });
  }

  session.addEventListener('facts', (e) => {
    const dm = e.detail.default_model;
    if (dm) {
      const layers = ui.describeLayers(dm.layers);
      if (typeof dm.test_accuracy === 'number') setText($('#default-info'), 'models.defaultInfoAcc', { layers, acc: { pct: dm.test_accuracy } });
      else setText($('#default-info'), 'models.defaultInfo', { layers });
    }
  });
  session.addEventListener('status', (e) => {
    if (e.detail.state === 'error') {
      setText($('#active-model'), 'models.none');
      ui.show($('#active-detail'), '');
    }
    updateButtons();
  });
  session.addEventListener('active', renderActive);
  session.addEventListener('models', renderList);
  session.addEventListener('training', updateButtons);
  onLanguageChange(() => {
    if (session.state === 'error') return;
    renderActive();
    renderList();
  });

  $('#save-form').addEventListener('submit', async (e) => {
    e.preventDefault();
    const input = $('#model-name');
    $('#save').disabled = true;
    try {
      const res = await session.save(input.value);
      ui.showMessage({ key: res.replaced ? 'models.replaced' : 'models.savedNamed', params: { name: res.name, size: formatSize(res.chars) } }, 'info');
    } catch (err) {
      ui.showMessage(errorMessage(err, 'models.saveFailed'), 'error');
      if (err.code === 'name') input.focus();
    } finally {
      updateButtons();
    }
  });

  $('#export').addEventListener('click', async () => {
    try {
      const file = await session.exportFile();
      download(file);
      ui.showMessage({ key: 'models.exported', params: { file: file.name, size: formatSize(file.size) } }, 'info');
    } catch (err) {
      ui.showMessage(errorMessage(err, 'models.exportFailed'), 'error');
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
      ui.showMessage({ key: 'models.imported', params: { name: res.name, layers: ui.describeLayers(res.layers) } }, 'info');
    } catch (err) {
      ui.showMessage(errorMessage(err, 'models.importFailed'), 'error');
    }
  });

  updateButtons();
}
