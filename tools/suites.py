"""The test suites of `python3 build.py test` (tools, unit on CPython and in Pyodide, packaging,
JavaScript with node --test, end-to-end in Chromium; Firefox ESR and WebKitGTK in
tools/engines.py), their JUnit reports and the summary."""
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from tools.downloads import npm_ci_locked, pyodide_test_wheels
from tools.env import BuildError, clean_env, info, require_tool, run, section
from tools.paths import ARTIFACTS, ROOT, SITE, TESTS
from tools.site import build_site
from tools.wheel import install_wheel

CHROMIUM = "/usr/bin/chromium"
JS_TEST_PATTERN = "*.test.mjs"


def node_binary():
    """Path of node (Node.js 18+) or BuildError."""
    return require_tool("node", "Install Node.js 18 or newer (it runs Pyodide for the tests).")


def node_version():
    """Node.js version string, e.g. 'v20.20.2'."""
    return subprocess.run([node_binary(), "--version"], capture_output=True, text=True).stdout.strip()


# ---------------------------------------------------------------------------- reports

def junit_counts(xml_path):
    """Return (passed, failed, skipped) from a JUnit XML report (pytest's or node --test's)."""
    import xml.etree.ElementTree as ET

    if not Path(xml_path).exists():
        return 0, 0, 0
    root = ET.parse(xml_path).getroot()
    suites = [root] if root.tag == "testsuite" else root.findall("testsuite")
    if suites and root.find("testcase") is None and all(s.get("tests") for s in suites):
        # pytest: totals on each <testsuite>
        tests = failed = skipped = 0
        for suite in suites:
            tests += int(suite.get("tests", 0))
            failed += int(suite.get("failures", 0)) + int(suite.get("errors", 0))
            skipped += int(suite.get("skipped", 0))
        return tests - failed - skipped, failed, skipped
    # node --test: no totals on the root; count the test cases (nested suites included)
    passed = failed = skipped = 0
    for case in root.iter("testcase"):
        if case.find("failure") is not None or case.find("error") is not None:
            failed += 1
        elif case.find("skipped") is not None:
            skipped += 1
        else:
            passed += 1
    return passed, failed, skipped


# ---------------------------------------------------------------------------- runners

def run_pytest(test_dir, junit, timeout, env):
    """Run pytest on a suite with the source tree NOT importable; return the exit code.

    ``python -P`` (3.11+) keeps the working directory off sys.path, so pytest can run from the
    repository root; older Pythons run it from a temporary directory instead. tests/unit has no
    __init__.py, so pytest's rootdir insertion adds tests/unit (not the repository) to sys.path.
    """
    cmd = [sys.executable, "-m", "pytest", str(test_dir.relative_to(ROOT)), "-p", "no:cacheprovider",
           f"--rootdir={ROOT}", f"--junitxml={junit}", f"--timeout={timeout}", "-ra"]
    if sys.version_info >= (3, 11):
        return run([cmd[0], "-P", *cmd[1:]], cwd=ROOT, check=False, env=env)
    with tempfile.TemporaryDirectory(prefix="pynn-pytest-") as tmp:
        cmd[3] = str(test_dir)
        return run(cmd, cwd=tmp, check=False, env=env)


def js_test_files(tests_dir=TESTS):
    """Every ``tests/**/*.test.mjs`` (outside node_modules), sorted."""
    return sorted(p for p in Path(tests_dir).rglob(JS_TEST_PATTERN)
                  if "node_modules" not in p.parts and p.is_file())


def node_test(files, junit, cwd=ROOT, env=None):
    """Run ``node --test`` on ``files`` (spec report on the console, JUnit to ``junit``);
    return (exit code, passed, failed, skipped)."""
    junit = Path(junit)
    if junit.exists():
        junit.unlink()
    code = run([node_binary(), "--test", "--test-reporter=spec", "--test-reporter-destination=stdout",
                "--test-reporter=junit", f"--test-reporter-destination={junit}", *files],
               cwd=cwd, env=env, check=False)
    return (code, *junit_counts(junit))


# ---------------------------------------------------------------------------- the suites

def run_tools_tests(results):
    """Run tests/tools (the build's own modules) with CPython."""
    section("Build tools (CPython, tests/tools)")
    junit = ARTIFACTS / "tools.xml"
    code = run_pytest(TESTS / "tools", junit, 600, clean_env(PYNN_SITE_DIR=SITE))
    results.append(("tools (CPython)", code, *junit_counts(junit)))


def run_unit_tests(results):
    """Run tests/unit with CPython against the installed wheel."""
    section("Unit tests (CPython, installed py_nn wheel)")
    if (TESTS / "__init__.py").exists() or (TESTS / "unit" / "__init__.py").exists():
        info("NOTE: tests/ has __init__.py files; pytest may then put the repository on sys.path")
    junit = ARTIFACTS / "unit.xml"
    # With PYNN_REQUIRE_INSTALLED=1, tests/unit/test_installed.py fails unless py_nn was
    # imported from site-packages (the wheel), not from the source tree.
    code = run_pytest(TESTS / "unit", junit, 900,
                      clean_env(PYNN_REQUIRE_INSTALLED=1, PYNN_MNIST_DIR=SITE / "data"))
    results.append(("unit (CPython)", code, *junit_counts(junit)))


def run_bridge_tests(results):
    """Run tests/bridge (the worker's Python package, web/python/pynn_worker) with CPython."""
    section("Bridge tests (CPython, web/python/pynn_worker against the installed wheel)")
    junit = ARTIFACTS / "bridge.xml"
    code = run_pytest(TESTS / "bridge", junit, 900,
                      clean_env(PYNN_MNIST_DIR=SITE / "data",
                                PYNN_SITE_DIR=SITE, PYNN_REQUIRE_INSTALLED=1))
    results.append(("bridge (CPython)", code, *junit_counts(junit)))


def run_packaging_tests(results, wheel):
    """Check the wheel itself: pure, numpy-only, installs and runs in a fresh venv."""
    section("Packaging (the wheel in a fresh virtual environment)")
    junit = ARTIFACTS / "packaging.xml"
    code = run_pytest(TESTS / "packaging", junit, 900, clean_env(PYNN_WHEEL=wheel.resolve()))
    results.append(("packaging", code, *junit_counts(junit)))


def run_pyodide_tests(results, wheel):
    """Run tests/unit inside Pyodide in Node.js with the built wheel."""
    section("Unit tests inside Pyodide (Node.js, WebAssembly, the same wheel)")
    wheels = pyodide_test_wheels()
    result_file = ARTIFACTS / "pyodide.json"
    if result_file.exists():
        result_file.unlink()
    cmd = [node_binary(), TESTS / "pyodide" / "run_pytest.mjs",
           "--site", SITE, "--wheel", wheel, "--tests", TESTS,
           "--data", SITE / "data", "--result", result_file]
    for extra in wheels:
        cmd += ["--extra-wheel", extra]
    code = run(cmd, cwd=ROOT, check=False)
    counts = (0, 0, 0)
    if result_file.exists():
        res = json.loads(result_file.read_text())
        counts = (res.get("passed", 0), res.get("failed", 0), res.get("skipped", 0))
    results.append(("unit (Pyodide)", code, *counts))


def run_js_tests(results):
    """Run every tests/**/*.test.mjs with Node's built-in test runner (no browser)."""
    section("JavaScript unit tests (node --test, tests/**/*.test.mjs)")
    files = js_test_files()
    if not files:
        info(f"NOTE: no {JS_TEST_PATTERN} file under tests/ yet: skipped")
        results.append(("web (Node)", None, 0, 0, 0))
        return
    info(f"{len(files)} files: {', '.join(str(f.relative_to(ROOT)) for f in files)}")
    results.append(("web (Node)", *node_test(
        files, ARTIFACTS / "web.xml", env=clean_env(PYNN_SITE_DIR=SITE, PYNN_MNIST_DIR=SITE / "data"))))


def ensure_chromium():
    """Return the Chromium path; install Debian's package when root with apt-get, else fail."""
    if Path(CHROMIUM).exists():
        return CHROMIUM
    apt = shutil.which("apt-get")
    if apt and hasattr(os, "geteuid") and os.geteuid() == 0:
        section("Installing Chromium (Debian package)")
        run([apt, "update"], what="apt-get update")
        run([apt, "install", "-y", "--no-install-recommends", "chromium"],
            env=clean_env(DEBIAN_FRONTEND="noninteractive"), what="apt-get install chromium")
        if Path(CHROMIUM).exists():
            return CHROMIUM
    raise BuildError(f"Chromium is needed for the browser tests at {CHROMIUM}. Install it as root "
                     f"with: apt-get update && apt-get install -y chromium")


def run_e2e_tests(results):
    """Run tests/e2e (Playwright, Debian's Chromium, headless) against the built site."""
    section("End-to-end tests (Playwright, headless Chromium)")
    e2e = TESTS / "e2e"
    if not e2e.is_dir():
        info("NOTE: tests/e2e does not exist yet: skipped")
        results.append(("e2e (Chromium)", None, 0, 0, 0))
        return
    chromium = ensure_chromium()
    npm_ci_locked(e2e / "axe-core", "axe-core for tests/e2e/axe.py, never shipped")
    junit = ARTIFACTS / "e2e.xml"
    code = run_pytest(e2e, junit, 600,
                      clean_env(PYNN_SITE_DIR=SITE, PYNN_CHROMIUM=chromium,
                                PYNN_ARTIFACTS=ARTIFACTS, PYNN_MNIST_DIR=SITE / "data"))
    results.append(("e2e (Chromium)", code, *junit_counts(junit)))


# ---------------------------------------------------------------------------- all of them

def print_summary(results):
    """Print one line per suite and the totals; return the names of the failed suites."""
    section("Summary")
    total = [0, 0, 0]
    failed_suites = []
    for name, code, passed, failed, skipped in results:
        if code is None:
            status = "skipped"
        elif code == 0:
            status = "ok"
        else:
            status = f"FAILED (exit {code})"
            failed_suites.append(name)
        if code == 5:
            status = "FAILED (no tests collected)"
        print(f"   {name:<18} {status:<28} {passed} passed, {failed} failed, {skipped} skipped")
        total[0] += passed
        total[1] += failed
        total[2] += skipped
    if failed_suites and total[1] == 0:
        total[1] = len(failed_suites)  # a suite that crashed before reporting counts as a failure
    print(f"\ntotal: {total[0]} passed, {total[1]} failed, {total[2]} skipped", flush=True)
    return failed_suites


def run_tests():
    """Build, then run every suite; print a summary; return the exit code."""
    from tools.engines import run_engine_tests  # it imports this module

    build_site()
    wheel = SITE / json.loads((SITE / "build.json").read_text())["wheel"]
    section("Installing the built wheel into .venv")
    install_wheel(wheel)
    info(f"installed {wheel.name}")
    ARTIFACTS.mkdir(exist_ok=True)
    results = []
    run_tools_tests(results)
    run_unit_tests(results)
    run_bridge_tests(results)
    run_packaging_tests(results, wheel)
    run_pyodide_tests(results, wheel)
    run_js_tests(results)
    run_e2e_tests(results)
    run_engine_tests(results)
    return 1 if print_summary(results) else 0
