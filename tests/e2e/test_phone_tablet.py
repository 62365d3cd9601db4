"""Phones and tablets in Chromium: the page at 390x844 (a phone) and 820x1180 (a tablet) as a mobile
browser lays it out (Playwright's is_mobile, has_touch and the device's pixel ratio), used with a
finger: strokes are real touch events (touchStart, touchMove, touchEnd through the DevTools
protocol), buttons are tapped. In each state (drawn, trained, taught, Inside open, one step by hand
and the code editor open) nothing is wider than the screen and every visible control is at least
44x44 CSS px, apart from the exceptions WCAG 2.5.5 allows (screens.py). The same checks in WebKitGTK:
tests/engines/test_webkit.py."""
import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from screens import EXEMPT, MIN_TARGET, SCREENS, fit_problems

PROBES = {part.split("\n", 1)[0].strip(): part.split("\n", 1)[1]
          for part in (Path(__file__).parents[1] / "engines" / "probes.js").read_text().split("// @probe ")[1:]}


@pytest.fixture(params=list(SCREENS))
def device(request, open_app):
    """The app on a phone or a tablet with a touch screen, Ready."""
    screen = SCREENS[request.param]
    app = open_app(is_mobile=True, has_touch=True, device_scale_factor=screen["scale"],
                   viewport={"width": screen["width"], "height": screen["height"]})
    app.width = screen["width"]
    return app


def assert_fits(app, state):
    """Nothing wider than the screen, no control below 44x44 px but the exempt ones; the report."""
    report = app.page.evaluate(f"({PROBES['fits']})", {"min": MIN_TARGET, "exempt": list(EXEMPT), "screen": app.width})
    problems = fit_problems(report, app.width, state)
    assert not problems, "\n".join(problems)
    return report


def test_a_finger_draws_on_a_pad_as_wide_as_fits(device):
    pad = device.pad.bounding_box()
    panel = device.page.locator(".panel-draw").bounding_box()
    # the pad takes the panel's width (less its padding and border), up to 400 px
    assert pad["width"] >= min(400, panel["width"] - 40) and abs(pad["width"] - pad["height"]) < 1, (pad, panel)
    # the pad at the top of the screen: the prediction is on the same screen
    device.pad.evaluate("pad => pad.scrollIntoView({block: 'start'})")
    before = device.page.evaluate("() => scrollY")
    device.touch_draw("1")
    expect(device.prediction).to_have_text("1", timeout=15_000)
    expect(device.prediction).to_be_in_viewport(ratio=1)
    assert device.pad_ink() > 1000, "the finger stroke left no ink on the pad"
    assert device.page.evaluate("() => scrollY") == before, "drawing on the pad scrolled the page"
    assert max(range(10), key=lambda d: float(device.settled_probs()[d])) == 1
    device.page.get_by_role("button", name="Clear", exact=True).tap()
    expect(device.prediction).to_have_text("")
    assert_fits(device, "drawn and cleared")


def test_a_short_training_run_by_taps(device):
    device.set_training(epochs=1, samples=1000)
    device.watch_train_button()
    device.button("Train").tap()
    device.wait_train_finished(180_000)
    assert device.message.get_attribute("data-kind") != "error", device.message.inner_text()
    expect(device.test_accuracy).to_have_text(re.compile(r"\d+(\.\d+)?\s*%"))
    assert 60 < float(re.search(r"[\d.]+", device.test_accuracy.inner_text()).group()) <= 100
    expect(device.confusion.locator("td")).to_have_count(100)
    device.save("phone-run")
    expect(device.saved_models.get_by_role("listitem")).to_have_count(1)
    assert_fits(device, "after training and saving")


def test_teaching_with_a_finger(device):
    pad = device.page.get_by_label("Teaching pad", exact=True)
    device.touch_draw("1", pad=pad)
    device.page.get_by_role("button", name="This is a 1", exact=True).tap()
    expect(device.page.get_by_test_id("teach-message")).to_have_text("Kept as a 1. Draw the next one.")
    expect(device.page.get_by_test_id("count-1").locator(".count-n")).to_have_text("1")
    expect(device.page.get_by_role("list", name="Your samples").get_by_role("listitem")).to_have_count(1)
    assert_fits(device, "with a sample kept")


def test_inside_opens_and_fits(device):
    device.page.locator("#inside > summary").tap()
    inside = device.page.locator("#inside")
    expect(device.page.get_by_test_id("model-summary").locator("tbody tr").first).to_be_visible(timeout=30_000)
    expect(device.page.get_by_test_id("inside-confusion").locator("[data-testid^=class-accuracy-]")).to_have_count(
        10, timeout=30_000)
    expect(device.page.get_by_test_id("histograms").locator("canvas").first).to_be_visible(timeout=30_000)
    device.touch_draw("7")
    expect(device.page.get_by_test_id("live-layers").get_by_test_id("live-layer-1")).to_be_visible(timeout=20_000)
    neurons = device.page.get_by_test_id("neuron-grid").get_by_role("button")
    neurons.first.tap()
    expect(device.page.get_by_test_id("neuron-detail").get_by_role("list").locator("li")).to_have_count(
        9, timeout=20_000)
    box = inside.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= device.width, box
    report = assert_fits(device, "Inside open")
    # the exceptions are the confusion matrix's cells (its menus do the same), nothing else
    assert report["exempted"] and all(e.startswith("td") for e in report["exempted"]), report["exempted"]


def test_step_by_hand_and_code_open_and_fit(device):
    device.touch_draw("7")
    device.page.locator("#step > summary").tap()
    device.button("Compute the step").tap()
    expect(device.page.get_by_test_id("step-stages").locator(".step-stage").first).to_be_visible(timeout=60_000)
    device.button("Open the code editor").tap()
    expect(device.page.get_by_test_id("code-editor").locator(".cm-content")).to_be_visible(timeout=30_000)
    report = assert_fits(device, "one step by hand and the code editor open")
    # the exceptions: links inside the Code panel's sentences (the wheel, the data set's files)
    assert all(e.startswith("a") for e in report["exempted"]), report["exempted"]
