// sw.js: offline support. Registered by main.js as sw.js?build=<build_id> (relative URL, so its
// scope is the site's folder, also under a sub-path) once the page is ready.
//
// - install: precache every file build.json lists in "precache" (what Ready and predict need)
//   into a cache named after the build id, so drawing and predicting work offline after the first
//   visit; a rebuilt site has a new build id, hence a new service worker URL and a new cache. The
//   page fetched these files moments ago and the host sends validators with no-cache, so each
//   request revalidates against the HTTP cache: a 304, no second download;
// - activate: delete the caches of this folder's other builds;
// - fetch: `.wasm` is network-first (Chromium keeps its compiled-wasm code cache only for
//   responses from the network/HTTP cache, not from Cache Storage), Cache Storage only when the
//   network fails; Pyodide's other pinned files (pyodide/*) are served cache-first; everything
//   else is network-first (a rebuilt site is picked up at once) and falls back to the cache
//   offline. A successful same-origin GET missing from the cache is added to it: so the files
//   loaded on first use (the data sets' shards, Chart.js, CodeMirror) work offline after that first use.

const SCOPE = new URL('./', self.location).href;
const BUILD_ID = new URL(self.location).searchParams.get('build') || 'unknown';
const PREFIX = 'pynn-site-';
const CACHE = PREFIX + BUILD_ID;

async function precacheList() {
  const res = await fetch(new URL('build.json', SCOPE), { cache: 'no-cache' });
  if (!res.ok) throw new Error(`build.json answered HTTP ${res.status}`);
  const build = await res.json();
  if (build.build_id !== BUILD_ID) {
    // the site was rebuilt since the page registered this worker: the page registers the new one
    throw new Error(`build.json is build ${build.build_id}, this service worker is for ${BUILD_ID}`);
  }
  if (!Array.isArray(build.precache)) throw new Error('build.json has no "precache" list: rebuild the site');
  return build.precache;
}

self.addEventListener('install', (event) => {
  event.waitUntil(
    (async () => {
      const files = await precacheList();
      const cache = await caches.open(CACHE);
      // one by one, so a single missing file does not cancel the rest; 'no-cache' revalidates the
      // copy the page just put in the HTTP cache (a 304). index.html is fetched as the folder URL
      // the page was opened with, so it is revalidated too rather than downloaded again.
      const add = async (f) => {
        const url = new URL(f, SCOPE);
        const res = await fetch(new Request(f === 'index.html' ? SCOPE : url, { cache: 'no-cache' }));
        if (!res.ok) throw new Error(`${url.pathname} answered HTTP ${res.status}`);
        await cache.put(url, res);
      };
      await Promise.all(files.map((f) => add(f).catch(() => undefined)));
      await self.skipWaiting();
    })()
  );
});

self.addEventListener('activate', (event) => {
  event.waitUntil(
    (async () => {
      // only this folder's older builds: a published copy of the site in another folder of the
      // same origin (share/publish.js) keeps its own cache (each precache holds its build.json)
      const mine = new URL('build.json', SCOPE).href;
      for (const key of await caches.keys()) {
        if (key.startsWith(PREFIX) && key !== CACHE && (await (await caches.open(key)).match(mine))) await caches.delete(key);
      }
      // the navigation's request starts while this worker boots (the fetch handler uses it)
      if (self.registration.navigationPreload) await self.registration.navigationPreload.enable().catch(() => undefined);
      await self.clients.claim();
    })()
  );
});

function isPinned(url) {
  return url.href.startsWith(new URL('pyodide/', SCOPE).href) && !url.pathname.endsWith('.wasm');
}

/** Keep `res` for offline use if this build's cache lacks it (a build's files never change). */
async function keepIfMissing(req, res) {
  const cache = await caches.open(CACHE);
  if (!(await cache.match(req, { ignoreSearch: true }))) await cache.put(req, res);
}

/** This build's cached copy of `req` (the index page for a navigation), or undefined. */
async function cached(req) {
  const cache = await caches.open(CACHE);
  const hit = await cache.match(req, { ignoreSearch: true });
  if (hit || req.mode !== 'navigate') return hit;
  return cache.match(new URL('index.html', SCOPE).href);
}

self.addEventListener('fetch', (event) => {
  const req = event.request;
  if (req.method !== 'GET') return;
  const url = new URL(req.url);
  if (url.origin !== self.location.origin || !url.href.startsWith(SCOPE)) return;
  event.respondWith(
    (async () => {
      if (isPinned(url)) {
        const hit = await cached(req);
        if (hit) return hit;
      }
      // Network first, and Cache Storage off its path: a repeat visit's ~40 requests each
      // waited for a cache lookup before, measured ~450 ms of a 1.25 s Ready (0.80 s without
      // the service worker). The navigation itself was already requested while this worker
      // started (navigation preload).
      try {
        const res = (req.mode === 'navigate' && (await event.preloadResponse)) || (await fetch(req));
        if (res.ok && res.type === 'basic') event.waitUntil(keepIfMissing(req, res.clone()).catch(() => undefined));
        return res;
      } catch (err) {
        const hit = await cached(req);
        if (hit) return hit;
        throw err;
      }
    })()
  );
});
