// main.js: the page's entry point. Wires the panels to the one session, starts it, registers the
// service worker once the page is ready, and passes other tabs' storage changes to the session.

import { getSession } from './pynn.js'; // also sets window.pynn
import { mountStatus } from './panels/status.js';
import { mountDraw } from './panels/draw.js';
import { mountTrain } from './panels/train.js';
import { mountModels } from './panels/models.js';
import { mountTeach } from './panels/teach.js';
import { mountYourData } from './panels/your-data.js';
import { mountInside } from './panels/inside.js';
import { mountStep } from './panels/step.js';
import { saveFile } from './ui.js';
import { mountCode } from './panels/code.js';
import { createCodeStore } from './code-store.js';
import { createTrustAsker } from './code-trust.js';
import { mountShare } from './share/mount.js';
import { keepFocus } from './a11y/focus.js';

import { startLanguage } from './i18n/i18n.js';
import { mountLanguage } from './panels/language.js';

startLanguage(); // first: the panels below write their text in the page's language
mountLanguage();
const session = getSession();
mountStatus(session);
mountDraw(session);
const train = mountTrain(session);
const codeStore = createCodeStore(() => window.localStorage);
mountModels(session, { download: saveFile, askTrust: createTrustAsker(codeStore) });
const teach = mountTeach(session);
mountYourData(session, teach.padEl, teach.pad);
mountInside(session);
mountStep(session);
mountCode(session, { train, store: codeStore, download: saveFile });
mountShare(session, { download: saveFile, askTrust: createTrustAsker(codeStore) }); // links, embed, ?model=, publish
keepFocus(); // an action that removes or disables the focused control hands focus on, not to <body>

// another tab saved or deleted a model: show the same list here
window.addEventListener('storage', (e) => session.externalChange(e.key));

session.addEventListener('status', (e) => {
  if (e.detail.state === 'ready') registerOffline(session.facts.build_id);
});
session.start();

// Offline support: the service worker precaches the site once the page is ready (so it does not
// compete with start-up). Its URL carries the build id, so a rebuilt site installs a new one.
// Opt out with ?nosw in the URL.
function registerOffline(buildId) {
  if (!('serviceWorker' in navigator) || new URLSearchParams(location.search).has('nosw')) return;
  navigator.serviceWorker.register(`./sw.js?build=${encodeURIComponent(buildId)}`).catch((err) => {
    console.warn('Offline support is not available:', err && err.message);
  });
}
