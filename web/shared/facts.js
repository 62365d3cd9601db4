// facts.js: reads build.json, the one place the build writes the facts the page relies on
// (the data sets, default model, build id, files to precache). A missing fact is an error that
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

function checkSplit(d, split) {
  const s = d[split];
  const where = `build.json "datasets" entry "${d.id}"`;
  if (!s || !Number.isInteger(s.count) || s.count < 1 || !Array.isArray(s.shards) || !s.shards.length) {
    throw new FactsError(`${where} needs "${split}": {count >= 1, shards: [{url, count}]}; got ${JSON.stringify(s)}. ${REBUILD}`);
  }
  if (s.shards.reduce((sum, x) => sum + x.count, 0) !== s.count || s.shards.some((x) => typeof x.url !== 'string')) {
    throw new FactsError(`${where}: the "${split}" shards do not add up to ${s.count} samples. ${REBUILD}`);
  }
}

/**
 * Check a parsed build.json. Returns it as is when it holds every fact the page reads:
 *   datasets  [{id, name, classes (>= 2 names), side, train/test: {count, shards: [{url, count}]},
 *             model, ...}], every one with the same side
 *   build_id  a non-empty string
 *   precache  a list of site-relative file names
 * Throws FactsError naming the first missing or wrong fact.
 */
export function checkFacts(build) {
  if (!build || typeof build !== 'object' || Array.isArray(build)) {
    throw new FactsError(`build.json is not a JSON object. ${REBUILD}`);
  }
  const datasets = build.datasets;
  if (!Array.isArray(datasets) || !datasets.length) {
    throw new FactsError(`build.json has no "datasets" (the data sets and their files): the site was built by an older build. ${REBUILD}`);
  }
  for (const d of datasets) {
    if (!d || typeof d.id !== 'string' || !Array.isArray(d.classes) || d.classes.length < 2 || typeof d.model !== 'string') {
      throw new FactsError(`build.json "datasets" has an entry without an id, class names or a model: ${JSON.stringify(d).slice(0, 120)}. ${REBUILD}`);
    }
    if (!Number.isInteger(d.side) || d.side < 1 || d.side !== datasets[0].side) {
      throw new FactsError(`build.json "datasets" entry "${d.id}" has side ${JSON.stringify(d.side)}; every data set needs the same whole number (the pad draws one size). ${REBUILD}`);
    }
    checkSplit(d, 'train');
    checkSplit(d, 'test');
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
