// announce.js: what a screen reader hears without looking: one polite live region
// (#announcer in index.html, visually hidden) that every panel speaks through. Frequent updates
// (a batch's loss, each live re-predict) stay out of it; the panels announce when something
// rests or ends: a prediction once the drawing rests, each epoch, the end of a run, a model change.

import { $ } from '../ui.js';
import { t } from '../i18n/i18n.js';

/** What is announced, in the page's language (catalog keys a11y.*). */
export const SAY = {
  prediction: (name, sure) => t('a11y.prediction', { name, sure }),
  epoch: (n, of, acc) => t('a11y.epoch', { n: String(n), of: String(of), acc }),
  trained: (stopped, epochs, acc) => t(stopped ? 'a11y.stopped' : 'a11y.finished', { count: epochs, acc }),
  stoppedEarly: () => t('a11y.stoppedEarly'),
  failed: (why) => t('a11y.failed', { why }),
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
