// ui.js: DOM rendering helpers (no state, no Python). The panels decide what to show; this module
// knows how it looks.

import { language, t, percent, setMessage, setText, setAttr, setRaw } from './i18n/i18n.js';

export const $ = (sel, root = document) => root.querySelector(sel);

/** Show `m` in `el`: a string as it is (data, an English detail), {key, params} (or a session
 * message with `key` and `text`) from the catalog, kept translated on a language change. */
export function show(el, m) {
  if (m && typeof m === 'object') setMessage(el, m);
  else setRaw(el, m == null ? '' : String(m));
}

/** The shortest round-trip text of a number, written without an exponent (1e-7 -> "0.0000001"). */
export function plainDecimal(x) {
  const s = String(x);
  const m = /^(-?)(\d)(?:\.(\d+))?e-(\d+)$/i.exec(s);
  if (!m) return s;
  return `${m[1]}0.${'0'.repeat(Number(m[4]) - 1)}${m[2]}${m[3] || ''}`;
}

/** A percentage in the page's language ("93.1%", "93,1 %"). */
export function pct(v, digits = 1) {
  return percent(v, digits);
}

export function setStatus(state, m) {
  const el = $('[data-testid="status"]');
  el.dataset.state = state;
  show(el, m);
}

const MESSAGE_FADE_MS = 8000; // a confirmation fades after this long; errors stay
let messageTimer = null;
/** The last user-facing message (confirmation or error; `m` as `show` takes it). Errors stay until
 * replaced. `action.label` is a catalog key. */
export function showMessage(m, kind = 'info', action = null) {
  const el = $('[data-testid="message"]');
  el.hidden = false;
  el.dataset.kind = kind;
  const text = document.createElement('span');
  show(text, m);
  el.replaceChildren(text);
  if (action) {
    const btn = document.createElement('button');
    btn.type = 'button';
    btn.className = 'btn btn-small message-action';
    setText(btn, action.label);
    btn.addEventListener('click', () => {
      btn.remove();
      action.onClick();
    });
    el.append(' ', btn);
  }
  clearTimeout(messageTimer);
  el.classList.remove('fade');
  if (kind !== 'error') {
    messageTimer = setTimeout(() => el.classList.add('fade'), MESSAGE_FADE_MS);
  }
}

// --- prediction --------------------------------------------------------------------------------

/** How a class is read out: "Digit 7" for a digit, else its name ("Trouser"); a param of t(). */
export const className = (name) => (/^\d$/.test(name) ? { key: 'draw.digit', params: { digit: name } } : name);

/** One bar per class of the active model (`names`: its class names). */
export function buildProbs(list, names) {
  list.textContent = '';
  list.dataset.classes = JSON.stringify(names);
  for (let d = 0; d < names.length; d++) {
    const li = document.createElement('li');
    li.className = 'prob';
    li.dataset.testid = `prob-${d}`;
    li.setAttribute('data-testid', `prob-${d}`);
    li.dataset.value = '';
    li.innerHTML =
      '<span class="prob-digit" aria-hidden="true"></span>' +
      '<span class="prob-track"><span class="prob-fill"></span></span>' +
      '<span class="prob-pct">–</span>';
    li.querySelector('.prob-digit').textContent = names[d];
    li.classList.toggle('is-named', names[d].length > 1);
    li.dataset.name = names[d];
    setAttr(li, 'aria-label', 'draw.probNone', { name: className(names[d]) });
    list.appendChild(li);
  }
}

export function renderProbabilities(list, probabilities, label) {
  for (let d = 0; d < list.children.length; d++) {
    const li = list.children[d];
    const fill = li.querySelector('.prob-fill');
    const text = li.querySelector('.prob-pct');
    if (!probabilities) {
      li.dataset.value = '';
      fill.style.width = '0%';
      text.textContent = '–';
      li.classList.remove('is-top');
      setAttr(li, 'aria-label', 'draw.probNone', { name: className(li.dataset.name) });
      continue;
    }
    const p = probabilities[d];
    li.dataset.value = String(p); // shortest round-trip text (may use an exponent, e.g. 4.2e-7)
    fill.style.width = `${Math.max(0, Math.min(100, p * 100))}%`;
    setText(text, 'draw.pct', { p: { pct: p } });
    li.classList.toggle('is-top', d === label);
    setAttr(li, 'aria-label', 'draw.prob', { name: className(li.dataset.name), p: { pct: p } });
  }
}

/** The prediction: the class name (a digit for MNIST) and how sure. */
export function renderPrediction(label, probability) {
  $('[data-testid="prediction"]').textContent = label == null ? '' : String(label);
  if (label == null) setRaw($('#confidence'), '');
  else setText($('#confidence'), 'draw.sure', { p: { pct: probability } });
}

export function setDrawMessage(m) {
  show($('[data-testid="draw-message"]'), m);
}

// --- training ------------------------------------------------------------------------------------

export function setProgress(fraction) {
  const bar = $('[role="progressbar"]');
  const v = Math.round(Math.max(0, Math.min(1, fraction)) * 100);
  bar.setAttribute('aria-valuenow', String(v));
  setAttr(bar, 'aria-valuetext', 'draw.pct', { p: { pct: v / 100, digits: 0 } });
  bar.querySelector('.progress-bar').style.width = `${v}%`;
}

export function setTrainStatus(m) {
  show($('[data-testid="train-status"]'), m);
}

export function showFieldErrors(form, errors, fieldIds) {
  let first = null;
  for (const [key, id] of Object.entries(fieldIds)) {
    const input = form.querySelector(`#${id}`);
    const slot = form.querySelector(`#${id}-err`);
    const msg = errors[key];
    if (msg) {
      input.setAttribute('aria-invalid', 'true');
      show(slot, msg);
      if (!first) first = input;
    } else {
      input.removeAttribute('aria-invalid');
      setRaw(slot, '');
    }
  }
  return first;
}

/** matrix: n x n counts (rows: true class, columns: predicted); `names`: the class names, shown
 * beside each row's index and as each column's title. */
export function renderConfusion(table, matrix, names = null) {
  const caption = table.querySelector('caption');
  table.textContent = '';
  if (caption) table.appendChild(caption);
  const n = matrix.length;
  let max = 0;
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) if (i !== j) max = Math.max(max, matrix[i][j]);
  const rowMax = matrix.map((r) => r.reduce((a, b) => a + b, 0) || 1);

  const thead = document.createElement('thead');
  const hr = document.createElement('tr');
  const corner = document.createElement('th');
  corner.scope = 'col';
  corner.innerHTML = '<span class="visually-hidden"></span><span aria-hidden="true"></span>';
  setText(corner.firstChild, 'train.cmCorner');
  setText(corner.lastChild, 'train.cmCornerShort');
  hr.appendChild(corner);
  for (let j = 0; j < n; j++) {
    const th = document.createElement('th');
    th.scope = 'col';
    th.textContent = String(j);
    if (names) th.title = names[j];
    hr.appendChild(th);
  }
  thead.appendChild(hr);
  table.appendChild(thead);

  const tbody = document.createElement('tbody');
  for (let i = 0; i < n; i++) {
    const tr = document.createElement('tr');
    const th = document.createElement('th');
    th.scope = 'row';
    th.textContent = names && names[i] !== String(i) ? `${i} ${names[i]}` : String(i); // class names beside the index
    tr.appendChild(th);
    for (let j = 0; j < n; j++) {
      const td = document.createElement('td');
      const count = matrix[i][j];
      td.textContent = String(count);
      if (i === j) {
        const a = count / rowMax[i];
        td.className = 'diag';
        td.style.setProperty('--shade', a.toFixed(3));
      } else if (count > 0) {
        td.className = 'off';
        td.style.setProperty('--shade', (0.15 + 0.85 * (count / (max || 1))).toFixed(3));
      } else {
        td.className = 'zero';
      }
      setAttr(td, 'title', 'train.cmCell', { i: String(i), j: String(j), count: String(count) });
      tr.appendChild(td);
    }
    tbody.appendChild(tr);
  }
  table.appendChild(tbody);
}

// --- models --------------------------------------------------------------------------------------

export function describeLayers(layers) {
  return Array.isArray(layers) ? layers.join('-') : '?';
}

export function renderModels(listEl, emptyEl, models, { onLoad, onDelete, busy }) {
  listEl.textContent = '';
  emptyEl.hidden = models.length > 0;
  for (const m of models) {
    const li = document.createElement('li');
    li.className = 'model-item' + (m.broken ? ' broken' : '') + (m.active ? ' active' : '');
    const info = document.createElement('div');
    info.className = 'model-info';
    const title = document.createElement('span');
    title.className = 'model-title';
    const name = document.createElement('span');
    name.className = 'model-name';
    name.textContent = m.name;
    title.appendChild(name);
    info.appendChild(title);
    const meta = document.createElement('span');
    meta.className = 'model-meta';
    if (m.broken) {
      const badge = document.createElement('span');
      badge.className = 'badge badge-error';
      setText(badge, 'models.broken');
      name.after(badge);
      setText(meta, 'models.cannotUse', { detail: m.broken });
    } else {
      const parts = [describeLayers(m.layers)];
      if (m.accuracy != null) parts.push(t('models.heldOut', { acc: { pct: m.accuracy } }));
      if (m.savedAt) parts.push(new Date(m.savedAt).toLocaleString(language(), { dateStyle: 'short', timeStyle: 'short' }));
      meta.textContent = parts.join(' · ');
      if (m.active) {
        const badge = document.createElement('span');
        badge.className = 'badge';
        setText(badge, 'models.activeBadge');
        name.after(badge);
      }
    }
    info.appendChild(meta);
    li.appendChild(info);

    const actions = document.createElement('div');
    actions.className = 'model-actions';
    const load = document.createElement('button');
    load.type = 'button';
    load.className = 'btn btn-small';
    setText(load, 'models.load');
    setAttr(load, 'aria-label', 'models.loadNamed', { name: m.name });
    load.disabled = !!busy;
    load.addEventListener('click', () => onLoad(m.name));
    const del = document.createElement('button');
    del.type = 'button';
    del.className = 'btn btn-small btn-quiet';
    setText(del, 'models.delete');
    setAttr(del, 'aria-label', 'models.deleteNamed', { name: m.name });
    del.addEventListener('click', () => onDelete(m.name));
    actions.append(load, del);
    li.appendChild(actions);
    listEl.appendChild(li);
  }
}

/** Offer `file` (a File) as a download. */
export function saveFile(file) {
  const url = URL.createObjectURL(file);
  const a = document.createElement('a');
  a.href = url;
  a.download = file.name;
  a.hidden = true;
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10000);
}
