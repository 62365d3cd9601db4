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
held_out   (session)  the held-out digits: MNIST's test shard from site/data/mnist (numpy arrays)

``PYNN_SITE_DIR`` and ``PYNN_ARTIFACTS`` (set by build.py) override site/ and test-artifacts/.
Needs: playwright, pytest, numpy (and Chromium; ``playwright install`` is not used).
"""

from __future__ import annotations

import json
import os
import re
import sys
import threading
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Page, sync_playwright

from app_page import ARTIFACTS, READY_TIMEOUT_MS, ROOT, SNAPSHOT_FOLDER, App  # noqa: F401 (tests import them from here)

if str(ROOT) not in sys.path:  # the tests import tools.* (tools/serve.py, tools/fit_reference.py)
    sys.path.insert(0, str(ROOT))

# build.py test passes these; the defaults are the same places
SITE = Path(os.environ.get("PYNN_SITE_DIR") or ROOT / "site")
CHROMIUM = os.environ.get("PYNN_CHROMIUM") or "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
VIEWPORT = {"width": 1280, "height": 1000}
LOCAL_ORIGINS: set = set()  # host:port of the servers these tests started; any other host is foreign

# ------------------------------------------------------------------------------------------
# fixtures


@pytest.fixture(scope="session")
def site_dir() -> Path:
    if not (SITE / "index.html").is_file():
        pytest.fail(f"{SITE}/index.html not found: run python3 build.py first", pytrace=False)
    return SITE


def _serve(directory: Path):
    """Serve `directory` with tools.serve.make_server on a free local port; returns (server, url)."""
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
    """The held-out digits: MNIST's 10,000 official test digits (site/data/mnist/test-0.u8.gz) as
    (uint8 images (n, 784), labels (n,))."""
    import gzip

    import numpy as np

    raw = np.frombuffer(gzip.decompress((site_dir / "data" / "mnist" / "test-0.u8.gz").read_bytes()), dtype=np.uint8)
    count = raw.size // 785
    return raw[:count * 784].reshape(count, 784), raw[count * 784:]


@pytest.fixture(scope="session")
def default_model_text(site_dir) -> str:
    build = json.loads((site_dir / "build.json").read_text())
    return (site_dir / build["model"]).read_text()
