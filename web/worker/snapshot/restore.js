// restore.js: start Pyodide from a start-up snapshot (what is in one and why: the header
// of capture.js; the file: format.js). Pure over pyodide.mjs's loadPyodide: no OPFS.
//
// Restoring: loadPyodide({_loadSnapshot}) puts the main memory back; then the kept files are
// written back, every side module is instantiated again at its recorded memory and table base
// (its data segments overwrite its saved state, so that memory range is copied back; its
// constructors and data relocations are not run again: their effects are in the memory), the
// recorded table slots and GOT values are refilled, the libraries go back into LDSO, and the
// garbage collector (paused in the snapshot) resumes. Anything that does not match throws.

/**
 * The JS objects saved by name (capture.js apiSerializer) as forwarders to the new runtime's
 * objects (`target.pyodide`, set when loadPyodide returns: nothing calls them before), and the
 * ones Python no longer uses as placeholders that throw if they are ever used.
 */
function apiDeserializer(target) {
  return ({ where, key, kind, gone }) => {
    if (gone !== undefined) {
      const fail = () => {
        throw new Error(`this JavaScript object (${gone}) did not survive the page reload (start-up snapshot)`);
      };
      return kind === 'function' ? fail : new Proxy({}, { get: fail, set: fail, has: fail });
    }
    const root = () => (where === 'api' ? target.pyodide._api : target.pyodide);
    const real = () => (key === null ? root() : root()[key]);
    if (kind === 'function') return function forward(...args) { return root()[key](...args); };
    return new Proxy({}, {
      get: (_, k) => Reflect.get(real(), k),
      set: (_, k, v) => Reflect.set(real(), k, v),
      has: (_, k) => Reflect.has(real(), k),
      ownKeys: () => Reflect.ownKeys(real()),
      getOwnPropertyDescriptor: (_, k) => {
        const d = Reflect.getOwnPropertyDescriptor(real(), k);
        return d && { ...d, configurable: true };
      },
    });
  };
}

/** The import object Emscripten's loadWebAssemblyModule builds, with the recorded bases. */
function importsFor(module, lib, localScope, exportsOf) {
  const wasmImports = module.LDSO.loadedLibsByName.__main__.exports;
  const resolve = (sym) => module.resolveGlobalSymbol(sym).sym || localScope[sym] || exportsOf()[sym];
  const env = new Proxy({}, {
    get(stubs, prop) {
      if (prop === '__memory_base') return lib.memoryBase;
      if (prop === '__table_base') return lib.tableBase;
      if (prop in wasmImports && !wasmImports[prop].stub) return wasmImports[prop];
      if (!(prop in stubs)) {
        let resolved;
        stubs[prop] = (...args) => {
          resolved ||= resolve(prop);
          if (!resolved) throw new Error(`Dynamic linking error: cannot resolve symbol ${prop}`);
          return resolved(...args);
        };
      }
      return stubs[prop];
    },
  });
  return {
    'GOT.mem': new Proxy({}, module.GOTHandler),
    'GOT.func': new Proxy({}, module.GOTHandler),
    env,
    wasi_snapshot_preview1: env,
  };
}

/**
 * Start Pyodide from a parsed snapshot (or a Promise of one: it is awaited while Pyodide's files
 * load): `loadPyodide` is pyodide.mjs's, `options` its usual options (indexURL...). Returns the
 * ready pyodide; throws if anything does not match.
 */
export async function restore(loadPyodide, parsedOrPromise, options = {}) {
  const t0 = performance.now();
  const target = { pyodide: null };
  const pending = Promise.resolve(parsedOrPromise);
  // compile the libraries while Pyodide loads (background threads; instantiated in order below)
  const compiled = pending.then(({ header, file }) => header.libs.map((lib) => {
    const entry = header.files.find((f) => f.path === lib.file);
    const promise = entry ? WebAssembly.compile(file(entry)) : Promise.reject(new Error(`snapshot: ${lib.file} is not among the kept files`));
    promise.catch(() => {}); // awaited below
    return promise;
  }));
  compiled.catch(() => {});
  const pyodide = await loadPyodide({
    ...options, _loadSnapshot: pending.then((p) => p.memory), _snapshotDeserializer: apiDeserializer(target),
  });
  target.pyodide = pyodide;
  const { header, memory, file } = await pending;
  const t1 = performance.now();
  if (pyodide.version !== header.pyodide) throw new Error(`snapshot: Pyodide ${header.pyodide}, this is ${pyodide.version}`);
  const module = pyodide._module;
  const FS = pyodide.FS;
  const table = module.wasmTable;
  if (table.length !== header.initialTableLength) {
    throw new Error(`snapshot: the fresh table has ${table.length} slots, the snapshot expects ${header.initialTableLength}`);
  }
  const bytesOf = new Map();
  for (const f of header.files) {
    const data = file(f);
    FS.mkdirTree(f.path.slice(0, f.path.lastIndexOf('/')));
    FS.writeFile(f.path, data);
    FS.chmod(f.path, f.mode & 0o7777);
    bytesOf.set(f.path, data);
  }
  table.grow(header.tableLength - table.length);
  const { GOT, LDSO } = module;
  const heap = memory.subarray(new DataView(memory.buffer, memory.byteOffset, 8).getUint32(4, true)); // after Pyodide's header
  const dsos = [];
  const byName = new Map();
  const modules = await compiled;
  for (const [k, lib] of header.libs.entries()) {
    const bytes = bytesOf.get(lib.file);
    if (!bytes) throw new Error(`snapshot: ${lib.file} is not among the kept files`);
    const meta = module.getDylinkMetadata(bytes);
    if (meta.memorySize !== lib.memorySize || meta.tableSize !== lib.tableSize) throw new Error(`snapshot: ${lib.file} changed`);
    const localScope = {};
    for (const name of lib.needed) {
      const dep = byName.get(name);
      if (dep && !dep.global) Object.assign(localScope, dep.exports);
    }
    let exports = null;
    const imports = importsFor(module, lib, localScope, () => exports);
    const instance = await WebAssembly.instantiate(await modules[k], imports);
    // the data segments were just written over the saved state of this library: put it back
    module.HEAP8.set(heap.subarray(lib.memoryBase, lib.memoryBase + lib.memorySize), lib.memoryBase);
    exports = {};
    for (const [name, value] of Object.entries(instance.exports)) {
      let v = typeof value === 'object' ? value.value : value;
      if (typeof v === 'number') v += lib.memoryBase;
      exports[name] = v;
    }
    if (!lib.global) Object.assign(localScope, exports);
    const dso = { refcount: Infinity, name: lib.names[0], exports, global: lib.global, instance };
    for (const name of lib.names) {
      LDSO.loadedLibsByName[name] = dso;
      byName.set(name, dso);
    }
    for (const h of lib.handles) LDSO.loadedLibsByHandle[h] = dso;
    if (lib.global) module.mergeLibSymbols(exports, lib.names[0]);
    dsos.push(dso);
  }
  const imports = LDSO.loadedLibsByName.__main__.exports;
  for (const [i, owner] of header.slots) {
    let fn = null;
    if (owner && 'lib' in owner) fn = dsos[owner.lib].instance.exports[owner.name];
    else if (owner && 'main' in owner) fn = imports[owner.main];
    else if (owner && 'js' in owner) fn = module.convertJsFunctionToWasm(imports[owner.js], owner.sig);
    if (owner && typeof fn !== 'function') throw new Error(`snapshot: cannot refill table slot ${i}`);
    module.setWasmTableEntry(i, fn);
  }
  for (const [name, value] of Object.entries(header.got)) {
    GOT[name] ||= new WebAssembly.Global({ value: 'i32', mutable: true });
    GOT[name].value = value;
  }
  module.updateTableMap(0, table.length);
  Object.assign(pyodide.loadedPackages, header.loadedPackages);
  if (module.__hiwire_set(6, pyodide.loadedPackages) < 0) throw new Error('snapshot: cannot refill hiwire slot 6');
  pyodide.runPython('import gc as _g; _g.enable(); del _g');
  restore.ms = { loadPyodide: Math.round(t1 - t0), libraries: Math.round(performance.now() - t1) };
  return pyodide;
}
