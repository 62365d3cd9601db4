"""Export a model to a file and import it elsewhere; bad files are refused without harm."""

import json
import re

import pytest
from playwright.sync_api import expect


def test_export_then_import_in_fresh_context_round_trips(open_app, tmp_path):
    source = open_app()
    source.train_and_wait(hidden="16", epochs=1, samples=1000, batch=64)
    source.save("exported")
    probs = source.draw_and_read("0")
    with source.page.expect_download() as info:
        source.button("Export").click()
    download = info.value
    assert download.suggested_filename.endswith(".json"), download.suggested_filename
    path = tmp_path / download.suggested_filename
    download.save_as(path)
    doc = json.loads(path.read_text())
    assert doc["format"] == "py_nn.model" and doc["layers"] == [784, 16, 10], \
        {k: v for k, v in doc.items() if k != "params"}

    target = open_app()  # a fresh context: nothing saved, the default model active
    expect(target.active_model).to_have_text(re.compile(r"default", re.I))
    default_probs = target.draw_and_read("0")
    assert default_probs != probs
    target.field("Import model file").set_input_files(str(path))
    expect(target.message).not_to_have_attribute("data-kind", "error", timeout=15_000)
    expect(target.active_model).to_contain_text("exported", timeout=15_000)
    target.clear()
    assert target.draw_and_read("0") == probs


def _bad_files(default_text: str) -> dict:
    doc = json.loads(default_text)
    wrong_layers = dict(doc, layers=[784, 64, 10] if doc["layers"] != [784, 64, 10] else [784, 32, 10])
    return {
        "hello.txt": ("text/plain", b"hello"),
        "wrong-layers.json": ("application/json", json.dumps(wrong_layers).encode()),
        "truncated.json": ("application/json", default_text[: len(default_text) // 2].encode()),
    }


@pytest.mark.parametrize("name", ["hello.txt", "wrong-layers.json", "truncated.json"])
def test_bad_import_is_refused_and_active_model_unchanged(app, default_model_text, name):
    mime, content = _bad_files(default_model_text)[name]
    active = app.active_model.inner_text()
    before = app.draw_and_read("7")
    stored = app.storage()
    app.field("Import model file").set_input_files(
        files=[{"name": name, "mimeType": mime, "buffer": content}])
    app.expect_error_message(re.compile(r"\w"))
    app.snap("refused")
    message = app.message.inner_text()
    assert len(message) > 15, f"error message too terse to act on: {message!r}"
    assert name in message, f"the message does not say which file was refused: {message!r}"
    expect(app.active_model).to_have_text(active)
    assert app.storage() == stored, "a refused import changed localStorage"
    app.clear()
    assert app.draw_and_read("7") == before
