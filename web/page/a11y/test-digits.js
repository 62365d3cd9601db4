// test-digits.js: the keyboard's way to draw: "Use a test digit" puts a real held-out sample of
// the active model's data set (pynn.heldOut: the test split, never trained on) on a pad, as if
// drawn, and Previous/Next step through them. Everything that reads a pad (the prediction, Inside,
// the step by hand, Teach) then has an input without a pointer.

import pynn from '../pynn.js';
import { setAttr, setText } from '../i18n/i18n.js';


/**
 * Add the three buttons to `container` (an element next to the pad). `pad`: createPad's object;
 * `session`: the PageSession (its shape gives the test count and the side); `onPut({label,
 * index})` runs once the sample is on the pad (the panel predicts it); `onError(err)` shows why
 * a sample could not be fetched; `where: 'teach'` tells this pad's buttons from the Draw pad's
 * ("Use a test digit on the teaching pad", catalog key a11y.onTeachPad). Returns {buttons}.
 */
export function mountTestDigits(container, { pad, session, onPut, onError, where = '' }) {
  let index = -1; // none shown yet: "Use a test digit" shows no. 0
  const make = (textKey, labelKey) => {
    const b = document.createElement('button');
    b.type = 'button';
    b.className = 'btn btn-small';
    setText(b, textKey);
    if (where) setAttr(b, 'aria-label', 'a11y.onTeachPad', { label: { key: labelKey || textKey } });
    else if (labelKey) setAttr(b, 'aria-label', labelKey);
    container.append(b);
    return b;
  };
  const use = make('a11y.useTestDigit');
  const prev = make('a11y.previous', 'a11y.previousLabel');
  const next = make('a11y.next', 'a11y.nextLabel');
  const note = document.createElement('span');
  note.className = 'muted small test-digit-note';
  container.append(note);

  async function show(i) {
    const shape = session.shape;
    if (!shape) return;
    const count = shape.test;
    index = ((i % count) + count) % count; // Previous from no. 0 wraps to the last one
    try {
      const d = await pynn.heldOut(index);
      pad.putImage(d, shape.side);
      const names = session.active && session.active.classes;
      const label = names ? names[d.label] : String(d.label);
      setText(note, 'a11y.testDigitShown', { index: String(index), count, label });
      onPut({ label: d.label, index });
    } catch (err) {
      onError(err);
    }
  }
  use.addEventListener('click', () => show(Math.max(index, 0)));
  prev.addEventListener('click', () => show(index - 1));
  next.addEventListener('click', () => show(index + 1));
  return { buttons: [use, prev, next] };
}
