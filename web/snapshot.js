// snapshot.js: a memory snapshot of the started Python runtime (Pyodide + numpy + micropip +
// py_nn installed + bridge.py imported), so a repeat visit restores it instead of starting again.
// Pure over a Pyodide instance: no DOM, no OPFS (snapshot-store.js keeps the bytes), no build.json.
//
// Why a workaround: Pyodide 0.27.7's own memory snapshot (`loadPyodide({_makeSnapshot: true})`,
// `pyodide.makeMemorySnapshot()`, `loadPyodide({_loadSnapshot})`) saves the main module's linear
// memory and the JS objects Python refers to (the "hiwire" table), nothing else. A runtime that
// has loaded numpy also holds, outside that memory: numpy's shared libraries (WebAssembly side
// modules, each instantiated with its data at a `__memory_base` and its functions at a
// `__table_base`), the function-table slots and GOT entries the dynamic linker filled, its list of
// loaded libraries (LDSO) and the files unpacked into site-packages. Restoring the memory alone
// leaves numpy's types pointing at table slots that hold nothing. So this module:
//   capture (first visit, right after `import bridge`):
//     - records, while packages load, every side-module instantiation and the memory and table
//       base its import object hands out (a wrapper around WebAssembly.instantiate/Instance);
//     - copies the memory with makeMemorySnapshot (garbage collector paused, so a restored
//       runtime never traverses numpy objects before their code is back), and records the table
//       slots added since start-up by name (an export of a library or of the main module, or a
//       JS function), the GOT values, LDSO's names and handles, and the files of site-packages
//       and of the bridge folder;
//   restore (repeat visit): loadPyodide({_loadSnapshot}), write the files back, re-instantiate
//     every library at its recorded addresses (then copy its memory range back, since the data
//     segments overwrite it; its constructors and data relocations are NOT run again: their
//     effects are in the memory), refill the recorded table slots and GOT values, re-register the
//     libraries in LDSO, and resume the garbage collector.
// Anything unexpected (an unknown table entry, a library with EM_ASM/EM_JS, a size mismatch, a
// bad checksum) throws: the caller then starts normally and deletes the snapshot.
//
// Internal Pyodide/Emscripten APIs this depends on (re-check them on any Pyodide upgrade; the
// Node test tests/pyodide/snapshot_roundtrip.mjs exercises all of them):
//   loadPyodide options _makeSnapshot, _loadSnapshot; pyodide.makeMemorySnapshot();
//   pyodide._module: wasmTable, GOT, GOTHandler, LDSO {loadedLibsByName, loadedLibsByHandle},
//   LDSO.loadedLibsByName.__main__.exports (= Emscripten's wasmImports), resolveGlobalSymbol,
//   mergeLibSymbols, getDylinkMetadata, setWasmTableEntry, getFunctionAddress,
//   convertJsFunctionToWasm, updateTableMap, HEAP8; pyodide._api.sitePackages;
//   pyodide.loadedPackages; Emscripten's side-module import object ({env, "GOT.mem", "GOT.func"}
//   with env.__memory_base / env.__table_base), as loadWebAssemblyModule builds it in 3.1.58.

const MAGIC = 'PYNNSNAP';
export const FORMAT = 1;
const ALIGN = 16;

const pad = (n) => Math.ceil(n / ALIGN) * ALIGN;

/** A 32-bit checksum of `parts` (Uint8Arrays whose lengths are multiples of 4), in order. */
export function checksum(parts) {
  // Fletcher-style: two running sums (a chain of additions, ~1 ns a word), not cryptographic:
  // it finds a truncated, shifted or damaged file, which is all a cache needs.
  let a = 1;
  let b = 0;
  for (const part of parts) {
    if (part.byteLength % 4 || part.byteOffset % 4) throw new Error('checksum: parts must be 4-byte aligned');
    const words = new Uint32Array(part.buffer, part.byteOffset, part.byteLength / 4);
    for (let i = 0; i < words.length; i++) {
      a = (a + words[i]) | 0;
      b = (b + a) | 0;
    }
  }
  return (Math.imul(a, 0x9e3779b1) ^ b) >>> 0;
}

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
 * Capture the runtime as one container (parts to write in order, 16-byte aligned). Call with
 * no Python running and no PyProxy held by JS beyond Pyodide's own. Returns {parts, size, info}.
 * `dirs`: folders of Pyodide's file system to keep (site-packages is always kept).
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
  const files = []; // contents by reference now (MEMFS arrays), copied by seal()
  const contents = [];
  let offset = 0;
  for (const path of paths) {
    const node = FS.lookupPath(path).node;
    const length = node.usedBytes;
    const data = node.contents ? node.contents.subarray(0, length) : new Uint8Array(0);
    files.push({ path, mode: node.mode, offset, length });
    contents.push(data);
    offset += pad(length);
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
  const memoryPadded = memory.length % ALIGN ? (() => { const m = new Uint8Array(pad(memory.length)); m.set(memory); return m; })() : memory;

  const header = {
    format: FORMAT, buildId, pyodide: pyodide.version,
    tableLength: module.wasmTable.length, initialTableLength: recording.initial.length,
    libs: libInfo.map(({ instance, ...rest }) => rest),
    slots, got, loadedPackages: loaded,
    memory: { offset: 0, length: memory.length },
    files: files.map((f) => ({ ...f, offset: f.offset + memoryPadded.length })),
  };
  const json = new TextEncoder().encode(JSON.stringify(header));
  const head = new Uint8Array(pad(16 + json.length));
  head.set(new TextEncoder().encode(MAGIC), 0);
  const view = new DataView(head.buffer);
  view.setUint32(8, json.length, true);
  head.set(json, 16);
  const parts = [head, memoryPadded, contents];
  const size = head.length + memoryPadded.length + offset;
  lap('header');
  return { parts, size, sealed: false, info: { libs: libInfo.length, files: files.length, memory: memory.length, gone: stats.gone, ms } };
}

/** Write the checksum into a captured container (~10-20 ms for 50 MB: do it after Ready). */
export function seal(captured) {
  const [head, memory, contents] = captured.parts;
  const files = new Uint8Array(captured.size - head.length - memory.length);
  let at = 0;
  for (const data of contents) {
    files.set(data, at);
    at += pad(data.length);
  }
  captured.parts = [head, memory, files];
  const sum = checksum([head.subarray(16), memory, files]);
  new DataView(head.buffer, head.byteOffset, head.byteLength).setUint32(12, sum, true);
  captured.sealed = true;
  return captured;
}

// --- parse + restore -----------------------------------------------------------------------------

/** Check and split a container (a Uint8Array with a 4-byte-aligned offset). Throws if damaged. */
export function parse(bytes, { buildId } = {}) {
  if (bytes.length < 16 || new TextDecoder().decode(bytes.subarray(0, 8)) !== MAGIC) {
    throw new Error('snapshot: not a py_nn snapshot (bad magic)');
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const jsonLength = view.getUint32(8, true);
  const expected = view.getUint32(12, true);
  if (16 + jsonLength > bytes.length || bytes.length % 4) throw new Error('snapshot: truncated');
  const headEnd = pad(16 + jsonLength);
  if (checksum([bytes.subarray(16)]) !== expected) throw new Error('snapshot: checksum mismatch (damaged file)');
  const header = JSON.parse(new TextDecoder().decode(bytes.subarray(16, 16 + jsonLength)));
  if (header.format !== FORMAT) throw new Error(`snapshot: format ${header.format}, expected ${FORMAT}`);
  if (buildId !== undefined && header.buildId !== buildId) {
    throw new Error(`snapshot: made by build ${header.buildId}, this is build ${buildId}`);
  }
  const body = bytes.subarray(headEnd);
  const memory = body.subarray(header.memory.offset, header.memory.offset + header.memory.length);
  const file = (f) => body.subarray(f.offset, f.offset + f.length);
  return { header, memory, file };
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
  for (const lib of header.libs) {
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
    const { instance } = await WebAssembly.instantiate(bytes, imports);
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
