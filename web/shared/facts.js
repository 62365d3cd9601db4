// facts.js: reads build.json, the one place the build writes the facts the page relies on
// (data shape, default model, build id, files to precache). A missing fact is an error that
// says to rebuild the site; nothing here falls back to a number of its own.

export class FactsError extends Error {
  constructor(message) {
    super(message);
    this.name = 'FactsError';
    this.kind = 'fatal';
    this.file = 'build.json';
  }
}

const REBUILD = 'Rebuild the site with "python3 build.py" and serve the site/ folder.';
const SHAPE_KEYS = ['side', 'inputs', 'classes', 'train', 'test'];

/**
 * Check a parsed build.json. Returns it as is when it holds every fact the page reads:
 *   shape     {side, inputs (= side * side), classes, train, test}: whole numbers >= 1
 *   build_id  a non-empty string
 *   precache  a list of site-relative file names
 * Throws FactsError naming the first missing or wrong fact.
 */
export function checkFacts(build) {
  if (!build || typeof build !== 'object' || Array.isArray(build)) {
    throw new FactsError(`build.json is not a JSON object. ${REBUILD}`);
  }
  const shape = build.shape;
  if (!shape || typeof shape !== 'object') {
    throw new FactsError(`build.json has no "shape" (the digit size and counts): the site was built by an older build. ${REBUILD}`);
  }
  for (const key of SHAPE_KEYS) {
    if (!Number.isInteger(shape[key]) || shape[key] < 1) {
      throw new FactsError(`build.json "shape.${key}" should be a whole number >= 1; got ${JSON.stringify(shape[key])}. ${REBUILD}`);
    }
  }
  if (shape.inputs !== shape.side * shape.side) {
    throw new FactsError(`build.json "shape" says ${shape.inputs} inputs for ${shape.side}x${shape.side} pixels. ${REBUILD}`);
  }
  if (typeof build.build_id !== 'string' || !build.build_id) {
    throw new FactsError(`build.json has no "build_id". ${REBUILD}`);
  }
  if (!Array.isArray(build.precache) || build.precache.some((f) => typeof f !== 'string')) {
    throw new FactsError(`build.json has no "precache" list of files. ${REBUILD}`);
  }
  return build;
}

/** Fetch and check build.json next to `baseUrl` with `fetchFn` (window.fetch in the page). */
export async function loadFacts(fetchFn, baseUrl) {
  const url = new URL('build.json', baseUrl);
  let res;
  try {
    res = await fetchFn(url.href, { cache: 'no-cache' });
  } catch (err) {
    throw new FactsError(`Could not fetch build.json (${url.pathname}): ${err.message}. Is the site still being served?`);
  }
  if (!res.ok) throw new FactsError(`Could not fetch build.json: ${url.pathname} answered HTTP ${res.status}. ${REBUILD}`);
  let build;
  try {
    build = await res.json();
  } catch (err) {
    throw new FactsError(`build.json is not valid JSON (${err.message}). ${REBUILD}`);
  }
  return checkFacts(build);
}
