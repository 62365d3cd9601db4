// announce.js: what a screen reader hears without looking: one polite live region
// (#announcer in index.html, visually hidden) that every panel speaks through. Frequent updates
// (a batch's loss, each live re-predict) stay out of it; the panels announce when something
// rests or ends: a prediction once the drawing rests, each epoch, the end of a run, a model change.

import { $ } from '../ui.js';

export const TEXT = {
  prediction: (name, sure) => `Prediction: ${name}, ${sure} sure`,
  epoch: (n, of, acc) => `Epoch ${n} of ${of}: accuracy ${acc}`,
  trained: (stopped, epochs, acc) => `Training ${stopped ? 'stopped' : 'finished'} after ${epochs} epoch${epochs === 1 ? '' : 's'}: held-out accuracy ${acc}. The new model is active.`,
  stoppedEarly: 'Training stopped before the first batch finished; the active model is unchanged.',
  failed: (why) => `Training did not run: ${why}`,
};

/** How long a drawing must rest (no stroke, its prediction shown) before it is announced. */
export const REST_MS = 1000;

const KEEP = 5; // the last few announcements stay in the region (only additions are read)

/**
 * Say `text` once through the live region (polite: after what is being read; errors too, as the
 * message line above the panels shows them as well). Each announcement is a new line added to
 * the region, so two in a row are both heard and the same text said twice is heard twice.
 */
export function announce(text) {
  const region = $('#announcer');
  if (!region || !text) return;
  const line = document.createElement('p');
  line.textContent = text;
  region.append(line);
  while (region.childElementCount > KEEP) region.firstElementChild.remove();
}

/**
 * Announce the latest of a series once it rests: `later(key, text)` replaces any pending text
 * and speaks it after `ms` without a newer call or a `cancel()`; a `key` already spoken (the same
 * drawing) is not spoken again.
 */
export function whenRested(ms = REST_MS) {
  let timer = null;
  let spoken = null;
  return {
    later(key, text) {
      clearTimeout(timer);
      if (key === spoken) return;
      timer = setTimeout(() => {
        spoken = key;
        announce(text);
      }, ms);
    },
    cancel: () => clearTimeout(timer),
  };
}
