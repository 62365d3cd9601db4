// share/layout.js: which panels a page shows and which are open, read from and applied to the
// DOM. A panel is an element of class "panel panel-<name>" in <main> (draw, train, models, ...);
// "open" means a <details> panel unfolded (inside) or the Code panel's editor opened.

const PANEL_RE = /(?:^|\s)panel-([a-z0-9-]+)(?:\s|$)/;

/** {name: element} of every panel in the page, in page order. */
export function panelElements(root = document) {
  const out = {};
  for (const el of root.querySelectorAll('main .panel')) {
    const m = PANEL_RE.exec(el.className);
    if (m) out[m[1]] = el;
  }
  return out;
}

const codeOpen = (root) => {
  const body = root.querySelector('#code-body');
  return !!body && !body.hidden;
};

/** {panels: [shown names], open: [open names]} as the page is now. */
export function readLayout(root = document) {
  const panels = [];
  const open = [];
  for (const [name, el] of Object.entries(panelElements(root))) {
    if (!el.hidden) panels.push(name);
    if ((el.tagName === 'DETAILS' && el.open) || (name === 'code' && codeOpen(root))) open.push(name);
  }
  return { panels, open };
}

/** Names in `names` that are not panels of this page (to report before anything changes). */
export function unknownPanels(names, root = document) {
  const known = panelElements(root);
  return names.filter((n) => !(n in known));
}

/**
 * Show only `panels` (every panel when null) and open `open`: a <details> unfolds, the Code
 * panel's "Open the code editor" is pressed (it loads the editor; nothing runs).
 */
export function applyLayout({ panels = null, open = [] }, root = document) {
  for (const [name, el] of Object.entries(panelElements(root))) {
    el.hidden = panels !== null && !panels.includes(name);
    if (!open.includes(name)) continue;
    if (el.tagName === 'DETAILS') el.open = true;
    else if (name === 'code' && !codeOpen(root)) {
      const button = root.querySelector('#code-open');
      if (button && !button.disabled) button.click();
    }
  }
}

/** The `panels=` list of a URL's query (`?panels=draw,train`), or null when there is none. */
export function panelsParam(search = location.search) {
  const value = new URLSearchParams(search).get('panels');
  return value === null ? null : value.split(',').map((s) => s.trim()).filter(Boolean);
}
