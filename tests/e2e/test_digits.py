"""The MNIST digits load on first use: Ready does not wait for them, the first request that needs
them fetches the gzipped files once and decodes them with the native DecompressionStream
(bit-identical to the raw files), and a failed fetch is that request's error, retried by the next."""

import json
from pathlib import Path
import re

import pytest
from playwright.sync_api import expect


def test_ready_does_not_load_the_digits(open_app, site_dir):
    build = json.loads((site_dir / "build.json").read_text())
    app = open_app(load=False)
    fetched = []
    # requests of the page and its worker (the service worker's own fetch of the same file aside)
    app.page.context.on("request", lambda r: fetched.append(r.url) if r.service_worker is None else None)
    app.open()
    ready = app.page.evaluate("async () => { const r = await window.pynn.ready; return {stages: r.stages, data: r.data}; }")
    assert "data" not in ready["stages"], ready["stages"]
    assert ready["data"] == {"train": build["shape"]["train"], "test": build["shape"]["test"]}
    app.draw("7")
    app.page.wait_for_timeout(300)
    assert [u for u in fetched if "/data/" in u] == [], "Ready or predict fetched the digits"

    accuracy = app.page.evaluate("async () => (await window.pynn.evaluate()).accuracy")
    assert accuracy == pytest.approx(build["default_model"]["digits_accuracy"], abs=1e-9)
    app.page.evaluate("() => window.pynn.evaluate()")  # the second request uses the digits kept
    digit_files = [u.split("/data/")[1] for u in fetched if "/data/" in u]
    assert sorted(digit_files) == ["mnist-images.u8.gz", "mnist-labels.u8.gz"], digit_files


def test_gunzip_in_chromium_gives_the_raw_bytes(app, site_dir):
    build = json.loads((site_dir / "build.json").read_text())
    # the worker's own gunzip (web/worker/util.js; the site ships it bundled into worker/worker.js)
    util = Path(__file__).resolve().parents[2] / "web" / "worker" / "util.js"
    app.page.context.route("**/__tests__/worker-util.js", lambda route: route.fulfill(
        status=200, content_type="text/javascript", body=util.read_text()))
    same = app.page.evaluate("""async (files) => {
        const { gunzip } = await import('./__tests__/worker-util.js');
        const out = {};
        for (const gz of files) {
            const packed = await (await fetch(gz)).arrayBuffer();
            const raw = new Uint8Array(await (await fetch(gz.slice(0, -3))).arrayBuffer());
            const got = await gunzip(packed);
            out[gz] = got.length === raw.length && got.every((v, i) => v === raw[i]) && packed.byteLength < raw.length;
        }
        return out;
    }""", list(build["digits"].values()))
    assert same == {f: True for f in build["digits"].values()}


def test_a_failed_digit_fetch_is_the_requests_error_and_the_next_request_retries(app, site_dir):
    build = json.loads((site_dir / "build.json").read_text())
    page = app.page
    page.context.route("**/data/mnist-images.u8.gz", lambda route: route.abort("internetdisconnected"))
    error = page.evaluate("() => window.pynn.evaluate().then(() => null, (e) => ({message: e.message, kind: e.kind, file: e.file}))")
    assert error is not None, "evaluate succeeded without the digits"
    assert error["kind"] == "data" and error["file"].endswith("/data/mnist-images.u8.gz"), error
    assert re.search(r"mnist-images\.u8\.gz.*offline.*never loaded", error["message"]), error["message"]
    assert page.get_by_test_id("status").get_attribute("data-state") == "ready"
    app.draw("7")  # predicting does not need the digits
    expect(app.prediction).to_have_text("7", timeout=15_000)

    page.context.unroute("**/data/mnist-images.u8.gz")
    accuracy = page.evaluate("async () => (await window.pynn.evaluate()).accuracy")
    assert accuracy == pytest.approx(build["default_model"]["digits_accuracy"], abs=1e-9)
