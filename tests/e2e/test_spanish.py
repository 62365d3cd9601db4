"""The page in Spanish: a browser that prefers Spanish gets it (Ready, a short training run, a digit
drawn with the mouse, Inside, Teach and Code), with no English text of the catalogs left on screen;
the switcher's choice is kept over a reload and switching does not disturb a running training."""

import json
import re

from playwright.sync_api import expect

from app_page import DIGIT_STROKES, READY_TIMEOUT_MS, ROOT

# Every English text of the catalog that Spanish says differently, read from the catalogs
# themselves (node prints them), so a string hard-coded in English anywhere is caught.
CATALOG_DUMP = """
import { CATALOGS } from './web/page/i18n/i18n.js';
const out = [];
const walk = (en, es) => { for (const k of Object.keys(en)) {
  if (typeof en[k] === 'string') { if (en[k] !== es[k]) out.push(en[k]); } else walk(en[k], es[k]); } };
walk(CATALOGS.en, CATALOGS.es);
console.log(JSON.stringify(out));
"""

# Visible text nodes (and the accessible names/placeholders/titles a person meets) of the page.
VISIBLE_TEXTS = """() => {
    const out = [];
    const seen = (el) => el && el.checkVisibility && el.checkVisibility({ checkOpacity: false, checkVisibilityCSS: true });
    const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
    for (let n = walker.nextNode(); n; n = walker.nextNode()) {
        const text = n.textContent.replace(/\\s+/g, ' ').trim();
        if (text && seen(n.parentElement)) out.push(text);
    }
    for (const el of document.body.querySelectorAll('[aria-label], [placeholder], [title]')) {
        if (!seen(el)) continue;
        for (const a of ['aria-label', 'placeholder', 'title']) if (el.getAttribute(a)) out.push(el.getAttribute(a).trim());
    }
    return out;
}"""


def english_only_texts() -> set:
    import subprocess

    res = subprocess.run(["node", "--input-type=module", "-e", CATALOG_DUMP], cwd=ROOT,
                         capture_output=True, text=True, check=True)
    # texts with placeholders cannot appear as they are; a bare name like "Dígitos MNIST" is kept
    return {s for s in json.loads(res.stdout) if "{" not in s}


def assert_spanish(page, english, where):
    expect(page.locator("html")).to_have_attribute("lang", "es")
    shown = page.evaluate(VISIBLE_TEXTS)
    left = sorted({s for s in shown if s in english})
    assert not left, f"{where}: English text on the Spanish page: {left}"
    return len(shown)


def wait_ready_es(page):
    expect(page.get_by_test_id("status")).to_contain_text("Listo", timeout=READY_TIMEOUT_MS)


def draw(page, pad, digit):
    pad.scroll_into_view_if_needed()
    box = pad.bounding_box()
    for stroke in DIGIT_STROKES[digit]:
        pts = [(box["x"] + x * box["width"], box["y"] + y * box["height"]) for x, y in stroke]
        page.mouse.move(*pts[0])
        page.mouse.down()
        for x, y in pts[1:]:
            page.mouse.move(x, y, steps=2)
        page.mouse.up()


def test_spanish_browser_trains_draws_and_looks_inside_in_spanish(open_app):
    english = english_only_texts()
    assert len(english) > 200, len(english)
    app = open_app(load=False, locale="es-ES")
    page = app.page
    page.goto(app.base_url + "/")
    wait_ready_es(page)
    expect(page.get_by_test_id("status")).to_contain_text(re.compile(r"arrancó en \d+,\d s"))
    expect(page.get_by_label("Idioma")).to_have_value("es")
    counted = assert_spanish(page, english, "after Ready")
    assert counted > 100, counted

    # a short training run, with the Spanish labels of the form
    # 4 epochs of 10,000 digits: a few seconds even on a quiet machine, so the run is seen running
    page.get_by_label("Épocas", exact=True).fill("4")
    page.get_by_label("Muestras de entrenamiento", exact=True).fill("10000")
    page.get_by_role("button", name="Entrenar", exact=True).click()
    expect(page.get_by_test_id("train-status")).to_contain_text(re.compile(r"Época [1-3]/4 · lote \d+/\d+"), timeout=120_000)
    assert_spanish(page, english, "while training")
    expect(page.get_by_test_id("train-status")).to_contain_text("Hecho: 4 épocas", timeout=180_000)
    expect(page.get_by_test_id("test-accuracy")).to_have_text(re.compile(r"^\d+,\d\u00a0%$"))
    expect(page.get_by_test_id("active-model")).to_have_text("Modelo entrenado (sin guardar)")
    assert_spanish(page, english, "after training")

    # draw a 7 with the mouse: the prediction and its Spanish confidence
    draw(page, page.get_by_label("Panel de dibujo", exact=True), "7")
    expect(page.get_by_test_id("prediction")).to_have_text(re.compile(r"^\d$"), timeout=30_000)
    expect(page.locator("#confidence")).to_have_text(re.compile(r"^\d+,\d\u00a0% de seguridad$"))
    assert_spanish(page, english, "after drawing")

    # Inside, the step by hand, Teach and Code
    page.get_by_text("Dentro de la red", exact=True).click()
    expect(page.get_by_test_id("model-summary")).to_contain_text("Capa", timeout=60_000)
    expect(page.get_by_test_id("mistakes").locator("li").first).to_be_visible(timeout=60_000)
    assert_spanish(page, english, "with Inside open")
    page.get_by_text("Un paso a mano", exact=True).click()
    expect(page.get_by_test_id("step-status")).to_contain_text("Recorrido: el modelo activo", timeout=60_000)
    expect(page.get_by_test_id("stage-after")).to_be_visible()
    assert_spanish(page, english, "with the step by hand open")
    page.get_by_label("Panel de enseñanza", exact=True).scroll_into_view_if_needed()
    expect(page.get_by_role("button", name="Es un 3", exact=True)).to_be_visible()
    assert_spanish(page, english, "at Teach")
    page.get_by_role("button", name="Abrir el editor de código", exact=True).click()
    expect(page.get_by_test_id("code-status")).not_to_be_empty(timeout=60_000)
    expect(page.get_by_role("button", name="Comprobar", exact=True)).to_be_enabled(timeout=60_000)
    assert_spanish(page, english, "with Code open")


def test_switcher_choice_is_kept_and_switching_keeps_a_running_training(open_app):
    app = open_app(load=False, locale="en-US")
    page = app.page
    page.goto(app.base_url + "/")
    app.wait_ready()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    switcher = page.get_by_label("Language", exact=True)
    expect(switcher).to_have_value("en")

    # a long run, switched to Spanish while it trains: it goes on and ends normally
    app.set_training(hidden=256, epochs=2, samples=20000, batch=8)  # long enough to switch while it runs
    app.watch_train_button()
    app.button("Train").click()
    expect(app.train_status).to_contain_text(re.compile(r"Epoch 1/2 · batch \d+/"), timeout=120_000)
    switcher.select_option("es")
    expect(page.locator("html")).to_have_attribute("lang", "es")
    expect(page.get_by_role("button", name="Detener", exact=True)).to_be_enabled()
    expect(app.train_status).to_contain_text(re.compile(r"Época [12]/2 · lote \d+/"), timeout=60_000)
    expect(page.get_by_test_id("status")).to_contain_text("Listo")
    first = page.evaluate("window.pynn.ready.then(() => document.querySelector('[role=progressbar]').getAttribute('aria-valuenow'))")
    expect(page.locator("[role=progressbar]")).not_to_have_attribute("aria-valuenow", first, timeout=60_000)
    expect(app.train_status).to_contain_text("Hecho: 2 épocas", timeout=300_000)
    expect(app.test_accuracy).to_have_text(re.compile(r"^\d+,\d\u00a0%$"))

    # the choice is kept: Spanish after a reload, even though the browser prefers English
    page.reload()
    wait_ready_es(page)
    expect(page.locator("html")).to_have_attribute("lang", "es")
    expect(page.get_by_label("Idioma", exact=True)).to_have_value("es")
    expect(page.get_by_role("button", name="Borrar", exact=True)).to_be_visible()
    page.get_by_label("Idioma", exact=True).select_option("en")
    expect(page.get_by_role("button", name="Clear", exact=True)).to_be_visible()
    expect(page.get_by_test_id("status")).to_contain_text("Ready")
