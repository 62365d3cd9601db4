// panels/status.js: the status line at the top (loading stages, Ready, a start-up failure with the
// file that failed and a Retry button) and the session's notices in the message area.

import * as ui from '../ui.js';

const { $ } = ui;

/** Wire the status line and Retry to `session`. */
export function mountStatus(session) {
  const retry = $('#retry');

  session.addEventListener('status', (e) => {
    const { state, text, file } = e.detail;
    let shown = e.detail;
    if (state === 'error') shown = { key: 'status.error', params: { detail: text.replace(/^Error: /, '') } };
    if (file && !text.includes(file)) shown = { key: 'status.failedFile', params: { text: shown.key ? shown : text, file } };
    ui.setStatus(state, shown);
    retry.hidden = state !== 'error';
    retry.disabled = false;
  });

  session.addEventListener('notice', (e) => ui.showMessage(e.detail, e.detail.kind));

  retry.addEventListener('click', () => {
    retry.disabled = true;
    session.retry().catch(() => {}); // the outcome arrives as a "status" event
  });
}
