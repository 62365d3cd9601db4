// util.js: the worker's plain helpers (no Pyodide, no state): its error type, the text of a
// Python error, fetches that name the file that failed, gunzip, and a yield to the event loop.

export const REBUILD = 'Rebuild the site with "python3 build.py"';

export class UserError extends Error {
  constructor(message, kind = 'user', file = undefined) {
    super(message);
    this.kind = kind;
    this.file = file;
  }
}

/** A start-up failure; `url` is the file to blame (shown as its path), if one is. */
export const fatal = (message, url) => new UserError(message, 'fatal', url ? new URL(url).pathname : undefined);

// --- helpers ---------------------------------------------------------------------------------

/** Last line of a Python traceback ("ValueError: ..."), or the JS message. */
export function errorText(err) {
  const text = (err && err.message) || String(err);
  if (err && err.type && /Traceback/.test(text)) {
    const lines = text.trim().split('\n').filter((l) => l.trim());
    return lines[lines.length - 1].trim();
  }
  return text;
}

export function stripPythonType(text) {
  // "py_nn.serialization.ModelFormatError: msg." -> "msg" (the caller adds its own sentence end)
  return text.replace(/^(?:[A-Za-z_][\w]*\.)*[A-Za-z_]\w*(?:Error|Exception):\s*/, '').replace(/[.\s]+$/, '');
}

export async function fetchOk(url, what) {
  let res;
  try {
    res = await fetch(url);
  } catch (err) {
    throw fatal(`Could not fetch ${what} (${url.pathname}): ${err.message}. Is the site still being served?`, url);
  }
  if (!res.ok) {
    throw fatal(`Could not fetch ${what}: ${url.pathname} answered HTTP ${res.status}. ${REBUILD} and serve the site/ folder.`, url);
  }
  return res;
}

/** The first of `urls` that cannot be fetched (to name the file behind a failed stage), or null. */
export async function firstUnreachable(urls) {
  for (const url of urls) {
    try {
      const res = await fetch(url, { method: 'HEAD', cache: 'no-store' });
      if (!res.ok) return url;
    } catch (_) {
      return url;
    }
  }
  return null;
}

/**
 * Settle with `promise`, unless one of `urls` cannot be fetched while it is pending: then fail with
 * `failure(url)`. Pyodide 0.27's loadPyodide never settles when its wasm cannot be fetched (it only
 * logs "wasm instantiation failed!"), so the runtime stage checks its files every few seconds.
 */
export async function unlessUnreachable(promise, urls, failure, everyMs = 4000) {
  let timer = null;
  let settled = false;
  const watchdog = new Promise((_, reject) => {
    const check = async () => {
      const missing = await firstUnreachable(urls);
      if (settled) return;
      if (missing) reject(failure(missing));
      else timer = setTimeout(check, everyMs);
    };
    timer = setTimeout(check, everyMs);
  });
  try {
    return await Promise.race([promise, watchdog]);
  } finally {
    settled = true;
    clearTimeout(timer);
  }
}

/**
 * `buffer` (an ArrayBuffer) gunzipped with the native DecompressionStream, as a Uint8Array.
 * Bytes that do not start with the gzip magic (a host that sent the file with
 * Content-Encoding: gzip, already decoded by fetch) are returned as they are.
 */
export async function gunzip(buffer) {
  const bytes = new Uint8Array(buffer);
  if (bytes[0] !== 0x1f || bytes[1] !== 0x8b) return bytes;
  const stream = new Blob([bytes]).stream().pipeThrough(new DecompressionStream('gzip'));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

// Yield to the event loop so queued messages ("stop", "predict") are handled between slices.
// A MessageChannel round trip is not clamped like nested setTimeout calls.
export function yieldToEventLoop() {
  return new Promise((resolve) => {
    const ch = new MessageChannel();
    ch.port1.onmessage = () => {
      ch.port1.close();
      resolve();
    };
    ch.port2.postMessage(0);
  });
}

