"""The test runner's plumbing: JavaScript unit tests are found anywhere under tests/ (zero or
many files) and their outcomes are counted; build.py and tools/ run with a bare python3."""
import subprocess
import sys
import textwrap
from pathlib import Path

from tools.suites import js_test_files, junit_counts, node_test

ROOT = Path(__file__).resolve().parents[2]

PASSING = """
import test from 'node:test';
import assert from 'node:assert/strict';
test('adds', () => assert.equal(1 + 1, 2));
test('later', { skip: 'not yet' }, () => {});
"""
FAILING = """
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
describe('group', () => {
  it('passes', () => assert.ok(true));
  it('fails', () => assert.equal(784, 785));
});
"""


def test_js_test_files_are_found_at_any_depth_outside_node_modules(tmp_path):
    assert js_test_files(tmp_path) == []
    for name in ("web/draw.test.mjs", "web/deep/fit-options.test.mjs", "a.test.mjs",
                 "web/node_modules/x/y.test.mjs", "web/helper.mjs", "web/draw.test.js"):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(PASSING)
    found = [p.relative_to(tmp_path).as_posix() for p in js_test_files(tmp_path)]
    assert found == ["a.test.mjs", "web/deep/fit-options.test.mjs", "web/draw.test.mjs"]


def test_node_test_counts_passed_failed_and_skipped(tmp_path):
    (tmp_path / "ok.test.mjs").write_text(PASSING)
    (tmp_path / "bad.test.mjs").write_text(FAILING)
    code, passed, failed, skipped = node_test(sorted(tmp_path.glob("*.test.mjs")),
                                              tmp_path / "out.xml", cwd=tmp_path)
    assert code != 0
    assert (passed, failed, skipped) == (2, 1, 1)


def test_node_test_all_green(tmp_path):
    (tmp_path / "ok.test.mjs").write_text(PASSING)
    assert node_test([tmp_path / "ok.test.mjs"], tmp_path / "out.xml", cwd=tmp_path) == (0, 1, 0, 1)


def test_a_js_file_that_does_not_load_is_a_failure(tmp_path):
    (tmp_path / "broken.test.mjs").write_text("import { nothing } from './missing.mjs';\n")
    code, passed, failed, _ = node_test([tmp_path / "broken.test.mjs"], tmp_path / "out.xml", cwd=tmp_path)
    assert code != 0 and passed == 0 and failed >= 1


def test_pytest_junit_totals_are_read(tmp_path):
    xml = tmp_path / "pytest.xml"
    xml.write_text(textwrap.dedent("""\
        <?xml version="1.0" encoding="utf-8"?><testsuites><testsuite name="pytest" errors="1"
         failures="2" skipped="3" tests="10" time="1.0"></testsuite></testsuites>"""))
    assert junit_counts(xml) == (4, 3, 3)
    assert junit_counts(tmp_path / "missing.xml") == (0, 0, 0)


def test_build_py_and_tools_need_only_the_standard_library():
    # -S: no site-packages (no numpy, no pytest), as with a bare python3 before .venv exists
    result = subprocess.run([sys.executable, "-S", "build.py", "serve", "--help"], cwd=ROOT,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert "--port" in result.stdout and "--no-build" in result.stdout
    modules = sorted(p.stem for p in (ROOT / "tools").glob("*.py") if p.stem != "__init__")
    code = "import importlib, sys; [importlib.import_module('tools.' + m) for m in sys.argv[1:]]"
    result = subprocess.run([sys.executable, "-S", "-c", code, *modules], cwd=ROOT,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
