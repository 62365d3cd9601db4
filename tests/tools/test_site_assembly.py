"""Site assembly: a build that fails or is interrupted half-way leaves the previous site/ as it
was and no site.tmp-* behind; a successful one replaces it whole, with a consistent build.json."""
import json
import re

import pytest

from tools.site import assemble, build_id, precache_list


@pytest.fixture
def old_site(tmp_path):
    """A previous site/ in a fresh parent folder."""
    site = tmp_path / "site"
    (site / "pyodide").mkdir(parents=True)
    (site / "index.html").write_text("<p>previous build</p>")
    (site / "pyodide" / "pyodide.asm.wasm").write_bytes(b"\0asm previous")
    (site / "build.json").write_text(json.dumps({"version": "0.0.1"}))
    return site


def fill_with(files, facts=None):
    """A fill() writing ``files`` ({relative path: bytes}) and returning ``facts``."""
    def fill(out):
        for name, data in files.items():
            (out / name).parent.mkdir(parents=True, exist_ok=True)
            (out / name).write_bytes(data)
        return dict(facts or {"version": "1"})
    return fill


def leftovers(parent):
    return sorted(p.name for p in parent.iterdir() if p.name != "site")


@pytest.mark.parametrize("failure", [RuntimeError("the default model did not train"), KeyboardInterrupt()])
def test_failed_assembly_leaves_the_previous_site_intact(old_site, tree, failure):
    before = tree(old_site)

    def fill(out):
        (out / "index.html").write_text("<p>half of a new build</p>")
        (out / "pyodide").mkdir()
        raise failure

    with pytest.raises(type(failure)):
        assemble(old_site, fill)
    assert tree(old_site) == before
    assert leftovers(old_site.parent) == []


def test_failure_while_writing_build_json_leaves_the_previous_site_intact(old_site, tree):
    before = tree(old_site)

    def fill(out):
        (out / "index.html").write_text("new")
        return {"version": object()}  # not JSON: fails after every file was written

    with pytest.raises(TypeError):
        assemble(old_site, fill)
    assert tree(old_site) == before
    assert leftovers(old_site.parent) == []


def test_successful_assembly_replaces_the_site_whole(old_site, tree):
    def fill(out):
        (out / "index.html").write_text("<p>new build</p>")
        (out / "app.js").write_text("export {};\n")
        return {"version": "0.0.2"}

    info = assemble(old_site, fill)
    files = tree(old_site)
    assert sorted(files) == ["app.js", "build.json", "index.html"]  # the old wasm is gone
    assert files["index.html"] == b"<p>new build</p>"
    assert json.loads(files["build.json"]) == info
    assert leftovers(old_site.parent) == []


def test_first_build_creates_the_site(tmp_path):
    info = assemble(tmp_path / "site", fill_with({"index.html": b"x"}))
    assert (tmp_path / "site" / "build.json").is_file()
    assert info["precache"] == ["build.json", "index.html"]
    assert leftovers(tmp_path) == []


# ---------------------------------------------------------------------------- build.json

SITE_FILES = {
    "index.html": b"<!doctype html>",
    "main.js": b"import './panels/draw.js';",
    "main.js.map": b"{}",
    "panels/draw.js": b"export {};",
    "pyodide/pyodide.asm.wasm": b"\0asm",
    "pyodide/numpy-2.0.2-cp312-cp312-pyodide_2024_0_wasm32.whl": b"PK",
    "data/mnist/train-0.u8.gz": b"\x1f\x8b",
    "vendor/chart.umd.min.js": b"/* chart */",
}


def test_build_json_keeps_the_facts_and_lists_every_file_but_source_maps_and_lazy_ones(tmp_path):
    facts = {"version": "1", "datasets": [{"id": "mnist", "classes": list("0123456789"), "side": 28}],
             "packages": ["numpy", "micropip"]}
    site = tmp_path / "site"
    info = assemble(site, fill_with(SITE_FILES, facts))
    written = json.loads((site / "build.json").read_text())
    assert written == info
    assert {k: written[k] for k in facts} == facts
    assert written["precache"] == ["build.json", "index.html", "main.js", "panels/draw.js",
                                   "pyodide/numpy-2.0.2-cp312-cp312-pyodide_2024_0_wasm32.whl",
                                   "pyodide/pyodide.asm.wasm"]
    assert all((site / name).is_file() for name in written["precache"])
    assert re.fullmatch(r"[0-9a-f]{16}", written["build_id"])
    assert precache_list(site) == written["precache"]
    assert build_id(site, written) == written["build_id"]


def test_build_id_is_the_same_for_the_same_files(tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    one = assemble(tmp_path / "a" / "site", fill_with(SITE_FILES))
    two = assemble(tmp_path / "b" / "site", fill_with(SITE_FILES))
    assert one["build_id"] == two["build_id"]


@pytest.mark.parametrize("change", ["one byte of a file", "a new file", "a file renamed", "a fact"])
def test_build_id_changes_when_a_site_file_changes(tmp_path, change):
    files, facts = dict(SITE_FILES), {"version": "1"}
    if change == "one byte of a file":
        files["pyodide/pyodide.asm.wasm"] = b"\0asn"
    elif change == "a new file":
        files["models/default.json"] = b"{}"
    elif change == "a file renamed":
        files["panels/train.js"] = files.pop("panels/draw.js")
    else:
        facts = {"version": "2"}
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    before = assemble(tmp_path / "a" / "site", fill_with(SITE_FILES))
    after = assemble(tmp_path / "b" / "site", fill_with(files, facts))
    assert after["build_id"] != before["build_id"]
