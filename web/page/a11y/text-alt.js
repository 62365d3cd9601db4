// text-alt.js: text alternatives for pictures of numbers (charts, heat maps, weight maps): a
// short summary for a canvas's aria-label, and the numbers themselves as a table on demand
// ("Show as table", a <details> next to the picture: closed, it costs a screen reader nothing).

import { setText, t } from '../i18n/i18n.js';

/** The headers of a table: catalog keys under a11y.col (e.g. ['epoch', 'trainLoss']), translated. */
export const columns = (names) => names.map((n) => t(`a11y.col.${n}`));

/** {min, max, mean} of an array of numbers (NaN for an empty one). */
export function stats(values) {
  let min = Infinity;
  let max = -Infinity;
  let sum = 0;
  for (const v of values) {
    if (v < min) min = v;
    if (v > max) max = v;
    sum += v;
  }
  return values.length ? { min, max, mean: sum / values.length } : { min: NaN, max: NaN, mean: NaN };
}

const short = (v) => (Number.isFinite(v) ? Number(v.toPrecision(3)).toString() : '–');

/** "min a, max b, mean c" of `values`, each to 3 significant digits (or with `format`). */
export function summarize(values, format = short) {
  const s = stats(values);
  return t('a11y.summary', { min: format(s.min), max: format(s.max), mean: format(s.mean) });
}

function fill(table, caption, headers, rows) {
  const cap = document.createElement('caption');
  cap.textContent = caption;
  const head = document.createElement('tr');
  for (const h of headers) head.append(Object.assign(document.createElement('th'), { scope: 'col', textContent: h }));
  const body = document.createElement('tbody');
  for (const row of rows) {
    const tr = document.createElement('tr');
    row.forEach((v, i) => {
      const cell = document.createElement(i === 0 ? 'th' : 'td');
      if (i === 0) cell.scope = 'row';
      cell.textContent = typeof v === 'number' ? short(v) : String(v);
      tr.append(cell);
    });
    body.append(tr);
  }
  const thead = document.createElement('thead');
  thead.append(head);
  table.replaceChildren(cap, thead, body);
}

/**
 * A "Show as table" toggle: returns {el, set(headers, rows)}; `el` goes next to the picture,
 * `set` (re)fills its table (rows: arrays, the first cell a row header; numbers to 3 significant
 * digits). `caption` says what the table holds.
 */
export function tableToggle(caption, testid = null) {
  const details = document.createElement('details');
  details.className = 'as-table';
  if (testid) details.setAttribute('data-testid', testid);
  const summary = document.createElement('summary');
  setText(summary, 'a11y.showTable');
  const wrap = document.createElement('div');
  wrap.className = 'table-wrap';
  wrap.tabIndex = 0; // a scrollable region a keyboard can reach
  wrap.setAttribute('role', 'region');
  wrap.setAttribute('aria-label', caption);
  const table = document.createElement('table');
  wrap.append(table);
  details.append(summary, wrap);
  let last = null;
  details.addEventListener('toggle', () => {
    if (details.open && last) fill(table, caption, ...last);
  });
  return {
    el: details,
    set(headers, rows) {
      last = [headers, rows];
      if (details.open) fill(table, caption, headers, rows); // a closed toggle is filled when opened
    },
  };
}
