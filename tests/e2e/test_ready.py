"""The page loads in the browser, from the local server only, with the default model active."""

import json
import re
from urllib.parse import urlsplit

from playwright.sync_api import expect


def test_ready_from_local_server_with_default_model(app, base_url, site_dir):
    page = app.page
    expect(app.status).to_contain_text("Ready")
    assert not app.status.inner_text().startswith("Error:")
    # the page says which matrix-product kernel it runs on: py_nn's WebAssembly SIMD one
    expect(app.status).to_contain_text("WebAssembly SIMD kernel")
    # pynn.ready resolves once py_nn is importable and a model is active
    assert page.evaluate("() => window.pynn.ready.then(() => true)") is True
    expect(app.active_model).to_have_text(re.compile(r"default", re.I))

    # everything came from the local server: the page, Pyodide, numpy, the py_nn wheel, the model
    origin = urlsplit(base_url).netloc
    requested = [u for u in app.record["requests"] if urlsplit(u).scheme in ("http", "https")]
    foreign = [u for u in requested if urlsplit(u).netloc != origin]
    assert foreign == [], f"requests to other hosts: {foreign}"
    paths = {urlsplit(u).path for u in requested}
    model = "/" + json.loads((site_dir / "build.json").read_text())["model"]
    for expected in ("/index.html", "/pyodide/pyodide.asm.wasm", model):
        assert any(p == expected or (expected == "/index.html" and p == "/") for p in paths), \
            f"{expected} was not requested from the local server; saw {sorted(paths)}"
    assert any(p.startswith("/wheels/py_nn-") and p.endswith(".whl") for p in paths), sorted(paths)


def test_works_under_a_sub_path(open_app, subpath_url):
    """Hosted under /user/repo/ (GitHub Pages): every URL is relative, the app is Ready and predicts."""
    app = open_app(load=False)
    app.base_url = subpath_url
    app.open()
    prefix = urlsplit(subpath_url).path + "/"
    outside = [u for u in app.record["requests"]
               if urlsplit(u).scheme in ("http", "https") and not urlsplit(u).path.startswith(prefix)]
    assert outside == [], f"requests outside {prefix}: {outside}"
    app.draw("1")
    expect(app.prediction).to_have_text("1", timeout=15_000)


def test_the_status_names_the_kernel_that_really_runs_and_the_worker_is_one_file(app):
    """Chromium has relaxed SIMD, but the page runs the plain SIMD build (the same rounding in every
    engine, so a seed means the same weights everywhere), and the status line says so; the worker
    arrives as one bundled script (no module graph behind it)."""
    ready = app.page.evaluate("() => window.pynn.ready.then((r) => ({kernel: r.kernel, variant: r.kernelVariant}))")
    assert ready == {"kernel": "simd", "variant": "simd"}
    expect(app.status).to_contain_text("WebAssembly SIMD kernel")
    expect(app.status).not_to_contain_text("relaxed")
    scripts = [urlsplit(u).path for u in app.record["requests"] if urlsplit(u).path.endswith(".js")]
    worker_side = [p for p in scripts if p.startswith("/worker/")]
    assert sorted(set(worker_side)) == ["/worker/worker.js"], scripts  # and no module graph behind it
