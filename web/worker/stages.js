// stages.js: the worker's start-up steps as plain functions of what they are given (the
// site's URL, the Pyodide object, the fetched bytes): build.json, the runtime, the packages, the
// py_nn wheel and the worker's Python package. Each failure is a clear error that names the file
// to blame (`fatal`); the data sets wait for the first request that needs them (datasets.js). worker.js orders them,
// reports progress and keeps what they return.

import {
  UserError, fatal, REBUILD, errorText, fetchOk, firstUnreachable, unlessUnreachable,
} from './util.js';

export const PYTHON_DIR = '/home/pyodide/pynn_python'; // on sys.path; tracebacks name PYTHON_DIR/pynn_worker/<file>.py
const WHEEL_DIR = '/tmp/pynn_wheels'; // the py_nn wheel's fetched bytes, installed from here
const PYODIDE_CORE = ['pyodide.asm.js', 'pyodide.asm.wasm', 'python_stdlib.zip', 'pyodide-lock.json'];

/** build.json, checked for the keys start-up needs. */
export async function fetchBuildInfo(site) {
  const url = new URL('build.json', site);
  const info = await (await fetchOk(url, 'build.json')).json();
  for (const key of ['datasets', 'packages', 'wheel']) {
    if (!info[key]) throw fatal(`build.json has no \`${key}\`: rebuild the site with "python3 build.py".`, url);
  }
  return info;
}

/** Start Pyodide and return it; `start(loadPyodide, options)` is loadPyodide itself or a snapshot restore. */
export async function loadRuntime(site, start = (load, options) => load(options)) {
  const indexURL = new URL('./pyodide/', site);
  const moduleURL = new URL('pyodide.mjs', indexURL);
  let mod;
  try {
    mod = await import(moduleURL.href);
  } catch (err) {
    throw fatal(`Could not load Pyodide from ${moduleURL.pathname} (${err.message}). ${REBUILD}.`, moduleURL);
  }
  const core = PYODIDE_CORE.map((name) => new URL(name, indexURL));
  const unreachable = (url) => fatal(`Pyodide cannot start: ${url.pathname} could not be fetched. Is the site still being served?`, url);
  try {
    return await unlessUnreachable(start(mod.loadPyodide, { indexURL: indexURL.href }), core, unreachable);
  } catch (err) {
    if (err instanceof UserError) throw err;
    const missing = await firstUnreachable(core);
    if (missing) throw unreachable(missing);
    throw fatal(`Pyodide failed to start: ${errorText(err)}. Reload the page; if it persists, ${REBUILD.toLowerCase()}.`);
  }
}

/** The wheel files of `names` and their dependencies, from Pyodide's lock file. */
async function packageFiles(site, names) {
  const lockURL = new URL('./pyodide/pyodide-lock.json', site);
  const { packages } = await (await fetch(lockURL)).json();
  const seen = new Set();
  const visit = (name) => {
    if (!packages[name] || seen.has(name)) return;
    seen.add(name);
    (packages[name].depends || []).forEach(visit);
  };
  names.forEach(visit);
  return [...seen].map((name) => new URL(`./pyodide/${packages[name].file_name}`, site));
}

/** pyodide.loadPackage(names); a failure names the wheel that could not be fetched, if one could not. */
export async function loadPackages(pyodide, site, names) {
  const problems = [];
  try {
    await pyodide.loadPackage(names, {
      messageCallback: () => {},
      errorCallback: (msg) => problems.push(msg),
    });
  } catch (err) {
    problems.push(errorText(err));
  }
  if (problems.length) {
    const missing = await firstUnreachable(await packageFiles(site, names).catch(() => []));
    const where = missing ? ` (${missing.pathname} could not be fetched)` : '';
    const why = problems.map((p) => String(p).trim()).join(' ');
    throw fatal(`Could not load ${names.join(', ')} into Pyodide${where}: ${why}. ${REBUILD}.`, missing);
  }
}

/** Install the py_nn wheel with micropip from the bytes fetched once (`wheelPromise`, started
 * with the other fetches): written to Pyodide's file system and installed from its emfs: path. */
/** Install the py_nn wheel with micropip from the bytes already fetched (written to Pyodide's file system). */
export async function installPyNN(pyodide, wheelURL, wheelPromise) {
  const bytes = await wheelPromise; // a missing file is a clear fatal error (fetchOk)
  const path = `${WHEEL_DIR}/${wheelURL.pathname.split('/').pop()}`; // micropip reads the name's tags
  pyodide.FS.mkdirTree(WHEEL_DIR);
  pyodide.FS.writeFile(path, bytes);
  const micropip = pyodide.pyimport('micropip');
  try {
    await micropip.install(`emfs:${path}`);
  } catch (err) {
    throw fatal(`Could not install py_nn from ${wheelURL.pathname}: ${errorText(err)}. ${REBUILD}.`, wheelURL);
  } finally {
    micropip.destroy();
  }
}

/**
 * The worker's Python (build.json's `python`: {root, package, state, files}): every file of the
 * package fetched at once → Promise<[[path relative to root, text]]>.
 */
export function fetchPythonFiles(site, python) {
  if (!python || !python.root || !python.package || !Array.isArray(python.files)) {
    return Promise.reject(fatal(`build.json has no \`python\` (the worker's Python package): ${REBUILD}.`, new URL('build.json', site)));
  }
  return Promise.all(python.files.map((name) => {
    const url = new URL(python.root + name, site);
    return fetchOk(url, `the worker's Python (${name})`).then(async (r) => [name, await r.text()]);
  }));
}

/** Write the package into Pyodide's file system, import it; return a new `python.state` object
 * (PyProxy) made from build.json's `datasets`. */
export async function importPython(pyodide, site, filesPromise, python, datasets) {
  for (const [name, text] of await filesPromise) {
    const path = `${PYTHON_DIR}/${name}`;
    pyodide.FS.mkdirTree(path.slice(0, path.lastIndexOf('/')));
    pyodide.FS.writeFile(path, text);
  }
  const sys = pyodide.pyimport('sys');
  const path = sys.path;
  if (!path.has(PYTHON_DIR)) path.insert(0, PYTHON_DIR);
  path.destroy();
  sys.destroy();
  let pkg = null;
  try {
    pkg = pyodide.pyimport(python.package);
    return pkg[python.state](JSON.stringify(datasets));
  } catch (err) {
    console.error('[pynn worker]', err.message); // the whole traceback, with the package's lines
    const url = new URL(`${python.root}${python.package}/`, site);
    throw fatal(`The worker's Python (${url.pathname}) could not start: ${errorText(err)}. ${REBUILD}.`, url);
  } finally {
    if (pkg) pkg.destroy();
  }
}
