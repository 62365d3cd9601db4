"""What a screen reader hears and reads: the live region's announcements over time (recorded by
a MutationObserver installed before the page's own scripts run), and the text alternatives of
the charts and heat maps (role="img" with a summary, the numbers as a table on demand)."""
from __future__ import annotations

import re

from playwright.sync_api import expect

from app_page import _line

# every line added to the live region, with its time (page/announce.js adds one <p> per announcement)
RECORD = """
window.__said = [];
document.addEventListener('DOMContentLoaded', () => {
  new MutationObserver((records) => {
    for (const r of records) for (const n of r.addedNodes) window.__said.push(n.textContent);
  }).observe(document.getElementById('announcer'), { childList: true });
});
"""
ONE_IN_TWO_STROKES = [_line((0.50, 0.15), (0.50, 0.50), 10), _line((0.50, 0.50), (0.50, 0.85), 10)]


def listening(open_app):
    app = open_app(load=False)
    app.page.add_init_script(RECORD)
    return app.open()


def said(app) -> list[str]:
    return app.page.evaluate("() => window.__said.slice()")


def wait_said(app, count: int, timeout: int = 30_000) -> list[str]:
    app.page.wait_for_function("(n) => window.__said.length >= n", arg=count, timeout=timeout)
    return said(app)


def test_a_drawing_is_announced_once_when_it_rests(open_app):
    app = listening(open_app)
    app.draw("7")  # one long stroke: the page predicts many times while it is drawn
    expect(app.prediction).to_have_text("7", timeout=30_000)
    first = wait_said(app, 1)
    sure = app.page.locator("#confidence").inner_text()
    assert first == [f"Prediction: Digit 7, {sure}"], first

    app.clear()
    app.draw_strokes(app.pad, ONE_IN_TWO_STROKES)  # two strokes, one drawing
    expect(app.prediction).to_have_text("1", timeout=30_000)
    second = wait_said(app, 2)
    # the Predict button is heard at once: a fence after which nothing else may have come
    app.button("Predict").click()
    third = wait_said(app, 3)
    sure = app.page.locator("#confidence").inner_text()
    assert third == [first[0], f"Prediction: Digit 1, {sure}", f"Prediction: Digit 1, {sure}"], (second, third)


def test_training_announces_each_epoch_and_the_end(open_app):
    app = listening(open_app)
    accuracy = app.train_and_wait(epochs=3, samples=1000)
    heard = said(app)
    epochs = [s for s in heard if s.startswith("Epoch ")]
    assert [re.match(r"Epoch (\d) of 3: accuracy \d+\.\d%$", s).group(1) for s in epochs] == ["1", "2", "3"], heard
    ends = [s for s in heard if s.startswith("Training ")]
    assert ends == [f"Training finished after 3 epochs: held-out accuracy {accuracy}. The new model is active."], heard
    assert heard[-1] == ends[0], heard
    assert heard.index(epochs[-1]) < heard.index(ends[0])
    assert all(not s.startswith(("Prediction", "Epoch")) or s in epochs for s in heard), heard  # no batch chatter

    # the chart's numbers as a table: one row per epoch, the last one's accuracy as announced
    chart = app.page.get_by_test_id("chart")
    expect(chart).to_have_attribute("role", "img")
    expect(chart).to_have_attribute("aria-label", re.compile(r"3 epochs so far"))
    table = app.page.get_by_test_id("chart-table")
    table.get_by_text("Show as table").click()
    rows = table.locator("tbody tr")
    expect(rows).to_have_count(3)
    last = epochs[-1].rsplit(" ", 1)[1]
    expect(rows.nth(2).locator("td").nth(3)).to_have_text(last)


def test_a_model_change_is_announced(open_app):
    app = listening(open_app)
    app.field("Data set").select_option("fashion-mnist")
    heard = wait_said(app, 1)
    assert re.match(r"^Fashion-MNIST .*is active: T-shirt/top, Trouser", heard[0]), heard


def canvases_without_text(app) -> list[str]:
    """Canvases a screen reader cannot read: no role="img" with a label, nor inside a labelled button."""
    return app.page.evaluate("""() => [...document.querySelectorAll('canvas')].filter((c) => {
        if (c.closest('[hidden]') || !c.getClientRects().length || c.parentElement.closest('[role="img"]')) return false;
        const button = c.closest('button');
        if (button) return !button.getAttribute('aria-label');
        return c.getAttribute('role') !== 'img' || !(c.getAttribute('aria-label') || '').trim();
    }).map((c) => c.outerHTML.slice(0, 120))""")


def table_rows(app, testid: str) -> list[list[str]]:
    box = app.page.get_by_test_id(testid)
    if box.get_attribute("open") is None:
        box.locator("summary").click()
    expect(box.locator("tbody tr").first).to_be_attached()  # filled when opened (a toggle event)
    return box.locator("tbody tr").evaluate_all(
        "rows => rows.map((r) => [...r.children].map((c) => c.textContent))")


def test_every_chart_and_heat_map_has_a_text_alternative(app):
    app.button("Use a test digit").click()
    expect(app.prediction).to_have_text(re.compile(r"^\d$"), timeout=30_000)
    bars = [app.page.get_by_test_id(f"prob-{d}").locator(".prob-pct").inner_text() for d in range(10)]
    assert table_rows(app, "probs-table") == [[str(d), bars[d]] for d in range(10)]

    app.page.locator("#inside > summary").click()
    expect(app.page.get_by_test_id("live-layer-1")).to_be_visible(timeout=90_000)  # after the mistakes
    units = app.page.get_by_test_id("neuron-grid").get_by_role("button")
    expect(units).to_have_count(256, timeout=30_000)  # the default model: 784-256-128-10
    neurons = table_rows(app, "neuron-grid-table")
    assert len(neurons) == 256 and all(float(r[1]) < 0 < float(r[2]) for r in neurons), neurons[:3]
    expect(units.first).to_have_attribute("aria-label", re.compile(r"^Neuron \d+(?: fires [\d.]+ on your drawing)?; weights min -?[\d.e-]+, max"))
    live = table_rows(app, "live-layers-table")
    assert [r[0] for r in live] == ["Hidden layer 1", "Hidden layer 2", "Output logits", "Softmax"], live
    assert [r[1] for r in live] == ["256", "128", "10", "10"], live
    expect(app.page.get_by_test_id("histograms").locator("canvas")).to_have_count(3)
    hist = table_rows(app, "histograms-table")
    assert {r[0].split(":")[0] for r in hist} == {"Layer 1", "Layer 2", "Layer 3"}, hist[:3]

    app.page.locator("#step > summary").click()
    expect(app.page.get_by_test_id("stage-after")).to_be_visible(timeout=60_000)
    jac = app.page.get_by_test_id("stage-jacobian").locator("details.as-table")
    jac.locator("summary").click()
    expect(jac.locator("tbody tr")).to_have_count(10)
    expect(app.page.get_by_test_id("stage-jacobian").locator("canvas")).to_have_attribute(
        "aria-label", re.compile(r"Jacobian.*: min -?[\d.e-]+, max [\d.e-]+, mean"))
    app.page.get_by_test_id("neuron-grid").get_by_role("button").nth(3).click()  # one neuron, large
    expect(app.page.get_by_test_id("neuron-detail").get_by_role("img")).to_have_count(10, timeout=30_000)
    assert canvases_without_text(app) == []
