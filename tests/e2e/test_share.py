"""Share, embed, publish in Chromium: a lesson link made in one browser context opens in a fresh
one with the same form, code and panels, and seeded training in both gives the same weights
fingerprint; ?model= makes a file of the site the active model; the page embedded in an iframe on
another origin posts its prediction to the host when a digit is drawn in it with the mouse; a
published zip, unzipped and served from a sub-path, reaches Ready with the published model active
(predictions bit-identical to the source page) and works offline after one visit."""
from __future__ import annotations

import contextlib
import json
import re
import zipfile

import pytest
from playwright.sync_api import expect

from conftest import _serve
from tools.fit_reference import LESSON_HASH, reference_fit, training_config

TEMPLATE_LINE = "def my_leaky_relu(z):"  # a line of the Code panel's "leaky ReLU" template
FORM = {"Hidden layers": "32, 16", "Epochs": "1", "Batch size": "50", "Training samples": "1000",
        "Learning rate": "0.02", "Seed": "7"}
FINGERPRINT = re.compile(r"weights [0-9a-f]{8}")


@contextlib.contextmanager
def serving(directory):
    """`directory` served on a free local port (conftest's server) while in the block: its URL."""
    server, url = _serve(directory)
    try:
        yield url
    finally:
        server.shutdown()
        server.server_close()


def form_values(app) -> dict:
    values = {label: app.field(label).input_value() for label in FORM}
    values["Optimizer"] = app.field("Optimizer").input_value()
    values["Shift (px)"] = app.page.locator("#a-shift").input_value()
    return values


def shown_panels(page) -> list:
    return page.evaluate("""() => [...document.querySelectorAll('main .panel')]
        .filter(el => !el.hidden).map(el => /panel-([a-z-]+)/.exec(el.className)[1])""")


def train(app):
    app.watch_train_button()
    app.button("Train").click()
    app.wait_train_finished()
    expect(app.test_accuracy).to_have_text(re.compile(r"\d+(\.\d+)?\s*%"))
    fingerprint = app.page.get_by_test_id("fingerprint")
    expect(fingerprint).to_have_text(FINGERPRINT)
    return fingerprint.inner_text()


def test_a_lesson_link_trains_bit_for_bit_the_weights_pyodide_in_node_trains(open_app):
    """Every engine runs the plain SIMD kernel (the relaxed one rounds per engine), so the run a
    link describes gives the same weights here as in Pyodide under Node, Firefox and WebKit
    (tests/engines check those against the same reference)."""
    app = open_app(load=False)
    app.page.goto(app.base_url + "/" + LESSON_HASH)
    app.wait_ready()
    assert app.page.evaluate("() => window.pynn.ready.then((r) => r.kernelVariant)") == "simd"
    shown = train(app)
    model = app.page.evaluate("async () => (await window.pynn.exportModel({download: false})).text()")
    config = training_config(model)
    assert (config["seed"], config["hidden"], config["samples"]) == (7, [16], 500), config
    reference = reference_fit(config)
    assert reference["variant"] == "sgemm.wasm", reference
    assert shown == f"weights {reference['fingerprint']}", (shown, reference, config)


def test_a_lesson_link_opens_in_a_fresh_context_with_the_same_setup_and_trains_the_same_weights(open_app):
    maker = open_app(load=False)
    maker.page.goto(maker.base_url + "/?panels=draw,train,models,code,share")
    maker.wait_ready()
    for label, value in FORM.items():
        maker.field(label).fill(value)
    maker.field("Optimizer").select_option("sgd")
    maker.field("Learning rate").fill("0.02")
    maker.page.locator("#a-shift").fill("1")
    maker.button("Open the code editor").click()
    maker.page.locator("#code-template").select_option("leaky_relu")
    expect(maker.page.get_by_test_id("code-editor")).to_contain_text(TEMPLATE_LINE)
    maker.button("Copy link").click()
    link_box = maker.page.get_by_test_id("lesson-link")
    expect(link_box).to_have_value(re.compile(r"#v=1&"))
    link = link_box.input_value()
    assert "&s=7&" in link and "&o=sgd&" in link and "&c=" in link and "p=draw,train,models,code,share" in link, link
    assert "open=code" in link, link
    made = form_values(maker)
    print(f"lesson link with the leaky ReLU template: {len(link)} characters")

    opener = open_app(load=False)  # a fresh context: nothing of the maker's storage
    assert opener.page.context is not maker.page.context
    opener.page.goto(link)
    opener.wait_ready()
    expect(opener.message).to_contain_text("Nothing has run")
    assert form_values(opener) == made
    assert shown_panels(opener.page) == ["draw", "train", "models", "code", "share"]
    expect(opener.page.get_by_test_id("code-editor")).to_contain_text(TEMPLATE_LINE)
    expect(opener.test_accuracy).to_have_text("")  # nothing trained on opening
    assert opener.page.evaluate("() => window.pynn.activeModel().kind") == "default"

    first, second = train(maker), train(opener)
    assert first == second, f"same link, same seed, different weights: {first} vs {second}"
    default_fp = opener.page.evaluate("""async () => {
        await window.pynn.fit({hidden: [32, 16], epochs: 1, batchSize: 50, samples: 1000, optimizer: 'sgd',
                               learningRate: 0.02, seed: 8, augment: {shift: 1}});
        return window.pynn.activeModel().fingerprint; }""")
    assert f"weights {default_fp}" != first, "another seed gave the same fingerprint"


@pytest.fixture(scope="module")
def extra_root(site_dir, tmp_path_factory):
    """The built site plus model files beside index.html (a publisher's own), served on a port."""
    import sys
    from conftest import ROOT
    sys.path.insert(0, str(ROOT))
    import py_nn

    root = tmp_path_factory.mktemp("extra")
    for item in site_dir.iterdir():
        (root / item.name).symlink_to(item.resolve(), target_is_directory=item.is_dir())
    net = py_nn.NeuralNetwork([784, 24, 10], seed=3, dtype="float32")
    (root / "mine.json").write_text(net.to_json(metadata={"name": "mine"}))
    with serving(root) as url:
        yield url, net


def test_model_param_makes_a_model_file_of_the_site_the_active_model(open_app, extra_root, held_out):
    url, net = extra_root
    app = open_app(load=False)
    app.page.goto(url + "/?model=mine.json")
    app.wait_ready()
    expect(app.active_model).to_have_text("mine (unsaved)")
    expect(app.message).to_contain_text("The model mine.json from this site is active")
    pixels = (held_out[0][:3].astype("float32") / 255).tolist()
    got = app.page.evaluate("async (rows) => Promise.all(rows.map(r => window.pynn.predict(r)))", pixels)
    want = net.predict(held_out[0][:3].astype("float32") / 255)
    assert [g["label"] for g in got] == [int(v) for v in want.argmax(axis=1)]


@pytest.fixture(scope="module")
def second_origin(site_dir):
    """The same site on a second local port: another origin, as a course page's host is."""
    with serving(site_dir) as url:
        yield url


def test_an_embedded_page_on_another_origin_posts_its_prediction_to_the_host(open_app, second_origin):
    app = open_app(load=False)
    embedded = f"{app.base_url}/index.html?embed&panels=draw"
    assert not embedded.startswith(second_origin)
    app.page.goto(f"{second_origin}/page/embed-example/?src={embedded}")
    log = app.page.get_by_test_id("host-log")
    expect(log).to_contain_text("ready", timeout=90_000)
    expect(log).to_contain_text("height")
    frame = app.page.frame_locator("#pynn")
    expect(frame.locator("header.top")).to_be_hidden()
    expect(frame.locator(".panel-train")).to_be_hidden()
    app.draw_strokes(frame.get_by_label("Drawing pad", exact=True), __import__("app_page").DIGIT_STROKES["7"])
    expect(app.page.get_by_test_id("host-prediction")).to_have_text(re.compile(r"^7 \(\d+\.\d%\)$"), timeout=30_000)
    height = app.page.locator("#pynn").evaluate("f => f.getBoundingClientRect().height")
    posted = [int(h) for h in re.findall(r'height \{"height":(\d+)\}', log.inner_text())]
    # the example host adds 4 px to the height it hears, the iframe's border a few more
    assert posted and 200 < height and abs(height - posted[-1]) <= 10, \
        f"the host did not size the iframe from the page's height: iframe {height} px, heights posted {posted}"
    # a command from the host: clear the pad
    app.button("Clear the pad (a command)").click()
    expect(log).to_contain_text('done {"id":"clear-1","command":"clear"}')
    expect(frame.get_by_test_id("draw-message")).to_have_text("Draw a digit first")


PREDICT_ROWS = "async (rows) => Promise.all(rows.map(r => window.pynn.predict(r)))"
# this folder's service worker controls the page and its cache holds every file of `files`
CACHED = """async (files) => { if (!navigator.serviceWorker.controller) return false;
    const reg = await navigator.serviceWorker.ready;
    const cache = await caches.open('pynn-site-' + new URL(reg.active.scriptURL).searchParams.get('build'));
    const have = new Set((await cache.keys()).map(r => r.url));
    return files.every(f => have.has(new URL(f, reg.scope).href)); }"""


def test_a_published_zip_served_from_a_subpath_has_the_model_and_works_offline(open_app, tmp_path, site_dir, held_out):
    source = open_app()
    build = json.loads((site_dir / "build.json").read_text())
    source.set_training(hidden="24", epochs="1", samples="800", batch="40")
    fingerprint = train(source)
    source.page.locator("details.publish-box > summary").click()
    source.field("Title").fill("Digits of class 4B")
    with source.page.expect_download(timeout=120_000) as info:
        source.page.locator("#publish").click()
    zip_path = tmp_path / "site.zip"
    info.value.save_as(zip_path)
    expect(source.page.get_by_test_id("publish-status")).to_contain_text("digits-of-class-4b.zip")
    pixels = (held_out[0][:40].astype("float32") / 255).tolist()
    want = source.page.evaluate(PREDICT_ROWS, pixels)

    root = tmp_path / "host"
    with zipfile.ZipFile(zip_path) as z:
        names = set(z.namelist())
        z.extractall(root / "courses" / "digits")
    published = json.loads((root / "courses" / "digits" / "build.json").read_text())
    assert published["build_id"] != build["build_id"]
    assert published["published"]["from"] == build["build_id"]
    assert published["default_model"]["layers"] == [784, 24, 10]
    assert set(build["precache"]) | set(build["lazy"]) <= names
    (root / "source").symlink_to(site_dir.resolve(), target_is_directory=True)  # the same origin
    with serving(root) as url:
        visitor = open_app(load=False)
        visitor.page.goto(url + "/source/")  # first the source site: its offline cache must survive
        visitor.wait_ready()
        source_fp = visitor.page.get_by_test_id("fingerprint").inner_text()
        visitor.page.wait_for_function(CACHED, arg=build["precache"], timeout=60_000)
        visitor.page.goto(url + "/courses/digits/")
        visitor.wait_ready()
        expect(visitor.page).to_have_title("Digits of class 4B")
        expect(visitor.active_model).to_have_text("Default model")
        expect(visitor.page.get_by_test_id("fingerprint")).to_have_text(fingerprint)
        got = visitor.page.evaluate(PREDICT_ROWS, pixels)
        assert got == want, "the published model predicts differently from the source page"
        # offline after one visit
        visitor.page.wait_for_function(CACHED, arg=published["precache"], timeout=60_000)
        assert len(visitor.page.evaluate("caches.keys()")) == 2, "one site's offline cache evicted the other's"
        visitor.page.wait_for_function("() => navigator.serviceWorker.controller !== null", timeout=60_000)
        visitor.page.context.set_offline(True)
        visitor.reload()
        expect(visitor.page.get_by_test_id("fingerprint")).to_have_text(fingerprint)
        assert visitor.page.evaluate(PREDICT_ROWS, pixels[:5]) == want[:5]
        visitor.draw("7")
        expect(visitor.prediction).to_have_text(re.compile(r"^\d$"), timeout=15_000)
        visitor.page.goto(url + "/source/")  # offline too, with its own default model
        visitor.wait_ready()
        expect(visitor.page.get_by_test_id("fingerprint")).to_have_text(source_fp)
