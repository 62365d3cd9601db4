"""No mouse needed: the whole way from Ready to a saved model with page.keyboard only (Tab, Enter,
Space, typing), asserting where focus is along the way: a held-out test digit instead of
drawing, its prediction, a short training run (focus is handed from Train to Stop and stays in the
panel when the run ends), Inside opened (focus stays on its toggle, as a disclosure keeps it),
a model saved by name and deleted (focus stays in the panel)."""
from __future__ import annotations

import re

from playwright.sync_api import expect

MAX_TABS = 250


def focused(app, locator) -> bool:
    return locator.evaluate("el => el === document.activeElement")


def tab_to(app, locator, visited: list, key: str = "Tab") -> None:
    """Press Tab (or `key`) until `locator` has focus (at most MAX_TABS times); records the path."""
    for _ in range(MAX_TABS):
        app.page.keyboard.press(key)
        visited.append(app.page.evaluate(
            "() => { const e = document.activeElement; return e.id || e.getAttribute('aria-label') || e.textContent.trim().slice(0, 30); }"))
        if focused(app, locator):
            return
    raise AssertionError(f"Tab never reached {locator}; the last stops: {visited[-15:]}")


def focus_is_in(app, selector: str) -> bool:
    return app.page.evaluate("(sel) => !!document.activeElement.closest(sel)", selector)


def test_ready_to_a_saved_model_with_the_keyboard_only(app):
    page = app.page
    assert page.locator("[tabindex]").evaluate_all("els => els.filter((e) => e.tabIndex > 0).length") == 0
    path: list = []
    note = page.locator("#draw-test-digits .test-digit-note")

    # a real held-out digit instead of drawing: Enter on "Use a test digit", then Space on Next
    use = app.button("Use a test digit")
    tab_to(app, use, path)
    page.keyboard.press("Enter")
    expect(note).to_have_text(re.compile(r"^Test digit no\. 0 of 10,000: labelled \d$"))
    expect(app.prediction).to_have_text(note.inner_text()[-1], timeout=30_000)
    assert focused(app, use)
    nxt = page.get_by_role("button", name="Next test digit", exact=True)
    tab_to(app, nxt, path)
    page.keyboard.press("Space")
    expect(note).to_have_text(re.compile(r"^Test digit no\. 1 of 10,000: labelled \d$"))
    expect(app.prediction).to_have_text(note.inner_text()[-1], timeout=30_000)
    assert app.pad_ink() > 1000, "the test digit is not on the pad"

    # a short training run, typed into the form and started with Enter
    for label, value in (("Epochs", "1"), ("Training samples", "1000")):
        tab_to(app, app.field(label), path)
        page.keyboard.press("Control+A")
        page.keyboard.type(value)
    train = app.button("Train")
    tab_to(app, train, path)
    app.watch_train_button()
    page.evaluate("() => { window.__moves = []; document.addEventListener('focusin', (e) => __moves.push(e.target.id)); }")
    page.keyboard.press("Enter")
    app.wait_train_finished()
    # Train disables itself while it runs: focus went on to Stop, not to <body>
    assert page.evaluate("() => __moves")[0] == "stop", page.evaluate("() => __moves")
    expect(app.test_accuracy).to_have_text(re.compile(r"\d+\.\d%"))
    page.wait_for_function("() => document.activeElement !== document.body")
    assert focus_is_in(app, ".panel-train"), page.evaluate("() => document.activeElement.outerHTML.slice(0, 80)")

    # Inside: the disclosure opens with Enter and keeps focus on its toggle; it reads the test digit
    toggle = page.locator("#inside > summary")
    tab_to(app, toggle, path)
    page.keyboard.press("Enter")
    expect(page.locator("#inside")).to_have_attribute("open", "")
    assert focused(app, toggle)
    expect(page.get_by_test_id("live-layer-1")).to_be_visible(timeout=90_000)  # after the mistakes (a busy machine: slow)

    # save the trained model by name (back up the page with Shift+Tab): Enter in the field submits
    name = app.field("Model name")
    tab_to(app, name, path, "Shift+Tab")
    page.keyboard.type("by-keyboard")
    page.keyboard.press("Enter")
    expect(app.saved_item("by-keyboard")).to_be_visible(timeout=15_000)
    assert focus_is_in(app, ".panel-models")
    # Delete removes its own button (the list is drawn anew): focus stays in the Models panel
    delete = page.get_by_role("button", name="Delete by-keyboard", exact=True)
    tab_to(app, delete, path)
    page.keyboard.press("Enter")
    expect(app.saved_item("by-keyboard")).to_have_count(0)
    page.wait_for_function("() => document.activeElement !== document.body")
    assert focus_is_in(app, ".panel-models"), page.evaluate("() => document.activeElement.outerHTML.slice(0, 80)")

    # the Tab path follows the page's order: the skip link, Draw, then Train's fields, then Train
    order = [path.index(x) for x in ("Skip to the drawing pad", "Use a test digit", "f-epochs", "f-samples", "train")]
    assert order == sorted(order), path


def test_teach_a_sample_with_the_keyboard_only(app):
    """The teaching pad without a pointer: a held-out digit on it, then its digit's button."""
    page = app.page
    path: list = []
    use = page.get_by_role("button", name="Use a test digit on the teaching pad", exact=True)
    tab_to(app, use, path)
    page.keyboard.press("Enter")
    note = page.locator("#teach-test-digits .test-digit-note")
    expect(note).to_have_text(re.compile(r"labelled \d$"))
    digit = note.inner_text()[-1]
    expect(page.get_by_test_id(f"count-{digit}")).to_have_attribute("aria-label", f"{digit}: 0 samples")
    tab_to(app, page.get_by_role("button", name=f"This is a {digit}", exact=True), path)
    page.keyboard.press("Enter")
    expect(page.get_by_test_id("teach-message")).to_have_text(f"Kept as a {digit}. Draw the next one.")
    expect(page.get_by_test_id(f"count-{digit}")).to_have_attribute("aria-label", f"{digit}: 1 sample")
