"""Offline: the service worker precaches what Ready and predict need (build.json's "precache"), in
a cache named after the build id, without downloading anything twice; the files loaded on first
use (the data sets' shards, Chart.js) are cached when first used. After one visit the page reaches
Ready and predicts with the network gone; after a data set's shards were loaded once, it trains
offline too."""

import json
import re

from playwright.sync_api import expect

def shards(build, dataset="mnist", first_only=False):
    """The shard files of a data set (only what a first Train of up to 10,000 samples loads)."""
    d = next(d for d in build["datasets"] if d["id"] == dataset)
    if first_only:
        return [d["train"]["shards"][0]["url"], d["test"]["shards"][0]["url"]]
    return [s["url"] for split in ("train", "test") for s in d[split]["shards"]]


CACHED_FILES = """async () => {
    const reg = await navigator.serviceWorker.ready;
    const id = new URL(reg.active.scriptURL).searchParams.get('build');
    const cache = await caches.open('pynn-site-' + id);
    return {id, keys: await caches.keys(),
            files: (await cache.keys()).map(r => new URL(r.url).pathname.slice(1))};
}"""


def test_precached_site_works_offline(app, site_dir):
    build = json.loads((site_dir / "build.json").read_text())
    page = app.page
    cached = page.evaluate(CACHED_FILES)
    assert cached["id"] == build["build_id"], cached["id"]
    assert cached["keys"] == [f"pynn-site-{build['build_id']}"], cached["keys"]
    missing = sorted(set(build["precache"]) - set(cached["files"]))
    assert missing == [], f"not precached: {missing}"
    lazy = [*shards(build), *shards(build, "fashion-mnist"), "vendor/chart.umd.min.js", "vendor/codemirror.js"]
    assert [f for f in lazy if f in cached["files"]] == [], "a file loaded on first use was precached"

    page.wait_for_function("() => navigator.serviceWorker.controller !== null")
    page.context.set_offline(True)
    app.reload()
    expect(app.active_model).to_have_text("Default model")
    app.draw("7")
    expect(app.prediction).to_have_text("7", timeout=15_000)


def test_training_works_offline_once_the_shards_were_loaded(app, site_dir):
    build = json.loads((site_dir / "build.json").read_text())
    page = app.page
    page.evaluate(CACHED_FILES)
    page.wait_for_function("() => navigator.serviceWorker.controller !== null")
    app.train_and_wait(hidden="16", epochs="1", samples="500")  # loads two MNIST shards and Chart.js
    page.wait_for_function("""async (want) => {
        const files = (await (await caches.open((await caches.keys())[0])).keys()).map(r => new URL(r.url).pathname.slice(1));
        return want.every(f => files.includes(f)); }""",
                           arg=[*shards(build, first_only=True), "vendor/chart.umd.min.js"], timeout=30_000)

    page.context.set_offline(True)
    app.reload()
    app.train_and_wait(hidden="16", epochs="1", samples="500")
    expect(app.test_accuracy).to_have_text(re.compile(r"\d+(\.\d+)?\s*%"))
    ink = app.chart.evaluate(
        """c => { const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
                  let n = 0; for (let i = 3; i < d.length; i += 4) if (d[i] > 0) n++; return n; }""")
    assert ink > 2000, "the chart stayed blank offline"
    app.snap("trained-offline")


def test_the_service_worker_downloads_nothing_twice(open_app, browser, site_dir, tmp_path):
    """A first visit, counted at the server: every file's body travels once; the precache
    revalidates what the page fetched (304, no body) and no data set's shard is fetched at all.
    A profile on disk, as a person's (an in-memory cache does not keep the 20 MB wasm)."""
    from urllib.parse import urlsplit

    from conftest import CHROMIUM, CHROMIUM_ARGS, LOCAL_ORIGINS
    from tools.bench_web import RecordingServer

    build = json.loads((site_dir / "build.json").read_text())
    server = RecordingServer(site_dir)
    LOCAL_ORIGINS.add(urlsplit(server.url).netloc)
    try:
        context = browser.browser_type.launch_persistent_context(
            tmp_path / "profile", executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        app = open_app(load=False, context=context)
        app.base_url = server.url.rstrip("/")
        app.open()
        app.page.evaluate(CACHED_FILES)  # the precache is complete
        server.wait_quiet(seconds=1.0)
        sent = {}
        for _, path, status in server.log:
            sent.setdefault(path.split("?")[0].lstrip("/") or "index.html", []).append(int(status))
    finally:
        server.close()
    # build.json: the page and the worker read it at once; sw.js: a service worker's script is
    # always fetched past the HTTP cache (registration, then the update check)
    twice = {p: s for p, s in sent.items() if s.count(200) > 1 and p not in ("build.json", "sw.js")}
    assert twice == {}, f"sent more than once: {twice}"
    assert sent[build["wheel"]] == [200, 304], sent[build["wheel"]]  # the worker once, the precache revalidates
    assert sent["pyodide/pyodide.asm.wasm"] == [200, 304], sent["pyodide/pyodide.asm.wasm"]
    assert [f for f in sent if f.startswith("data/")] == [], "Ready loaded data"
    assert "vendor/chart.umd.min.js" not in sent, "Chart.js was loaded before the first Train"
