"""Inside panel in Chromium: summary, live activations, first-layer neurons, mistakes, histograms,
Pause / +1 epoch, the chart's axis, and the JS API calls behind them."""
import json
import re

from playwright.sync_api import expect


def open_inside(app):
    app.page.locator("#inside > summary").click()
    expect(app.page.get_by_test_id("model-summary").locator("tbody tr").first).to_be_visible(timeout=30_000)


def default_layers(site_dir):
    """The default model's node counts, e.g. [784, 256, 128, 10], as build.json says."""
    return json.loads((site_dir / "build.json").read_text())["default_model"]["layers"]


def test_summary_live_activations_and_neuron_order(app, site_dir):
    layers = default_layers(site_dir)
    open_inside(app)
    rows = app.page.get_by_test_id("model-summary").locator("tbody tr")
    expect(rows.nth(0)).to_contain_text(f"784→{layers[1]}")
    expect(rows).to_have_count(len(layers) - 1)
    expect(rows.nth(2)).to_contain_text("softmax")
    app.draw("1")
    live = app.page.get_by_test_id("live-layers")
    expect(live.get_by_test_id("live-layer-1")).to_contain_text(f"Hidden layer 1: {layers[1]} units", timeout=20_000)
    expect(live.get_by_role("list", name="Softmax: probability of each digit").locator("li")).to_have_count(10)
    # the live output agrees with the Draw panel's prediction
    label = app.settled_probs() and app.prediction.inner_text().strip()
    expect(live.locator(".live-probs li.is-top span").first).to_have_text(label, timeout=10_000)
    app.page.get_by_label("Order").select_option("firing")
    neurons = app.page.get_by_test_id("neuron-grid").get_by_role("button")
    expect(neurons).to_have_count(layers[1])
    expect(neurons.first).to_have_attribute("aria-label", re.compile(r"fires"), timeout=10_000)
    fires = [float(re.search(r"fires (-?[\d.]+)", neurons.nth(i).get_attribute("aria-label")).group(1))
             for i in range(0, layers[1], 16)]
    assert fires == sorted(fires, reverse=True), fires
    neurons.first.click()
    detail = app.page.get_by_test_id("neuron-detail")
    expect(detail.get_by_role("list").locator("li")).to_have_count(9, timeout=20_000)


def test_mistakes_follow_the_confusion_matrix_and_per_class_accuracy(app):
    open_inside(app)
    table = app.page.get_by_test_id("inside-confusion")
    expect(table.locator("[data-testid^=class-accuracy-]")).to_have_count(10)
    accs = [float(table.get_by_test_id(f"class-accuracy-{d}").inner_text().rstrip("%")) for d in range(10)]
    assert all(80 <= a <= 100 for a in accs), accs
    # the biggest off-diagonal cell
    cells = app.page.evaluate("""() => [...document.querySelectorAll('[data-testid=inside-confusion] tbody tr')]
        .flatMap((tr, i) => [...tr.querySelectorAll('td[role=button]')].map((td, j) => [i, j, Number(td.textContent)]))""")
    t, p, n = max((c for c in cells if c[0] != c[1]), key=lambda c: c[2])
    assert n > 0
    table.get_by_role("button", name=f"True {t}, predicted {p}: {n} digits. Show them.").click()
    gallery = app.page.get_by_test_id("mistakes").locator("li")
    expect(gallery).to_have_count(n, timeout=20_000)
    assert {(g.get_attribute("data-label"), g.get_attribute("data-predicted")) for g in gallery.all()} == {(str(t), str(p))}
    app.field("True digit").select_option("")
    app.field("Predicted").select_option(str(p))
    expect(gallery.first).to_have_attribute("data-predicted", str(p), timeout=20_000)


def test_histograms_show_the_start_after_training_and_pause_one_more_epoch(app):
    open_inside(app)
    hist = app.page.get_by_test_id("histograms")
    expect(hist.locator("figcaption").first).to_contain_text("now only")
    # long enough that Pause lands before the last epoch even with the fast SIMD kernel
    app.set_training(hidden=32, epochs=30, samples=8000, batch=32)
    app.page.get_by_label("Chart x-axis").select_option("batch")
    app.watch_train_button()
    app.button("Train").click()
    expect(app.button("Pause")).to_be_enabled(timeout=30_000)
    app.button("Pause").click()
    expect(app.button("Resume")).to_be_visible(timeout=10_000)
    app.button("+1 epoch").click()
    # one more epoch, then it pauses again on its own
    expect(app.button("Resume")).to_be_visible(timeout=60_000)
    expect(app.train_status).to_contain_text(re.compile(r"Epoch ([1-9]|1\d|2\d)/30|Paused|Training one more"))
    app.button("Resume").click()
    app.wait_train_finished()
    expect(app.test_accuracy).to_have_text(re.compile(r"\d+\.\d%"))
    title = app.page.evaluate("() => Chart.getChart(document.getElementById('chart')).options.scales.x.title.text")
    assert title == "Batch"
    expect(hist.locator("figcaption").first).to_have_text("Layer 1", timeout=30_000)
    expect(app.page.get_by_test_id("model-summary").locator("tbody tr").first).to_contain_text("784→32")


def test_js_api_inside_mistakes_held_out_summary(app, site_dir):
    layers = default_layers(site_dir)
    out = app.page.evaluate("""async () => {
        const d = await pynn.heldOut(0);
        const inside = await pynn.inside(d);
        const pred = await pynn.predict(d);
        const mistakes = await pynn.mistakes({limit: 3});
        const summary = await pynn.summary();
        let bad = null;
        try { await pynn.heldOut(99999); } catch (e) { bad = e.message; }
        return {n: d.length, label: d.label, sizes: inside.layers.map(l => [l.size, l.activations.length]),
                probs: inside.probabilities, predProbs: pred.probabilities, logits: inside.logits.length,
                mistakes, summary, bad};
    }""")
    assert out["n"] == 784 and 0 <= out["label"] <= 9
    assert out["sizes"] == [[n, n] for n in layers[1:-1]] and out["logits"] == 10
    assert max(abs(a - b) for a, b in zip(out["probs"], out["predProbs"])) < 1e-5
    assert len(out["mistakes"]) == 3 and all(m["label"] != m["predicted"] for m in out["mistakes"])
    assert [r["shape"] for r in out["summary"]] == [list(p) for p in zip(layers, layers[1:])]
    assert "from 0 to 9999" in out["bad"]  # MNIST's 10,000 official test digits


def test_screenshots_phone_and_desktop(open_app):
    for width in (390, 1280):
        app = open_app(viewport={"width": width, "height": 900})
        open_inside(app)
        app.draw("7")
        expect(app.page.get_by_test_id("live-layers").get_by_test_id("live-logits")).to_be_visible(timeout=20_000)
        app.page.get_by_test_id("neuron-grid").get_by_role("button").first.click()
        expect(app.page.get_by_test_id("neuron-detail").locator("li")).to_have_count(9, timeout=20_000)
        app.snap(f"inside-{width}")
        overflow = app.page.evaluate("() => document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 0, f"the page scrolls sideways by {overflow}px at {width}px"
