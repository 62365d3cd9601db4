"""tools/wasm_kernel.py: the side-module checker, the toolchain search, the cache, a real build."""
import pytest

from tools import wasm_kernel as wk


def section(section_id, payload):
    assert len(payload) < 128
    return bytes([section_id, len(payload)]) + payload


def name(text):
    return bytes([len(text)]) + text.encode()


HEADER = b"\0asm\x01\0\0\0"
DYLINK = section(0, name("dylink.0") + b"\x01\x04\x00\x00\x00\x00")   # mem-info, all zero
EXPORTS = section(7, b"\x02" + name("pynn_sgemm") + b"\x00\x00"
                  + name("pynn_sgemm_work_size") + b"\x00\x01")
MINIMAL = HEADER + DYLINK + EXPORTS


def test_verify_accepts_a_minimal_side_module():
    info = wk.verify_side_module(MINIMAL)
    assert info["first_section"] == "dylink.0"
    assert info["exports"] == ["pynn_sgemm", "pynn_sgemm_work_size"]


@pytest.mark.parametrize("data,message", [
    (b"\x7fELF" + bytes(60), "not a WebAssembly binary"),
    (HEADER + EXPORTS, "dylink.0"),                                  # linked without -shared
    (HEADER + DYLINK + section(7, b"\x00"), "does not export"),
    (HEADER + DYLINK + section(2, b"\x01" + name("env") + name("memset") + b"\x00\x00") + EXPORTS,
     "env.memset"),                                                  # a libc dependency
    (HEADER + DYLINK + bytes([7, 40]) + b"\x01", "truncated"),
])
def test_verify_refuses_what_pyodide_could_not_use(data, message):
    with pytest.raises(wk.WasmKernelError, match=message):
        wk.verify_side_module(data)


def test_without_a_toolchain_the_error_says_how_to_get_one(monkeypatch):
    monkeypatch.setattr(wk, "_which_pair", lambda: None)
    monkeypatch.setattr(wk, "_ziglang", lambda: None)
    with pytest.raises(wk.WasmKernelError, match=r"apt-get install -y clang lld.*ziglang"):
        wk.find_toolchain(log=lambda _: None, install=False)


def test_build_uses_the_cache_and_replaces_a_bad_entry(tmp_path, monkeypatch):
    compiled = []

    def fake_compile(out_path, source=wk.SOURCE, log=print):
        compiled.append(out_path)
        out_path.parent.mkdir(parents=True, exist_ok=True)
        out_path.write_bytes(MINIMAL)
        return out_path

    monkeypatch.setattr(wk, "CACHE", tmp_path / "cache")
    monkeypatch.setattr(wk, "compile_kernel", fake_compile)
    out = tmp_path / "pkg" / "sgemm.wasm"
    assert wk.build_kernel(out, log=lambda _: None) == out and out.read_bytes() == MINIMAL
    wk.build_kernel(out, log=lambda _: None)                   # unchanged source: no compile
    assert len(compiled) == 1
    compiled[0].write_bytes(b"garbage")                          # a damaged cache entry
    wk.build_kernel(out, log=lambda _: None)
    assert len(compiled) == 2 and out.read_bytes() == MINIMAL


def test_a_real_build_is_a_side_module(tmp_path):
    try:
        wk.find_toolchain(log=lambda _: None, install=False)
    except wk.WasmKernelError:
        pytest.skip("no WebAssembly compiler on this machine (the build installs one)")
    out = wk.compile_kernel(tmp_path / "sgemm.wasm", log=lambda _: None)
    info = wk.verify_side_module(out.read_bytes())
    assert {"pynn_sgemm", "pynn_sgemm_work_size"} <= set(info["exports"])
