// share/model-param.js: ?model=models/mine.json, a model file on this site made the active model
// once the page is ready: a same-origin path only (connect-src 'self' stays), validated like an
// import (py_nn's from_json in the worker, then the page's shape rule), and a file that carries
// code runs it only after the trust dialog (code-trust.js). Any problem leaves the model as it was.

const SCHEME_RE = /^[a-z][a-z0-9+.-]*:/i;
const KEEP = 'The model that was active stays active.';

/** The ?model= value of `search`, or null. */
export const modelParam = (search = location.search) => new URLSearchParams(search).get('model');

/** The URL of a ?model= value on this site (the folder of `base`), or throws an Error saying why not. */
export function modelUrl(value, base = document.baseURI) {
  const site = new URL('./', base);
  const example = 'e.g. ?model=models/mine.json, a file next to index.html';
  if (typeof value !== 'string' || !value.trim()) throw new Error(`?model= needs the path of a model file on this site (${example}); got nothing. ${KEEP}`);
  if (SCHEME_RE.test(value) || /^[/\\]{2}/.test(value)) {
    throw new Error(`?model= takes a path on this site only (${example}); got ${JSON.stringify(value.slice(0, 80))}, an address on another site. Put the file beside index.html and name its path. ${KEEP}`);
  }
  const url = new URL(value, site);
  if (url.origin !== site.origin || !url.href.startsWith(site.href)) {
    throw new Error(`?model= takes a path inside this site's folder (${site.pathname}); ${JSON.stringify(value.slice(0, 80))} points outside it. ${KEEP}`);
  }
  return url;
}

/**
 * Make the ?model= file the active model: {name, layers} or throws an Error whose message says
 * what went wrong (missing, not a model, code declined). `askTrust` as for session.importModel.
 */
export async function loadModelParam(session, value, { askTrust, fetchFn = fetch } = {}) {
  const url = modelUrl(value);
  let res;
  try {
    res = await fetchFn(url.href, { cache: 'no-cache' });
  } catch (err) {
    throw new Error(`?model=${value}: the file could not be fetched (${err.message}; offline?). ${KEEP}`);
  }
  if (!res.ok) throw new Error(`?model=${value}: no such file on this site (${url.pathname} answered HTTP ${res.status}). Check the path; ${KEEP.toLowerCase()}`);
  const name = url.pathname.split('/').pop() || 'model.json';
  const file = new File([await res.blob()], name, { type: 'application/json' });
  try {
    return await session.importModel(file, { askTrust });
  } catch (err) {
    throw new Error(`?model=${value}: ${err.message}`);
  }
}
