// i18n/en/index.js: the English catalog, in two files by panel.

import start from './start.js';
import panels from './panels.js';

export default { ...start, ...panels };
