// i18n/es/index.js: the Spanish catalog, in three files by panel.

import start from './start.js';
import panels from './panels.js';
import a11y from './a11y.js';

export default { ...start, ...panels, ...a11y };
