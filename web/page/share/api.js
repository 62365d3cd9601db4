// share/api.js: window.pynn's share calls (pynn.js imports this module on first use):
//   pynn.lessonLink({code = true, panels, open})  -> the lesson link (a URL string) of the page now
//   pynn.publishSite({title, panels, lesson})     -> a zip File of the site, the active model its default
// lesson: a lesson link (or its hash), true for the page's own lesson now, or null / left out.

import { lessonLink as makeLink } from './lesson.js';
import { publishSite as makeZip } from './publish.js';
import { readLayout } from './layout.js';

export async function lessonLink(session, options = {}) {
  if (options === null || typeof options !== 'object' || Array.isArray(options)) {
    throw new Error(`lessonLink() expected an options object like {code: false}; got ${JSON.stringify(options)}.`);
  }
  await session.start();
  return makeLink(session, options);
}

export async function publishSite(session, options = {}, onProgress) {
  if (options === null || typeof options !== 'object' || Array.isArray(options)) {
    throw new Error(`publishSite() expected an options object like {title: "My digits"}; got ${JSON.stringify(options)}.`);
  }
  await session.start();
  const lesson = options.lesson === true ? await makeLink(session) : options.lesson;
  const current = { title: document.title, panels: readLayout().panels };
  return makeZip(session, { ...options, lesson }, current, onProgress);
}
