"""Accessibility in Chromium: axe-core (tests/e2e/axe.py) finds no violation in any state of the page
(after Ready, while drawing, while and after training, with every panel open, the trust dialog, the
embed layout), at 1280 px and at 390 px, in the light and the dark theme; with
prefers-reduced-motion nothing moves; every control shows a focus outline of 3:1 contrast."""

import re

import pytest
from playwright.sync_api import expect

from app_page import DIGIT_STROKES
from axe import expect_no_violations
from test_code import code_model_file, open_editor
from test_inside import open_inside
from test_step_by_hand import open_step

SCHEMES = ["light", "dark"]
SIZES = {"1280": {"width": 1280, "height": 1000}, "390": {"width": 390, "height": 844}}


def open_in(open_app, scheme, size="1280", **options):
    """A fresh page in the colour scheme and window size, showing Ready."""
    return open_app(color_scheme=scheme, viewport=SIZES[size], **options)


def show_mistakes(app):
    """Click the confusion matrix's largest off-diagonal cell: the gallery fills with its digits."""
    cells = app.page.get_by_test_id("inside-confusion").locator("td[role=button]")
    expect(cells.first).to_be_visible(timeout=30_000)
    biggest = max((c for c in cells.all() if not c.get_attribute("aria-label").startswith(
        tuple(f"True {d}, predicted {d}:" for d in range(10)))), key=lambda c: int(c.inner_text() or 0))
    biggest.click()
    # the first mistakes request ranks all 10,000 held-out digits: slow on a busy machine
    expect(app.page.get_by_test_id("mistakes").locator("li").first).to_be_visible(timeout=90_000)


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("scheme", SCHEMES)
def test_no_violation_after_ready_while_drawing_and_with_every_panel_open(open_app, scheme, size):
    app = open_in(open_app, scheme, size)
    where = f"({scheme}, {size} px)"
    expect_no_violations(app.page, f"after Ready {where}")

    # halfway through a stroke, the mouse still down
    app.pad.scroll_into_view_if_needed()
    box = app.pad.bounding_box()
    stroke = DIGIT_STROKES["7"][0]
    app.page.mouse.move(box["x"] + stroke[0][0] * box["width"], box["y"] + stroke[0][1] * box["height"])
    app.page.mouse.down()
    for x, y in stroke[1:len(stroke) // 2]:
        app.page.mouse.move(box["x"] + x * box["width"], box["y"] + y * box["height"], steps=2)
    expect(app.prediction).to_have_text(re.compile(r"^\s*\d\s*$"), timeout=30_000)
    expect_no_violations(app.page, f"while drawing {where}")
    app.page.mouse.up()
    app.settled_probs()
    expect_no_violations(app.page, f"after drawing {where}")

    # a field error: the inline message and the invalid field (nothing trains)
    app.field("Epochs").fill("0")
    app.button("Train").click()
    expect(app.field("Epochs")).to_have_attribute("aria-invalid", "true")
    expect_no_violations(app.page, f"with a field error in the Train form {where}")
    app.field("Epochs").fill("3")

    open_inside(app)
    show_mistakes(app)
    app.page.get_by_test_id("neuron-grid").get_by_role("button").first.click()
    expect(app.page.get_by_test_id("neuron-detail").get_by_role("list").locator("li")).to_have_count(9, timeout=20_000)
    open_step(app)
    open_editor(app)
    teach_pad = app.page.get_by_label("Teaching pad", exact=True)
    app.draw_strokes(teach_pad, DIGIT_STROKES["1"])
    app.page.get_by_role("button", name="This is a 1", exact=True).click()
    expect(app.page.get_by_test_id("teach-message")).to_contain_text("Kept as a 1")
    expect_no_violations(app.page, f"with Inside (mistakes, a neuron), One step by hand, Code and Teach open {where}")


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("scheme", SCHEMES)
def test_no_violation_while_training_and_after(open_app, scheme, size):
    app = open_in(open_app, scheme, size)
    where = f"({scheme}, {size} px)"
    # long enough that the check runs mid-fit; Stop ends it after an epoch (results shown)
    app.set_training(hidden=32, epochs=40, samples=8000, batch=32)
    app.watch_train_button()
    app.button("Train").click()
    expect(app.train_status).to_contain_text(re.compile(r"Epoch ([2-9]|\d\d)/40"), timeout=60_000)
    expect_no_violations(app.page, f"while training {where}")
    assert app.button("Stop").is_enabled(), "the check did not run mid-fit: training had already ended"
    app.button("Stop").click()
    app.wait_train_finished()
    expect(app.test_accuracy).to_have_text(re.compile(r"\d+(\.\d+)?\s*%"), timeout=30_000)
    expect(app.confusion).to_be_visible()
    expect_no_violations(app.page, f"after training, with the results and the confusion matrix {where}")
    expect(app.message).to_have_class(re.compile(r"\bfade\b"), timeout=20_000)  # a confirmation fades
    expect_no_violations(app.page, f"after training, the message faded {where}")
    # canvas text axe cannot read: the chart's ticks, titles and legend 4.5:1, its lines 3:1
    chart = app.page.evaluate(CHART_CONTRAST)
    assert all(c >= 4.5 for c in chart["text"]) and all(c >= 3 for c in chart["lines"]), f"chart contrast {where}: {chart}"


# the contrast of the training chart's colours (as Chart.js draws them) against the panel behind it
CHART_CONTRAST = """() => {
    const canvas = document.querySelector('[data-testid="chart"]');
    const chart = window.Chart.getChart(canvas);
    const probe = document.createElement('canvas').getContext('2d');
    const rgb = (c) => { probe.fillStyle = '#000'; probe.fillStyle = c; probe.fillRect(0, 0, 1, 1);
                         return [...probe.getImageData(0, 0, 1, 1).data.slice(0, 3)]; };
    const lum = (c) => rgb(c).map((v) => (v /= 255) <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4)
        .reduce((s, v, i) => s + v * [0.2126, 0.7152, 0.0722][i], 0);
    const panel = lum(getComputedStyle(canvas.closest('.panel')).backgroundColor);
    const ratio = (c) => { const l = lum(c); return (Math.max(l, panel) + 0.05) / (Math.min(l, panel) + 0.05); };
    const o = chart.options;
    const text = [o.plugins.legend.labels.color, ...Object.values(o.scales).flatMap((s) => [s.ticks.color, s.title.color])];
    return { text: text.map(ratio), lines: chart.data.datasets.map((d) => ratio(d.borderColor)) };
}"""


@pytest.mark.parametrize("scheme", SCHEMES)
def test_no_violation_with_the_trust_dialog_open(open_app, tmp_path, scheme):
    path, _ = code_model_file(open_app(), tmp_path)
    app = open_in(open_app, scheme)  # a fresh browser: nothing trusted yet
    with app.page.expect_file_chooser() as chooser:
        app.button("Import").click()
    chooser.value.set_files(str(path))
    dialog = app.page.get_by_role("dialog", name="This model file carries Python code")
    expect(dialog).to_be_visible()
    expect_no_violations(app.page, f"with the trust dialog open ({scheme})")
    dialog.get_by_role("button", name="Don't run it").click()
    expect(dialog).to_be_hidden()


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("scheme", SCHEMES)
def test_no_violation_in_the_embed_layout(open_app, scheme, size):
    app = open_app(load=False, color_scheme=scheme, viewport=SIZES[size])
    app.page.goto(f"{app.base_url}/index.html?embed")
    app.wait_ready()
    expect(app.page.locator("header.top")).to_be_hidden()
    app.draw("1")
    app.settled_probs()
    expect_no_violations(app.page, f"in the embed layout ({scheme}, {size} px)")


# what moves, by element: CSS animations and transitions (elements and their ::before/::after)
MOVING = """() => {
    const out = [];
    const name = (el) => el.id ? `#${el.id}` : `${el.tagName.toLowerCase()}.${[...el.classList].join('.')}`;
    for (const el of document.querySelectorAll('*')) {
        for (const pseudo of [null, '::before', '::after']) {
            const cs = getComputedStyle(el, pseudo);
            const moves = cs.animationName !== 'none' && cs.animationDuration !== '0s';
            const slides = cs.transitionDuration.split(',').some((d) => parseFloat(d) > 0);
            if (moves || slides) out.push(`${name(el)}${pseudo || ''}: ${moves ? 'animation ' + cs.animationName : ''} ${slides ? 'transition ' + cs.transitionProperty : ''}`);
        }
    }
    return { moving: out, scroll: getComputedStyle(document.documentElement).scrollBehavior };
}"""


@pytest.mark.parametrize("motion", ["reduce", "no-preference"])
def test_with_reduced_motion_nothing_moves(open_app, motion):
    app = open_app(load=False, reduced_motion=motion)
    app.page.goto(app.base_url + "/")
    loading = app.page.evaluate(MOVING)  # the status shows its spinner while the page starts
    app.wait_ready()
    open_inside(app)
    app.draw("7")
    ready = app.page.evaluate(MOVING)
    if motion == "no-preference":  # the control: the same page moves when motion is welcome
        assert any("status::before: animation spin" in m for m in loading["moving"]), loading
        assert any("transition" in m for m in ready["moving"]), ready
        return
    assert loading["moving"] == [] and ready["moving"] == [], f"moving with prefers-reduced-motion: {loading} {ready}"
    assert ready["scroll"] == "auto"


# every element that takes focus with Tab, and how its focus outline shows (in its shadow root too)
FOCUS_SEEN = """async () => {
    await new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)));  // focus styles settle
    let el = document.activeElement;
    while (el && el.shadowRoot && el.shadowRoot.activeElement) el = el.shadowRoot.activeElement;
    if (!el || el === document.body) return null;
    const seen = (window.__focusSeen ??= new WeakSet());
    if (seen.has(el)) return { again: true };  // around once
    seen.add(el);
    const rgb = (c) => (c.match(/[\\d.]+/g) || []).map(Number);
    const lum = ([r, g, b]) => [r, g, b].map((v) => (v /= 255) <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4)
        .reduce((s, v, i) => s + v * [0.2126, 0.7152, 0.0722][i], 0);
    // the code editor draws its focus ring on the editor around its content (both in its shadow root)
    const ring = (el.getRootNode() instanceof ShadowRoot && el.closest('.cm-editor')) || el;
    const cs = getComputedStyle(ring);
    // the outline is drawn just outside the element: on the first opaque background around it
    let bg = [255, 255, 255];
    for (let p = ring.parentElement || ring.getRootNode().host; p; p = p.parentElement || (p.getRootNode().host ?? null)) {
        const c = rgb(getComputedStyle(p).backgroundColor);
        if (c.length === 3 || c[3] === 1) { bg = c.slice(0, 3); break; }
    }
    const [a, b] = [lum(rgb(cs.outlineColor).slice(0, 3)), lum(bg)];
    const label = (el.id ? '#' + el.id : el.tagName.toLowerCase()) + ' ' + (el.getAttribute('aria-label') || el.textContent || '').trim().slice(0, 40);
    return { label, style: cs.outlineStyle, width: parseFloat(cs.outlineWidth),
             contrast: (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05) };
}"""


@pytest.mark.parametrize("scheme", SCHEMES)
def test_every_control_shows_a_focus_outline_of_3_to_1(open_app, scheme):
    app = open_in(open_app, scheme)
    app.draw("7")  # the step by hand shows its stages (and their controls) for a drawn digit
    app.settled_probs()
    open_inside(app)
    open_step(app)
    open_editor(app)
    app.page.locator("body").click(position={"x": 2, "y": 2})
    seen, problems = [], []
    for _ in range(600):
        app.page.keyboard.press("Tab")
        focus = app.page.evaluate(FOCUS_SEEN)
        if focus is None or focus.get("again"):
            break
        seen.append(focus["label"])
        if focus["style"] == "none" or focus["width"] < 2 or focus["contrast"] < 3:
            problems.append(focus)
    assert len(seen) > 100, f"only {len(seen)} controls took focus with Tab"
    assert not problems, f"focus outlines missing or under 3:1 ({scheme}): {problems}"


def test_axe_core_is_for_the_tests_only(site_dir):
    shipped = [p for p in site_dir.rglob("*") if p.is_file() and (
        "axe" in p.name.lower() or (p.suffix in (".js", ".json", ".html") and b"axe-core" in p.read_bytes()))]
    assert shipped == [], f"axe-core reached site/: {shipped}"
