"""axe-core in the page under test, for any e2e test: ``expect_no_violations(page, "the state")``.

It runs every rule axe-core 4 enables by default (WCAG 2.0, 2.1 and 2.2 levels A and AA, plus
axe's best practices) on the whole document, open shadow roots (the code editor) included, and
fails with one paragraph per violated rule: its id, impact and help text, then each element's
selector and what to fix.

axe-core is pinned in tests/e2e/axe-core/package-lock.json (exact version and sha512 integrity,
checked by ``npm ci``) and installed into its git-ignored node_modules by ``python3 build.py test``
(tools/suites.py), or by this module on first use when pytest runs on its own. It is used by the
tests only and never copied into site/.

How it gets into the page: ``page.evaluate(source)`` runs the script through the DevTools protocol,
which the page's Content-Security-Policy (script-src 'self') does not govern, so the page is checked
under its real CSP, no ``bypass_csp`` needed. A navigation drops it; the next check injects it again.
"""

from __future__ import annotations

import functools
import sys
from pathlib import Path

AXE_DIR = Path(__file__).resolve().parent / "axe-core"
AXE_JS = AXE_DIR / "node_modules" / "axe-core" / "axe.min.js"
ROOT = Path(__file__).resolve().parents[2]

# What the page returns of axe's result: plain data, small enough for a failure message.
_RUN = """async (options) => {
    const result = await window.axe.run(document, options);
    return result.violations.map((v) => ({
        id: v.id, impact: v.impact, help: v.help, tags: v.tags,
        nodes: v.nodes.map((n) => ({ target: n.target.map(String).join(' >>> '),
                                     summary: n.failureSummary, html: n.html.slice(0, 160) })),
    }));
}"""


@functools.cache
def axe_source() -> str:
    """The text of axe.min.js, installed from the lock first if it is not (or not from this lock)."""
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    from tools.downloads import npm_ci_locked

    npm_ci_locked(AXE_DIR, "axe-core for tests/e2e/axe.py, never shipped")
    return AXE_JS.read_text(encoding="utf-8")


def axe_violations(page, options: dict | None = None) -> list[dict]:
    """axe's violations on ``page`` now: [{id, impact, help, tags, nodes: [{target, summary, html}]}].

    ``options`` go to ``axe.run`` as they are (by default: every rule axe enables by default).
    """
    if not page.evaluate("() => typeof window.axe === 'object' && typeof window.axe.run === 'function'"):
        page.evaluate(axe_source())
    return page.evaluate(_RUN, options or {})


def format_violations(violations: list[dict], state: str) -> str:
    """A failure message: per rule, id (impact): help, then each element and what to fix."""
    lines = [f"axe-core found {len(violations)} violated rule(s) {state}:"]
    for v in violations:
        lines.append(f"\n- {v['id']} ({v['impact']}): {v['help']} [{', '.join(v['tags'])}]")
        for n in v["nodes"]:
            fix = " ".join(n["summary"].split())
            lines.append(f"    {n['target']}\n      {fix}\n      {n['html']}")
    return "\n".join(lines)


def expect_no_violations(page, state: str, options: dict | None = None) -> None:
    """Fail, listing every violation, unless axe finds none on ``page``; ``state`` names the moment
    (e.g. "after Ready, dark, 390 px") for the message."""
    violations = axe_violations(page, options)
    assert not violations, format_violations(violations, state)
