"""README's table "Bad inputs and their messages", written from what the tests saw.

Runs tests/unit/test_bad_inputs.py (py_nn from the source tree), tests/e2e/test_js_bad_inputs.py,
tests/e2e/test_dataset_bad_inputs.py and tests/e2e/test_share_bad_inputs.py (window.pynn, links,
?model=, embed messages in headless Chromium, against the built site/) with PYNN_BAD_INPUTS_LOG set; each
case appends {where, input, message, test} to that log. The table is made from the log, so every
message in it is the real current one and every row is a passing test.

    .venv/bin/python -m tools.bad_inputs            # print the table
    .venv/bin/python -m tools.bad_inputs --write    # replace the table in README.md

Needs a built site/ (``python3 build.py``) and Chromium at /usr/bin/chromium (or PYNN_CHROMIUM).
"""
import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

from tools.env import clean_env
from tools.paths import ARTIFACTS, ROOT, SITE

TESTS = ["tests/unit/test_bad_inputs.py", "tests/e2e/test_js_bad_inputs.py",
         "tests/e2e/test_dataset_bad_inputs.py", "tests/e2e/test_share_bad_inputs.py"]
README = ROOT / "README.md"
BEGIN = "<!-- bad-inputs:begin (written by `python -m tools.bad_inputs --write`) -->"
END = "<!-- bad-inputs:end -->"
LONG = 230  # messages longer than this are shortened in the middle with …


def collect():
    """Run both test files; return their log entries in test order (SystemExit if any failed)."""
    if not (SITE / "index.html").is_file():
        sys.exit(f"{SITE}/index.html not found: run `python3 build.py` first.")
    with tempfile.TemporaryDirectory(prefix="pynn-bad-inputs-") as tmp:
        log = Path(tmp) / "log.jsonl"
        env = clean_env(PYTHONPATH=ROOT, PYNN_BAD_INPUTS_LOG=log, PYNN_SITE_DIR=SITE,
                        PYNN_MNIST_DIR=SITE / "data", PYNN_ARTIFACTS=ARTIFACTS)
        code = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                               f"--rootdir={ROOT}", *TESTS], cwd=ROOT, env=env).returncode
        if code != 0:
            sys.exit(f"the bad-input tests failed (pytest exit code {code}); the table is not "
                     f"written until they pass.")
        return [json.loads(line) for line in log.read_text(encoding="utf-8").splitlines()]


def cell(text):
    """Text safe inside a Markdown table cell."""
    return text.replace("\\", "\\\\").replace("|", "\\|").replace("<", "&lt;").replace("\n", " ")


def shorten(message):
    if len(message) <= LONG:
        return message
    return message[:LONG - 80].rstrip() + " … " + message[-70:].lstrip()


def table(entries):
    """The Markdown table: where, the input, the message (verbatim, maybe shortened), the test."""
    rows = ["| # | where | the input | the message | the test that covers it |",
            "|---|---|---|---|---|"]
    for i, e in enumerate(entries, 1):
        rows.append(f"| {i} | {e['where']} | `{cell(e['input'])}` | {cell(shorten(e['message']))} "
                    f"| `{cell(e['test'])}` |")
    return "\n".join(rows)


def write_readme(text):
    """Replace the block between BEGIN and END in README.md with ``text``."""
    readme = README.read_text(encoding="utf-8")
    start, end = readme.find(BEGIN), readme.find(END)
    if start < 0 or end < start:
        sys.exit(f"README.md has no {BEGIN!r} ... {END!r} block to replace.")
    README.write_text(readme[:start + len(BEGIN)] + "\n" + text + "\n" + readme[end:],
                      encoding="utf-8")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--write", action="store_true", help="replace the table in README.md")
    args = parser.parse_args(argv)
    entries = collect()
    text = table(entries)
    if args.write:
        write_readme(text)
        print(f"README.md: {len(entries)} bad inputs written.")
    else:
        print(text)


if __name__ == "__main__":
    main()
