"""tools/wasm_kernel.py: build py_nn's WebAssembly SIMD kernel into a Pyodide side module.

``build_kernel(out_path)`` compiles ``py_nn/_simd/sgemm.c`` and ``py_nn/_simd/ops.c``
(freestanding C, simd128 intrinsics) into ``out_path`` (normally ``py_nn/_simd/sgemm.wasm``, git-ignored, shipped in
the wheel): an Emscripten *side module*, i.e. a wasm file whose first section is the custom
``dylink.0`` section, which is what Pyodide's ``ctypes.CDLL(path)`` (Emscripten's dlopen)
accepts. The recipe::

    clang --target=wasm32-unknown-emscripten -ffreestanding -nostdlib -fPIC -O3 -msimd128 \
          -mllvm -disable-lsr -c
    wasm-ld --experimental-pic -shared --no-entry --strip-all

The result is cached in ``.cache/wasm/`` under a hash of the source and the flags, so a
rebuild with an unchanged source is instant and needs no compiler. The toolchain comes from a
package registry: Debian's ``clang-19`` and ``lld-19`` packages (bookworm's LLVM 19, which
also builds the relaxed-SIMD variant; else its default ``clang`` and ``lld``, LLVM 14),
installed by this module when it runs as root on a machine with apt-get, or the ``ziglang`` package from PyPI (``pip install
ziglang``, which bundles clang and wasm-ld) when it is importable. Anything else fails with a
message that says how to get one. Every output is checked (:func:`verify_side_module`) before
it is used.

Command line (for a manual build): ``python3 tools/wasm_kernel.py [OUT]``.
"""
import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SOURCE = ROOT / "py_nn" / "_simd" / "sgemm.c"                 # the matrix product
SOURCES = (SOURCE, ROOT / "py_nn" / "_simd" / "ops.c")      # + the fused training passes
SIMD_IN_WHEEL = "py_nn/_simd/sgemm.wasm"           # where py_nn.kernels looks for it
DEFAULT_OUT = ROOT / SIMD_IN_WHEEL
CACHE = ROOT / ".cache" / "wasm"

# The emscripten target (not plain wasm32) is what makes clang 14 honour -fPIC; with
# -ffreestanding its own headers (wasm_simd128.h, stdint.h) need no Emscripten sysroot.
# -mllvm -disable-lsr: LLVM's loop strength reduction rewrites the kernel's constant load
# offsets into separate additions (which V8 then computes one by one); without it the
# offsets stay in the loads' immediates: measured 3-5% faster in Node 20.
CFLAGS = ["--target=wasm32-unknown-emscripten", "-ffreestanding", "-nostdlib", "-fno-builtin",
          "-fPIC", "-fvisibility=hidden", "-O3", "-msimd128", "-mllvm", "-disable-lsr"]
LDFLAGS = ["--experimental-pic", "-shared", "--no-entry", "--strip-all"]
EXPORTS = ("pynn_sgemm", "pynn_sgemm_work_size")    # what py_nn.kernels needs
# ops.c's fused passes: py_nn.fastpath uses them when present (NumPy otherwise); a fresh
# compile must export them all.
OPS_EXPORTS = ("pynn_bias_relu", "pynn_bias_rowmax", "pynn_softmax_xent", "pynn_relu_mask",
               "pynn_colsum", "pynn_add_finite")
# What a side module may ask of Pyodide's main module: its memory, its table, and the three
# globals Emscripten's loader provides. Any function import (say memset, emitted by the
# compiler for a loop) would be a libc dependency the kernel must not have.
ALLOWED_IMPORTS = {("env", "memory"), ("env", "__indirect_function_table"),
                   ("env", "__memory_base"), ("env", "__table_base"), ("env", "__stack_pointer")}
# Debian 12 has LLVM 19 next to its default 14: 19 also builds the relaxed-SIMD variant (below),
# so it is tried first; the default packages are the fallback on other releases.
APT_CHOICES = (["clang-19", "lld-19"], ["clang", "lld"])
INSTALL_HINT = ("Install a compiler for WebAssembly, then build again: as root on Debian or "
                "Ubuntu `apt-get update && apt-get install -y clang lld`; or, without root, "
                "`python3 -m pip install ziglang` into the interpreter that runs the build "
                "(.venv/bin/python).")


class WasmKernelError(RuntimeError):
    """The kernel could not be built or its output is not a usable side module."""


# ---------------------------------------------------------------- the wasm format

def _leb(data, pos):
    """Decode an unsigned LEB128 at ``pos``; return (value, next position)."""
    value = shift = 0
    while True:
        if pos >= len(data):
            raise WasmKernelError("truncated wasm file (LEB128 runs past the end)")
        byte = data[pos]
        pos += 1
        value |= (byte & 0x7F) << shift
        shift += 7
        if byte < 0x80:
            return value, pos


def _name(data, pos):
    length, pos = _leb(data, pos)
    return data[pos:pos + length].decode("utf-8", "replace"), pos + length


def _skip_limits(data, pos):
    flags, pos = _leb(data, pos)
    _, pos = _leb(data, pos)
    if flags & 1:
        _, pos = _leb(data, pos)
    return pos


def read_sections(data):
    """Parse the parts of a wasm binary a side-module check needs.

    Returns a dict: ``first_section`` (custom-section name, or the id of a standard one),
    ``imports`` [(module, name, kind)], ``exports`` [name].
    """
    if data[:4] != b"\0asm":
        raise WasmKernelError("not a WebAssembly binary (no \\0asm magic)")
    if data[4:8] != b"\x01\0\0\0":
        raise WasmKernelError(f"unsupported wasm version {data[4:8].hex()}")
    pos, first, imports, exports = 8, None, [], []
    kinds = {0: "func", 1: "table", 2: "memory", 3: "global", 4: "tag"}
    while pos < len(data):
        section_id = data[pos]
        size, body = _leb(data, pos + 1)
        end = body + size
        if first is None:
            first = _name(data, body)[0] if section_id == 0 else section_id
        if section_id == 2:                       # imports
            count, p = _leb(data, body)
            for _ in range(count):
                module, p = _name(data, p)
                field, p = _name(data, p)
                kind = data[p]
                p += 1
                if kind == 0 or kind == 4:        # function / tag: a type index
                    p = _leb(data, p + (kind == 4))[1]
                elif kind == 1:                   # table: reftype + limits
                    p = _skip_limits(data, p + 1)
                elif kind == 2:                   # memory: limits
                    p = _skip_limits(data, p)
                elif kind == 3:                   # global: valtype + mutability
                    p += 2
                else:
                    raise WasmKernelError(f"unknown import kind {kind}")
                imports.append((module, field, kinds.get(kind, str(kind))))
        elif section_id == 7:                     # exports
            count, p = _leb(data, body)
            for _ in range(count):
                field, p = _name(data, p)
                p = _leb(data, p + 1)[1]
                exports.append(field)
        pos = end
    if pos != len(data):
        raise WasmKernelError("truncated wasm file (a section runs past the end)")
    return {"first_section": first, "imports": imports, "exports": exports}


def verify_side_module(data, exports=EXPORTS):
    """Raise WasmKernelError unless ``data`` is a side module Pyodide can dlopen with our API.

    Checks: the wasm magic and version; ``dylink.0`` as the first section (what Emscripten's
    loader looks for); the exports py_nn.kernels calls; imports limited to memory, table and
    the loader's globals (no libc functions). Returns the parsed sections.
    """
    info = read_sections(data)
    if info["first_section"] != "dylink.0":
        raise WasmKernelError(
            f"expected a side module whose first section is the custom 'dylink.0' section; got "
            f"{info['first_section']!r}. Link with wasm-ld --experimental-pic -shared (LLVM 13+).")
    missing = [name for name in exports if name not in info["exports"]]
    if missing:
        raise WasmKernelError(f"the side module does not export {missing}; exports: {info['exports']}")
    unexpected = [f"{m}.{n} ({k})" for m, n, k in info["imports"] if (m, n) not in ALLOWED_IMPORTS]
    if unexpected:
        raise WasmKernelError(f"the side module imports {unexpected}; the kernel must be "
                              f"freestanding (only memory, table and loader globals)")
    return info


# ---------------------------------------------------------------- the toolchain

def _which_pair():
    """Return (clang, wasm-ld) paths found on PATH or in /usr/lib/llvm-*/bin, or None."""
    def version(bin_dir):                          # /usr/lib/llvm-14/bin -> 14
        tail = bin_dir.parent.name.partition("-")[2]
        return int(tail) if tail.isdigit() else 0

    llvm_dirs = sorted(Path("/usr/lib").glob("llvm-*/bin"), key=version, reverse=True)
    candidates = [("clang", "wasm-ld")]
    candidates += [(f"clang-{version(d)}", f"wasm-ld-{version(d)}") for d in llvm_dirs]
    for cc, ld in candidates:
        cc_path, ld_path = shutil.which(cc), shutil.which(ld)
        if cc_path and ld_path:
            return [cc_path], [ld_path], f"{cc} + {ld}"
    for bin_dir in llvm_dirs:
        if (bin_dir / "clang").exists() and (bin_dir / "wasm-ld").exists():
            return [str(bin_dir / "clang")], [str(bin_dir / "wasm-ld")], str(bin_dir)
    return None


def _ziglang():
    """Return the ziglang commands when the ``ziglang`` package is importable, else None."""
    import importlib.util

    try:
        if importlib.util.find_spec("ziglang") is None:
            return None
    except (ImportError, ValueError):
        return None
    zig = [sys.executable, "-m", "ziglang"]
    return zig + ["cc"], zig + ["wasm-ld"], "ziglang (PyPI)"


def _apt_install(log):
    """Install Debian's clang and lld when running as root with apt-get; True if it ran."""
    apt = shutil.which("apt-get")
    if not apt or not hasattr(os, "geteuid") or os.geteuid() != 0:
        return False
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")

    def apt_run(*args):
        return subprocess.run([apt, *args], env=env, stdout=subprocess.DEVNULL,
                              stderr=subprocess.PIPE, text=True)

    result = apt_run("update", "-qq")
    for packages in APT_CHOICES:
        log(f"installing a WebAssembly compiler: apt-get install -y --no-install-recommends "
            f"{' '.join(packages)}")
        result = apt_run("install", "-y", "-qq", "--no-install-recommends", *packages)
        if result.returncode == 0:
            return True
    raise WasmKernelError(f"`apt-get install {' '.join(APT_CHOICES[-1])}` failed (exit "
                          f"{result.returncode}): {result.stderr.strip()[-800:]}\n{INSTALL_HINT}")


def find_toolchain(log=print, install=True):
    """Return (cc command list, ld command list, description) for building the kernel.

    Order: clang + wasm-ld already installed (any LLVM 13+), the ``ziglang`` package, then
    Debian's packages installed with apt-get (root only, when ``install``).
    """
    found = _which_pair() or _ziglang()
    if found is None and install and _apt_install(log):
        found = _which_pair()
    if found is None:
        raise WasmKernelError("no compiler for WebAssembly found (looked for clang + wasm-ld "
                              f"on PATH and in /usr/lib/llvm-*/bin, and for ziglang). {INSTALL_HINT}")
    return found


# ---------------------------------------------------------------- the build

def source_digest(sources=SOURCES, extra_cflags=()):
    """sha256 of what determines the output: the C sources and the flags."""
    digest = hashlib.sha256()
    for source in [sources] if isinstance(sources, (str, Path)) else sources:
        digest.update(Path(source).read_bytes())
    digest.update("\0".join(CFLAGS + list(extra_cflags) + ["|"] + LDFLAGS).encode())
    return digest.hexdigest()


def _run(cmd, what):
    result = subprocess.run([str(c) for c in cmd], stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)
    if result.returncode != 0:
        raise WasmKernelError(f"{what} failed (exit {result.returncode}): "
                              f"{' '.join(str(c) for c in cmd)}\n{result.stdout.strip()}")


def compile_kernel(out_path, source=SOURCES, log=print):
    """Compile ``source`` (one C file or several) into ``out_path`` with a registry toolchain
    (no cache); return it."""
    return _compile(out_path, source, log)


def _compile(out_path, source, log, extra_cflags=(), toolchain=None):
    """compile_kernel, with extra flags and a given ``toolchain`` (as find_toolchain returns)."""
    sources = [source] if isinstance(source, (str, Path)) else list(source)
    cc, ld, name = toolchain or find_toolchain(log)
    cflags = list(CFLAGS) + list(extra_cflags)
    if name.startswith("ziglang"):                 # zig cc's spelling of the target
        cflags[0:1] = ["-target", "wasm32-freestanding"]
    with tempfile.TemporaryDirectory(prefix="pynn-wasm-") as tmp:
        objs = [Path(tmp) / f"{Path(src).stem}.o" for src in sources]
        wasm = Path(tmp) / "sgemm.wasm"
        for src, obj in zip(sources, objs):
            _run([*cc, *cflags, "-c", src, "-o", obj], f"compiling {Path(src).name} ({name})")
        _run([*ld, *LDFLAGS, "-o", wasm, *objs], f"linking the side module ({name})")
        data = wasm.read_bytes()
    verify_side_module(data, EXPORTS + OPS_EXPORTS if sources == list(SOURCES) else EXPORTS)
    _write_atomic(Path(out_path), data)
    log(f"compiled {', '.join(Path(src).name for src in sources)} with {name}: "
        f"{len(data):,} bytes")
    return Path(out_path)


def _write_atomic(path, data):
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)


def build_kernel(out_path=DEFAULT_OUT, log=print):
    """Write the verified side module to ``out_path`` (from the cache when the source and
    flags are unchanged, else compiled now and cached); return ``out_path`` as a Path."""
    out_path = Path(out_path)
    missing = [str(src) for src in SOURCES if not src.exists()]
    if missing:
        raise WasmKernelError(f"the kernel source {', '.join(missing)} is missing")
    cached = CACHE / f"sgemm-{source_digest()[:20]}.wasm"
    if cached.exists():
        try:
            verify_side_module(cached.read_bytes())
        except WasmKernelError as error:
            log(f"ignoring a bad cached kernel {cached.name}: {error}")
            cached.unlink()
    if not cached.exists():
        compile_kernel(cached, log=log)
    else:
        log(f"SIMD kernel unchanged (cache {cached.name}, {cached.stat().st_size:,} bytes)")
    if not out_path.exists() or out_path.read_bytes() != cached.read_bytes():
        _write_atomic(out_path, cached.read_bytes())
    build_relaxed(out_path.with_name(RELAXED_NAME), log)
    return out_path


# ---------------------------------------------------------------- the relaxed-SIMD variant
# The same sources with -mrelaxed-simd: sgemm.c's inner product then uses f32x4.relaxed_madd
# (a fused multiply-add in V8 on x86-64 with FMA and on ARM: about 25% faster products).
# Optional: py_nn.kernels tries it first and falls back to sgemm.wasm where the runtime cannot
# compile it (Node 20 without --experimental-wasm-relaxed-simd). It needs LLVM 16+ (earlier
# releases emit the instruction's pre-standard opcode); without one the build goes on
# without it and says so.
RELAXED_NAME = "sgemm-relaxed.wasm"
RELAXED_CFLAGS = ["-mrelaxed-simd"]
RELAXED_MIN_LLVM = 16


def _llvm_major(cc):
    """The LLVM major version of a clang command (``clang version 19.1.7`` -> 19), or 0."""
    try:
        out = subprocess.run([*cc, "--version"], capture_output=True, text=True, timeout=60).stdout
    except (OSError, subprocess.SubprocessError):
        return 0
    words = out.split()
    for before, word in zip(words, words[1:]):
        if before == "version" and word.split(".")[0].isdigit():
            return int(word.split(".")[0])
    return 0


def relaxed_toolchain():
    """(cc, ld, description) of a toolchain with LLVM 16+, or None."""
    candidates = [_which_pair(), _ziglang()]
    for bin_dir in Path("/usr/lib").glob("llvm-*/bin"):
        if (bin_dir / "clang").exists() and (bin_dir / "wasm-ld").exists():
            candidates.append(([str(bin_dir / "clang")], [str(bin_dir / "wasm-ld")], str(bin_dir)))
    for found in candidates:
        if found is not None and _llvm_major(found[0]) >= RELAXED_MIN_LLVM:
            return found
    return None


def build_relaxed(out_path, log=print):
    """Write the relaxed-SIMD variant to ``out_path`` (cached like the plain one); without an
    LLVM 16+ toolchain, or if it fails, remove a stale ``out_path`` and return None."""
    out_path = Path(out_path)
    cached = CACHE / f"sgemm-relaxed-{source_digest(extra_cflags=RELAXED_CFLAGS)[:20]}.wasm"
    try:
        if cached.exists():
            verify_side_module(cached.read_bytes(), EXPORTS + OPS_EXPORTS)
            log(f"relaxed-SIMD variant unchanged (cache {cached.name}, "
                f"{cached.stat().st_size:,} bytes)")
        else:
            toolchain = relaxed_toolchain()
            if toolchain is None:
                raise WasmKernelError(f"no LLVM {RELAXED_MIN_LLVM}+ toolchain here")
            _compile(cached, SOURCES, log, extra_cflags=RELAXED_CFLAGS, toolchain=toolchain)
    except WasmKernelError as error:
        log(f"relaxed-SIMD variant skipped ({error}); the wheel ships sgemm.wasm only")
        if cached.exists():
            cached.unlink()
        if out_path.exists():
            out_path.unlink()
        return None
    if not out_path.exists() or out_path.read_bytes() != cached.read_bytes():
        _write_atomic(out_path, cached.read_bytes())
    return out_path


if __name__ == "__main__":
    try:
        built = build_kernel(Path(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT_OUT)
    except WasmKernelError as error:
        sys.exit(f"error: {error}")
    print(built)
