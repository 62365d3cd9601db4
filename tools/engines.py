"""The app in the other engines: Firefox ESR (puppeteer-core over WebDriver BiDi, node --test)
and WebKitGTK, Safari's engine (Selenium + WebKitWebDriver under Xvfb, pytest); tests/engines.

Debian's packages are installed here when missing (as root with apt-get), like Chromium in
tools/suites.py; a missing engine fails the run with the package to install, never a skip.
puppeteer-core is pinned in tests/engines/package-lock.json and installed with ``npm ci``
(integrity-checked) into the git-ignored tests/engines/node_modules, again only when the lock
changed.
"""
import json
import os
import runpy
import shutil
import sys
import threading
from pathlib import Path

from tools.downloads import npm_ci_locked
from tools.env import BuildError, clean_env, info, run, section
from tools.fit_reference import LESSON_HASH
from tools.paths import ARTIFACTS, SITE, TESTS
from tools.suites import junit_counts, node_test, run_pytest

ENGINES = TESTS / "engines"
# what must exist -> the Debian package that provides it
NEEDS = {
    "/usr/bin/firefox-esr": "firefox-esr",
    "/usr/bin/WebKitWebDriver": "webkit2gtk-driver",
    "/usr/lib/x86_64-linux-gnu/webkit2gtk-4.1/MiniBrowser": "libwebkit2gtk-4.1-0",
    "/usr/bin/Xvfb": "xvfb",
    "/usr/lib/python3/dist-packages/gi/__init__.py": "python3-gi",
    "/usr/lib/x86_64-linux-gnu/girepository-1.0/WebKit2-4.1.typelib": "gir1.2-webkit2-4.1",
}


def missing_packages():
    """The Debian packages of NEEDS whose files are not there."""
    return sorted({pkg for path, pkg in NEEDS.items() if not Path(path).exists()})


def ensure_engines():
    """Install the missing engine packages as root with apt-get; else raise BuildError naming them."""
    missing = missing_packages()
    apt = shutil.which("apt-get")
    if missing and apt and hasattr(os, "geteuid") and os.geteuid() == 0:
        section(f"Installing the other engines (Debian: {' '.join(missing)})")
        run([apt, "update"], what="apt-get update")
        run([apt, "install", "-y", "--no-install-recommends", *missing],
            env=clean_env(DEBIAN_FRONTEND="noninteractive"), what=f"apt-get install {' '.join(missing)}")
        missing = missing_packages()
    if missing:
        raise BuildError(f"The Firefox and WebKit tests need the Debian packages {', '.join(missing)}. "
                         f"Install them as root with: apt-get update && apt-get install -y "
                         f"--no-install-recommends {' '.join(missing)}")


def ensure_node_modules():
    """``npm ci`` in tests/engines unless node_modules was installed from this very lock."""
    npm_ci_locked(ENGINES, "puppeteer-core")


def serve_site():
    """Serve site/ on a free local port in a thread; (server, url)."""
    from tools.serve import make_server

    server = make_server(str(SITE), 0, quiet=True)
    threading.Thread(target=server.serve_forever, name="engines-serve", daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}"


def digit_strokes():
    """DIGIT_STROKES of tests/e2e/app_page.py (the one place they are written) as JSON."""
    return json.dumps(runpy.run_path(str(TESTS / "e2e" / "app_page.py"))["DIGIT_STROKES"])


def run_engine_tests(results):
    """Run tests/engines in Firefox ESR and in WebKitGTK, one result line each."""
    section("End-to-end tests in Firefox ESR and WebKitGTK (tests/engines)")
    ensure_engines()
    ensure_node_modules()
    server, url = serve_site()
    env = clean_env(PYNN_BASE_URL=url, PYNN_ARTIFACTS=ARTIFACTS, PYNN_DIGIT_STROKES=digit_strokes(),
                    PYNN_LESSON_HASH=LESSON_HASH, PYNN_PYTHON=sys.executable)
    try:
        section("Firefox ESR (puppeteer-core, WebDriver BiDi)")
        results.append(("e2e (Firefox)", *node_test([ENGINES / "firefox.mjs"], ARTIFACTS / "firefox.xml",
                                                    cwd=ENGINES, env=env)))
        section("WebKitGTK (Selenium, WebKitWebDriver, Xvfb)")
        junit = ARTIFACTS / "webkit.xml"
        code = run_pytest(ENGINES, junit, 600, env)
        results.append(("e2e (WebKit)", code, *junit_counts(junit)))
    finally:
        server.shutdown()
        server.server_close()
    for engine in ("firefox", "webkit"):
        timing = ARTIFACTS / f"engines-{engine}.json"
        if timing.exists():
            ready = json.loads(timing.read_text())["ready"]
            info(f"{engine} Ready: " + ", ".join(f"{r['visit']} {r['ms'] / 1000:.2f} s ({r['snapshot']})" for r in ready))
