"""Training in the browser: progress, chart, accuracy, confusion matrix, Stop, form validation."""

import re

import pytest
from playwright.sync_api import expect

RECORDER = """() => {
    const bar = document.querySelector('[role="progressbar"][aria-label="Training progress"]')
             || [...document.querySelectorAll('[role="progressbar"]')].find(e => /Training progress/.test(e.getAttribute('aria-label') || ''))
             || document.querySelector('[role="progressbar"]');
    const status = document.querySelector('[data-testid="train-status"]');
    const rec = window.__e2e = {progress: [], status: []};
    const note = () => {
        const v = bar ? bar.getAttribute('aria-valuenow') : null;
        if (v !== null && rec.progress[rec.progress.length - 1] !== v) rec.progress.push(v);
        const t = status ? status.textContent.trim() : '';
        if (rec.status[rec.status.length - 1] !== t) rec.status.push(t);
    };
    note();
    const obs = new MutationObserver(note);
    if (bar) obs.observe(bar, {attributes: true});
    if (status) obs.observe(status, {childList: true, characterData: true, subtree: true});
}"""


def chart_ink(app) -> int:
    """Number of non-transparent pixels in the chart canvas."""
    return app.chart.evaluate(
        """c => { const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
                 let n = 0; for (let i = 3; i < d.length; i += 4) if (d[i] > 0) n++; return n; }""")


def chart_image(app) -> str:
    return app.chart.evaluate("c => c.toDataURL('image/png')")


def test_short_training_shows_progress_chart_accuracy_and_confusion_matrix(app):
    page = app.page
    chart_before = chart_image(app)
    app.set_training(hidden="32", epochs=2, samples=2000, batch=64)
    page.evaluate(RECORDER)
    app.watch_train_button()
    app.button("Train").click()
    app.wait_train_finished()
    assert app.message.get_attribute("data-kind") != "error", app.message.inner_text()
    expect(app.test_accuracy).to_have_text(re.compile(r"\d+(\.\d+)?\s*%"))
    expect(app.progress).to_have_attribute("aria-valuenow", re.compile(r"^100(\.0+)?$"))

    rec = page.evaluate("() => window.__e2e")
    values = [float(v) for v in rec["progress"]]
    assert any(0 < v < 100 for v in values), f"progress bar never showed an intermediate value: {values}"
    assert values == sorted(values), f"progress went backwards: {values}"
    statuses = [s for s in rec["status"] if s]
    assert len(set(statuses)) >= 3, f"train-status did not update live: {statuses}"
    assert any(re.search(r"epoch", s, re.I) for s in statuses), statuses
    assert any(re.search(r"loss", s, re.I) for s in statuses), statuses

    # the chart shows the run: it changed and has a fair amount of ink
    assert chart_image(app) != chart_before, "chart canvas did not change during training"
    box = app.chart.bounding_box()
    assert box["width"] > 200 and box["height"] > 100, box
    assert chart_ink(app) > 2000, "chart canvas is (nearly) blank"

    accuracy = float(re.search(r"(\d+(?:\.\d+)?)\s*%", app.test_accuracy.inner_text()).group(1))
    assert 80.0 < accuracy <= 100.0, f"held-out accuracy {accuracy}%"

    rows = app.confusion.evaluate(
        """t => [...t.querySelectorAll('tr')].map(r => [...r.querySelectorAll('td')].map(c => c.textContent.trim()))
                                             .filter(r => r.length)""")
    assert len(rows) == 10 and all(len(r) == 10 for r in rows), f"confusion matrix is not 10x10: {rows}"
    counts = [[int(c) for c in r] for r in rows]
    # every one of MNIST's 10,000 official test digits, once
    assert sum(map(sum, counts)) == 10000, f"confusion matrix counts sum to {sum(map(sum, counts))}"
    diagonal = sum(counts[i][i] for i in range(10))
    assert abs(diagonal / 10000 * 100 - accuracy) < 0.1, (diagonal, accuracy)

    # the trained model is now the one predicting
    app.draw("1")
    expect(app.prediction).to_have_text(re.compile(r"^\d$"), timeout=15_000)
    app.settled_probs()
    assert app.pad_ink() > 1000, "the drawing vanished from the pad"


def test_stop_ends_a_long_training_quickly(app):
    page = app.page
    app.set_training(epochs=20, samples=8000)
    page.evaluate(RECORDER)
    app.button("Train").click()
    expect(app.progress).not_to_have_attribute("aria-valuenow", re.compile(r"^0(\.0+)?$"), timeout=60_000)
    expect(app.train_status).to_contain_text(re.compile(r"epoch", re.I))
    app.button("Stop").click()
    stopped = page.locator('[data-testid="train-status"], [data-testid="message"]').filter(
        has_text=re.compile(r"stopped", re.I))
    expect(stopped.first).to_be_visible(timeout=5_000)
    app.snap("stopped")
    expect(app.button("Train")).to_be_enabled(timeout=5_000)
    progress = float(app.progress.get_attribute("aria-valuenow"))
    assert progress < 50, f"training was not stopped early (progress {progress})"
    expect(app.status).to_contain_text("Ready")

    # the page still predicts
    app.draw("1")
    expect(app.prediction).to_have_text(re.compile(r"^\d$"), timeout=15_000)
    probs = [float(v) for v in app.settled_probs()]
    assert abs(sum(probs) - 1) < 1e-4


def test_page_stays_responsive_and_predicts_during_training(app):
    page = app.page
    app.set_training(epochs=20, samples=8000)
    app.button("Train").click()
    expect(app.progress).not_to_have_attribute("aria-valuenow", re.compile(r"^0(\.0+)?$"), timeout=60_000)
    # the main thread keeps painting frames while the worker trains
    gaps = page.evaluate("""() => new Promise(resolve => {
        const t = []; const step = now => { t.push(now); if (t.length < 30) requestAnimationFrame(step);
            else resolve(t.slice(1).map((v, i) => v - t[i])); }; requestAnimationFrame(step); })""")
    assert max(gaps) < 1000, f"the page froze for {max(gaps):.0f} ms while training"
    app.draw("1")
    expect(app.prediction).to_have_text(re.compile(r"^\d$"), timeout=10_000)
    expect(app.button("Stop")).to_be_enabled()  # still training while it predicted
    progress = float(app.progress.get_attribute("aria-valuenow"))
    assert progress < 100, "training ended before the prediction could be checked"
    app.button("Stop").click()
    expect(app.button("Train")).to_be_enabled(timeout=10_000)


@pytest.mark.parametrize("label, value", [
    ("Epochs", "0"),
    ("Hidden layers", "abc"),
    ("Learning rate", "-1"),
])
def test_bad_training_input_shows_inline_error_and_does_not_train(app, label, value):
    page = app.page
    page.evaluate(RECORDER)
    field = app.field(label)
    before = {i: page.locator(f"#{i}").inner_text().strip()
              for i in (field.get_attribute("aria-describedby") or "").split()}
    field.fill(value)
    app.button("Train").click()
    # an inline error tied to the field: aria-invalid, and a visible error text it points to
    expect(field).to_have_attribute("aria-invalid", "true")
    described = (field.get_attribute("aria-describedby") or "").split() + \
        (field.get_attribute("aria-errormessage") or "").split()
    assert described, f"{label}: the invalid field points to no error text (aria-describedby)"
    texts = {i: page.locator(f"#{i}").inner_text().strip() for i in described}
    errors = [i for i in described if texts[i] and texts[i] != before.get(i)]
    assert errors, f"{label}: no error text appeared next to the field: {texts}"
    for i in errors:
        expect(page.locator(f"#{i}")).to_be_visible()
    assert any(label.lower() in texts[i].lower() or value in texts[i] for i in errors), texts
    # training did not start
    expect(app.button("Train")).to_be_enabled()
    rec = page.evaluate("() => window.__e2e")
    assert all(float(v) == 0 for v in rec["progress"] if v is not None), rec
    assert not any(re.search(r"epoch", s, re.I) for s in rec["status"]), rec
    assert not app.test_accuracy.inner_text().strip()
