// ui.js: DOM rendering helpers (no state, no Python). The panels decide what to show; this module
// knows how it looks.

export const $ = (sel, root = document) => root.querySelector(sel);

/** The shortest round-trip text of a number, written without an exponent (1e-7 -> "0.0000001"). */
export function plainDecimal(x) {
  const s = String(x);
  const m = /^(-?)(\d)(?:\.(\d+))?e-(\d+)$/i.exec(s);
  if (!m) return s;
  return `${m[1]}0.${'0'.repeat(Number(m[4]) - 1)}${m[2]}${m[3] || ''}`;
}

export function pct(v, digits = 1) {
  return `${(v * 100).toFixed(digits)}%`;
}

export function setStatus(state, text) {
  const el = $('[data-testid="status"]');
  el.dataset.state = state;
  el.textContent = text;
}

const MESSAGE_FADE_MS = 8000; // a confirmation fades after this long; errors stay
let messageTimer = null;
/** The last user-facing message (confirmation or error). Errors stay until replaced. */
export function showMessage(text, kind = 'info', action = null) {
  const el = $('[data-testid="message"]');
  el.hidden = false;
  el.dataset.kind = kind;
  el.textContent = text;
  if (action) {
    const btn = document.createElement('button');
    btn.type = 'button';
    btn.className = 'btn btn-small message-action';
    btn.textContent = action.label;
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

/** How a class is read out: "Digit 7" for a digit, else its name ("Trouser"). */
export const className = (name) => (/^\d$/.test(name) ? `Digit ${name}` : name);

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
    li.dataset.name = className(names[d]);
    li.setAttribute('aria-label', `${li.dataset.name}: no prediction`);
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
      li.setAttribute('aria-label', `${li.dataset.name}: no prediction`);
      continue;
    }
    const p = probabilities[d];
    li.dataset.value = String(p); // shortest round-trip text (may use an exponent, e.g. 4.2e-7)
    fill.style.width = `${Math.max(0, Math.min(100, p * 100))}%`;
    text.textContent = pct(p);
    li.classList.toggle('is-top', d === label);
    li.setAttribute('aria-label', `${li.dataset.name}: ${pct(p)}`);
  }
}

/** The prediction: the class name (a digit for MNIST) and how sure. */
export function renderPrediction(label, probability) {
  $('[data-testid="prediction"]').textContent = label == null ? '' : String(label);
  $('#confidence').textContent = label == null ? '' : `${pct(probability)} sure`;
}

export function setDrawMessage(text) {
  $('[data-testid="draw-message"]').textContent = text || '';
}

// --- training ------------------------------------------------------------------------------------

export function setProgress(fraction) {
  const bar = $('[role="progressbar"]');
  const v = Math.round(Math.max(0, Math.min(1, fraction)) * 100);
  bar.setAttribute('aria-valuenow', String(v));
  bar.setAttribute('aria-valuetext', `${v}%`);
  bar.querySelector('.progress-bar').style.width = `${v}%`;
}

export function setTrainStatus(text) {
  $('[data-testid="train-status"]').textContent = text;
}

export function showFieldErrors(form, errors, fieldIds) {
  let first = null;
  for (const [key, id] of Object.entries(fieldIds)) {
    const input = form.querySelector(`#${id}`);
    const slot = form.querySelector(`#${id}-err`);
    const msg = errors[key];
    if (msg) {
      input.setAttribute('aria-invalid', 'true');
      slot.textContent = msg;
      if (!first) first = input;
    } else {
      input.removeAttribute('aria-invalid');
      slot.textContent = '';
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
  corner.innerHTML = '<span class="visually-hidden">True digit \\ predicted</span><span aria-hidden="true">t\\p</span>';
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
      td.title = `true ${i}, predicted ${j}: ${count}`;
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
      badge.textContent = 'Broken';
      name.after(badge);
      meta.textContent = `Cannot be used: ${m.broken}`;
    } else {
      const parts = [describeLayers(m.layers)];
      if (m.accuracy != null) parts.push(`${pct(m.accuracy)} held-out`);
      if (m.savedAt) parts.push(new Date(m.savedAt).toLocaleString(undefined, { dateStyle: 'short', timeStyle: 'short' }));
      meta.textContent = parts.join(' · ');
      if (m.active) {
        const badge = document.createElement('span');
        badge.className = 'badge';
        badge.textContent = 'Active';
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
    load.textContent = 'Load';
    load.setAttribute('aria-label', `Load ${m.name}`);
    load.disabled = !!busy;
    load.addEventListener('click', () => onLoad(m.name));
    const del = document.createElement('button');
    del.type = 'button';
    del.className = 'btn btn-small btn-quiet';
    del.textContent = 'Delete';
    del.setAttribute('aria-label', `Delete ${m.name}`);
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
