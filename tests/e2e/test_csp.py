"""The Content-Security-Policy: only the site itself (plus WebAssembly for Pyodide), and the whole
app works under it: Ready, predict, train with the live chart, the worker and the service worker."""

import re

from playwright.sync_api import expect

# every securitypolicyviolation, recorded from before the first script runs (page and worker)
WATCH_CSP = """
self.__csp = [];
self.addEventListener('securitypolicyviolation',
    e => self.__csp.push(`${e.effectiveDirective} blocked ${e.blockedURI || '(inline)'} in ${e.sourceFile || '?'}`));
"""
WATCH_CSP_PAGE = WATCH_CSP.replace("self.addEventListener", "document.addEventListener")


def page_policy(site_dir) -> str:
    html = (site_dir / "index.html").read_text()
    m = re.search(r'<meta\s+http-equiv="Content-Security-Policy"\s+content="([^"]+)"', html)
    assert m, "index.html has no Content-Security-Policy meta tag"
    return m.group(1)


def directives(policy: str) -> dict:
    out = {}
    for part in policy.split(";"):
        words = part.split()
        if words:
            out[words[0]] = words[1:]
    return out


def test_policy_allows_only_the_site_and_wasm(site_dir):
    d = directives(page_policy(site_dir))
    assert d["default-src"] == ["'self'"], d
    assert d["connect-src"] == ["'self'"], d
    assert sorted(d["script-src"]) == ["'self'", "'wasm-unsafe-eval'"], d
    assert d["object-src"] == ["'none'"], d
    for name, sources in d.items():
        assert not {"'unsafe-inline'", "'unsafe-eval'", "*", "http:", "https:"} & set(sources), (name, sources)


def test_the_app_works_under_the_policy_with_no_violation(open_app, site_dir):
    policy = page_policy(site_dir)
    app = open_app(load=False)
    page = app.page
    page.add_init_script(WATCH_CSP_PAGE)

    # the worker gets the same policy as an HTTP header (as a host that sets headers would send
    # it), and the violation watcher as its first lines
    def with_policy(route):
        response = route.fetch()
        route.fulfill(status=response.status, body=WATCH_CSP + response.text(),
                      headers=response.headers | {"content-security-policy": policy})

    page.route(re.compile(r".*/worker\.js(\?.*)?$"), with_policy)
    app.open()
    meta = page.locator('meta[http-equiv="Content-Security-Policy"]')
    expect(meta).to_have_attribute("content", policy)
    worker = page.workers[0]

    app.draw("1")
    expect(app.prediction).to_have_text("1", timeout=15_000)
    app.train_and_wait(hidden="16", epochs=2, samples=1000, batch=100)
    ink = app.chart.evaluate(
        """c => { const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
                 let n = 0; for (let i = 3; i < d.length; i += 4) if (d[i] > 0) n++; return n; }""")
    assert ink > 2000, "the chart stayed blank under the policy"
    assert page.evaluate("() => navigator.serviceWorker.ready.then(r => !!r.active)") is True

    assert page.evaluate("() => window.__csp") == [], "the policy blocked something the page needs"
    assert worker.evaluate("() => self.__csp") == [], "the policy blocked something the worker needs"

    # the watchers see a violation when there is one, so the empty lists above mean something:
    # an inline script in the page and a string timer in the worker are refused
    page.evaluate("() => { const s = document.createElement('script'); s.textContent = 'window.__ran = 1'; document.body.append(s); }")
    page.wait_for_function("() => window.__csp.length > 0")
    assert page.evaluate("() => window.__ran") is None
    assert page.evaluate("() => window.__csp")[0].startswith("script-src-elem"), page.evaluate("() => window.__csp")
    ran = worker.evaluate("""() => new Promise(done => { setTimeout('self.__ran = 1', 0);
                                                         setTimeout(() => done(self.__ran), 50); })""")
    assert ran is None, "the worker ran a string as code: it is not under the policy"
    assert worker.evaluate("() => self.__csp")[0].startswith("script-src"), worker.evaluate("() => self.__csp")
