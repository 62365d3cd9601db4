// share/embed.js: ?embed, the page inside another site's <iframe>: a compact layout (no header or
// footer, the panels of ?panels=, the Draw panel by default) and the postMessage protocol of
// embed-protocol.js with the host (window.parent). ?host=<origin> limits both directions to that
// origin; without it, events go to any host and commands are taken from the parent window.

import { readCommand, toHost } from './embed-protocol.js';
import { applyLayout, panelsParam, unknownPanels, readLayout, panelElements } from './layout.js';

/** Is this page embedded (?embed in its URL)? */
export const isEmbedded = (search = location.search) => new URLSearchParams(search).has('embed');

/** The class names of the active model's data set (build.json), or null. */
function classNames(facts) {
  const ds = facts && Array.isArray(facts.datasets) && facts.default_model
    ? facts.datasets.find((d) => d.id === facts.default_model.dataset) : null;
  return ds && Array.isArray(ds.classes) ? ds.classes : null;
}

/** Start embed mode for `session`; `clearPad()` clears the drawing pad. */
export function mountEmbed(session, { clearPad }) {
  document.documentElement.classList.add('embed');
  const hostOrigin = new URLSearchParams(location.search).get('host') || '*';
  const host = window.parent !== window ? window.parent : null;
  const send = (type, fields) => {
    if (host) host.postMessage(toHost(type, fields), hostOrigin);
  };
  if (panelsParam() === null) applyLayout({ panels: ['draw'] });

  const described = (res, id) => {
    const names = classNames(session.facts);
    const out = { label: res.label, className: names ? String(names[res.label]) : String(res.label), probabilities: res.probabilities };
    return id === null || id === undefined ? out : { ...out, id };
  };
  session.addEventListener('prediction', (e) => send('prediction', described(e.detail)));
  session.addEventListener('status', (e) => {
    if (e.detail.state === 'ready') send('ready', { version: session.facts.version, panels: readLayout().panels });
  });
  let before = null;
  session.addEventListener('training', (e) => {
    if (e.detail.running) before = session.active && session.active.fingerprint;
    else if (session.active && session.active.fingerprint !== before && typeof session.active.accuracy === 'number') {
      send('trained', { accuracy: session.active.accuracy, fingerprint: session.active.fingerprint });
    }
  });

  let lastHeight = 0;
  new ResizeObserver(() => {
    const height = Math.ceil(document.documentElement.getBoundingClientRect().height);
    if (height !== lastHeight) send('height', { height: (lastHeight = height) });
  }).observe(document.body);

  window.addEventListener('message', async (event) => {
    if (!host || event.source !== host || (hostOrigin !== '*' && event.origin !== hostOrigin)) return;
    const reply = (type, fields) => host.postMessage(toHost(type, fields), event.origin);
    const cmd = readCommand(event.data, session.shape ? session.shape.inputs : 784);
    if (cmd.error) return reply('error', { id: cmd.id, message: cmd.error });
    try {
      if (cmd.command === 'clear') clearPad();
      else if (cmd.command === 'panels') {
        const unknown = unknownPanels(cmd.panels);
        if (unknown.length) return reply('error', { id: cmd.id, message: `Command "panels" refused: this page has no ${unknown.map((n) => `"${n}"`).join(', ')} panel; it has ${Object.keys(panelElements()).join(', ')}.` });
        applyLayout({ panels: cmd.panels });
      } else if (cmd.command === 'predict') {
        return reply('prediction', described(await session.predict(cmd.pixels), cmd.id));
      }
      reply('done', { id: cmd.id, command: cmd.command });
    } catch (err) {
      reply('error', { id: cmd.id, message: `Command "${cmd.command}" failed: ${err.message}` });
    }
  });
}
