import sys, os
root = sys.argv[1]
def edit(name, pairs):
    p = os.path.join(root, name); s = open(p).read()
    for a, b in pairs:
        assert a in s, f"MISSING in {name}: " + a[:100]
        s = s.replace(a, b, 1)
    open(p, 'w').write(s)

edit('web/fit-progress.js', [
 ("  return (p) => {\n",
  "  return (p) => {\n    if (p.output) onProgress({ type: 'output', text: p.output }); // print() from the Code panel's code\n"),
])

edit('web/pynn.js', [
 ("//   pynn.activeModel()  ",
  "//   pynn.checkCode(source)              -> {ok, components: {name: {ok, maxRelError, shapeOk, message}}, error?}\n"
  "//   pynn.fit({..., code: source}, cb)   trains with the components the code defines\n"
  "//   pynn.importModel(file, {trustCode}) a file that carries code is refused unless trustCode: true\n"
  "//   pynn.pythonScript(source?)          -> the .py text of \"Export as Python\"\n"
  "//   pynn.activeModel()  "),
 ("export async function fit(options = {}, onProgress) {",
  "const MAX_CODE_CHARS = 200000;\n\n/** `code` as fit() and checkCode() take it: a string of at most MAX_CODE_CHARS characters. */\n"
  "function checkSource(code, what) {\n  if (typeof code !== 'string' || code.length > MAX_CODE_CHARS) {\n"
  "    throw new Error(`${what} expected the Python code as a string of at most ${MAX_CODE_CHARS} characters; got ${typeof code === 'string' ? `${code.length} characters` : code === null ? 'null' : typeof code}.`);\n"
  "  }\n  return code;\n}\n\n/** The training settings for code: fit options without `code`, checked (defaults for the rest). */\n"
  "function codeSettings(options) {\n  const { config, errors } = validateFitConfig(options);\n  if (!config) throw Object.assign(new Error(Object.values(errors).join(' ')), { fields: errors });\n  return config;\n}\n\n"
  "export async function checkCode(source, options = {}) {\n  checkSource(source, 'checkCode()');\n  await getSession().start();\n  return getSession().checkCode(source, codeSettings(options));\n}\n\n"
  "export async function pythonScript(source, options = {}) {\n  await getSession().start();\n"
  "  const code = source === undefined ? (createCodeStore(() => window.localStorage).readDraft() || '') : checkSource(source, 'pythonScript()');\n"
  "  return getSession().pythonScript(code, codeSettings(options));\n}\n\n"
  "export async function fit(options = {}, onProgress) {"),
 ("  const { config, errors } = validateFitConfig(options);\n  if (!config) {",
  "  const { code, ...rest } = options && typeof options === 'object' ? options : { options };\n"
  "  if (code !== undefined) checkSource(code, 'fit()');\n"
  "  const { config, errors } = validateFitConfig(options && typeof options === 'object' ? rest : options);\n  if (config && code !== undefined) config.code = code;\n  if (!config) {"),
 ("  importModel: (file) => getSession().importModel(file),",
  "  importModel: (file, { trustCode = false } = {}) => getSession().importModel(file, { trustCode: trustCode === true }),\n  checkCode,\n  pythonScript,"),
 ("import { saveFile } from './ui.js';", "import { saveFile } from './ui.js';\nimport { createCodeStore } from './code-store.js';"),
])

edit('web/panels/train.js', [
 ("  form.addEventListener('submit', async (e) => {\n    e.preventDefault();\n    if (session.training || session.state !== 'ready') return;\n    const { config, errors } = validateFitConfig(readForm(), session.shape);\n    const first = ui.showFieldErrors(form, errors, FIELD_IDS);\n    if (!config) {\n      ui.showMessage(`Please fix the training settings: ${Object.values(errors).join(' ')}`, 'error');\n      if (first) first.focus();\n      return;\n    }\n    const layers = layersOf(config, session.shape).join('-');",
  "  /** One training run with this panel's progress, chart and results (the Code panel's too);\n   * `onEvent(p)` sees every progress event. Resolves to the fit's result; rejects after showing why. */\n"
  "  async function runFit(config, { what = '', onEvent } = {}) {\n    const layers = layersOf(config, session.shape).join('-') + (what ? ` ${what}` : '');"),
 ("    const started = performance.now();\n    try {\n      const res = await session.fit(config, onProgress);\n      showResult(res, ((performance.now() - started) / 1000).toFixed(1));\n    } catch (err) {\n      ui.setTrainStatus('Training did not run.');\n      ui.showMessage(err.message, 'error');\n    }\n  });",
  "    const started = performance.now();\n    try {\n      const res = await session.fit(config, (p) => {\n        if (p.type !== 'output') onProgress(p);\n        if (onEvent) onEvent(p);\n      });\n      showResult(res, ((performance.now() - started) / 1000).toFixed(1));\n      return res;\n    } catch (err) {\n      ui.setTrainStatus('Training did not run.');\n      ui.showMessage(err.message, 'error');\n      throw err;\n    }\n  }\n\n"
  "  form.addEventListener('submit', async (e) => {\n    e.preventDefault();\n    if (session.training || session.state !== 'ready') return;\n    const { config, errors } = validateFitConfig(readForm(), session.shape);\n    const first = ui.showFieldErrors(form, errors, FIELD_IDS);\n    if (!config) {\n      ui.showMessage(`Please fix the training settings: ${Object.values(errors).join(' ')}`, 'error');\n      if (first) first.focus();\n      return;\n    }\n    runFit(config).catch(() => {}); // runFit showed what went wrong\n  });"),
 ("  updateButtons();\n}\n", "  updateButtons();\n  return { runFit };\n}\n"),
])

edit('web/main.js', [
 ("import { saveFile } from './ui.js';",
  "import { saveFile } from './ui.js';\nimport { mountCode } from './panels/code.js';\nimport { createCodeStore } from './code-store.js';\nimport { createTrustAsker } from './code-trust.js';"),
 ("mountTrain(session);", "const train = mountTrain(session);"),
 ("mountModels(session, { download: saveFile });",
  "const codeStore = createCodeStore(() => window.localStorage);\n"
  "mountModels(session, { download: saveFile, askTrust: createTrustAsker(codeStore) });\n"
  "mountCode(session, { train, store: codeStore, download: saveFile });"),
])

edit('web/panels/models.js', [
 ("export function mountModels(session, { download }) {", "export function mountModels(session, { download, askTrust = null }) {"),
 ("      const res = await session.importModel(file);", "      const res = await session.importModel(file, { askTrust }); // a file's code runs only if the person trusts it"),
])
