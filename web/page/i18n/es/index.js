// i18n/es/index.js: the Spanish catalog, in two files by panel.

import start from './start.js';
import panels from './panels.js';

export default { ...start, ...panels };
