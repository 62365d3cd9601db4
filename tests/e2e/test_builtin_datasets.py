"""The data sets in the page: Ready loads none, the first request that needs samples fetches only
the gzip shards it needs (a fit of 8,000 MNIST digits: train-0 and test-0), decoded with the
native DecompressionStream; a failed fetch is that request's error, retried by the next; and
Fashion-MNIST is one switch away, with its own model and class names in the Draw panel."""

import gzip
import hashlib
import json
import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

FASHION = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker",
           "Bag", "Ankle boot"]


def data_files(fetched):
    """The data files the page and its worker asked for, e.g. ["mnist/test-0.u8.gz"]."""
    return sorted({u.split("/data/")[1] for u in fetched if "/data/" in u})


def watch_requests(app):
    """Requests of the page and its worker (the service worker's own fetch of the same file aside)."""
    fetched = []
    app.page.context.on("request", lambda r: fetched.append(r.url) if r.service_worker is None else None)
    return fetched


def test_ready_loads_no_data_and_a_fit_of_8000_fetches_two_shards(open_app, site_dir):
    build = json.loads((site_dir / "build.json").read_text())
    app = open_app(load=False)
    fetched = watch_requests(app)
    app.open()
    ready = app.page.evaluate("async () => { const r = await window.pynn.ready; return {stages: r.stages, data: r.data}; }")
    assert "data" not in ready["stages"], ready["stages"]
    assert ready["data"] == {"dataset": "mnist", "train": 60000, "test": 10000}
    app.draw("7")
    app.page.wait_for_timeout(300)
    assert data_files(fetched) == [], "Ready or predict fetched data"

    # evaluate needs the 10,000 official test digits: one shard
    ev = app.page.evaluate("async () => { const e = await window.pynn.evaluate(); return {accuracy: e.accuracy, count: e.count}; }")
    assert ev["count"] == 10000
    assert ev["accuracy"] == pytest.approx(build["default_model"]["test_accuracy"], abs=1e-9)
    assert data_files(fetched) == ["mnist/test-0.u8.gz"]

    # a fit of 8,000 adds the first training shard only, and says what it downloads
    out = app.page.evaluate("""async () => {
        const events = [];
        const r = await window.pynn.fit({samples: 8000, epochs: 1, hidden: [32]}, (e) => { if (e.type === 'download') events.push(e); });
        return {events, count: r.evaluation.count, dataset: window.pynn.activeModel().dataset};
    }""")
    assert data_files(fetched) == ["mnist/test-0.u8.gz", "mnist/train-0.u8.gz"]
    assert out["count"] == 10000 and out["dataset"] == "mnist"
    assert [(e["split"], e["files"], e["of"]) for e in out["events"]] == [("train", 0, 1), ("train", 1, 1)], out["events"]
    assert re.match(r"Downloading MNIST digits \(train\): 1 of 1 file", out["events"][-1]["text"])
    # a second fit of the same size fetches nothing new
    app.page.evaluate("() => window.pynn.fit({samples: 5000, epochs: 1, hidden: [16]})")
    assert data_files(fetched) == ["mnist/test-0.u8.gz", "mnist/train-0.u8.gz"]


def test_gunzip_in_chromium_gives_the_shards_bytes(app, site_dir):
    build = json.loads((site_dir / "build.json").read_text())
    # the worker's own gunzip (web/worker/util.js; the site ships it bundled into worker/worker.js)
    util = Path(__file__).resolve().parents[2] / "web" / "worker" / "util.js"
    app.page.context.route("**/__tests__/worker-util.js", lambda route: route.fulfill(
        status=200, content_type="text/javascript", body=util.read_text()))
    shards = [d["test"]["shards"][0]["url"] for d in build["datasets"]]
    got = app.page.evaluate("""async (files) => {
        const { gunzip } = await import('./__tests__/worker-util.js');
        const out = {};
        for (const gz of files) {
            const bytes = await gunzip(await (await fetch(gz)).arrayBuffer());
            const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', bytes));
            out[gz] = [...digest].map((b) => b.toString(16).padStart(2, '0')).join('');
        }
        return out;
    }""", shards)
    want = {s: hashlib.sha256(gzip.decompress((site_dir / s).read_bytes())).hexdigest() for s in shards}
    assert got == want


def test_a_failed_shard_fetch_is_the_requests_error_and_the_next_request_retries(app, site_dir):
    build = json.loads((site_dir / "build.json").read_text())
    page = app.page
    page.context.route("**/data/mnist/test-0.u8.gz", lambda route: route.abort("internetdisconnected"))
    error = page.evaluate("() => window.pynn.evaluate().then(() => null, (e) => ({message: e.message, kind: e.kind, file: e.file}))")
    assert error is not None, "evaluate succeeded without the test digits"
    assert error["kind"] == "data" and error["file"].endswith("/data/mnist/test-0.u8.gz"), error
    assert re.search(r"test-0\.u8\.gz.*offline.*never loaded", error["message"]), error["message"]
    assert page.get_by_test_id("status").get_attribute("data-state") == "ready"
    app.draw("7")  # predicting needs no data
    expect(app.prediction).to_have_text("7", timeout=15_000)

    page.context.unroute("**/data/mnist/test-0.u8.gz")
    accuracy = page.evaluate("async () => (await window.pynn.evaluate()).accuracy")
    assert accuracy == pytest.approx(build["default_model"]["test_accuracy"], abs=1e-9)


def test_the_api_lists_both_data_sets_with_their_licences(app):
    sets = app.page.evaluate("() => window.pynn.datasets()")
    assert [(d["id"], d["train"], d["test"]) for d in sets] == [("mnist", 60000, 10000), ("fashion-mnist", 60000, 10000)]
    assert sets[1]["classes"] == FASHION
    assert "Yann LeCun, Corinna Cortes and Christopher J.C. Burges" in sets[0]["license"]
    assert "CC BY-SA 3.0" in sets[0]["license"] and "MIT" in sets[1]["license"] and "Zalando" in sets[1]["license"]
    active = app.page.evaluate("() => window.pynn.activeModel()")
    assert active["dataset"] == "mnist" and active["classes"] == [str(d) for d in range(10)]


def test_switching_to_fashion_mnist_shows_clothes_and_trains_on_them(open_app, site_dir):
    build = json.loads((site_dir / "build.json").read_text())
    fashion = next(d for d in build["datasets"] if d["id"] == "fashion-mnist")
    app = open_app(load=False)
    fetched = watch_requests(app)
    app.open()
    app.field("Data set").select_option(label="Fashion-MNIST")
    expect(app.active_model).to_contain_text("Fashion-MNIST model", timeout=30_000)
    expect(app.page.get_by_test_id("dataset-credit")).to_contain_text("MIT; Fashion-MNIST by Zalando Research")
    # the Draw panel: one bar per piece of clothing, named
    names = [app.page.get_by_test_id(f"prob-{k}").locator(".prob-digit").inner_text() for k in range(10)]
    assert names == FASHION
    expect(app.page.get_by_test_id("prob-1")).to_have_attribute("aria-label", "Trouser: no prediction")
    app.draw("1")  # a tall narrow stroke: a trouser leg, or a dress
    expect(app.prediction).to_have_text(re.compile("^(" + "|".join(map(re.escape, FASHION)) + ")$"), timeout=15_000)
    predicted = app.page.evaluate("""async () => {
        const { toMnist } = await import(new URL('./page/draw.js', document.baseURI).href);
        const r = await window.pynn.predict(toMnist(document.querySelector('canvas[aria-label="Drawing pad"]'), 28).pixels);
        return r;
    }""")
    assert predicted["className"] == FASHION[predicted["label"]]
    expect(app.prediction).to_have_text(predicted["className"])
    active = app.page.evaluate("() => window.pynn.activeModel()")
    assert active["dataset"] == "fashion-mnist" and active["classes"] == FASHION
    assert active["accuracy"] == pytest.approx(fashion["model_test_accuracy"])
    ev = app.page.evaluate("async () => { const e = await window.pynn.evaluate(); return {accuracy: e.accuracy, count: e.count}; }")
    assert ev["count"] == 10000 and ev["accuracy"] == pytest.approx(fashion["model_test_accuracy"], abs=2e-3)

    # a short fit from the Train panel trains on clothes, and the runs table says so
    accuracy = app.train_and_wait(hidden=32, epochs=1, samples=3000, batch=64)
    assert 60.0 < float(accuracy.rstrip("% ")) < 92.0, accuracy
    assert data_files(fetched) == ["fashion-mnist/test-0.u8.gz", "fashion-mnist/train-0.u8.gz"]
    row = app.page.get_by_test_id("runs").locator("tbody tr").last
    expect(row).to_contain_text("Fashion-MNIST")
    expect(row).to_contain_text("784-32-10")
    assert app.page.evaluate("() => window.pynn.activeModel().dataset") == "fashion-mnist"
    names = [app.page.get_by_test_id(f"prob-{k}").locator(".prob-digit").inner_text() for k in range(10)]
    assert names == FASHION
    app.snap("fashion-draw-train")
