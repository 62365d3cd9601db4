// sw.js: offline support. Registered by app.js (relative URL, so its scope is the site's folder,
// also under a sub-path) once the page is ready.
//
// - install: precache every file the page needs (the list comes from build.json and
//   pyodide/pyodide-lock.json), so the site works offline after the first visit;
// - fetch: Pyodide's pinned files (pyodide/*) are served cache-first; everything else is
//   network-first (a rebuilt site is picked up at once) and falls back to the cache offline.
//   Every successful same-origin GET refreshes the cache.

const CACHE = 'pynn-site-v1';
const SCOPE = new URL('./', self.location).href;
const CORE = [
  './',
  'index.html',
  'style.css',
  'app.js',
  'ui.js',
  'pynn.js',
  'worker.js',
  'storage.js',
  'draw.js',
  'plot.js',
  'vendor/chart.umd.min.js',
  'build.json',
  'pyodide/pyodide.mjs',
  'pyodide/pyodide.asm.js',
  'pyodide/pyodide.asm.wasm',
  'pyodide/python_stdlib.zip',
  'pyodide/pyodide-lock.json',
];

async function siteFiles() {
  const files = new Set(CORE);
  try {
    const build = await (await fetch('build.json', { cache: 'no-cache' })).json();
    for (const key of ['wheel', 'model', 'data']) if (build[key]) files.add(build[key]);
    const dataDir = new URL(build.data || 'data/mnist.json', SCOPE);
    files.add(new URL('mnist-images.u8', dataDir).href);
    files.add(new URL('mnist-labels.u8', dataDir).href);
  } catch (_) {
    /* precache what we can; the fetch handler still caches at run time */
  }
  try {
    const lock = await (await fetch('pyodide/pyodide-lock.json')).json();
    for (const name of ['numpy', 'micropip', 'packaging']) {
      const pkg = lock.packages && lock.packages[name];
      if (pkg && pkg.file_name) files.add(`pyodide/${pkg.file_name}`);
    }
  } catch (_) {
    /* idem */
  }
  return [...files];
}

self.addEventListener('install', (event) => {
  event.waitUntil(
    (async () => {
      const cache = await caches.open(CACHE);
      const files = await siteFiles();
      // one by one, so a single missing file does not cancel the rest
      await Promise.all(
        files.map((f) =>
          cache.add(new Request(new URL(f, SCOPE), { cache: 'no-cache' })).catch(() => undefined)
        )
      );
      await self.skipWaiting();
    })()
  );
});

self.addEventListener('activate', (event) => {
  event.waitUntil(
    (async () => {
      for (const key of await caches.keys()) {
        if (key.startsWith('pynn-site-') && key !== CACHE) await caches.delete(key);
      }
      await self.clients.claim();
    })()
  );
});

function isPinned(url) {
  return url.href.startsWith(new URL('pyodide/', SCOPE).href);
}

self.addEventListener('fetch', (event) => {
  const req = event.request;
  if (req.method !== 'GET') return;
  const url = new URL(req.url);
  if (url.origin !== self.location.origin || !url.href.startsWith(SCOPE)) return;
  event.respondWith(
    (async () => {
      const cache = await caches.open(CACHE);
      if (isPinned(url)) {
        const hit = await cache.match(req, { ignoreSearch: true });
        if (hit) return hit;
      }
      try {
        const res = await fetch(req);
        if (res.ok && res.type === 'basic') cache.put(req, res.clone()).catch(() => undefined);
        return res;
      } catch (err) {
        const hit = await cache.match(req, { ignoreSearch: true });
        if (hit) return hit;
        if (req.mode === 'navigate') {
          const index = await cache.match(new URL('index.html', SCOPE).href);
          if (index) return index;
        }
        throw err;
      }
    })()
  );
});
