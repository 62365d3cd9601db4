"""The page as the end-to-end tests see it: ``App`` (locators by role and label, drawing with the
mouse or a finger, training, saving) and the digit strokes it draws. The fixtures that make one
are in conftest.py."""

from __future__ import annotations

import math
import os
import re
import time
from pathlib import Path

from playwright.sync_api import Page, expect

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = Path(os.environ.get("PYNN_ARTIFACTS") or ROOT / "test-artifacts")
READY_TIMEOUT_MS = 90_000
SNAPSHOT_FOLDER = "pynn-snapshots"  # web/worker/snapshot/store.js's folder in OPFS


# Digits drawn with the mouse, as strokes in unit coordinates of the drawing pad (x right, y down).


def _line(p, q, n=12):
    return [(p[0] + (q[0] - p[0]) * i / n, p[1] + (q[1] - p[1]) * i / n) for i in range(n + 1)]


def _ellipse(cx, cy, rx, ry, n=48):
    # start at the top, go counter-clockwise as people usually draw a 0, overlap a little to close it
    return [(cx + rx * math.sin(-2 * math.pi * i / n), cy - ry * math.cos(2 * math.pi * i / n))
            for i in range(n + 3)]


DIGIT_STROKES = {
    "1": [_line((0.50, 0.15), (0.50, 0.85), 20)],
    "0": [_ellipse(0.50, 0.50, 0.20, 0.32)],
    "7": [_line((0.28, 0.20), (0.72, 0.20), 12)[:-1] + _line((0.72, 0.20), (0.44, 0.86), 18)],
}


class App:
    """The page seen through the contract's test hooks (CONTRACT.md, "Page test hooks")."""

    def __init__(self, page: Page, base_url: str):
        self.page = page
        self.base_url = base_url
        self.status = page.get_by_test_id("status")
        self.prediction = page.get_by_test_id("prediction")
        self.draw_message = page.get_by_test_id("draw-message")
        self.message = page.get_by_test_id("message")
        self.active_model = page.get_by_test_id("active-model")
        self.preview = page.get_by_test_id("preview")
        self.pad = page.get_by_label("Drawing pad", exact=True)
        self.progress = page.get_by_role("progressbar", name="Training progress")
        self.train_status = page.get_by_test_id("train-status")
        self.chart = page.get_by_test_id("chart")
        self.test_accuracy = page.get_by_test_id("test-accuracy")
        self.confusion = page.get_by_test_id("confusion-matrix")
        self.saved_models = page.get_by_role("list", name="Saved models")

    def button(self, name: str):
        return self.page.get_by_role("button", name=name, exact=True)

    def field(self, label: str):
        return self.page.get_by_label(label, exact=True)

    # -- loading ---------------------------------------------------------------------------
    def open(self):
        self.page.goto(self.base_url + "/")
        return self.wait_ready()

    def reload(self):
        self.page.reload()
        return self.wait_ready()

    def wait_ready(self):
        expect(self.status).to_contain_text("Ready", timeout=READY_TIMEOUT_MS)
        return self

    def wait_snapshot_written(self, build_id: str, timeout_ms: int = 60_000):
        """Wait for ``pynn.snapshotSaved`` (the page says when the start-up snapshot for the next
        visit is written and read back), then read ``<build_id>.snapshot`` in this context's OPFS:
        its size in bytes, or None if the page says it was not written (or not within ``timeout_ms``)."""
        return self.page.evaluate(
            """async ([folder, name, timeoutMs]) => {
                const late = new Promise((r) => setTimeout(() => r({ state: 'late' }), timeoutMs));
                const saved = await Promise.race([window.pynn.snapshotSaved, late]);
                if (saved.state !== 'saved') return null;
                const dir = await (await navigator.storage.getDirectory()).getDirectoryHandle(folder);
                return (await (await dir.getFileHandle(name)).getFile()).size;
            }""", [SNAPSHOT_FOLDER, f"{build_id}.snapshot", timeout_ms])

    def snap(self, label: str):
        """Save a screenshot of the moment into test-artifacts/<test>-<label>.png (to look at)."""
        self.page.evaluate("() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))")
        self.page.screenshot(path=str(ARTIFACTS / f"{self.artifact_stem}-{label}.png"), full_page=True)

    # -- drawing ---------------------------------------------------------------------------
    def draw(self, digit: str):
        """Draw a digit with the mouse, one mouse.move per point."""
        self.draw_strokes(self.pad, DIGIT_STROKES[digit])
        assert self.pad_ink() > 1000, "the drawing pad shows no ink after drawing"

    def draw_strokes(self, pad, strokes):
        """Draw ``strokes`` (lists of (x, y) in 0..1 of the pad's box) on ``pad`` with the mouse."""
        pad.scroll_into_view_if_needed()
        box = pad.bounding_box()
        assert box and box["width"] > 50 and box["height"] > 50, f"drawing pad too small: {box}"
        mouse = self.page.mouse
        for stroke in strokes:
            pts = [(box["x"] + x * box["width"], box["y"] + y * box["height"]) for x, y in stroke]
            mouse.move(*pts[0])
            mouse.down()
            for x, y in pts[1:]:
                mouse.move(x, y, steps=2)
            mouse.up()

    def pad_ink(self) -> int:
        """Number of painted (non-transparent) pixels on the drawing pad."""
        return self.pad.evaluate(
            """c => { const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
                     let n = 0; for (let i = 3; i < d.length; i += 4) if (d[i] > 0) n++; return n; }""")

    def touch_draw(self, digit: str, pad=None):
        """Draw a digit with a finger on ``pad`` (the Draw pad by default): real touch events
        through the DevTools protocol (touchStart, touchMove per point, touchEnd) at a touch screen's pace
        (a tap that follows a stroke faster than any hand would is dropped by Chromium)."""
        pad = pad or self.pad
        pad.scroll_into_view_if_needed()
        box = pad.bounding_box()
        cdp = self.page.context.new_cdp_session(self.page)
        try:
            for stroke in DIGIT_STROKES[digit]:
                pts = [(box["x"] + x * box["width"], box["y"] + y * box["height"]) for x, y in stroke]
                # at a touch screen's pace (60 events a second); the finger rests before it lifts
                for i, (x, y) in enumerate(pts + pts[-1:] * 3):
                    cdp.send("Input.dispatchTouchEvent", {
                        "type": "touchStart" if i == 0 else "touchMove",
                        "touchPoints": [{"x": x, "y": y, "id": 1, "radiusX": 2, "radiusY": 2, "force": 1}]})
                    time.sleep(1 / 60)
                cdp.send("Input.dispatchTouchEvent", {"type": "touchEnd", "touchPoints": []})
        finally:
            cdp.detach()

    def clear(self):
        self.button("Clear").click()

    def probs(self) -> list[str]:
        return [self.page.get_by_test_id(f"prob-{d}").get_attribute("data-value") for d in range(10)]

    def settled_probs(self, timeout_ms: int = 30_000) -> list[str]:
        """The ten data-value strings once the page shows the prediction of the whole drawing.

        The page predicts while drawing and again on release. To know the last answer arrived,
        this preprocesses the pad with the page's own draw.js (toMnist), asks pynn.predict for
        those pixels, and waits until the bars and the prediction show exactly that answer.
        """
        expect(self.prediction).to_have_text(re.compile(r"^\s*\d\s*$"), timeout=timeout_ms)
        out = self.page.evaluate(
            """async (timeoutMs) => {
                const pad = document.querySelector('canvas[aria-label="Drawing pad"]');
                const { toMnist } = await import(new URL('./page/draw.js', document.baseURI).href);
                const { pixels, empty } = toMnist(pad);
                if (empty) return { error: 'the drawing pad is empty' };
                const r = await window.pynn.predict(pixels);
                const want = r.probabilities.map(String);
                const read = () => [...Array(10).keys()].map(
                    d => document.querySelector(`[data-testid="prob-${d}"]`).getAttribute('data-value'));
                const label = () => document.querySelector('[data-testid="prediction"]').textContent.trim();
                const t0 = performance.now();
                while (performance.now() - t0 < timeoutMs) {
                    if (label() === String(r.label) && read().every((v, i) => v === want[i])) return { values: want };
                    await new Promise(res => setTimeout(res, 25));
                }
                return { error: 'the page never showed the prediction of the finished drawing',
                         shown: read(), shownLabel: label(), want, wantLabel: r.label };
            }""",
            timeout_ms,
        )
        assert "error" not in out, out
        return out["values"]

    def draw_and_read(self, digit: str) -> list[str]:
        self.draw(digit)
        return self.settled_probs()

    def preview_stats(self) -> dict:
        """Distinct pixel values in the 28x28 preview canvas (1 when blank)."""
        return self.preview.evaluate(
            """c => { const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
                     const seen = new Set(); let n = 0;
                     for (let i = 0; i < d.length; i += 4) { const v = (d[i] << 24) | (d[i+1] << 16) | (d[i+2] << 8) | d[i+3]; seen.add(v); }
                     return {width: c.width, height: c.height, distinct: seen.size}; }"""
        )

    # -- training --------------------------------------------------------------------------
    def set_training(self, hidden=None, epochs=None, samples=None, batch=None, lr=None, optimizer=None):
        if hidden is not None:
            self.field("Hidden layers").fill(str(hidden))
        if epochs is not None:
            self.field("Epochs").fill(str(epochs))
        if samples is not None:
            self.field("Training samples").fill(str(samples))
        if batch is not None:
            self.field("Batch size").fill(str(batch))
        if lr is not None:
            self.field("Learning rate").fill(str(lr))
        if optimizer is not None:
            self.field("Optimizer").select_option(optimizer)

    def watch_train_button(self):
        """Record every disabled/enabled change of Train (a MutationObserver misses none)."""
        self.button("Train").evaluate(
            """b => { const rec = window.__e2eTrainButton = [b.disabled];
                     new MutationObserver(() => { if (rec[rec.length - 1] !== b.disabled) rec.push(b.disabled); })
                         .observe(b, {attributes: true, attributeFilter: ['disabled']}); }""")

    def wait_train_finished(self, timeout_ms: int = 120_000):
        """Wait until Train went disabled and then enabled again since watch_train_button()."""
        self.page.wait_for_function(
            """() => { const r = window.__e2eTrainButton || []; const i = r.indexOf(true);
                       return i >= 0 && r.indexOf(false, i) > i; }""", timeout=timeout_ms)

    def train_and_wait(self, timeout_ms: int = 120_000, **settings) -> str:
        """Train with the given settings until it finishes; returns the held-out accuracy text."""
        self.set_training(**settings)
        self.watch_train_button()
        self.button("Train").click()
        self.wait_train_finished(timeout_ms)
        kind = self.message.get_attribute("data-kind")
        assert kind != "error", f"training failed: {self.message.inner_text()}"
        expect(self.test_accuracy).to_have_text(re.compile(r"\d+(\.\d+)?\s*%"))
        return self.test_accuracy.inner_text()

    # -- models ----------------------------------------------------------------------------
    def save(self, name: str):
        self.field("Model name").fill(name)
        self.button("Save").click()

    def saved_item(self, name: str):
        return self.saved_models.get_by_role("listitem").filter(
            has=self.page.get_by_role("button", name=f"Load {name}", exact=True))

    def load(self, name: str):
        self.saved_models.get_by_role("button", name=f"Load {name}", exact=True).click()

    def storage(self) -> dict:
        """All pynn.* localStorage entries."""
        return self.page.evaluate(
            """() => Object.fromEntries(Object.keys(localStorage).filter(k => k.startsWith('pynn.'))
                                      .map(k => [k, localStorage.getItem(k)]))""")

    def expect_error_message(self, pattern, timeout=15_000):
        expect(self.message).to_have_attribute("data-kind", "error", timeout=timeout)
        expect(self.message).to_have_text(pattern, timeout=timeout)


def pynn_call(app: App, expression: str):
    """Await ``expression`` (``pynn`` = window.pynn) in the page: its value, or {"error": message}."""
    return app.page.evaluate(f"""async () => {{ const pynn = window.pynn;
        try {{ return await ({expression}); }} catch (e) {{ return {{error: e.message}}; }} }}""")
