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
from conftest import SNAPSHOT_FOLDER

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
from tools.fit_reference import LESSON_HASH, reference_fit, training_config  # noqa: E402

MODEL = "webkit-model"
# DIGIT_STROKES of tests/e2e/conftest.py (tools/engines.py passes them as JSON)
STROKES = json.loads(os.environ.get("PYNN_DIGIT_STROKES") or "{}") or runpy.run_path(
    os.path.join(os.path.dirname(__file__), "..", "e2e", "conftest.py"))["DIGIT_STROKES"]


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


def test_short_fit_shows_accuracy(page):
    page.type_into("#f-epochs", "1")
    page.type_into("#f-samples", "1000")
    page.probe("watchTrain")
    page.click("#train")
    done = page.probe("trainFinished", 180_000)
    assert "error" not in done, done
    assert done["kind"] != "error", f"training failed: {done['message']}"
    percent = float(re.search(r"([\d.]+)\s*%", done["accuracy"]).group(1))
    assert 60 < percent <= 100, done


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
