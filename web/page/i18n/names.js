// i18n/names.js: the names the page gives models ("Default model", "Trained model (unsaved)", "…
// + 2 steps by hand") shown in the page's language. The names themselves stay English: they are
// data (stored, exported, returned by window.pynn); only what the page shows is translated.

import { has, t } from './i18n.js';

// what the page appends to a name, longest first, and what it starts a name with
const SUFFIXES = [
  [' (stopped, unsaved)', 'names.stoppedUnsaved'],
  [' (replaced in another tab)', 'names.replaced'],
  [' (unsaved)', 'names.unsaved'],
  [' (deleted)', 'names.deleted'],
];
const BASES = {
  'Default model': 'names.default',
  'Trained model': 'names.trained',
  'Trained with code': 'names.trainedWithCode',
  'Continued model': 'names.continued',
  'Unsaved model': 'names.unsavedModel',
  'Imported model': 'names.imported',
};

/** `name` as the page shows it in the current language (a person's own names are kept as typed). */
export function modelName(name) {
  const text = String(name);
  for (const [suffix, key] of SUFFIXES) {
    if (text.endsWith(suffix)) return t(key, { name: modelName(text.slice(0, -suffix.length)) });
  }
  const steps = /^(.*) \+ (\d+) steps? by hand$/.exec(text);
  if (steps) return t('names.byHand', { name: modelName(steps[1]), count: Number(steps[2]) });
  if (Object.hasOwn(BASES, text)) return t(BASES[text]);
  const builtIn = /^(MNIST digits|Fashion-MNIST) model$/.exec(text);
  if (builtIn) return t('names.dataset', { name: datasetName({ id: builtIn[1] === 'Fashion-MNIST' ? 'fashion-mnist' : 'mnist', name: builtIn[1] }) });
  return text;
}

/** A built-in data set's name in the current language (`datasets.<id>`), else its own name. */
export function datasetName(entry) {
  return has(`datasets.${entry.id}`) ? t(`datasets.${entry.id}`) : entry.name;
}
