"""Bad inputs to sharing, each refused with a clear message that changes nothing: a damaged, cut-off,
too-new, too-long or ill-fitting lesson link; a ?model= path that is missing, on another origin,
outside the site, not a model, or carries code (declined in the trust dialog); an embed message of
the wrong shape or an unknown command; a publish that cannot get a file or gets bad options.

"Nothing changed" is checked on what a person would lose: every pynn.* localStorage entry, the
active model (name and weights fingerprint), the Train form and the panels shown; for the embed,
the drawing and its prediction; for a publish, that nothing was downloaded. Every case is one row
of README's "Bad inputs and their messages" table (tools/bad_inputs.py)."""
from __future__ import annotations

import json
import os
import re

import pytest
from playwright.sync_api import expect

from app_page import DIGIT_STROKES, App
from test_code import SWISH
from test_share import serving

MODULE = "tests/e2e/test_share_bad_inputs.py"
GOOD = "v=1&d=mnist&h=128&o=adam&lr=0.001&e=3&b=64&n=8000&s=0&a=0,0,0,0&p=draw,train"
STATE = """() => ({
    storage: Object.fromEntries(Object.keys(localStorage).filter(k => k.startsWith('pynn.')).map(k => [k, localStorage.getItem(k)])),
    model: [window.pynn.activeModel().name, window.pynn.activeModel().fingerprint],
    form: [...document.querySelectorAll('#train-form input, #train-form select')].map(el => el.value),
    panels: [...document.querySelectorAll('main .panel')].filter(el => !el.hidden).length,
})"""


def record(where, shown_input, message, test):
    """Append what a case saw to $PYNN_BAD_INPUTS_LOG (one JSON line), if set."""
    path = os.environ.get("PYNN_BAD_INPUTS_LOG")
    if path:
        with open(path, "a", encoding="utf-8") as f:
            f.write(json.dumps({"where": where, "input": shown_input, "message": message,
                                "test": f"{MODULE}::{test}"}) + "\n")


LINKS = [
    ("damaged", "#…&e=three&…", GOOD.replace("e=3", "e=three"), "The link's epochs (e=) is not a number"),
    ("cut-off", "a link cut off after h=128", GOOD[:GOOD.index("&o=")], 'The link is damaged (cut off?): it lacks "o="'),
    ("newer", "#v=2&… (a newer page's link)", GOOD.replace("v=1", "v=2"), "made by a newer version of the page (link format 2; this page reads format 1)"),
    ("too-long", "#v=1&… of 9,000 characters", GOOD + "&c=" + "A" * 9000, "a lesson link is at most 8,000"),
    ("out-of-range", "#…&e=1000&…", GOOD.replace("e=3", "e=1000"), "Epochs: expected a whole number from 1 to 100; got 1000."),
    ("unknown-dataset", "#…&d=cifar10&…", GOOD.replace("d=mnist", "d=cifar10"), 'Data set: "cifar10" is not on this site'),
    ("unknown-panel", "#…&p=draw,chat&…", GOOD.replace("p=draw,train", "p=draw,chat"), 'this page has no "chat" panel'),
]


def new_context(browser):
    ctx = browser.new_context()
    ctx.set_default_timeout(60_000)
    yield ctx
    ctx.close()


context = pytest.fixture(scope="module")(new_context)
# a context of its own for publishing: code_root trains a model with code in `context`
fresh_context = pytest.fixture(scope="module", name="fresh_context")(new_context)


def opened(context, url) -> App:
    page = context.new_page()
    page.errors = []
    page.on("pageerror", lambda err: page.errors.append(str(err)))
    app = App(page, url)
    page.goto(url)
    return app.wait_ready()


@pytest.fixture(scope="module")
def before(context, base_url):
    app = opened(context, base_url + "/?nosw")
    state = app.page.evaluate(STATE)
    app.page.close()
    return state


@pytest.mark.parametrize("case_id,shown,hash_text,expected", LINKS, ids=[c[0] for c in LINKS])
def test_bad_link(context, base_url, before, case_id, shown, hash_text, expected):
    app = opened(context, f"{base_url}/?nosw&case={case_id}#{hash_text}")
    app.expect_error_message(re.compile(re.escape(expected)))
    message = app.message.inner_text()
    record("lesson link", shown, message, f"test_bad_link[{case_id}]")
    assert "unchanged" in message, message
    assert app.page.evaluate(STATE) == before
    assert app.page.errors == []
    app.page.close()


MODELS = [
    ("missing", "?model=models/nope.json", "models/nope.json", "no such file on this site", None),
    ("foreign", "?model=https://elsewhere.example/m.json", "https://elsewhere.example/m.json", "a path on this site only", None),
    ("scheme-relative", "?model=//elsewhere.example/m.json", "//elsewhere.example/m.json", "a path on this site only", None),
    ("outside", "?model=../secret.json", "../secret.json", "points outside it", None),
    ("not-a-model", "?model=build.json", "build.json", 'Cannot import "build.json"', None),
    ("carries-code", "?model=code.json (a model with code; Don't run it)", "code.json", "you chose not to run the code", "decline"),
]


@pytest.fixture(scope="module")
def code_root(site_dir, tmp_path_factory, context, base_url):
    """The site under /course/ plus code.json, a model that carries Python code (trained with SWISH here)."""
    top = tmp_path_factory.mktemp("code-site")
    root = top / "course"  # under a sub-path, so that ../ leaves the site
    root.mkdir()
    for item in site_dir.iterdir():
        (root / item.name).symlink_to(item.resolve(), target_is_directory=item.is_dir())
    app = opened(context, base_url + "/?nosw")
    text = app.page.evaluate("""async (code) => {
        await window.pynn.fit({hidden: [16], epochs: 1, samples: 300, batchSize: 100, code});
        return (await window.pynn.exportModel({download: false})).text(); }""", SWISH)
    app.page.close()
    assert json.loads(text)["metadata"]["code"]["source"] == SWISH
    (root / "code.json").write_text(text)
    with serving(top) as url:
        yield url + "/course"


@pytest.mark.parametrize("case_id,shown,value,expected,dialog", MODELS, ids=[m[0] for m in MODELS])
def test_bad_model_param(browser, code_root, case_id, shown, value, expected, dialog):
    ctx = browser.new_context()
    ctx.set_default_timeout(60_000)
    try:
        first = opened(ctx, code_root + "/?nosw")
        state = first.page.evaluate(STATE)
        requests = []
        page = ctx.new_page()
        page.errors = []
        page.on("pageerror", lambda err: page.errors.append(str(err)))
        ctx.on("request", lambda r: requests.append(r.url))
        app = App(page, code_root)
        page.goto(f"{code_root}/?nosw&model={value}")
        app.wait_ready()
        if dialog:
            trust = page.get_by_role("dialog", name="This model file carries Python code")
            expect(trust.get_by_test_id("trust-code")).to_contain_text("def swish(x):")
            trust.get_by_role("button", name="Don't run it").click()
        app.expect_error_message(re.compile(re.escape(expected)))
        message = app.message.inner_text()
        record("?model=", shown, message, f"test_bad_model_param[{case_id}]")
        assert page.evaluate(STATE) == state
        assert [u for u in requests if "elsewhere" in u.split("?")[0]] == [], "a foreign model was fetched"
        assert page.errors == []
    finally:
        ctx.close()


EMBED = [
    ("not-an-object", "'hello'", "'hello'", 'expected an object {command: "clear" | "predict" | "panels", id?}; got string "hello".'),
    ("unknown-command", "{command: 'loadModel', url}", "{command: 'loadModel', id: 2, url: 'https://elsewhere.example/m.json'}", "Unknown command \"loadModel\""),
    ("code-field", "{command: 'clear', code: 'import os'}", "{command: 'clear', id: 3, code: 'import os'}", 'unknown field "code"'),
    ("pixels-short", "{command: 'predict', pixels: [0, 1]}", "{command: 'predict', id: 4, pixels: [0, 1]}", '"pixels" should be 784 numbers'),
    ("pixels-0-255", "{command: 'predict', pixels: 784 x 255}", "{command: 'predict', id: 5, pixels: new Array(784).fill(255)}", "got 255 at index 0"),
    ("unknown-panel", "{command: 'panels', panels: ['chat']}", "{command: 'panels', id: 6, panels: ['chat']}", 'this page has no "chat" panel'),
]


@pytest.fixture(scope="module")
def embedded(browser, base_url, site_dir):
    """The example host page on a second origin, the page embedded, a 7 drawn in it."""
    with serving(site_dir) as host_url:
        ctx = browser.new_context()
        ctx.set_default_timeout(60_000)
        page = ctx.new_page()
        page.goto(f"{host_url}/page/embed-example/?src={base_url}/index.html?embed%26panels=draw")
        expect(page.get_by_test_id("host-log")).to_contain_text("ready", timeout=90_000)
        app = App(page, host_url)
        app.draw_strokes(page.frame_locator("#pynn").get_by_label("Drawing pad", exact=True), DIGIT_STROKES["7"])
        expect(page.get_by_test_id("host-prediction")).to_have_text(re.compile(r"^7 "), timeout=30_000)
        page.evaluate("""() => { window.replies = [];
            addEventListener('message', (e) => { if (e.data && e.data.source === 'pynn') window.replies.push(e.data); }); }""")
        yield page, base_url
        ctx.close()


FRAME_STATE = """() => ({pad: document.getElementById('pad').toDataURL(), prediction: document.querySelector('[data-testid=prediction]').textContent,
    storage: Object.keys(localStorage).filter(k => k.startsWith('pynn.')).map(k => [k, localStorage.getItem(k).length]),
    panels: [...document.querySelectorAll('main .panel')].filter(el => !el.hidden).length})"""


@pytest.mark.parametrize("case_id,shown,message_js,expected", EMBED, ids=[e[0] for e in EMBED])
def test_bad_embed_message(embedded, case_id, shown, message_js, expected):
    page, origin = embedded
    frame = next(f for f in page.frames if f.url.startswith(origin))
    state = frame.evaluate(FRAME_STATE)
    reply = page.evaluate(f"""async (origin) => {{ window.replies.length = 0;
        document.getElementById('pynn').contentWindow.postMessage({message_js}, origin);
        for (let i = 0; i < 100 && !window.replies.some(r => r.type === 'error'); i++) await new Promise(r => setTimeout(r, 50));
        return window.replies.find(r => r.type === 'error') || null; }}""", origin)
    assert reply is not None, f"no error came back for {shown}"
    record("embed message", shown, reply["message"], f"test_bad_embed_message[{case_id}]")
    assert expected in reply["message"], reply["message"]
    assert frame.evaluate(FRAME_STATE) == state, f"{shown} changed the embedded page"


PUBLISH = [
    ("file-missing", "pynn.publishSite() when data/mnist/test-0.u8.gz answers 404", "{title: 'x'}", "could not get data/mnist/test-0.u8.gz: the site answered HTTP 404"),
    ("title-empty", "pynn.publishSite({title: ''})", "{title: ''}", "title should be text of 1 to 80 characters"),
    ("panel-unknown", "pynn.publishSite({panels: ['chat']})", "{panels: ['chat']}", 'this page has no "chat" panel'),
    ("lesson-damaged", "pynn.publishSite({lesson: '#v=1&e=3'})", "{lesson: '#v=1&e=3'}", "lesson is not a lesson link"),
]


@pytest.mark.parametrize("case_id,shown,options_js,expected", PUBLISH, ids=[p[0] for p in PUBLISH])
def test_bad_publish(fresh_context, base_url, case_id, shown, options_js, expected):
    app = opened(fresh_context, f"{base_url}/?nosw&publish={case_id}")
    if case_id == "file-missing":
        app.page.route("**/data/mnist/test-0.u8.gz", lambda route: route.fulfill(status=404, body="gone"))
    state = app.page.evaluate(STATE)
    downloads = []
    app.page.on("download", lambda d: downloads.append(d))
    out = app.page.evaluate(f"""async () => {{ try {{ await window.pynn.publishSite({options_js}); return {{resolved: true}}; }}
        catch (e) {{ return {{message: e.message}}; }} }}""")
    assert "message" in out, f"{shown} was accepted"
    record("publishSite", shown, out["message"], f"test_bad_publish[{case_id}]")
    assert expected in out["message"], out["message"]
    assert "Nothing was downloaded" in out["message"], out["message"]
    assert app.page.evaluate(STATE) == state and downloads == []
    app.page.close()
