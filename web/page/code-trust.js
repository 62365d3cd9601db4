// code-trust.js: the question asked before a model FILE's code runs. The dialog (#trust-dialog in
// index.html) shows the code read-only with its SHA-256 and offers "Trust and run this code" or
// "Don't run it" (the default: Escape and closing mean no). A yes is remembered per hash in
// code-store.js, so the same code is not asked about again; any change to it is a new hash.

import { $ } from './ui.js';
import { focusable } from './a11y/focus.js';

import { setRaw, setText, t } from './i18n/i18n.js';

/**
 * An `askTrust(code)` for session.importModel: `code` is {source, sha256, claimed, matches, lines}
 * as the worker reads it from the file; resolves to true (run it) or false (leave the page as it
 * was). `label` names the file in the dialog.
 */
export function createTrustAsker(store) {
  const dialog = $('#trust-dialog');
  return async function askTrust(code, { label = null } = {}) {
    if (store.isTrusted(code.sha256)) return true;
    if (label) setRaw($('#trust-file'), label);
    else setText($('#trust-file'), 'trust.thisFile');
    setText($('#trust-lines'), 'trust.lines', { count: code.lines });
    $('#trust-hash').textContent = code.sha256;
    const warn = $('#trust-mismatch');
    warn.hidden = code.matches;
    if (code.matches) setRaw(warn, '');
    else setText(warn, 'trust.mismatch', { hash: code.claimed || t('trust.none') });
    const list = $('#trust-code');
    list.replaceChildren(...code.source.split('\n').map((line) => {
      const li = document.createElement('li');
      li.textContent = line || ' ';
      return li;
    }));
    const opener = document.activeElement; // focus goes back there when the dialog closes
    const yes = await new Promise((resolve) => {
      const done = (answer) => {
        dialog.removeEventListener('close', onClose);
        $('#trust-run').removeEventListener('click', onYes);
        $('#trust-decline').removeEventListener('click', onNo);
        if (dialog.open) dialog.close();
        if (focusable(opener)) opener.focus();
        resolve(answer);
      };
      const onYes = () => done(true);
      const onNo = () => done(false);
      const onClose = () => done(false);
      $('#trust-run').addEventListener('click', onYes);
      $('#trust-decline').addEventListener('click', onNo);
      dialog.addEventListener('close', onClose);
      dialog.showModal();
      $('#trust-decline').focus();
    });
    if (yes) store.trust(code.sha256);
    return yes;
  };
}
