// capture.js: a memory snapshot of the started Python runtime (Pyodide + numpy + micropip +
// py_nn installed + the worker's Python package imported), so a repeat visit restores it instead of starting again.
// This file captures; restore.js restores, format.js packs and checks the
// bytes, store.js keeps them in OPFS. Pure over a Pyodide instance: no DOM, no OPFS.
//
// Why a workaround: Pyodide 0.27.7's own memory snapshot (`loadPyodide({_makeSnapshot: true})`,
// `pyodide.makeMemorySnapshot()`, `loadPyodide({_loadSnapshot})`) saves the main module's linear
// memory and the JS objects Python refers to (the "hiwire" table), nothing else. A runtime that
// has loaded numpy also holds, outside that memory: numpy's shared libraries (WebAssembly side
// modules, each instantiated with its data at a `__memory_base` and its functions at a
// `__table_base`), the function-table slots and GOT entries the dynamic linker filled, its list of
// loaded libraries (LDSO) and the files unpacked into site-packages. Restoring the memory alone
// leaves numpy's types pointing at table slots that hold nothing. So this module:
//   capture (first visit, right after `import pynn_worker`):
//     - records, while packages load, every side-module instantiation and the memory and table
//       base its import object hands out (a wrapper around WebAssembly.instantiate/Instance);
//     - copies the memory with makeMemorySnapshot (garbage collector paused, so a restored
//       runtime never traverses numpy objects before their code is back), and records the table
//       slots added since start-up by name (an export of a library or of the main module, or a
//       JS function), the GOT values, LDSO's names and handles, and the files of site-packages
//       and of the worker's Python folder;
//   restore (repeat visit): loadPyodide({_loadSnapshot}), write the files back, re-instantiate
//     every library at its recorded addresses (then copy its memory range back, since the data
//     segments overwrite it; its constructors and data relocations are NOT run again: their
//     effects are in the memory), refill the recorded table slots and GOT values, re-register the
//     libraries in LDSO, and resume the garbage collector.
// Three more things Pyodide's own snapshot refuses or misses, worked around here:
//   - "refused after loadPackage": makeMemorySnapshot checks that hiwire slot 6 still holds the
//     `{}` of start-up; it is pyodide.loadedPackages, which loadPackage fills. It is emptied for
//     the check and refilled (and put back into slot 6 on restore);
//   - JS objects Python holds that were not reached from globalThis (Pyodide's own API functions
//     micropip keeps, a finished fetch Response) cannot be saved: the API ones are saved by name
//     and restored as forwarders, the rest as placeholders that throw if ever used;
//   - `_makeSnapshot` wraps globalThis in a Proxy, and a browser function called with that Proxy
//     as `this` throws ("Illegal invocation", micropip's fetch): captureOptions() binds them.
// Anything unexpected (an unknown table entry, a library with EM_ASM/EM_JS, a size mismatch, a
// bad checksum) throws: the caller then starts normally and deletes the snapshot.
//
// Internal Pyodide/Emscripten APIs this depends on (re-check them on any Pyodide upgrade; the
// Node test tests/web/snapshot.test.mjs and tests/e2e/test_snapshot.py exercise all of them):
//   loadPyodide options _makeSnapshot, _loadSnapshot, _snapshotDeserializer, jsglobals;
//   pyodide.makeMemorySnapshot({serializer}) and its checks (hiwire slot 6 = loadedPackages,
//   module.__hiwire_get/__hiwire_set);
//   pyodide._module: wasmTable, GOT, GOTHandler, LDSO {loadedLibsByName, loadedLibsByHandle},
//   LDSO.loadedLibsByName.__main__.exports (= Emscripten's wasmImports), resolveGlobalSymbol,
//   mergeLibSymbols, getDylinkMetadata, setWasmTableEntry, getFunctionAddress,
//   convertJsFunctionToWasm, updateTableMap, HEAP8; pyodide._api.sitePackages;
//   pyodide.loadedPackages; Emscripten's side-module import object ({env, "GOT.mem", "GOT.func"}
//   with env.__memory_base / env.__table_base), as loadWebAssemblyModule builds it in 3.1.58.

// --- first visit: loadPyodide options ---------------------------------------------------------

/**
 * The loadPyodide options of a run that will be captured. `_makeSnapshot` makes Pyodide record how
 * every JS object Python holds was reached from `jsglobals` (a path such as ["fetch"]), and wraps
 * `jsglobals` in a recording Proxy; a function read through it is then called with the Proxy as
 * `this`, which a browser's own functions refuse ("Illegal invocation": micropip's fetch). So the
 * globals given here hand out those functions (no `prototype`: not classes) bound to globalThis.
 * A restored runtime resolves the paths against the real globalThis.
 */
export function captureOptions() {
  const bound = new Map();
  const globals = new Proxy(globalThis, {
    get(target, prop) {
      const value = Reflect.get(target, prop);
      if (typeof value !== 'function' || value.prototype !== undefined) return value;
      const desc = Reflect.getOwnPropertyDescriptor(target, prop);
      if (desc && desc.writable === false && !desc.configurable) return value; // a Proxy must not lie here
      if (!bound.has(value)) bound.set(value, value.bind(globalThis));
      return bound.get(value);
    },
  });
  return { _makeSnapshot: true, jsglobals: globals };
}

// --- recording side-module instantiations (first visit) ----------------------------------------

/**
 * Start recording every Emscripten side-module instantiation (numpy's libraries). Call right
 * after loadPyodide (with _makeSnapshot: true) and before loadPackage; `stop()` when done.
 * Returns {libs, stop(), tableLength} (libs in instantiation order: {memoryBase, tableBase,
 * instance}).
 */
export function startRecording(pyodide) {
  const wasm = globalThis.WebAssembly;
  const { instantiate, Instance } = wasm;
  const module = pyodide._module;
  const libs = [];
  const baseOf = (imports) => {
    const env = imports && imports['GOT.mem'] && imports.env;
    if (!env) return null;
    return { memoryBase: env.__memory_base, tableBase: env.__table_base, instance: null, module: null };
  };
  wasm.instantiate = function (source, imports, ...rest) {
    const rec = baseOf(imports);
    const promise = instantiate.call(this, source, imports, ...rest);
    if (!rec) return promise;
    libs.push(rec);
    return promise.then((result) => {
      if (result instanceof Instance) {
        rec.instance = result;
        rec.module = source;
      } else {
        rec.instance = result.instance;
        rec.module = result.module;
      }
      return result;
    });
  };
  wasm.Instance = new Proxy(Instance, {
    construct(target, args, newTarget) {
      const instance = Reflect.construct(target, args, newTarget === wasm.Instance ? target : newTarget);
      const rec = baseOf(args[1]);
      if (rec) libs.push({ ...rec, instance, module: args[0] });
      return instance;
    },
  });
  const table = module.wasmTable;
  const initial = [];
  for (let i = 0; i < table.length; i++) initial.push(table.get(i));
  return {
    libs,
    initial,
    stop() {
      wasm.instantiate = instantiate;
      wasm.Instance = Instance;
    },
  };
}

// --- the JS objects Python holds that are not reached from globalThis --------------------------

// micropip and pyodide.http keep some of Pyodide's own functions (loadPackage, loadBinaryFile,
// loadDynlibsFromPackage, abortSignalAny) and the objects they are called on. Pyodide can only
// save objects reached from globalThis, so these are saved by name and restored as forwarders to
// the new runtime's objects (set once loadPyodide returns: nothing calls them before). Anything
// else Python still holds (micropip's finished fetch Response and its methods, waiting for the
// garbage collector) is restored as a placeholder that throws if it is ever used.
function apiSerializer(pyodide, stats) {
  const roots = { api: pyodide._api, public: pyodide };
  return (value) => {
    for (const [where, root] of Object.entries(roots)) {
      if (value === root) return { where, key: null, kind: 'object' };
      for (const key of Object.getOwnPropertyNames(root)) {
        const desc = Object.getOwnPropertyDescriptor(root, key);
        if (desc && 'value' in desc && desc.value === value) return { where, key, kind: typeof value };
      }
    }
    const what = `${typeof value} ${(value && value.name) || (value && value.constructor && value.constructor.name) || ''}`.trim();
    stats.gone.push(what);
    return { gone: what, kind: typeof value };
  };
}

// --- capture -------------------------------------------------------------------------------------

function walkFiles(FS, dir, out) {
  for (const name of FS.readdir(dir)) {
    if (name === '.' || name === '..') continue;
    const path = `${dir}/${name}`;
    const { mode } = FS.lstat(path);
    if (FS.isDir(mode)) walkFiles(FS, path, out);
    else if (FS.isFile(mode)) out.push(path);
    else throw new Error(`snapshot: ${path} is neither a file nor a folder`);
  }
  return out;
}

/** Name every table slot that changed since `recording.initial` (function -> where it comes from). */
function describeTable(module, recording, libInfo) {
  const table = module.wasmTable;
  const imports = module.LDSO.loadedLibsByName.__main__.exports;
  const owners = new Map(); // function -> {lib, name} | {main: name}
  libInfo.forEach((lib, k) => {
    for (const [name, value] of Object.entries(lib.instance.exports)) {
      if (typeof value === 'function' && !owners.has(value)) owners.set(value, { lib: k, name });
    }
  });
  let mainScanned = false;
  const ownerOf = (fn) => {
    if (!owners.has(fn) && !mainScanned) {
      mainScanned = true;
      for (const [name, value] of Object.entries(imports)) {
        if (typeof value === 'function' && !owners.has(value)) owners.set(value, { main: name });
      }
    }
    return owners.get(fn);
  };
  const jsByIndex = new Map(); // table index -> import name, for JS functions wrapped by addFunction
  const own = (i) => libInfo.some((l) => i >= l.tableBase && i < l.tableBase + l.tableSize);
  const slots = [];
  for (let i = 0; i < table.length; i++) {
    const fn = table.get(i);
    if (i < recording.initial.length && fn === recording.initial[i]) continue;
    if (own(i)) continue; // filled by the library's own element segment on instantiation
    if (fn === null) {
      slots.push([i, null]);
      continue;
    }
    let owner = ownerOf(fn);
    if (!owner) {
      if (!jsByIndex.size) {
        for (const [name, value] of Object.entries(imports)) {
          if (typeof value !== 'function') continue;
          const at = module.getFunctionAddress(value);
          if (at) jsByIndex.set(at, name);
        }
      }
      const name = jsByIndex.get(i);
      if (!name) throw new Error(`snapshot: table slot ${i} holds a function of unknown origin`);
      owner = { js: name, sig: imports[name].sig || null };
    }
    slots.push([i, owner]);
  }
  return slots;
}

/** The loaded side modules: bases, sizes, file, LDSO names and handles. */
function describeLibs(pyodide, recording) {
  const module = pyodide._module;
  const { loadedLibsByName, loadedLibsByHandle } = module.LDSO;
  const dsoOf = new Map(); // an exported function -> its LDSO entry
  for (const dso of new Set(Object.values(loadedLibsByName))) {
    if (!dso || typeof dso.exports !== 'object' || dso.name === '__main__') continue;
    for (const value of Object.values(dso.exports)) if (typeof value === 'function') dsoOf.set(value, dso);
  }
  return recording.libs.map((rec, k) => {
    if (!rec.instance) throw new Error(`snapshot: library ${k} never finished instantiating`);
    const exported = Object.keys(rec.instance.exports);
    const fn = Object.values(rec.instance.exports).find((v) => typeof v === 'function' && dsoOf.has(v));
    if (!fn) throw new Error(`snapshot: library ${k} is not in LDSO`);
    const dso = dsoOf.get(fn);
    const names = Object.keys(loadedLibsByName).filter((n) => loadedLibsByName[n] === dso);
    const handles = Object.keys(loadedLibsByHandle).filter((h) => loadedLibsByHandle[h] === dso).map(Number);
    const file = names.find((n) => n.startsWith('/'));
    if (!file) throw new Error(`snapshot: library ${names[0]} has no absolute path`);
    const meta = module.getDylinkMetadata(rec.module);
    if (exported.some((n) => n.startsWith('__em_js__') || n === '__start_em_asm')) {
      throw new Error(`snapshot: ${file} uses EM_JS/EM_ASM (not supported)`);
    }
    return {
      file, names, handles, global: !!dso.global, instance: rec.instance,
      memoryBase: rec.memoryBase, tableBase: rec.tableBase,
      memorySize: meta.memorySize, tableSize: meta.tableSize, needed: meta.neededDynlibs || [],
    };
  });
}

/**
 * Capture the runtime now (synchronous: tens of ms, mostly copying the memory). Call with no
 * Python running. `dirs`: folders of Pyodide's file system to keep besides site-packages.
 * Returns {header, memory, contents, info}: format.js's pack() makes the file of it.
 */
export function capture(pyodide, recording, { buildId, dirs = [] }) {
  const module = pyodide._module;
  const FS = pyodide.FS;
  const ms = {};
  let t = performance.now();
  const lap = (name) => { const now = performance.now(); ms[name] = Math.round(now - t); t = now; };
  const libInfo = describeLibs(pyodide, recording);
  const slots = describeTable(module, recording, libInfo);
  const got = {};
  for (const [name, g] of Object.entries(module.GOT)) got[name] = g.value;
  lap('describe');

  const paths = [];
  for (const dir of [pyodide._api.sitePackages, ...dirs]) walkFiles(FS, dir, paths);
  const files = []; // contents by reference now (MEMFS arrays), copied by pack() after Ready
  const contents = [];
  for (const path of paths) {
    const node = FS.lookupPath(path).node;
    files.push({ path, mode: node.mode });
    contents.push(node.contents ? node.contents.subarray(0, node.usedBytes) : new Uint8Array(0));
  }
  lap('files');

  // Pyodide checks that hiwire slot 6 still holds the `{}` it put there at start-up: that object
  // is pyodide.loadedPackages, which loadPackage fills. Empty it for the check, then refill it.
  const stats = { gone: [] };
  const loaded = { ...pyodide.loadedPackages };
  const slot6 = module.__hiwire_get(6);
  if (slot6 !== pyodide.loadedPackages) throw new Error('snapshot: hiwire slot 6 is not loadedPackages');
  for (const key of Object.keys(loaded)) delete slot6[key];
  pyodide.runPython('import gc as _g; _g.disable(); del _g');
  let memory;
  try {
    memory = pyodide.makeMemorySnapshot({ serializer: apiSerializer(pyodide, stats) });
  } finally {
    Object.assign(slot6, loaded);
    pyodide.runPython('import gc as _g; _g.enable(); del _g');
  }
  lap('memory');
  const header = {
    buildId, pyodide: pyodide.version,
    tableLength: module.wasmTable.length, initialTableLength: recording.initial.length,
    libs: libInfo.map(({ instance, ...rest }) => rest),
    slots, got, loadedPackages: loaded, files,
  };
  lap('header');
  return { header, memory, contents, info: { libs: libInfo.length, files: files.length, memory: memory.length, gone: stats.gone, ms } };
}
