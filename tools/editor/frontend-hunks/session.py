import sys
p = sys.argv[1]; s = open(p).read()
def rep(a, b):
    global s
    assert a in s, "MISSING: " + a[:120]
    s = s.replace(a, b, 1)
rep("//   notice    {text, kind} something the person must know that no call returned (a model that\n//             could not be restored, a model replaced from another tab, a stray worker error)\n",
    "//   notice    {text, kind} something the person must know that no call returned (a model that\n//             could not be restored, a model replaced from another tab, a stray worker error)\n"
    "//   restarted {text} Stop ended a worker that did not answer (code in an endless loop) and\n"
    "//             a new one runs with the model that was active (session-code.js)\n")
rep("import { createRpc } from './rpc.js';\n",
    "import { createRpc } from './rpc.js';\nimport { codeMethods, STOP_WAIT_MS } from './session-code.js';\n")
# fit: a code error comes back as a result
rep("      const res = await this.rpc.call('fit', { config, name: 'Trained model' }, { onProgress: progressEvents(config, onProgress) });\n",
    "      const named = config.code == null ? 'Trained model' : 'Trained with code';\n"
    "      const res = await this.rpc.call('fit', { config, name: named }, { onProgress: progressEvents(config, onProgress) });\n"
    "      if (res.codeError) throw this.codeError(res.codeError, res.output);\n")
rep("        const label = res.stopped ? 'Trained model (stopped, unsaved)' : 'Trained model (unsaved)';",
    "        const label = res.stopped ? `${named} (stopped, unsaved)` : `${named} (unsaved)`;")
rep("  async stop() {\n    if (!this.training) return { stopping: false };\n    return this.rpc.call('stop', {});\n  }\n",
    "  /** Stop a fit between batches, or a Check; a worker that does not answer within STOP_WAIT_MS\n"
    "   * (code in an endless loop) is replaced and the active model restored (session-code.js). */\n"
    "  async stop({ waitMs = STOP_WAIT_MS } = {}) {\n"
    "    if (this.checking) return this.recover('Check was stopped');\n"
    "    if (!this.training) return { stopping: false };\n"
    "    let timer;\n"
    "    const late = new Promise((resolve) => { timer = setTimeout(() => resolve(null), waitMs); });\n"
    "    const answer = await Promise.race([this.rpc.call('stop', {}).catch(() => null), late]);\n"
    "    clearTimeout(timer);\n"
    "    return answer || this.recover('Training was stopped');\n"
    "  }\n")
rep("      info = await this.rpc.call('loadJson', { json });\n    } catch (err) {\n      if (['fatal', 'busy', 'restarted', 'internal'].includes(err.kind)) throw err;",
    "      info = await this.rpc.call('loadJson', { json, trustCode: true }); // this browser's own model: its code may run\n    } catch (err) {\n      if (['fatal', 'busy', 'restarted', 'internal'].includes(err.kind)) throw err;")
rep("  async importModel(file) {", "  async importModel(file, { trustCode = false, askTrust = null } = {}) {")
rep("    let info;\n    try {\n      info = await this.rpc.call('loadJson', { json: text });\n    } catch (err) {\n      if (['fatal', 'busy', 'restarted'].includes(err.kind)) throw err;",
    "    const trusted = await this.trustFileCode(text, label, { trustCode, askTrust }); // throws when its code may not run\n"
    "    let info;\n    try {\n      info = await this.rpc.call('loadJson', { json: text, trustCode: trusted });\n    } catch (err) {\n      if (['fatal', 'busy', 'restarted'].includes(err.kind)) throw err;")
rep("function fileNameFor(name) {", "Object.assign(Session.prototype, codeMethods);\n\nfunction fileNameFor(name) {")
open(p, 'w').write(s)
