"""A start-up failure says which file failed and offers Retry, which reaches Ready without a reload."""

import re

import pytest
from playwright.sync_api import expect


@pytest.mark.parametrize("pattern, shown", [
    ("**/pyodide/numpy-*.whl", "numpy-2.0.2"),
    ("**/wheels/py_nn-*.whl", "py_nn-"),
])
def test_failed_file_is_named_and_retry_reaches_ready(open_app, pattern, shown):
    app = open_app(load=False)
    page, context = app.page, app.page.context
    refused = []

    def unavailable(route):
        refused.append(route.request.url)
        route.fulfill(status=503, body="unavailable")

    context.route(pattern, unavailable)
    page.goto(app.base_url + "/")
    expect(app.status).to_have_attribute("data-state", "error", timeout=90_000)
    expect(app.status).to_contain_text(shown)
    assert refused, f"nothing matched {pattern}: the test did not block what it meant to"
    retry = app.button("Retry")
    expect(retry).to_be_visible()
    expect(app.active_model).to_contain_text(re.compile(r"could not be started", re.I))
    app.snap("failed")

    context.unroute(pattern)
    page.evaluate("() => { window.__sameDocument = true; }")
    retry.click()
    app.wait_ready()
    expect(retry).to_be_hidden()
    assert page.evaluate("() => window.__sameDocument") is True, "Retry reloaded the page"
    expect(app.active_model).to_have_text(re.compile(r"default", re.I))
    app.draw("1")
    expect(app.prediction).to_have_text("1", timeout=15_000)
