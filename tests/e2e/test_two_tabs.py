"""Two tabs of one browser: saving under the same name at the same moment leaves one whole model,
and each tab's list follows what the other one saved."""

import json

from playwright.sync_api import expect

ARM = """name => {
    window.__saved = null;
    const go = new BroadcastChannel('e2e-go');
    go.onmessage = async () => {
        try { window.__saved = await window.pynn.save(name); }
        catch (e) { window.__saved = {error: e.message}; }
    };
}"""

MODEL_TEXT = "async () => await (await window.pynn.exportModel({download: false})).text()"


def without_metadata(text: str) -> dict:
    doc = json.loads(text)
    doc.pop("metadata", None)
    return doc


def test_same_name_at_the_same_moment_keeps_one_whole_model(open_app):
    a = open_app()
    b = open_app(context=a.page.context)
    a.page.evaluate("() => window.pynn.fit({hidden: [16], epochs: 1, samples: 500})")
    expect(a.active_model).to_contain_text("Trained model")
    docs = {"a": without_metadata(a.page.evaluate(MODEL_TEXT)), "b": without_metadata(b.page.evaluate(MODEL_TEXT))}
    assert docs["a"]["layers"] == [784, 16, 10] and docs["a"] != docs["b"], "the two tabs need different models"

    for tab in (a, b):
        tab.page.evaluate(ARM, "same")
    a.page.evaluate("() => new BroadcastChannel('e2e-go').postMessage('go')")  # both tabs hear it at once
    for tab in (a, b):
        tab.page.wait_for_function("() => window.__saved !== null")
        assert "error" not in tab.page.evaluate("() => window.__saved"), tab.page.evaluate("() => window.__saved")

    # Each tab's renderer keeps its own copy of localStorage and learns of the other's write a moment
    # later: read the winner once both copies agree (they converge on one whole model).
    for _ in range(100):
        stored = a.storage()["pynn.model.same"]
        if stored == b.storage()["pynn.model.same"]:
            break
        a.page.wait_for_timeout(100)
    assert stored == b.storage()["pynn.model.same"], "the two tabs never agreed on what is stored"
    doc = json.loads(stored)  # a whole document: it parses
    assert doc["metadata"]["name"] == "same"
    winner = [k for k, d in docs.items() if without_metadata(stored) == d]
    assert len(winner) == 1, f"the stored entry is neither tab's model: layers {doc.get('layers')}"
    loser = b if winner == ["a"] else a
    layers = "-".join(map(str, doc["layers"]))
    for tab in (a, b):  # both lists show the model that is stored, the losing tab's too
        expect(tab.saved_item("same")).to_have_count(1)
        expect(tab.saved_item("same")).to_contain_text(layers)
    # the tab whose write was replaced says so, and no longer claims its model is stored as "same"
    expect(loser.message).to_contain_text("another tab")
    expect(loser.active_model).not_to_have_text("same")

    a.save("only-a")
    expect(b.saved_item("only-a")).to_have_count(1)  # no reload
    b.saved_models.get_by_role("button", name="Delete only-a", exact=True).click()
    expect(a.saved_item("only-a")).to_have_count(0)
    expect(a.saved_item("same")).to_have_count(1)
