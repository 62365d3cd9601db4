"""Teach panel in Chromium: samples drawn with the mouse, kept across visits, exported and imported,
kept when storage fails; and teach-then-continue: a new handwriting style (boxy seven-segment
digits, slanted, drawn with the mouse) is learnt from 10 samples per digit while held-out MNIST
accuracy is kept. The measured numbers go to test-artifacts/teach-measure.json."""
import json
import random
import re

from playwright.sync_api import expect

from conftest import ARTIFACTS

# seven-segment corners in a unit box: the "other person's" digits are boxy
C = {"TL": (0, 0), "TR": (1, 0), "ML": (0, 0.5), "MR": (1, 0.5), "BL": (0, 1), "BR": (1, 1)}
BOXY = {
    "0": [["TL", "TR", "BR", "BL", "TL"]],
    "1": [["TR", "BR"]],
    "2": [["TL", "TR", "MR", "ML", "BL", "BR"]],
    "3": [["TL", "TR", "BR", "BL"], ["ML", "MR"]],
    "4": [["TL", "ML", "MR"], ["TR", "BR"]],
    "5": [["TR", "TL", "ML", "MR", "BR", "BL"]],
    "6": [["TR", "TL", "BL", "BR", "MR", "ML"]],
    "7": [["TL", "TR", "BR"]],
    "8": [["TL", "TR", "BR", "BL", "TL"], ["ML", "MR"]],
    "9": [["MR", "ML", "TL", "TR", "BR", "BL"]],
}


def boxy_strokes(digit, rng):
    """One sample of the style: a slanted (to the right), slightly jittered seven-segment digit."""
    slant = rng.uniform(0.15, 0.3)
    w, h = rng.uniform(0.3, 0.42), rng.uniform(0.55, 0.68)
    x0, y0 = 0.5 - w / 2 + rng.uniform(-0.05, 0.05), 0.5 - h / 2 + rng.uniform(-0.05, 0.05)
    corners = {k: (x0 + (x + slant * (1 - y)) * w * 0.85 + rng.uniform(-0.02, 0.02),
                   y0 + y * h + rng.uniform(-0.02, 0.02)) for k, (x, y) in C.items()}
    strokes = []
    for names in BOXY[digit]:
        pts = [corners[names[0]]]
        for a, b in zip(names, names[1:]):
            (ax, ay), (bx, by) = corners[a], corners[b]
            pts += [(ax + (bx - ax) * i / 6, ay + (by - ay) * i / 6) for i in range(1, 7)]
        strokes.append(pts)
    return strokes


def teach_pad(app):
    return app.page.get_by_label("Teaching pad", exact=True)


def count(app, digit):
    return int(app.page.get_by_test_id(f"count-{digit}").locator(".count-n").inner_text())


def keep(app, digit, strokes, key=False):
    app.draw_strokes(teach_pad(app), strokes)
    if key:
        teach_pad(app).press(digit)
    else:
        app.page.get_by_role("button", name=f"This is a {digit}", exact=True).click()
    expect(app.page.get_by_test_id("teach-message")).to_have_text(f"Kept as a {digit}. Draw the next one.")


def test_samples_are_kept_across_visits_and_survive_export_import(app):
    rng = random.Random(1)
    keep(app, "3", boxy_strokes("3", rng))
    keep(app, "7", boxy_strokes("7", rng), key=True)
    assert (count(app, "3"), count(app, "7")) == (1, 1)
    gallery = app.page.get_by_role("list", name="Your samples")
    expect(gallery.get_by_role("img")).to_have_count(2)
    # nothing drawn: a clear message, nothing kept
    app.page.get_by_role("button", name="This is a 5", exact=True).click()
    expect(app.page.get_by_test_id("teach-message")).to_contain_text("Draw a digit on the teaching pad first")
    app.reload()
    expect(app.page.get_by_test_id("count-3").locator(".count-n")).to_have_text("1")
    expect(app.page.get_by_test_id("count-7").locator(".count-n")).to_have_text("1")
    with app.page.expect_download() as dl:
        app.button("Export samples").click()
    path = dl.value.path()
    doc = json.loads(open(path).read())
    assert doc["format"] == "pynn-examples" and sorted(e["label"] for e in doc["examples"]) == [3, 7]
    gallery.get_by_role("button", name="Delete this sample of a 3").click()
    expect(app.page.get_by_test_id("count-3").locator(".count-n")).to_have_text("0")
    app.page.set_input_files("#examples-file", path)
    expect(app.page.get_by_test_id("teach-message")).to_contain_text("Imported 2 samples")
    expect(app.page.get_by_test_id("count-3").locator(".count-n")).to_have_text("1")
    expect(app.page.get_by_test_id("count-7").locator(".count-n")).to_have_text("2")
    # a model file is not a samples file: refused with the reason, nothing changes
    app.page.set_input_files("#examples-file", files=[{"name": "model.json", "mimeType": "application/json",
                                                      "buffer": b'{"layers": [784, 10]}'}])
    expect(app.page.get_by_test_id("teach-message")).to_contain_text("looks like a model file")
    expect(app.page.get_by_test_id("count-7").locator(".count-n")).to_have_text("2")


def test_storage_failure_keeps_the_sample_and_says_so(open_app):
    app = open_app(load=False)
    app.page.add_init_script("""
        const realOpen = IDBFactory.prototype.open;
        IDBFactory.prototype.open = function () { throw new DOMException('The quota has been exceeded.', 'QuotaExceededError'); };
    """)
    app.open()
    keep_msg = app.page.get_by_test_id("teach-message")
    app.draw_strokes(teach_pad(app), boxy_strokes("4", random.Random(2)))
    app.page.get_by_role("button", name="This is a 4", exact=True).click()
    expect(keep_msg).to_contain_text("could not be stored in this browser")
    expect(keep_msg).to_contain_text("Export samples")
    expect(app.page.get_by_test_id("count-4").locator(".count-n")).to_have_text("1")
    n = app.page.evaluate("async () => (await pynn.examples()).length")
    assert n == 1


def measure(app, samples):
    """Accuracy of the active model on drawn samples [(digit, pixels)], and on the held-out digits."""
    return app.page.evaluate("""async (samples) => {
        let right = 0;
        for (const [d, px] of samples) if ((await pynn.predict(Float32Array.from(px))).label === Number(d)) right++;
        const ev = await pynn.evaluate();
        return {style: right / samples.length, heldOut: ev.accuracy};
    }""", samples)


def test_teach_then_continue_learns_a_new_style_and_keeps_mnist(app):
    # 5 per digit of the style to test on, drawn but not kept as samples
    test_rng, teach_rng = random.Random(1000), random.Random(7)
    tests = []
    for rep in range(5):
        for d in "0123456789":
            app.draw_strokes(teach_pad(app), boxy_strokes(d, test_rng))
            px = app.page.evaluate("""async () => {
                const { toMnist } = await import(new URL('./page/draw.js', document.baseURI).href);
                return Array.from(toMnist(document.getElementById('teach-pad'), 28).pixels); }""")
            tests.append((d, px))
            app.button("Clear pad").click()
    before = measure(app, tests)
    # teach: 10 per digit, with the mouse, half by button and half by key
    for rep in range(10):
        for d in "0123456789":
            keep(app, d, boxy_strokes(d, teach_rng), key=rep % 2 == 1)
    assert [count(app, d) for d in "0123456789"] == [10] * 10
    app.button("Continue training").click()
    table = app.page.get_by_test_id("before-after")
    expect(table).to_be_visible(timeout=180_000)
    expect(app.page.get_by_test_id("continue-status")).to_contain_text("continued model is active")
    expect(app.active_model).to_contain_text("Continued model")
    after = measure(app, tests)
    rows = table.locator("tbody tr")
    expect(rows).to_have_count(2)
    expect(rows.nth(1)).to_contain_text("Your 100 samples")
    result = {"style_before": before["style"], "style_after": after["style"],
              "heldout_before": before["heldOut"], "heldout_after": after["heldOut"],
              "table": [r.inner_text() for r in rows.all()]}
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    (ARTIFACTS / "teach-measure.json").write_text(json.dumps(result, indent=1))
    # the default model (trained on augmented MNIST) may read most of this boxy style
    # already (88% of the 50 drawings in one run): taught, it gains 15 points or reads them all
    assert after["style"] >= min(before["style"] + 0.15, 1.0), result
    assert after["heldOut"] >= before["heldOut"] - 0.02, result
    shown = re.findall(r"(\d+\.\d)%", rows.nth(0).inner_text())
    assert float(shown[0]) == round(before["heldOut"] * 100, 1), (shown, result)
