"""Offline: the service worker precaches every file build.json lists, in a cache named after the
build id, and the page reaches Ready and predicts with the network gone."""

import json

from playwright.sync_api import expect


def test_precached_site_works_offline(app, site_dir):
    build = json.loads((site_dir / "build.json").read_text())
    page = app.page
    cached = page.evaluate("""async () => {
        const reg = await navigator.serviceWorker.ready;
        const id = new URL(reg.active.scriptURL).searchParams.get('build');
        const cache = await caches.open('pynn-site-' + id);
        return {id, keys: await caches.keys(),
                files: (await cache.keys()).map(r => new URL(r.url).pathname.slice(1))};
    }""")
    assert cached["id"] == build["build_id"], cached["id"]
    assert cached["keys"] == [f"pynn-site-{build['build_id']}"], cached["keys"]
    missing = sorted(set(build["precache"]) - set(cached["files"]))
    assert missing == [], f"not precached: {missing}"

    page.wait_for_function("() => navigator.serviceWorker.controller !== null")
    page.context.set_offline(True)
    app.reload()
    expect(app.active_model).to_have_text("Default model")
    app.draw("7")
    expect(app.prediction).to_have_text("7", timeout=15_000)
