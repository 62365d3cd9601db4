// share/lesson.js: a lesson is the page set up for a class: the Train form (data set, layers,
// optimizer, learning rate, epochs, batch size, samples, augmentation, seed), the Code panel's
// code and the panels shown and open. readLesson() takes it from the page, applyLesson() puts a
// link's lesson into the page after checking ALL of it (a bad link changes nothing). Nothing
// runs: the person presses Train, Check or Train with this code. The hash format: link.js.

import { validateFitConfig } from '../../shared/fit-options.js';
import { validateTeachOptions } from '../pynn.js';
import { createCodeStore } from '../code-store.js';
import { decodeLesson, encodeLesson, LinkError } from './link.js';
import { readLayout, unknownPanels, applyLayout } from './layout.js';

const FORM_IDS = { hidden: 'f-hidden', optimizer: 'f-optimizer', learningRate: 'f-lr', epochs: 'f-epochs', batchSize: 'f-batch', samples: 'f-samples', seed: 'f-seed' };
const AUGMENT_IDS = { shift: 'a-shift', rotation: 'a-rotation', scale: 'a-scale', thickness: 'a-thickness' };
const DEFAULT_DATASET = 'mnist';
let pendingDataset = null; // a link's data set, kept while the Train form has no data set choice

const byId = (id) => document.getElementById(id);
const datasetField = () => { const f = byId('train-form'); return f && f.elements.namedItem('dataset'); };

/** The data set ids this site has (build.json's datasets), or null when it lists none. */
const siteDatasets = (facts) => (facts && Array.isArray(facts.datasets) ? facts.datasets.map((d) => d.id) : null);

/** The checked lesson from the page as it is now; `code`: true (the kept code), false, or a string. */
export function readLesson(session, { code = true, panels, open } = {}) {
  const raw = Object.fromEntries(Object.entries(FORM_IDS).map(([k, id]) => [k, byId(id).value]));
  const { config, errors } = validateFitConfig(raw, session.shape);
  const augRaw = Object.fromEntries(Object.entries(AUGMENT_IDS).map(([k, id]) => [k, byId(id).value.trim() || '0']));
  const { teach, errors: augErrors } = validateTeachOptions({ augment: augRaw });
  const problems = [...Object.values(errors), ...Object.values(augErrors)];
  if (problems.length) throw new LinkError(`Fix the Train form before making a link: ${problems.join(' ')}`);
  const field = datasetField();
  const layout = readLayout();
  let source = null;
  if (typeof code === 'string') source = code;
  else if (code === true) source = createCodeStore(() => window.localStorage).readDraft();
  return {
    dataset: (field && field.value) || pendingDataset || DEFAULT_DATASET,
    ...config,
    augment: teach.augment,
    panels: panels || layout.panels,
    open: open || layout.open,
    code: source,
  };
}

/** The link (this page's URL, its query kept, with the lesson's hash) for `options` (see readLesson). */
export async function lessonLink(session, options = {}) {
  const lesson = readLesson(session, options);
  const base = location.href.replace(/#.*$/, '');
  return base + (await encodeLesson(lesson, { base }));
}

function setValue(id, value, event = 'input') {
  const el = byId(id);
  el.value = String(value);
  el.dispatchEvent(new Event(event, { bubbles: true }));
}

/** Check a decoded lesson against this page and site: every problem, or an empty list. */
function problemsOf(lesson, session) {
  const { hidden, optimizer, learningRate, epochs, batchSize, samples, seed } = lesson;
  const { errors } = validateFitConfig({ hidden, optimizer, learningRate, epochs, batchSize, samples, seed }, session.shape);
  const { errors: augErrors } = validateTeachOptions({ augment: lesson.augment });
  const problems = [...Object.values(errors), ...Object.values(augErrors)];
  const known = siteDatasets(session.facts);
  if (known && !known.includes(lesson.dataset)) problems.push(`Data set: "${lesson.dataset}" is not on this site (it has ${known.join(', ')}).`);
  const unknown = unknownPanels([...lesson.panels, ...lesson.open]);
  if (unknown.length) problems.push(`Panels: this page has no ${unknown.map((n) => `"${n}"`).join(', ')} panel.`);
  return problems;
}

/**
 * Put the lesson of `hash` into the page: the form, the kept code (shown when the editor opens),
 * the panels. Throws LinkError (and changes nothing) when any part is wrong. Returns the lesson.
 */
export async function applyLesson(session, hash) {
  const lesson = await decodeLesson(hash);
  const problems = problemsOf(lesson, session);
  if (problems.length) throw new LinkError(`This lesson link does not fit this page: ${problems.join(' ')} The page is unchanged.`);
  if (lesson.code !== null && !createCodeStore(() => window.localStorage).writeDraft(lesson.code)) {
    throw new LinkError("This lesson link's code could not be put in the editor: this browser's storage is full or blocked. The page is unchanged.");
  }
  setValue('f-optimizer', lesson.optimizer, 'change'); // before the rate: a changed optimizer resets it
  for (const [key, id] of Object.entries(FORM_IDS)) {
    if (key !== 'optimizer') setValue(id, key === 'hidden' ? lesson.hidden.join(', ') : lesson[key]);
  }
  for (const [key, id] of Object.entries(AUGMENT_IDS)) setValue(id, lesson.augment[key]);
  const field = datasetField();
  if (field) {
    field.value = lesson.dataset; // a <select> or a radio group (RadioNodeList)
    byId('train-form').dispatchEvent(new Event('change', { bubbles: true }));
  } else pendingDataset = lesson.dataset;
  const open = lesson.code !== null && !lesson.open.includes('code') ? [...lesson.open, 'code'] : lesson.open;
  applyLayout({ panels: lesson.panels, open });
  return lesson;
}

/** The data set a link chose while the form had no data set choice (null: none). */
export const linkDataset = () => pendingDataset;
