// session-code.js: the session's Code-panel methods (mixed into PageSession by page-session.js): Check,
// the generated code and templates, Export as Python, whether a model file's code may run, and
// the recovery when Stop gets no answer (a new worker, the active model restored). No DOM.

/** How long Stop waits for the worker to answer before it replaces the worker. */
export const STOP_WAIT_MS = 1500;

/** A number the worker sent as text ("Infinity", "NaN": JSON has no such numbers) -> a number. */
const toNumber = (v) => (typeof v === 'string' && /^-?Infinity$|^NaN$/.test(v) ? Number(v) : v);

/** The worker's check result with its numbers as numbers (see README: pynn.checkCode). */
export function normalizeCheck(res) {
  const components = {};
  for (const [name, c] of Object.entries(res.components || {})) {
    components[name] = {
      ...c,
      maxRelError: toNumber(c.maxRelError),
      worst: (c.worst || []).map((w) => Object.fromEntries(Object.entries(w).map(([k, v]) => [k, toNumber(v)]))),
    };
  }
  const out = { ok: res.ok, components, output: res.output || '' };
  if (res.error) out.error = res.error;
  return out;
}

/** An Error for a Python error in the learner's code: `line` (or null), `output`, `traceback`. */
function codeError(error, output = '') {
  const err = new Error(error.line ? `Line ${error.line}: ${error.message}` : error.message);
  err.code = 'code';
  err.line = error.line || null;
  err.output = output;
  err.traceback = error.traceback || '';
  return err;
}

export const codeMethods = {
  codeError,

  /** Run `source` and check every derivative it defines: see README (pynn.checkCode). */
  async checkCode(source, settings) {
    if (typeof source !== 'string') throw new Error(`checkCode() expected the code as text; got ${source === null ? 'null' : typeof source}.`);
    await this.start();
    if (this.training || this.checking) throw new Error('The worker is busy (training or checking): press Stop or wait, then Check again.');
    this.checking = true;
    try {
      return normalizeCheck(await this.rpc.call('checkCode', { source, settings }));
    } finally {
      this.checking = false;
    }
  },

  /** {generated: the code for `settings`, templates: {key: {title, source}}}. */
  async codeTemplates(settings) {
    await this.start();
    return this.rpc.call('codeTemplates', { settings });
  },

  /** The text of "Export as Python" for `source` and the Train `settings`. */
  async pythonScript(source, settings) {
    await this.start();
    try {
      return (await this.rpc.call('pythonScript', { source, settings })).text;
    } catch (err) {
      if (err.kind !== 'code') throw err;
      const line = /line (\d+)/.exec(err.message);
      throw codeError({ message: err.message, line: line ? Number(line[1]) : null });
    }
  },

  /**
   * May the code a model document carries run? False when it carries none; true when
   * `trustCode` is true or `askTrust(code, {label})` resolves true. Otherwise throws: code
   * "carries-code" (nobody was asked) or "declined" (the person said no). Runs nothing.
   */
  async trustFileCode(text, label, { trustCode = false, askTrust = null } = {}) {
    await this.start();
    const { code } = await this.rpc.call('codeInfo', { json: text }).catch(() => ({ code: null }));
    if (!code) return false;
    if (trustCode === true) return true;
    if (askTrust && (await askTrust(code, { label }))) return true;
    const what = `${label} carries Python code (${code.lines} lines, sha256 ${code.sha256.slice(0, 12)}…) that rebuilds its components`;
    const err = new Error(
      askTrust
        ? `Not imported: you chose not to run the code in ${label}. Nothing ran; the page is as it was.`
        : `${what}. The code was not run and the active model is unchanged. Read the code first; to run it, import with {trustCode: true} (or use Import on the page, which shows the code and asks).`
    );
    err.code = askTrust ? 'declined' : 'carries-code';
    throw err;
  },

  /**
   * The worker did not answer (code in an endless loop): terminate it, start a new one with the
   * model that was active, and say so. Returns {stopping, restarted, message}.
   */
  async recover(what) {
    const before = this.active ? { ...this.active } : null;
    this.rpc.restart(`${what}: the Python worker did not answer (your code may never return), so it was restarted.`);
    this.checking = false;
    this.startup = null;
    let text;
    let key;
    let params;
    const whatKey = { key: what === 'Check was stopped' ? 'code.checkStopped' : 'code.trainingStopped' }; // the catalog's words for `what`
    try {
      await this.start();
      const now = this.active;
      const kept = !before || before.kind !== 'unsaved' || before.inSlot;
      text =
        `${what}: the code did not return (an endless loop?), so the Python worker was stopped and a new one started. ` +
        (kept ? `"${now.name}" is active again, as before.` : `"${before.name}" was not kept in this browser, so it is gone; "${now.name}" is active.`);
      [key, params] = kept ? ['code.restartedKept', { what: whatKey, name: now.name }] : ['code.restartedLost', { what: whatKey, lost: before.name, name: now.name }];
    } catch (err) {
      text = `${what}: the Python worker did not answer and could not be restarted (${err.message}). Press Retry.`;
      [key, params] = ['code.restartFailed', { what: whatKey, detail: err.message }];
    }
    const detail = { text, key, params };
    this.dispatchEvent(new CustomEvent('restarted', { detail }));
    this.dispatchEvent(new CustomEvent('notice', { detail: { ...detail, kind: 'error' } }));
    return { stopping: true, restarted: true, message: text, detail };
  },
};
