// share/publish.js: "Download as a website": the whole static site as this page loaded it, as a
// zip File, with the active model as its default model and a title, panels and lesson as its
// defaults. The files are build.json's "precache" and "lazy" lists, fetched from this site (the
// service worker answers from its cache when offline); nothing is fetched from elsewhere.
// The zip's build.json names the same model path with the new model in it, says what was
// published ("published") and has a NEW build_id, so the service worker's cache and the start-up
// snapshot of the source site are never mixed up with the published one's.

import { loadFflate } from '../datasets/zip.js';
import { decodeLesson } from './link.js';
import { unknownPanels } from './layout.js';

const SITE = new URL('../../', import.meta.url); // web/page/share/ -> the site's folder
const STORED = /\.(gz|wasm|whl|zip|png|jpg|br)$/i; // compressed already: stored as they are
const PARALLEL = 4;
const MAX_TITLE = 80;

const fail = (text) => { throw new Error(`publishSite(): ${text}`); };

/** Check publishSite's options: {title, panels, lesson (hash text or null)}. */
async function checkOptions({ title, panels, lesson }, current) {
  if (title !== undefined && (typeof title !== 'string' || !title.trim() || title.length > MAX_TITLE)) {
    fail(`title should be text of 1 to ${MAX_TITLE} characters; got ${JSON.stringify(title)}. Nothing was downloaded.`);
  }
  if (panels !== undefined) {
    if (!Array.isArray(panels) || !panels.length || panels.some((p) => typeof p !== 'string')) fail(`panels should be a list of panel names, e.g. ["draw", "train"]; got ${JSON.stringify(panels)}. Nothing was downloaded.`);
    const unknown = unknownPanels(panels);
    if (unknown.length) fail(`this page has no ${unknown.map((n) => `"${n}"`).join(', ')} panel. Nothing was downloaded.`);
  }
  let hash = null;
  if (typeof lesson === 'string') {
    hash = lesson.includes('#') ? lesson.slice(lesson.indexOf('#')) : `#${lesson}`;
    try {
      await decodeLesson(hash);
    } catch (err) {
      fail(`lesson is not a lesson link: ${err.message.replace(/ Ask for a fresh link.*$/, '')} Pass pynn.lessonLink()'s result, or true. Nothing was downloaded.`);
    }
  } else if (lesson !== undefined && lesson !== null && lesson !== false) {
    fail(`lesson should be a lesson link (pynn.lessonLink()) or null; got ${typeof lesson}. Nothing was downloaded.`);
  }
  return { title: (title || current.title).trim(), panels: panels || current.panels, lesson: hash };
}

async function getFile(name) {
  let res;
  try {
    res = await fetch(new URL(name, SITE).href);
  } catch (err) {
    fail(`could not get ${name} (${err.message}): you are offline and this browser never loaded it. Go online (or open the panel that uses it once) and try again. Nothing was downloaded.`);
  }
  if (!res.ok) fail(`could not get ${name}: the site answered HTTP ${res.status}. The site is incomplete; rebuild or re-upload it. Nothing was downloaded.`);
  return new Uint8Array(await res.arrayBuffer());
}

/** `names` fetched PARALLEL at a time: {name: Uint8Array}; the first failure rejects. */
async function getAll(names, onFile) {
  const out = {};
  let next = 0;
  const worker = async () => {
    while (next < names.length) {
      const name = names[next++];
      out[name] = await getFile(name);
      onFile(name);
    }
  };
  await Promise.all(Array.from({ length: Math.min(PARALLEL, names.length) }, worker));
  return out;
}

async function sha256Hex(text) {
  const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(text));
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, '0')).join('');
}

const slug = (title) => title.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 60) || 'site';

/**
 * The zip File of the site with the active model as default. `options`: {title, panels, lesson}
 * checked above; `current`: {title, panels} of the page now; `onProgress({done, total})`.
 */
export async function publishSite(session, options, current, onProgress = () => {}) {
  const settings = await checkOptions(options || {}, current);
  await session.start();
  if (session.training) fail('training is running: press Stop (or wait for it to finish) first. Nothing was downloaded.');
  const facts = session.facts;
  if (!Array.isArray(facts.lazy)) fail("this site's build.json has no \"lazy\" list of the files it loads on first use: it was built before publishing existed. Rebuild it (python3 build.py). Nothing was downloaded.");
  const modelText = await (await session.exportFile()).text();
  const doc = JSON.parse(modelText);
  if (doc.metadata && doc.metadata.code) {
    fail('the active model carries Python code, and a site\'s default model cannot (every visitor would have to trust it). Make a model without code the active one (train without the Code panel, or load another). Nothing was downloaded.');
  }
  const names = [...new Set([...facts.precache, ...facts.lazy])].filter((f) => f !== 'build.json' && f !== facts.model).sort();
  let done = 0;
  const files = await getAll(names, () => onProgress({ done: ++done, total: names.length }));
  const active = session.active || {};
  const accuracy = typeof active.accuracy === 'number' ? active.accuracy : null;
  const published = { ...settings, model: active.name || null, from: facts.build_id, at: new Date().toISOString() };
  const build = {
    ...facts,
    default_model: { dataset: (facts.default_model || {}).dataset || 'mnist', layers: active.layers || doc.layers, test_accuracy: accuracy, published: true },
    datasets: (facts.datasets || []).map((d) => (d.model === facts.model ? { ...d, model_test_accuracy: accuracy } : d)),
    published,
  };
  build.build_id = (await sha256Hex(JSON.stringify({ from: facts.build_id, model: await sha256Hex(modelText), published }))).slice(0, 16);
  const ff = await loadFflate();
  const entries = { 'build.json': [ff.strToU8(JSON.stringify(build, null, 1) + '\n'), { level: 6 }], [facts.model]: [ff.strToU8(modelText), { level: 6 }] };
  for (const [name, bytes] of Object.entries(files)) entries[name] = [bytes, { level: STORED.test(name) ? 0 : 6 }];
  return new File([ff.zipSync(entries)], `${slug(settings.title)}.zip`, { type: 'application/zip' });
}
