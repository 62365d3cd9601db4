// panels/language.js: the language switcher in the header (English / Español). The choice is kept
// and wins over the browser's languages; switching translates the page in place (i18n.js), so the
// model, the drawing and a running training are untouched.

import { CATALOGS, LANGUAGE_NAMES, language, onLanguageChange, setLanguage } from '../i18n/i18n.js';

/** Fill and wire the switcher (`select#language`). */
export function mountLanguage() {
  const select = document.getElementById('language');
  for (const code of Object.keys(CATALOGS)) {
    const option = document.createElement('option');
    option.value = code;
    option.lang = code; // each language named in itself, read out in its own language
    option.textContent = LANGUAGE_NAMES[code];
    select.appendChild(option);
  }
  select.value = language();
  select.addEventListener('change', () => setLanguage(select.value, { keep: true }));
  onLanguageChange((code) => {
    select.value = code;
  });
}
