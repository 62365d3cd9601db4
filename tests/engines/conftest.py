"""WebKitGTK fixtures: a virtual display, WebKitWebDriver sessions, the served site, the probes.

Run by ``python3 build.py test`` (tools/engines.py), which serves site/ and sets
``PYNN_BASE_URL`` and ``PYNN_ARTIFACTS``. Needs Debian's webkit2gtk-driver (WebKitWebDriver,
MiniBrowser), xvfb, python3-gi and gir1.2-webkit2-4.1 (for webkit_shell.py), and selenium.

Fixtures
--------
display   (session)  a fresh Xvfb display, e.g. ":99"
webkit    (session)  a Browser in webkit_shell.py with a fresh profile and Safari's storage features
private   (session)  a Browser in MiniBrowser's automation mode: an ephemeral (private) session
"""
import json
import os
import subprocess
from pathlib import Path

import pytest
from selenium import webdriver
from selenium.webdriver.common.actions import interaction
from selenium.webdriver.common.actions.action_builder import ActionBuilder
from selenium.webdriver.common.actions.pointer_input import PointerInput
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support import expected_conditions
from selenium.webdriver.support.wait import WebDriverWait
from selenium.webdriver.webkitgtk.options import Options
from selenium.webdriver.webkitgtk.service import Service

HERE = Path(__file__).resolve().parent
ARTIFACTS = Path(os.environ.get("PYNN_ARTIFACTS") or HERE.parents[1] / "test-artifacts")
DRIVER = "/usr/bin/WebKitWebDriver"
MINIBROWSER = "/usr/lib/x86_64-linux-gnu/webkit2gtk-4.1/MiniBrowser"
SHELL = HERE / "webkit_shell.py"
# Safari's storage features, off in WebKitGTK by default (names from MiniBrowser --features=help)
FEATURES = "+FileSystem,+AccessHandle,+FileSystemWritableStream,+StorageAPI,+StorageAPIEstimate"
SNAPSHOT_FOLDER = "pynn-snapshots"
READY_MS = 120_000
# "// @probe <name>" then the function's source (shared with firefox.mjs)
PROBES = {part.split("\n", 1)[0].strip(): part.split("\n", 1)[1]
          for part in (HERE / "probes.js").read_text().split("// @probe ")[1:]}


class Browser:
    """One WebKitWebDriver session: visits, probes, mouse strokes, typing, screenshots."""

    def __init__(self, driver, base_url, name):
        self.driver = driver
        self.base_url = base_url
        self.name = name
        self.times = {"engine": name, "browser": driver.capabilities.get("browserVersion"), "ready": []}
        self.errors = []

    def probe(self, name, arg=None):
        return self.driver.execute_async_script(
            "const done = arguments[arguments.length - 1];"
            f"({PROBES[name]})(arguments[0]).then(done, (e) => done({{error: String(e)}}));", arg)

    def visit(self, how="open", path="/"):
        """Open the site at ``path`` (or reload it) and wait for Ready; what pynn.ready reported."""
        if how == "open":
            self.driver.get(self.base_url + path)
        else:
            self.driver.refresh()
        self.probe("errors")  # from here on (WebKitWebDriver passes on no console messages)
        ready = self.probe("ready", READY_MS)
        assert "error" not in ready, f"{ready['error']}; the status shows: {ready['status']}"
        self.times["ready"].append({"visit": how, "ms": ready["startupMs"], "snapshot": ready["snapshot"]})
        return ready

    def page_errors(self):
        self.errors = self.probe("errors")
        return self.errors

    def stroke(self, box, points, pointer="mouse"):
        """One stroke through ``points`` (x, y in 0..1 of ``box``), one W3C action chain of a
        ``pointer`` ("mouse" or "touch": WebKitGTK's WebKitWebDriver delivers "touch" as mouse events)."""
        kind = interaction.POINTER_TOUCH if pointer == "touch" else interaction.POINTER_MOUSE
        actions = ActionBuilder(self.driver, mouse=PointerInput(kind, pointer), duration=5)
        at = [(round(box["x"] + x * box["width"]), round(box["y"] + y * box["height"])) for x, y in points]
        actions.pointer_action.move_to_location(*at[0]).pointer_down()
        for x, y in at[1:]:
            actions.pointer_action.move_to_location(x, y)
        actions.pointer_action.pointer_up()
        actions.perform()

    def draw_and_read(self, digit, strokes, pointer="mouse"):
        """Draw ``strokes`` on the cleared pad; what the page reads (probe prediction)."""
        box = self.probe("padBox")
        for stroke in strokes:
            self.stroke(box, stroke, pointer)
        return self.probe("prediction", {"want": digit, "timeoutMs": 20_000})

    def tap(self, css):
        """Touch ``css`` at its centre (scrolled into view) and lift: one W3C touch action chain."""
        box = self.probe("boxOf", css)
        self.stroke(box, [(0.5, 0.5)], "touch")

    def type_into(self, css, text):
        field = self.driver.find_element(By.CSS_SELECTOR, css)
        field.click()
        field.send_keys(Keys.CONTROL, "a")
        field.send_keys(text)
        assert field.get_property("value") == text, f"typed {text!r} into {css}: it holds {field.get_property('value')!r}"

    def click(self, css, timeout=15):
        """Click ``css`` once it is there and enabled."""
        WebDriverWait(self.driver, timeout).until(
            expected_conditions.element_to_be_clickable((By.CSS_SELECTOR, css)), f"{css} is not clickable").click()

    def wait_for(self, css, timeout=15):
        WebDriverWait(self.driver, timeout).until(
            expected_conditions.presence_of_element_located((By.CSS_SELECTOR, css)), f"{css} never appeared")

    def screenshot(self, label):
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        self.driver.execute_async_script(  # let the page paint its latest state first
            "const done = arguments[0]; requestAnimationFrame(() => requestAnimationFrame(() => done()));")
        self.driver.save_screenshot(str(ARTIFACTS / f"engines-{self.name}-{label}.png"))


@pytest.fixture(scope="session")
def display():
    """A fresh X display (Xvfb picks a free number and writes it to us)."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    log = ARTIFACTS / "engines-xvfb.log"
    read, write = os.pipe()
    with open(log, "wb") as out:
        # 1280 px tall: a tablet's window (820x1180, test_webkit.py) fits on the screen
        proc = subprocess.Popen(["Xvfb", "-displayfd", str(write), "-screen", "0", "1280x1280x24", "-nolisten", "tcp"],
                                pass_fds=[write], stdout=out, stderr=out)
    os.close(write)
    with os.fdopen(read, "rb") as numbers:  # until the newline: Xvfb dies if we close early
        number = numbers.readline().decode().strip()
    if not number or proc.poll() is not None:
        pytest.fail(f"Xvfb did not start (apt-get install xvfb); its log: {log.read_text()[-500:]}", pytrace=False)
    yield f":{number}"
    proc.terminate()
    proc.wait()


@pytest.fixture(scope="session")
def base_url():
    url = os.environ.get("PYNN_BASE_URL")
    if not url:
        pytest.fail("PYNN_BASE_URL is not set: run these tests with python3 build.py test", pytrace=False)
    return url


def _session(display, binary, args, browser_name):
    options = Options()
    options.binary_location = str(binary)
    for arg in ["--automation", *args]:
        options.add_argument(arg)
    options.set_capability("browserName", browser_name)
    driver = webdriver.WebKitGTK(options=options, service=Service(DRIVER, env={**os.environ, "DISPLAY": display}, log_output=str(ARTIFACTS / f"engines-{browser_name}-driver.log")))
    driver.set_script_timeout(READY_MS / 1000 + 60)
    driver.set_window_size(1280, 1000)
    return driver


def _browser(driver, base_url, name):
    browser = Browser(driver, base_url, name)
    yield browser
    (ARTIFACTS / f"engines-{name}.json").write_text(json.dumps(browser.times | {"errors": browser.errors}, indent=1))
    driver.quit()


@pytest.fixture(scope="session")
def webkit(display, base_url, tmp_path_factory):
    """WebKitGTK with a fresh persistent profile and Safari's storage features on."""
    profile = tmp_path_factory.mktemp("webkit-profile")
    driver = _session(display, SHELL, [f"--data-dir={profile}", f"--features={FEATURES}"], "pynn-webkit-shell")
    yield from _browser(driver, base_url, "webkit")


@pytest.fixture(scope="session")
def private(display, base_url):
    """MiniBrowser under automation: always an ephemeral session, where OPFS throws."""
    driver = _session(display, MINIBROWSER, [f"--features={FEATURES}"], "MiniBrowser")
    yield from _browser(driver, base_url, "webkit-private")
