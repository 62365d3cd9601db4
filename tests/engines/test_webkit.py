"""The app in WebKitGTK (Safari's engine) through WebKitWebDriver: one session with a fresh
profile for the behaviours in order (a first visit, then repeat visits), and one private session
where the origin private file system throws.

Each test fails on an error the page logged (uncaught, unhandled rejection, console.error) and
leaves a screenshot in test-artifacts/engines-webkit-<test>.png.
"""
import json
import os
import re
import runpy
import sys
from pathlib import Path

import pytest
from conftest import ARTIFACTS, SNAPSHOT_FOLDER
from selenium.webdriver.common.by import By
from selenium.webdriver.support.wait import WebDriverWait

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
from tools.fit_reference import LESSON_HASH, reference_fit, training_config  # noqa: E402

MODEL = "webkit-model"
# DIGIT_STROKES of tests/e2e/app_page.py (tools/engines.py passes them as JSON)
E2E = os.path.join(os.path.dirname(__file__), "..", "e2e")
STROKES = json.loads(os.environ.get("PYNN_DIGIT_STROKES") or "{}") or runpy.run_path(
    os.path.join(E2E, "app_page.py"))["DIGIT_STROKES"]
SCREENS = runpy.run_path(os.path.join(E2E, "screens.py"))  # the phone and tablet sizes, the 44 px rule


@pytest.fixture
def page(webkit, request):
    """The WebKit session for one test: no page errors at the end, a screenshot whatever happened."""
    yield webkit
    webkit.screenshot(re.sub(r"\W+", "_", request.node.name))
    assert webkit.page_errors() == [], "the page logged errors"


def test_first_visit_reaches_ready(page):
    ready = page.visit("open")
    assert re.match(r"Ready: py_nn", ready["status"]), ready
    assert ready["snapshot"] == "saving", ready  # captured; pynn.snapshotSaved says when it is written


def test_drawn_digits_are_read(page):
    for digit, strokes in STROKES.items():
        read = page.draw_and_read(digit, strokes)
        assert read["ink"] > 1000, f"the pad shows no ink after drawing {digit}: {read}"
        assert read["shown"] == digit, f"drew {digit}, the page read {read['shown']}"


def short_fit(browser, press):
    """Train 1 epoch on 1,000 digits, Train pressed by ``press`` (a click or a tap); the accuracy shown."""
    browser.type_into("#f-epochs", "1")
    browser.type_into("#f-samples", "1000")
    browser.probe("watchTrain")
    press("#train")
    done = browser.probe("trainFinished", 180_000)
    assert "error" not in done, done
    assert done["kind"] != "error", f"training failed: {done['message']}"
    percent = float(re.search(r"([\d.]+)\s*%", done["accuracy"]).group(1))
    assert 60 < percent <= 100, done
    return percent


def test_short_fit_shows_accuracy(page):
    short_fit(page, page.click)


def test_repeat_visit_restores_snapshot(page):
    size = page.probe("snapshotWritten", {"folder": SNAPSHOT_FOLDER, "timeoutMs": 60_000})
    assert size and size > 1e6, f"the start-up snapshot was not written (size {size})"
    ready = page.visit("reload")
    assert ready["snapshot"] == "restored", ready


def test_saved_model_loads_after_reload(page):
    page.type_into("#model-name", MODEL)
    page.click("#save")
    page.wait_for(f'button[aria-label="Load {MODEL}"]')
    page.visit("reload")
    page.click(f'button[aria-label="Load {MODEL}"]')
    assert MODEL in page.probe("activeModel", {"want": MODEL, "timeoutMs": 30_000})


def test_a_lesson_link_trains_the_weights_pyodide_in_node_trains(page):
    """Safari's engine has no relaxed SIMD; with the plain kernel everywhere, the same link and
    seed give bit-identical weights here, in Chromium, in Firefox and in Pyodide under Node."""
    page.driver.get("about:blank")
    page.visit("open", "/" + LESSON_HASH)
    page.probe("watchTrain")
    page.click("#train")
    done = page.probe("trainFinished", 180_000)
    assert "error" not in done and done["kind"] != "error", done
    trained = page.probe("lessonModel")
    config = training_config(trained["model"])
    assert config["seed"] == 7, config
    reference = reference_fit(config)
    assert trained["fingerprint"] == reference["fingerprint"], (trained["fingerprint"], reference, config)


def test_private_session_without_opfs_starts_normally(private):
    try:
        ready = private.visit("open")
        opfs = private.driver.execute_async_script(
            "const done = arguments[0]; navigator.storage.getDirectory().then(() => done('ok'), (e) => done(String(e)));")
        assert opfs != "ok", "OPFS works in this session: it does not test a start without it"
        assert re.match(r"Ready: py_nn", ready["status"]), ready
        assert ready["snapshot"] != "restored", ready
        read = private.draw_and_read("1", STROKES["1"])
        assert read["shown"] == "1", f"drew 1 in the private session, the page read {read['shown']}"
        # the page says no snapshot will be written for the next visit, and why
        saved = private.driver.execute_async_script("const done = arguments[0]; window.pynn.snapshotSaved.then(done);")
        assert saved["state"] == "none" and saved.get("error"), saved
        assert private.page_errors() == [], "the page logged errors"
    finally:
        private.screenshot("private_session")


# -- phones and tablets: the window at 390x844 and 820x1180, the same checks as tests/e2e/test_phone_tablet.py


@pytest.fixture(params=list(SCREENS["SCREENS"]))
def screen(page, request):
    """The page opened anew in a window of a phone's or a tablet's size (WebKitGTK's viewport is the
    window; no device pixel ratio, no touch screen under Xvfb); the window's old size after."""
    size = SCREENS["SCREENS"][request.param]
    page.driver.set_window_size(size["width"], size["height"])
    try:
        page.visit("open")
        inner = page.driver.execute_script("return [innerWidth, innerHeight]")
        assert inner == [size["width"], size["height"]], f"the window's viewport is {inner}, not {size}"
        page.width = size["width"]
        yield page
    finally:
        page.screenshot(re.sub(r"\W+", "_", request.node.name) + "_at_size")
        page.driver.set_window_size(1280, 1000)


def assert_fits(page, state):
    report = page.probe("fits", {"min": SCREENS["MIN_TARGET"], "exempt": list(SCREENS["EXEMPT"]), "screen": page.width})
    problems = SCREENS["fit_problems"](report, page.width, state)
    assert not problems, "\n".join(problems)
    return report


def test_small_screen_touch_draws(screen, request):
    screen.probe("pointerTypes")
    read = screen.draw_and_read("1", STROKES["1"], pointer="touch")
    assert read["shown"] == "1" and read["ink"] > 1000, f"drew 1 with touch actions, the page read {read}"
    box = screen.probe("padBox")
    panel = screen.driver.execute_script("return document.querySelector('.panel-draw').getBoundingClientRect().width")
    assert box["width"] >= min(400, panel - 40), f"the pad is smaller than its panel ({panel} px) allows: {box}"
    # what WebKitWebDriver's touch actions arrive as (the report says; "mouse" in WebKitGTK 2.50)
    types = screen.probe("pointerTypes")
    (ARTIFACTS / f"engines-webkit-pointer-{request.node.callspec.id}.json").write_text(json.dumps(types))
    assert types, "the touch actions reached the page as no pointer event"
    assert_fits(screen, "drawn")


def test_small_screen_short_fit(screen):
    short_fit(screen, screen.tap)
    assert_fits(screen, "trained")


def test_small_screen_teach(screen):
    box = screen.probe("boxOf", "#teach-pad")
    for stroke in STROKES["1"]:
        screen.stroke(box, stroke, "touch")
    screen.tap('.digit-buttons button[aria-label="This is a 1"]')
    WebDriverWait(screen.driver, 15).until(
        lambda d: d.find_element(By.CSS_SELECTOR, '[data-testid="teach-message"]').text == "Kept as a 1. Draw the next one.",
        "the Teach panel did not keep the drawing")
    assert_fits(screen, "a sample kept")


def test_small_screen_inside(screen):
    screen.tap("#inside > summary")
    for css in ('[data-testid="model-summary"] tbody tr', '[data-testid="class-accuracy-9"]', '[data-testid="histograms"] canvas'):
        screen.wait_for(css, 60)
    report = assert_fits(screen, "Inside open")
    assert all(e.startswith("td") for e in report["exempted"]), report["exempted"]
