"""Keeping models in localStorage: save, reload, load; last active model; corrupted entry; full storage."""

import json
import re

from playwright.sync_api import expect

TINY = dict(hidden="16", epochs=1, samples=1000, batch=64)


def train_tiny(app, **over):
    app.train_and_wait(**(TINY | over))


def test_save_reload_load_gives_identical_probabilities(app):
    train_tiny(app)
    app.save("tiny-a")
    expect(app.message).to_contain_text("tiny-a")
    expect(app.message).not_to_have_attribute("data-kind", "error")
    expect(app.saved_item("tiny-a")).to_have_count(1)
    saved = app.draw_and_read("0")

    # another model becomes active: its probabilities differ
    train_tiny(app, hidden="8")
    app.clear()
    other = app.draw_and_read("0")
    assert other != saved, "a different model gave the very same probabilities"

    app.reload()
    expect(app.saved_item("tiny-a")).to_have_count(1)
    app.load("tiny-a")
    expect(app.active_model).to_have_text("tiny-a")
    assert app.draw_and_read("0") == saved


def test_last_active_model_comes_back_after_reload(app):
    train_tiny(app)
    app.save("tiny-b")
    expect(app.active_model).to_have_text("tiny-b")
    before = app.draw_and_read("7")
    app.reload()
    expect(app.active_model).to_have_text("tiny-b")
    assert app.draw_and_read("7") == before


def storage_key_of(entries: dict, name: str) -> str:
    """The localStorage key holding the model document named `name` (WEB's scheme: pynn.model.<name>)."""
    key = f"pynn.model.{name}"
    assert key in entries, f"no {key} in localStorage; keys: {sorted(entries)}"
    return key


def test_delete_removes_a_saved_model_and_undo_restores_it(app):
    app.save("keep-me")
    app.save("drop-me")
    expect(app.saved_item("drop-me")).to_have_count(1)
    before = app.storage()
    app.page.on("dialog", lambda d: d.accept())  # if the page asks to confirm, confirm
    app.saved_models.get_by_role("button", name="Delete drop-me", exact=True).click()
    expect(app.saved_item("drop-me")).to_have_count(0)
    expect(app.message).to_contain_text("drop-me")
    stored = app.storage()
    assert "pynn.model.drop-me" not in stored, sorted(stored)
    assert stored["pynn.model.keep-me"] == before["pynn.model.keep-me"]
    expect(app.saved_item("keep-me")).to_have_count(1)

    undo = app.page.get_by_role("button", name="Undo")
    if undo.count():  # deleting offers Undo: it brings the very same entry back
        undo.click()
        expect(app.saved_item("drop-me")).to_have_count(1)
        assert app.storage()["pynn.model.drop-me"] == before["pynn.model.drop-me"]
        app.saved_models.get_by_role("button", name="Delete drop-me", exact=True).click()
        expect(app.saved_item("drop-me")).to_have_count(0)

    app.reload()
    expect(app.saved_item("drop-me")).to_have_count(0)
    expect(app.saved_item("keep-me")).to_have_count(1)


PROBLEM = re.compile(r"broken|cannot|can't|invalid|incompatible|corrupt|damaged|not valid", re.I)


def test_corrupted_entries_are_reported_and_others_still_load(app, default_model_text):
    default_probs = app.draw_and_read("1")
    app.save("good-one")
    app.save("broken-one")  # saved last: the model to restore on the next visit
    expect(app.saved_item("broken-one")).to_have_count(1)
    entries = app.storage()
    good_key, broken_key = storage_key_of(entries, "good-one"), storage_key_of(entries, "broken-one")
    garbage = '{"format": "py_nn.model", "layers": [784, 1'
    incompatible = json.dumps(dict(json.loads(default_model_text), layers=[100, 32, 10]))
    app.page.evaluate("([k, v, doc]) => { localStorage.setItem(k, v); localStorage.setItem('pynn.model.other-shape', doc); }",
                      [broken_key, garbage, incompatible])

    app.reload()
    app.expect_error_message(re.compile(r"broken-one"))
    app.snap("after-reload")
    expect(app.status).to_contain_text("Ready")
    expect(app.active_model).to_have_text(re.compile(r"default", re.I))
    # nothing was deleted: all three are listed, the two bad ones say what is wrong with them
    expect(app.saved_item("good-one")).to_have_count(1)
    expect(app.saved_item("broken-one")).to_contain_text(PROBLEM)
    expect(app.saved_item("other-shape")).to_contain_text(PROBLEM)
    expect(app.saved_item("good-one")).not_to_contain_text(PROBLEM)
    after = app.storage()
    assert after[good_key] == entries[good_key], "the intact entry was changed"
    assert after[broken_key] == garbage and after["pynn.model.other-shape"] == incompatible, \
        "a broken entry was changed or deleted without being asked"

    # loading the incompatible one says why and keeps the active model
    app.load("other-shape")
    app.expect_error_message(re.compile(r"other-shape"))
    expect(app.active_model).to_have_text(re.compile(r"default", re.I))

    app.load("good-one")
    expect(app.active_model).to_have_text("good-one")
    expect(app.message).not_to_have_attribute("data-kind", "error")
    app.clear()
    assert app.draw_and_read("1") == default_probs


FILL_STORAGE = """() => {
    let i = 0, size = 1 << 20;
    while (size >= 16) {
        try { localStorage.setItem('e2e-filler-' + (i++), 'x'.repeat(size)); }
        catch (e) { size = Math.floor(size / 4); }
    }
    return i;
}"""


def test_full_storage_save_says_so_and_loses_nothing(app):
    app.save("first")
    expect(app.saved_item("first")).to_have_count(1)
    before = app.storage()
    storage_key_of(before, "first")
    app.page.evaluate(FILL_STORAGE)

    app.save("second")
    app.expect_error_message(re.compile(r"storage|full|quota|space", re.I))
    expect(app.message).to_contain_text("second")
    app.snap("storage-full")
    after = app.storage()
    for key, value in before.items():
        if key.startswith("pynn.model."):
            assert after.get(key) == value, f"{key} changed after the failed save"
    expect(app.saved_item("first")).to_have_count(1)
    expect(app.saved_item("second")).to_have_count(0)

    # the app keeps working
    app.draw("1")
    expect(app.prediction).to_have_text(re.compile(r"^\d$"), timeout=15_000)
    app.load("first")
    expect(app.active_model).to_have_text("first")
    expect(app.status).to_contain_text("Ready")
