// focus.js: keeping keyboard focus on the page. When an action removes, hides or disables the
// focused control (Train disables itself while it runs, a list is drawn anew after Delete, Undo
// removes its own button), the browser drops focus to <body> and a keyboard or screen-reader user
// has to start again from the top. keepFocus() moves it to the nearest control still there: the
// next one after it in the same part of the page, else the first one in that part, else the
// part's heading.

const FOCUSABLE = 'a[href], button, input, select, textarea, summary, [tabindex]:not([tabindex="-1"])';
const PARTS = 'dialog, details, section, form, [role="group"], ul, ol, main';

/** Can a person reach `el` with Tab now? */
export function focusable(el) {
  return !!el && el.isConnected && !el.disabled && el.getClientRects().length > 0 && !el.closest('[hidden], [inert]') &&
    el.getAttribute('tabindex') !== '-1' && !(el.closest('details:not([open])') && el.tagName !== 'SUMMARY');
}

function replacement(lost, parts) {
  for (const part of parts) {
    if (!part.isConnected) continue;
    const all = [...part.querySelectorAll(FOCUSABLE)].filter(focusable);
    const after = lost.isConnected ? all.find((el) => lost.compareDocumentPosition(el) & Node.DOCUMENT_POSITION_FOLLOWING) : null;
    const pick = after || all[0];
    if (pick) return pick;
    const heading = part.querySelector('h2, h3');
    if (heading) {
      heading.tabIndex = -1; // focusable from script only
      return heading;
    }
  }
  return null;
}

/** Watch the whole page (once, from main.js): a control that loses focus to <body> hands it on. */
export function keepFocus(root = document.body) {
  let last = null;
  let parts = [];
  document.addEventListener('focusin', (e) => {
    last = e.target;
    parts = [];
    for (let p = last.parentElement && last.parentElement.closest(PARTS); p; p = p.parentElement && p.parentElement.closest(PARTS)) parts.push(p);
  });
  // a click elsewhere (on text, on the page) moves focus on purpose: forget the control it left
  document.addEventListener('pointerdown', () => {
    last = null;
  }, true);
  const check = () => {
    if (!last) return;
    const now = document.activeElement;
    // lost: on <body>, or still on a control just disabled (Chromium moves it to <body> later).
    // Cheap tests first: this runs after every change to the page, and getClientRects() lays it out.
    if (now === last ? !last.disabled && !last.closest('[hidden]') : now && now !== document.body) return;
    if (focusable(last)) return;
    const next = replacement(last, parts);
    if (next) next.focus();
  };
  // focus that leaves for nowhere (not a click: that forgot `last`) is checked once it settled
  document.addEventListener('focusout', (e) => {
    if (!e.relatedTarget) requestAnimationFrame(check);
  });
  new MutationObserver(check).observe(root, { subtree: true, childList: true, attributes: true, attributeFilter: ['disabled', 'hidden', 'open'] });
}
