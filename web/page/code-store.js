// code-store.js: what the Code panel keeps in localStorage, and nothing else:
//
//   pynn.code         the code in the editor, as typed: {"source": "...", "savedAt": ISO time}
//   pynn.trustedCode  the SHA-256 hashes (hex) of model-file code the person chose to trust:
//                     ["<64 hex>", ...], newest last, at most MAX_TRUSTED
//
// A failed write (storage full or blocked) returns false and changes nothing; reads of a missing
// or damaged value return the empty value. Models themselves are storage.js's.

export const CODE_KEY = 'pynn.code';
export const TRUST_KEY = 'pynn.trustedCode';
export const MAX_TRUSTED = 200;
const HASH_RE = /^[0-9a-f]{64}$/;

/** A store over a Web Storage object returned by `getBackend()` (which may throw when blocked). */
export function createCodeStore(getBackend = () => globalThis.localStorage) {
  function backend() {
    try {
      return getBackend() || null;
    } catch (_) {
      return null;
    }
  }

  function read(key) {
    const ls = backend();
    if (!ls) return null;
    try {
      return JSON.parse(ls.getItem(key));
    } catch (_) {
      return null;
    }
  }

  function write(key, value) {
    const ls = backend();
    if (!ls) return false;
    try {
      ls.setItem(key, JSON.stringify(value));
      return true;
    } catch (_) {
      return false;
    }
  }

  function trusted() {
    const list = read(TRUST_KEY);
    return Array.isArray(list) ? list.filter((h) => typeof h === 'string' && HASH_RE.test(h)) : [];
  }

  return {
    /** The kept code, or null when none is kept. */
    readDraft() {
      const v = read(CODE_KEY);
      return v && typeof v.source === 'string' ? v.source : null;
    },
    writeDraft: (source) => write(CODE_KEY, { source: String(source), savedAt: new Date().toISOString() }),
    clearDraft() {
      const ls = backend();
      if (ls) ls.removeItem(CODE_KEY);
    },
    isTrusted: (hash) => HASH_RE.test(hash) && trusted().includes(hash),
    /** Remember `hash` as trusted; false if it is not a SHA-256 hex string or cannot be stored. */
    trust(hash) {
      if (!HASH_RE.test(hash)) return false;
      const list = trusted().filter((h) => h !== hash);
      list.push(hash);
      return write(TRUST_KEY, list.slice(-MAX_TRUSTED));
    },
  };
}
