// panels/status.js: the status line at the top (loading stages, Ready, a start-up failure with the
// file that failed and a Retry button) and the session's notices in the message area.

import * as ui from '../ui.js';

const { $ } = ui;

/** Wire the status line and Retry to `session`. */
export function mountStatus(session) {
  const retry = $('#retry');

  session.addEventListener('status', (e) => {
    const { state, text, file } = e.detail;
    const named = file && !text.includes(file) ? `${text} (failed file: ${file})` : text;
    ui.setStatus(state, named);
    retry.hidden = state !== 'error';
    retry.disabled = false;
  });

  session.addEventListener('notice', (e) => ui.showMessage(e.detail.text, e.detail.kind));

  retry.addEventListener('click', () => {
    retry.disabled = true;
    session.retry().catch(() => {}); // the outcome arrives as a "status" event
  });
}
