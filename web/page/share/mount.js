// share/mount.js: the share features wired into the page: ?embed (embed.js), ?panels=, a lesson
// link's hash (lesson.js), ?model= (model-param.js), a published site's defaults (build.json's
// "published"), the weights fingerprint, "Copy link" and "Download as a website".

import * as ui from '../ui.js';
import { errorMessage, setAttr, setRaw, setText } from '../i18n/i18n.js';
import { isLessonHash } from './link.js';
import { applyLesson, lessonLink } from './lesson.js';
import { applyLayout, panelsParam, unknownPanels } from './layout.js';
import { isEmbedded, mountEmbed } from './embed.js';
import { modelParam, loadModelParam } from './model-param.js';
import { publishSite } from './api.js';

const { $ } = ui;

/** Wire sharing to `session`; `download(file)` offers a File, `askTrust` as for importModel. */
export function mountShare(session, { download, askTrust }) {
  if (isEmbedded()) mountEmbed(session, { clearPad: () => $('#clear').click() });

  async function startLayout(facts) {
    const pub = facts.published || null;
    if (pub && pub.title) {
      setRaw(document.querySelector('title'), pub.title); // the author's title, in no catalog
      $('.brand h1').textContent = pub.title;
    }
    const hash = isLessonHash(location.hash) ? location.hash : pub && pub.lesson;
    if (hash) {
      try {
        await applyLesson(session, hash);
        ui.showMessage({ key: hash === location.hash ? 'share.linkOpened' : 'share.siteLessonOpened' }, 'info');
      } catch (err) {
        ui.showMessage(errorMessage(err, 'share.linkRefused'), 'error');
      }
    }
    const chosen = panelsParam() || (pub && pub.panels) || null;
    if (chosen) {
      const unknown = unknownPanels(chosen);
      if (unknown.length) ui.showMessage({ key: 'share.unknownPanels', params: { names: unknown.map((n) => `"${n}"`).join(', ') } }, 'error');
      else applyLayout({ panels: chosen });
    }
  }

  let started = false;
  session.addEventListener('facts', (e) => startLayout(e.detail));
  // a lesson link pasted into this tab's address bar changes only the hash: open it as a new visit
  window.addEventListener('hashchange', () => {
    if (isLessonHash(location.hash)) location.reload();
  });
  session.addEventListener('status', async (e) => {
    $('#publish').disabled = e.detail.state !== 'ready';
    if (e.detail.state !== 'ready' || started) return;
    started = true;
    const value = modelParam();
    if (value === null) return;
    try {
      const res = await loadModelParam(session, value, { askTrust });
      ui.showMessage({ key: 'share.modelParam', params: { value, layers: ui.describeLayers(res.layers) } }, 'info');
    } catch (err) {
      ui.showMessage(errorMessage(err, 'share.modelRefused'), 'error');
    }
  });
  session.addEventListener('active', () => {
    const f = session.active && session.active.fingerprint;
    if (f) {
      setText($('#active-fingerprint'), 'share.fingerprint', { f });
      setAttr($('#active-fingerprint'), 'title', 'share.fingerprintTitle');
    } else {
      setRaw($('#active-fingerprint'), '');
      $('#active-fingerprint').removeAttribute('title');
    }
  });

  $('#copy-link').addEventListener('click', async () => {
    try {
      const link = await lessonLink(session, { code: $('#link-code').checked });
      $('#lesson-link').value = link;
      setText($('#lesson-link-info'), 'share.characters', { count: link.length });
      try {
        await navigator.clipboard.writeText(link);
        ui.showMessage({ key: 'share.copied' }, 'info');
      } catch (_) {
        $('#lesson-link').select();
        ui.showMessage({ key: 'share.copyYourself' }, 'info');
      }
    } catch (err) {
      ui.showMessage(errorMessage(err), 'error');
    }
  });

  $('#publish').addEventListener('click', async () => {
    const status = $('#publish-status');
    $('#publish').disabled = true;
    try {
      const title = $('#publish-title').value.trim() || document.title;
      const file = await publishSite(session, { title, lesson: true }, ({ done, total }) => {
        setText(status, 'publish.collecting', { done: String(done), total: String(total) });
      });
      download(file);
      setText(status, 'publish.done', { file: file.name, size: { num: file.size / 1e6, digits: 1 } });
    } catch (err) {
      setRaw(status, '');
      ui.showMessage(errorMessage(err), 'error');
    } finally {
      $('#publish').disabled = session.state !== 'ready';
    }
  });
}
