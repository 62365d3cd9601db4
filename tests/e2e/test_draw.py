"""Drawing a digit with the mouse gives the default model's prediction and probabilities."""

import re

import pytest
from playwright.sync_api import expect


@pytest.mark.parametrize("digit", ["1", "0", "7"])
def test_drawn_digit_is_recognised(app, digit):
    app.draw(digit)
    expect(app.prediction).to_have_text(digit, timeout=15_000)
    probs = [float(v) for v in app.settled_probs()]
    assert app.prediction.inner_text().strip() == digit
    assert max(range(10), key=lambda d: probs[d]) == int(digit), probs


def test_probabilities_sum_to_one_and_preview_shows_the_digit(app):
    blank = app.preview_stats()
    assert (blank["width"], blank["height"]) == (28, 28), blank
    assert blank["distinct"] == 1, f"preview not blank before drawing: {blank}"

    app.draw("0")
    values = app.settled_probs()
    assert all(v is not None and re.fullmatch(r"[0-9.eE+-]+", v) for v in values), values
    probs = [float(v) for v in values]
    assert all(0.0 <= p <= 1.0 for p in probs), probs
    assert abs(sum(probs) - 1.0) < 1e-4, f"probabilities sum to {sum(probs)}: {values}"
    # every bar shows a visible percentage too
    for d in range(10):
        expect(app.page.get_by_test_id(f"prob-{d}")).to_contain_text("%")

    drawn = app.preview_stats()
    assert drawn["distinct"] >= 8, f"preview still (nearly) blank after drawing: {drawn}"


def test_clear_empties_prediction_and_asks_to_draw_first(app):
    app.draw("1")
    expect(app.prediction).to_have_text("1", timeout=15_000)
    app.clear()
    expect(app.prediction).to_have_text("")
    expect(app.draw_message).to_contain_text("Draw a digit first")
    assert app.preview_stats()["distinct"] == 1, "preview not cleared"
    predict = app.page.get_by_role("button", name="Predict", exact=True)
    if predict.count():  # asking for a prediction of the empty pad
        predict.click()
        expect(app.draw_message).to_contain_text("Draw a digit first")
        expect(app.prediction).to_have_text("")


def test_drawing_with_a_finger_is_recognised(open_app):
    """Touch screens: a finger stroke draws (no scrolling, no cancelled stroke) and is predicted."""
    app = open_app(has_touch=True, is_mobile=False)
    app.touch_draw("1")
    expect(app.prediction).to_have_text("1", timeout=15_000)
    assert app.pad_ink() > 1000, "the finger stroke left no ink on the pad"
    assert app.page.evaluate("() => scrollY") == 0, "drawing scrolled the page"


def test_drawing_while_loading_is_predicted_once_ready(open_app):
    app = open_app(load=False)
    # Hold the py_nn wheel until the drawing is done: start-up is fast enough now that a person
    # could finish drawing after Ready; this keeps the test about a drawing made while loading.
    held, released = [], []

    def hold(route):
        if released:
            route.continue_()
        else:
            held.append(route)

    app.page.context.route("**/wheels/*.whl", hold)
    app.page.goto(app.base_url + "/")
    expect(app.status).not_to_have_text("Loading…")  # app.js runs: the loading stages show
    status = app.status.inner_text()
    app.draw("1")
    assert "Ready" not in status and "Ready" not in app.status.inner_text(), \
        "the page was ready before the drawing was done: this test needs a slower start"
    released.append(True)
    for route in held:
        route.continue_()
    expect(app.status).to_contain_text("Ready", timeout=90_000)
    expect(app.prediction).to_have_text("1", timeout=15_000)
