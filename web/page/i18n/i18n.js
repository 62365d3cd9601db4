// i18n/i18n.js: the page's language. One catalog per language (en/, es/: keys grouped by panel,
// `{name}` placeholders, plurals as {one, other}); `t(key, params)` reads the current one. The
// language follows the browser (navigator.languages) unless the person chose one in the switcher
// (kept in localStorage). Text set with `setText`/`setAttr` (and index.html's `data-i18n`,
// `data-i18n-attr` attributes) is translated again when the language changes, without a reload.
//
// Params: a string is inserted as it is; a number is formatted for the language (Intl.NumberFormat);
// {pct: 0.931, digits: 1} is a percentage ("93.1%", "93,1 %"); {num: 1.25, digits: 1} a number with
// that many decimals; {key, params} another message. `count` also picks the plural form.

import en from './en/index.js';
import es from './es/index.js';

/** Each language's catalog, and its name in itself (the switcher's options). */
export const CATALOGS = Object.freeze({ en, es });
export const LANGUAGE_NAMES = Object.freeze({ en: 'English', es: 'Español' });
export const STORAGE_KEY = 'pynn.language';
const FALLBACK = 'en';

const changes = new EventTarget();
let lang = FALLBACK;

/** The first of `preferred` (BCP 47 tags, best first) that has a catalog, else English. */
export function pickLanguage(preferred) {
  for (const tag of preferred || []) {
    const base = String(tag).toLowerCase().split('-')[0];
    if (Object.hasOwn(CATALOGS, base)) return base;
  }
  return FALLBACK;
}

export const language = () => lang;

/** The value under a dotted key ("draw.clear") in a catalog, or undefined. */
export function lookup(catalog, key) {
  let v = catalog;
  for (const part of key.split('.')) {
    if (v == null || typeof v !== 'object' || !Object.hasOwn(v, part)) return undefined;
    v = v[part];
  }
  return v;
}

/** A number for the current language ("8,000" / "8000"; "0.25" / "0,25"). */
export function num(x, options = {}) {
  return new Intl.NumberFormat(lang, { maximumFractionDigits: 6, ...options }).format(x);
}

/** A fraction as a percentage for the current language ("93.1%" / "93,1 %"). */
export function percent(v, digits = 1) {
  return new Intl.NumberFormat(lang, {
    style: 'percent', minimumFractionDigits: digits, maximumFractionDigits: digits,
  }).format(v);
}

function formatParam(v) {
  if (typeof v === 'number') return num(v);
  if (v && typeof v === 'object' && 'pct' in v) return percent(v.pct, v.digits ?? 1);
  if (v && typeof v === 'object' && 'num' in v) return num(v.num, { minimumFractionDigits: v.digits, maximumFractionDigits: v.digits });
  if (v && typeof v === 'object' && 'key' in v) return t(v.key, v.params); // a message inside a message
  return String(v);
}

/** The text of `key` in the current language, `{name}` replaced by `params.name`. A missing key
 * falls back to English, then to the key itself (the catalog tests keep both from happening). */
export function t(key, params = {}) {
  let v = lookup(CATALOGS[lang], key);
  if (v === undefined) v = lookup(CATALOGS[FALLBACK], key);
  if (v === undefined) return key;
  if (typeof v === 'object') {
    const form = new Intl.PluralRules(lang).select(Number(params.count));
    v = v[form] ?? v.other;
  }
  return v.replace(/\{(\w+)\}/g, (m, name) => (Object.hasOwn(params, name) ? formatParam(params[name]) : m));
}

/** An error the page shows whose English `detail` has no key: in English the detail alone (as it
 * always read), in another language the headline `key` first, then the English detail. */
export const withDetail = (key, params, detail) => (lang === FALLBACK ? detail : `${t(key, params)} — ${detail}`);

/** Set `el`'s text to `key` (and an English `detail`, see withDetail) and keep it translated on a
 * language change. */
export function setText(el, key, params, detail) {
  el.dataset.i18n = key;
  if (params && Object.keys(params).length) el.dataset.i18nParams = JSON.stringify(params);
  else delete el.dataset.i18nParams;
  if (detail != null) el.dataset.i18nDetail = detail;
  else delete el.dataset.i18nDetail;
  el.textContent = detail != null ? withDetail(key, params, detail) : t(key, params);
}

/** Set `el`'s text to `text` as it is (data, or a detail with no key): it is not translated. */
export function setRaw(el, text) {
  delete el.dataset.i18n;
  delete el.dataset.i18nParams;
  delete el.dataset.i18nDetail;
  el.textContent = text;
}

/** Set attribute `attr` of `el` to `key` and keep it translated ("aria-label", "title", …). */
export function setAttr(el, attr, key, params) {
  const pairs = (el.dataset.i18nAttr || '').split(/\s+/).filter((p) => p && !p.startsWith(`${attr}:`));
  pairs.push(`${attr}:${key}`);
  el.dataset.i18nAttr = pairs.join(' ');
  const stored = JSON.parse(el.dataset.i18nAttrParams || '{}');
  if (params) stored[attr] = params;
  else delete stored[attr];
  el.dataset.i18nAttrParams = JSON.stringify(stored);
  el.setAttribute(attr, t(key, params));
}

/** Translate every `data-i18n` / `data-i18n-attr` element under `root`. */
export function translateTree(root = document) {
  for (const el of root.querySelectorAll('[data-i18n]')) {
    const params = el.dataset.i18nParams ? JSON.parse(el.dataset.i18nParams) : {};
    const detail = el.dataset.i18nDetail;
    el.textContent = detail != null ? withDetail(el.dataset.i18n, params, detail) : t(el.dataset.i18n, params);
  }
  for (const el of root.querySelectorAll('[data-i18n-attr]')) {
    const params = JSON.parse(el.dataset.i18nAttrParams || '{}');
    for (const pair of el.dataset.i18nAttr.split(/\s+/).filter(Boolean)) {
      const at = pair.indexOf(':');
      const attr = pair.slice(0, at);
      el.setAttribute(attr, t(pair.slice(at + 1), params[attr]));
    }
  }
}

/** Call `fn(lang)` after each language change (for text that is drawn rather than set: charts). */
export function onLanguageChange(fn) {
  changes.addEventListener('change', () => fn(lang));
}

function readChoice() {
  try {
    return globalThis.localStorage?.getItem(STORAGE_KEY) || null;
  } catch {
    return null; // storage refused (a sandboxed frame): follow the browser
  }
}

/** Switch to `code` ("en", "es"): `<html lang>`, every translated element, the listeners. With
 * `keep`, the choice is stored so it wins over the browser's languages on the next visit. */
export function setLanguage(code, { keep = false } = {}) {
  if (!Object.hasOwn(CATALOGS, code)) {
    throw new Error(`setLanguage: expected one of ${Object.keys(CATALOGS).join(', ')}; got ${JSON.stringify(code)}.`);
  }
  lang = code;
  if (keep) {
    try {
      globalThis.localStorage?.setItem(STORAGE_KEY, code);
    } catch {
      // not kept (storage refused); the switch itself still happens
    }
  }
  if (typeof document !== 'undefined') {
    document.documentElement.lang = code;
    translateTree(document);
  }
  changes.dispatchEvent(new Event('change'));
}

/** The language at start-up: the kept choice, else the browser's first supported language. */
export function startLanguage() {
  const chosen = readChoice();
  const nav = globalThis.navigator;
  setLanguage(Object.hasOwn(CATALOGS, chosen) ? chosen : pickLanguage(nav?.languages?.length ? nav.languages : [nav?.language]));
}

/** Whether the catalogs have `key`. */
export const has = (key) => lookup(CATALOGS[FALLBACK], key) !== undefined;

/** A message that may carry a catalog key: {key, params} is translated (when the catalogs have
 * that key), else its English `text` is shown as it is. */
export function say(m) {
  if (!(m && m.key && has(m.key))) return (m && m.text) || '';
  return m.detail != null ? withDetail(m.key, m.params, m.detail) : t(m.key, m.params);
}

/** A thrown error as a message: its code's text when the catalog has one (`errors.<code>`, filled
 * from `err.params`), else a headline (`errors.headlines.<code>`, `errors.kinds.<kind>` or the
 * panel's `headline`) before the English message. */
export function errorMessage(err, headline = 'errors.generic') {
  const text = (err && err.message) || String(err);
  if (err && err.code && has(`errors.${err.code}`)) return { key: `errors.${err.code}`, params: err.params || {}, text };
  let key = headline;
  if (err && err.code && has(`errors.headlines.${err.code}`)) key = `errors.headlines.${err.code}`;
  else if (err && err.kind && has(`errors.kinds.${err.kind}`)) key = `errors.kinds.${err.kind}`;
  return { key, detail: text, text };
}

/** Show a message (as `say` reads it) in `el`, kept translated when it has a key. */
export function setMessage(el, m) {
  if (m && m.key && has(m.key)) setText(el, m.key, m.params, m.detail);
  else setRaw(el, (m && m.text) || '');
}
