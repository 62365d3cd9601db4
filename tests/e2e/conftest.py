"""End-to-end fixtures: serve the built site/, drive it in Debian's headless Chromium.

Run with ``python3 build.py test`` (builds site/ first) or, after ``python3 build.py``,
``.venv/bin/python -m pytest tests/e2e``.

Fixtures
--------
base_url   (session)  the built site served by ``tools.serve.make_server`` on a free local port
subpath_url (session) the same site served under /user/repo/ (as on GitHub Pages)
browser    (session)  headless Chromium (``PYNN_CHROMIUM``, default /usr/bin/chromium)
open_app   (test)     factory: a fresh browser context (fresh localStorage) + page wrapped in App
                      (``open_app(context=other.page.context)``: a second tab of the same context);
                      every page is watched: console errors and requests are recorded, an
                      uncaught page error or a request to another host fails the test, and a
                      screenshot is saved to test-artifacts/<test>[-n].png at the end
app        (test)     open_app() already loaded and showing "Ready"
ready_page (test)     app.page
held_out   (session)  the held-out digits from site/data (numpy arrays)

``PYNN_SITE_DIR`` and ``PYNN_ARTIFACTS`` (set by build.py) override site/ and test-artifacts/.
Needs: playwright, pytest, numpy (and Chromium; ``playwright install`` is not used).
"""

from __future__ import annotations

import json
import math
import os
import re
import sys
import threading
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Page, expect, sync_playwright

ROOT = Path(__file__).resolve().parents[2]
# build.py test passes these; the defaults are the same places
SITE = Path(os.environ.get("PYNN_SITE_DIR") or ROOT / "site")
ARTIFACTS = Path(os.environ.get("PYNN_ARTIFACTS") or ROOT / "test-artifacts")
CHROMIUM = os.environ.get("PYNN_CHROMIUM") or "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
READY_TIMEOUT_MS = 90_000
SNAPSHOT_FOLDER = "pynn-snapshots"  # web/snapshot-store.js's folder in OPFS
VIEWPORT = {"width": 1280, "height": 1000}
LOCAL_ORIGINS: set = set()  # host:port of the servers these tests started; any other host is foreign

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
        """Wait until the start-up snapshot ``<build_id>.snapshot`` is in this context's OPFS
        (web/snapshot-store.js writes it after Ready, renamed into place once complete); its size
        in bytes, or None if it is not there within ``timeout_ms``."""
        return self.page.evaluate(
            """async ([folder, name, timeoutMs]) => {
                const t0 = performance.now();
                while (performance.now() - t0 < timeoutMs) {
                    try {
                        const dir = await (await navigator.storage.getDirectory()).getDirectoryHandle(folder);
                        return (await (await dir.getFileHandle(name)).getFile()).size;
                    } catch (e) { await new Promise(r => setTimeout(r, 200)); }
                }
                return null;
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

    def touch_draw(self, digit: str):
        """Draw a digit with a finger: real touch events through the DevTools protocol."""
        self.pad.scroll_into_view_if_needed()
        box = self.pad.bounding_box()
        cdp = self.page.context.new_cdp_session(self.page)
        try:
            for stroke in DIGIT_STROKES[digit]:
                pts = [(box["x"] + x * box["width"], box["y"] + y * box["height"]) for x, y in stroke]
                for i, (x, y) in enumerate(pts):
                    cdp.send("Input.dispatchTouchEvent", {
                        "type": "touchStart" if i == 0 else "touchMove",
                        "touchPoints": [{"x": x, "y": y, "id": 1, "radiusX": 2, "radiusY": 2, "force": 1}]})
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
                const { toMnist } = await import(new URL('./draw.js', document.baseURI).href);
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


# ------------------------------------------------------------------------------------------
# fixtures


@pytest.fixture(scope="session")
def site_dir() -> Path:
    if not (SITE / "index.html").is_file():
        pytest.fail(f"{SITE}/index.html not found: run python3 build.py first", pytrace=False)
    return SITE


def _serve(directory: Path):
    """Serve `directory` with tools.serve.make_server on a free local port; returns (server, url)."""
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    try:
        from tools.serve import make_server
    except ImportError as exc:  # pragma: no cover - depends on tools/serve.py
        pytest.fail(f"cannot import make_server from {ROOT}/tools/serve.py ({exc})",
                    pytrace=False)
    try:
        server = make_server(str(directory), 0, quiet=True)
    except TypeError:  # a make_server without the quiet option
        server = make_server(str(directory), 0)
    host, port = server.server_address[:2]
    threading.Thread(target=server.serve_forever, name=f"serve-{port}", daemon=True).start()
    url = f"http://{'127.0.0.1' if host in ('0.0.0.0', '') else host}:{port}"
    LOCAL_ORIGINS.add(urlsplit(url).netloc)
    return server, url


@pytest.fixture(scope="session")
def base_url(site_dir):
    server, url = _serve(site_dir)
    yield url
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="session")
def subpath_url(site_dir, tmp_path_factory):
    """The same site under a sub-path, as on GitHub Pages: <server>/user/repo/ ."""
    root = tmp_path_factory.mktemp("subpath")
    (root / "user").mkdir()
    (root / "user" / "repo").symlink_to(site_dir.resolve(), target_is_directory=True)
    server, url = _serve(root)
    yield url + "/user/repo"
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="session")
def browser():
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield browser
        browser.close()


def _page_problems(record: dict, i: int) -> list:
    problems = []
    if record["page_errors"]:
        problems.append(f"uncaught error in page {i + 1}: " + " | ".join(record["page_errors"]))
    uncaught = [c for c in record["console"] if "Uncaught" in c]
    if uncaught:
        problems.append(f"uncaught error logged in page {i + 1}: " + " | ".join(uncaught))
    if record["foreign"]:
        problems.append(f"requests to other hosts from page {i + 1}: {record['foreign'][:5]}")
    return problems


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item):
    """Fail the test itself (not only its teardown) when a page threw or reached another host."""
    item.e2e_reported = []
    result = yield
    problems = [p for i, r in enumerate(getattr(item, "e2e_records", [])) for p in _page_problems(r, i)]
    if problems:
        item.e2e_reported = problems
        pytest.fail("\n".join(problems), pytrace=False)
    return result


def _artifact_name(nodeid: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", nodeid.split("::", 1)[-1]).strip("_")[:120]


@pytest.fixture
def open_app(browser, base_url, request):
    """Factory: a new context (fresh localStorage) and page; returns an App (not yet loaded)."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    opened = []  # (context, page, record)
    request.node.e2e_records = []
    request.node.e2e_reported = []

    def factory(load: bool = True, context=None, **context_options) -> App:
        if context is None:
            context = browser.new_context(**({"viewport": VIEWPORT, "accept_downloads": True} | context_options))
            context.set_default_timeout(30_000)
        page = context.new_page()
        record = {"console": [], "page_errors": [], "requests": [], "foreign": []}

        def on_request(req):
            record["requests"].append(req.url)
            parts = urlsplit(req.url)
            if parts.scheme in ("data", "blob", "about"):
                return
            if parts.netloc not in LOCAL_ORIGINS:
                record["foreign"].append(req.url)

        def on_console(msg):
            if msg.type in ("error", "warning"):
                record["console"].append(f"[{msg.type}] {msg.text}")

        def on_worker(worker):
            try:
                worker.on("console", on_console)
            except Exception:  # noqa: BLE001 - older playwright without worker console events
                pass

        context.on("request", on_request)
        page.on("console", on_console)
        page.on("pageerror", lambda err: record["page_errors"].append(str(err)))
        page.on("worker", on_worker)
        app = App(page, base_url)
        app.record = record
        app.artifact_stem = _artifact_name(request.node.nodeid) + (f"-{len(opened) + 1}" if opened else "")
        opened.append((context, page, record))
        request.node.e2e_records.append(record)
        if load:
            app.open()
        return app

    yield factory

    problems = []
    for i, (context, page, record) in enumerate(opened):
        stem = _artifact_name(request.node.nodeid) + (f"-{i + 1}" if len(opened) > 1 else "")
        try:
            if not page.is_closed():
                # let canvases present their latest content before the picture is taken
                page.evaluate("() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))")
                page.screenshot(path=str(ARTIFACTS / f"{stem}.png"), full_page=True)
        except Exception as exc:  # noqa: BLE001 - a screenshot must not hide the real failure
            problems.append(f"screenshot failed: {exc}")
        (ARTIFACTS / f"{stem}.log").write_text(json.dumps(
            {k: record[k] for k in ("console", "page_errors", "foreign")}
            | {"request_count": len(record["requests"])}, indent=1))
        page.close()
        if not any(c is context and not p.is_closed() for c, p, _ in opened):
            context.close()
        problems += [p for p in _page_problems(record, i) if p not in request.node.e2e_reported]
    if problems:
        pytest.fail("\n".join(problems), pytrace=False)


@pytest.fixture
def app(open_app) -> App:
    return open_app()


@pytest.fixture
def ready_page(app) -> Page:
    return app.page


@pytest.fixture(scope="session")
def held_out(site_dir):
    """The held-out digits (last `test` rows of site/data) as (uint8 images (n, 784), labels)."""
    import numpy as np

    meta = json.loads((site_dir / "data" / "mnist.json").read_text())
    images = np.fromfile(site_dir / "data" / "mnist-images.u8", dtype=np.uint8).reshape(meta["count"], 784)
    labels = np.fromfile(site_dir / "data" / "mnist-labels.u8", dtype=np.uint8)
    return images[meta["train"]:], labels[meta["train"]:]


@pytest.fixture(scope="session")
def default_model_text(site_dir) -> str:
    build = json.loads((site_dir / "build.json").read_text())
    return (site_dir / build["model"]).read_text()
