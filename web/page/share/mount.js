// share/mount.js: the share features wired into the page: ?embed (embed.js), ?panels=, a lesson
// link's hash (lesson.js), ?model= (model-param.js), a published site's defaults (build.json's
// "published"), the weights fingerprint, "Copy link" and "Download as a website".

import * as ui from '../ui.js';
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
      document.title = pub.title;
      $('.brand h1').textContent = pub.title;
    }
    const hash = isLessonHash(location.hash) ? location.hash : pub && pub.lesson;
    if (hash) {
      try {
        await applyLesson(session, hash);
        ui.showMessage(`${hash === location.hash ? 'Lesson link' : 'This site\'s lesson'} opened: the Train settings, code and panels are set. Nothing has run: press Train (or Check, or Train with this code) when you are ready.`, 'info');
      } catch (err) {
        ui.showMessage(err.message, 'error');
      }
    }
    const chosen = panelsParam() || (pub && pub.panels) || null;
    if (chosen) {
      const unknown = unknownPanels(chosen);
      if (unknown.length) ui.showMessage(`?panels=: this page has no ${unknown.map((n) => `"${n}"`).join(', ')} panel; all panels are shown.`, 'error');
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
      ui.showMessage(`The model ${value} from this site is active (?model= in the address), ${ui.describeLayers(res.layers)}.`, 'info');
    } catch (err) {
      ui.showMessage(err.message, 'error');
    }
  });
  session.addEventListener('active', () => {
    const f = session.active && session.active.fingerprint;
    $('#active-fingerprint').textContent = f ? `weights ${f}` : '';
    $('#active-fingerprint').title = f ? 'The first 8 hex digits of the SHA-256 of the float32 weights: the same link and seed give the same fingerprint in every browser' : '';
  });

  $('#copy-link').addEventListener('click', async () => {
    try {
      const link = await lessonLink(session, { code: $('#link-code').checked });
      $('#lesson-link').value = link;
      $('#lesson-link-info').textContent = `${link.length.toLocaleString('en')} characters.`;
      try {
        await navigator.clipboard.writeText(link);
        ui.showMessage('Lesson link copied. Whoever opens it gets this page set up the same way; nothing runs until they press a button.', 'info');
      } catch (_) {
        $('#lesson-link').select();
        ui.showMessage('The lesson link is in the Share panel, selected: copy it with Ctrl+C (Cmd+C). This browser did not allow copying it for you.', 'info');
      }
    } catch (err) {
      ui.showMessage(err.message, 'error');
    }
  });

  $('#publish').addEventListener('click', async () => {
    const status = $('#publish-status');
    $('#publish').disabled = true;
    try {
      const title = $('#publish-title').value.trim() || document.title;
      const file = await publishSite(session, { title, lesson: true }, ({ done, total }) => {
        status.textContent = `Collecting the site's files: ${done} of ${total}…`;
      });
      download(file);
      status.textContent = `${file.name}: ${(file.size / 1e6).toFixed(1)} MB. Unzip it onto any static host (any folder); it works offline after one visit.`;
    } catch (err) {
      status.textContent = '';
      ui.showMessage(err.message, 'error');
    } finally {
      $('#publish').disabled = session.state !== 'ready';
    }
  });
}
