// The page's catalogs (web/page/i18n/): English and Spanish have the same keys, the same
// placeholders and no empty text; every key the page uses (index.html's data-i18n attributes, the
// catalog keys written in web/page's modules) exists; t() picks plurals and formats numbers.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

import { CATALOGS, lookup, pickLanguage, setLanguage, t, percent } from '../../web/page/i18n/i18n.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const PAGE = join(ROOT, 'web', 'page');
const PLURAL_FORMS = new Set(['zero', 'one', 'two', 'few', 'many', 'other']);

/** Every leaf of a catalog: {"draw.clear": "Clear", "train.done": {one, other}, ...}. */
function leaves(catalog, prefix = '') {
  const out = {};
  for (const [k, v] of Object.entries(catalog)) {
    const key = prefix ? `${prefix}.${k}` : k;
    const plural = v && typeof v === 'object' && Object.keys(v).every((f) => PLURAL_FORMS.has(f));
    if (typeof v === 'string' || plural) out[key] = v;
    else Object.assign(out, leaves(v, key));
  }
  return out;
}

const texts = (v) => (typeof v === 'string' ? [v] : Object.values(v));
const placeholders = (v) => [...new Set(texts(v).flatMap((s) => [...s.matchAll(/\{(\w+)\}/g)].map((m) => m[1])))].sort();

const en = leaves(CATALOGS.en);
const es = leaves(CATALOGS.es);

test('English and Spanish have the same keys', () => {
  assert.deepEqual(Object.keys(en).filter((k) => !(k in es)), [], 'keys missing from es.js');
  assert.deepEqual(Object.keys(es).filter((k) => !(k in en)), [], 'keys missing from en.js');
  assert.ok(Object.keys(en).length > 300, `only ${Object.keys(en).length} keys`);
});

test('each key has the same placeholders in both languages, and no text is empty', () => {
  for (const [key, v] of Object.entries(en)) {
    assert.deepEqual(placeholders(es[key]), placeholders(v), `placeholders of ${key}`);
    for (const [lang, cat] of [['en', en], ['es', es]]) {
      for (const s of texts(cat[key])) assert.ok(typeof s === 'string' && s.trim() !== '', `${lang}: ${key} is empty`);
      if (typeof cat[key] === 'object') assert.ok('other' in cat[key], `${lang}: plural ${key} has no "other"`);
    }
  }
});

function sources(dir) {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sources(path);
    return name.endsWith('.js') ? [path] : [];
  });
}

test('every data-i18n key of index.html is in the catalogs', () => {
  const html = readFileSync(join(ROOT, 'web', 'index.html'), 'utf8');
  const keys = [...html.matchAll(/data-i18n="([^"]+)"/g)].map((m) => m[1]);
  for (const m of html.matchAll(/data-i18n-attr="([^"]+)"/g)) {
    for (const pair of m[1].split(/\s+/)) keys.push(pair.slice(pair.indexOf(':') + 1));
  }
  assert.ok(keys.length > 150, `only ${keys.length} keys found`);
  const missing = keys.filter((k) => !(k in en));
  assert.deepEqual(missing, [], 'index.html uses keys that the catalogs do not have');
  // a translated element's whole text is replaced: it must hold text only, no child elements
  const withChildren = [...html.matchAll(/<(\w+)[^>]*\sdata-i18n="([^"]+)"[^>]*>([^]*?)<\/\1>/g)]
    .filter((m) => m[3].includes('<')).map((m) => m[2]);
  assert.deepEqual(withChildren, [], 'data-i18n elements with child elements');
});

test('every catalog key written in web/page is in the catalogs', () => {
  const groups = new Set(Object.keys(CATALOGS.en));
  const used = [];
  const prefixes = [];
  const catalogs = new RegExp(`i18n[\\\\/](${Object.keys(CATALOGS).join('|')})[\\\\/]`); // the catalogs themselves
  for (const file of sources(PAGE).filter((f) => !catalogs.test(f))) {
    const src = readFileSync(file, 'utf8');
    // 'panel.name' literals whose first part is a catalog group: t('…'), setText(el, '…'), {key: '…'}
    for (const m of src.matchAll(/'([a-z][A-Za-z]*(?:\.[\w-]+)+)'/g)) {
      if (groups.has(m[1].split('.')[0])) used.push([m[1], file]);
    }
    // keys built at run time (`status.stages.${stage}`): their group must exist
    for (const m of src.matchAll(/`([a-z][A-Za-z]*(?:\.[\w-]+)*)\.\$\{/g)) {
      if (groups.has(m[1].split('.')[0])) prefixes.push([m[1], file]);
    }
  }
  assert.ok(used.length > 100, `only ${used.length} keys found in web/page`);
  const missing = used.filter(([k]) => !(k in en)).map(([k, f]) => `${k} (${f.slice(ROOT.length + 1)})`);
  assert.deepEqual(missing, [], 'web/page uses keys that the catalogs do not have');
  for (const [p, f] of prefixes) {
    const group = lookup(CATALOGS.en, p);
    assert.ok(group && typeof group === 'object', `${p}.* (${f}) is not a group of the catalogs`);
  }
});

test('the language follows the browser, first supported match, else English', () => {
  assert.equal(pickLanguage(['es-ES', 'en']), 'es');
  assert.equal(pickLanguage(['fr-FR', 'es-MX', 'en']), 'es');
  assert.equal(pickLanguage(['de', 'fr']), 'en');
  assert.equal(pickLanguage([]), 'en');
  assert.throws(() => setLanguage('fr'), /expected one of en, es; got "fr"/);
});

test('t() fills placeholders, picks plurals and formats numbers for the language', () => {
  setLanguage('en');
  assert.equal(t('train.done', { count: 1, secs: { num: 2.25, digits: 1 } }), 'Done: 1 epoch in 2.3 s.');
  assert.equal(t('train.done', { count: 3, secs: { num: 12, digits: 1 } }), 'Done: 3 epochs in 12.0 s.');
  assert.equal(t('train.samplesHelp', { max: 60000 }), '1 to 60,000 samples');
  assert.equal(percent(0.9884), '98.8%');
  setLanguage('es');
  assert.equal(t('train.done', { count: 1, secs: { num: 2.25, digits: 1 } }), 'Hecho: 1 época en 2,3 s.');
  assert.equal(t('train.done', { count: 3, secs: { num: 12, digits: 1 } }), 'Hecho: 3 épocas en 12,0 s.');
  assert.equal(t('train.samplesHelp', { max: 60000 }), 'de 1 a 60.000 muestras');
  assert.equal(percent(0.9884), '98,8\u00a0%');
  assert.equal(t('models.heldOut', { acc: { pct: 0.931 } }), '93,1\u00a0% en prueba');
  assert.equal(t('no.such.key'), 'no.such.key');
  setLanguage('en');
});
