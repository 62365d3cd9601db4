// probes.js: the in-page checks of the cross-engine tests, one function source per probe, shared
// by firefox.mjs (puppeteer-core) and test_webkit.py (Selenium). Each probe is an async function
// of one JSON argument, run in the page; a line "// @probe <name>" starts the next one.

// @probe errors
// Record uncaught errors, unhandled rejections and console.error of the page from now on;
// returns the list so far (the same array on every call).
async () => {
  if (!window.__engineErrors) {
    const out = (window.__engineErrors = []);
    window.addEventListener('error', (e) => out.push(`error: ${e.message}`));
    window.addEventListener('unhandledrejection', (e) => out.push(`unhandled rejection: ${e.reason}`));
    const original = console.error;
    console.error = (...args) => { out.push(`console.error: ${args.join(' ')}`); original.apply(console, args); };
  }
  return window.__engineErrors;
}

// @probe ready
// Wait until the status says Ready; then what pynn.ready reports about this start.
async (timeoutMs) => {
  const status = () => (document.querySelector('[data-testid="status"]') || {}).textContent || '';
  const t0 = performance.now();
  while (!/Ready/.test(status())) {
    if (performance.now() - t0 > timeoutMs) return { error: `no "Ready" within ${timeoutMs} ms`, status: status() };
    await new Promise((r) => setTimeout(r, 100));
  }
  const r = await window.pynn.ready;
  return { status: status(), startupMs: r.startupMs, snapshot: r.stages.snapshot, buildId: r.build.build_id };
}

// @probe snapshotWritten
// Wait for pynn.snapshotSaved (the page says when the start-up snapshot for the next visit is
// written and read back), then read this build's file in OPFS: its size, or null if not written.
async ({ folder, timeoutMs }) => {
  const name = `${(await window.pynn.ready).build.build_id}.snapshot`;
  const late = new Promise((r) => setTimeout(() => r({ state: 'late' }), timeoutMs));
  const saved = await Promise.race([window.pynn.snapshotSaved, late]);
  if (saved.state !== 'saved') return null;
  const dir = await (await navigator.storage.getDirectory()).getDirectoryHandle(folder);
  return (await (await dir.getFileHandle(name)).getFile()).size;
}

// @probe padBox
// Clear the drawing pad, scroll it into view; its box in viewport pixels.
async () => {
  document.getElementById('clear').click();
  const pad = document.querySelector('canvas[aria-label="Drawing pad"]');
  pad.scrollIntoView({ block: 'center' });
  await new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)));
  const { x, y, width, height } = pad.getBoundingClientRect();
  return { x, y, width, height };
}

// @probe boxOf
// Scroll the element `css` into the middle of the view; its box in viewport pixels.
async (css) => {
  const el = document.querySelector(css);
  el.scrollIntoView({ block: 'center' });
  await new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)));
  const { x, y, width, height } = el.getBoundingClientRect();
  return { x, y, width, height };
}

// @probe pointerTypes
// The pointer types of the pointerdown events on the page since the first call (e.g. "touch").
async () => {
  if (!window.__enginePointers) {
    const seen = (window.__enginePointers = []);
    document.addEventListener('pointerdown', (e) => seen.push(e.pointerType), true);
  }
  return window.__enginePointers;
}

// @probe prediction
// Wait until the page shows `want` as the prediction (it predicts while drawing and on release);
// returns what it shows then, or last, and the ink on the pad.
async ({ want, timeoutMs }) => {
  const pad = document.querySelector('canvas[aria-label="Drawing pad"]');
  const data = pad.getContext('2d').getImageData(0, 0, pad.width, pad.height).data;
  let ink = 0;
  for (let i = 3; i < data.length; i += 4) if (data[i] > 0) ink++;
  const shown = () => document.querySelector('[data-testid="prediction"]').textContent.trim();
  const t0 = performance.now();
  while (shown() !== want && performance.now() - t0 < timeoutMs) await new Promise((r) => setTimeout(r, 50));
  return { shown: shown(), ink };
}

// @probe watchTrain
// Record every disabled/enabled change of the Train button from now on.
async () => {
  const b = document.getElementById('train');
  const rec = (window.__engineTrain = [b.disabled]);
  new MutationObserver(() => { if (rec[rec.length - 1] !== b.disabled) rec.push(b.disabled); })
    .observe(b, { attributes: true, attributeFilter: ['disabled'] });
  return rec;
}

// @probe trainFinished
// Wait until Train went disabled and enabled again since watchTrain; the held-out accuracy shown.
async (timeoutMs) => {
  const done = () => { const r = window.__engineTrain || []; const i = r.indexOf(true); return i >= 0 && r.indexOf(false, i) > i; };
  const t0 = performance.now();
  while (!done()) {
    if (performance.now() - t0 > timeoutMs) return { error: `training did not finish within ${timeoutMs} ms`, train: window.__engineTrain };
    await new Promise((r) => setTimeout(r, 200));
  }
  const message = document.querySelector('[data-testid="message"]');
  return { accuracy: document.getElementById('test-accuracy').textContent.trim(),
           kind: message.dataset.kind, message: message.textContent.trim() };
}

// @probe activeModel
// Wait until the active model's name contains `want`; the name shown.
async ({ want, timeoutMs }) => {
  const shown = () => document.querySelector('[data-testid="active-model"]').textContent.trim();
  const t0 = performance.now();
  while (!shown().includes(want) && performance.now() - t0 < timeoutMs) await new Promise((r) => setTimeout(r, 100));
  return shown();
}

// @probe lessonModel
// After a run: the active model's weights fingerprint and its file's text (metadata.training is
// the configuration the run received).
async () => {
  const model = await window.pynn.exportModel({ download: false });
  return { fingerprint: window.pynn.activeModel().fingerprint, model: await model.text() };
}

// @probe fits
// What does not fit a phone or tablet screen: the page's scroll width against innerWidth, every
// visible element whose right edge passes the screen (not counting what a scroll box of its own
// clips), and every visible control (button, input, select, textarea, link, summary, role=button)
// smaller than `min` CSS px, a radio or checkbox measured with its label; `screen` is the screen's
// width (a mobile browser widens innerWidth to content that does not fit). `exempt` is a list of
// CSS selectors of the exceptions WCAG 2.5.5 allows (inline links in a sentence, a target with an
// equivalent control of full size); they are reported apart, so a test can check they are few.
async ({ min, exempt, screen }) => {
  const width = screen || document.documentElement.clientWidth;
  const shown = (el) => {
    const r = el.getBoundingClientRect();
    if (r.width < 1 || r.height < 1 || r.right <= 0 || el.closest('.visually-hidden, [hidden], dialog:not([open])')) return false;
    for (let e = el; e; e = e.parentElement) {
      const s = getComputedStyle(e);
      if (s.visibility === 'hidden' || s.display === 'none' || (e !== el && e.tagName === 'DETAILS' && !e.open
          && !el.closest('summary'))) return false;
    }
    return true;
  };
  const name = (el) => {
    const id = el.id ? `#${el.id}` : '';
    const cls = typeof el.className === 'string' && el.className ? `.${el.className.trim().split(/\s+/).join('.')}` : '';
    const text = (el.getAttribute('aria-label') || el.textContent || el.value || '').trim().replace(/\s+/g, ' ').slice(0, 40);
    return `${el.tagName.toLowerCase()}${id}${cls} "${text}"`;
  };
  // an element inside a box that scrolls or clips sideways is seen only within that box
  const clipRight = (el) => {
    for (let e = el.parentElement; e && e !== document.body; e = e.parentElement) {
      if (getComputedStyle(e).overflowX !== 'visible') return e.getBoundingClientRect().right;
    }
    return Infinity;
  };
  const wide = [];
  for (const el of document.body.querySelectorAll('*')) {
    if (!shown(el)) continue;
    const right = Math.min(el.getBoundingClientRect().right, clipRight(el));
    if (right > width + 0.5) wide.push(`${name(el)} ends at ${Math.round(right)}`);
  }
  const small = [];
  const exempted = [];
  const controls = 'button, input:not([type=hidden]), select, textarea, a[href], summary, [role=button]';
  for (const el of document.body.querySelectorAll(controls)) {
    if (!shown(el)) continue;
    const target = el.matches('input[type=radio], input[type=checkbox]') && el.closest('label') || el;
    const r = target.getBoundingClientRect();
    if (r.width >= min - 0.5 && r.height >= min - 0.5) continue;
    const what = `${name(el)} ${Math.round(r.width)}x${Math.round(r.height)}`;
    (exempt.some((sel) => el.matches(sel)) ? exempted : small).push(what);
  }
  return { width, innerWidth, scrollWidth: document.documentElement.scrollWidth, wide, small, exempted };
}
