"""The start-up snapshot (web/worker/snapshot/) in real Chromium with real OPFS.

A first visit starts normally and saves a snapshot of the started runtime after Ready; a reload
of the same build starts from it (``pynn.ready``'s ``stages.snapshot``: "saving" at Ready, "saved"
once ``pynn.snapshotSaved`` says it is written and read back, then "restored"). Predictions and training after a restore equal those of a normal start; a damaged
snapshot, or one that fails while restoring, is deleted and the page starts normally (and saves
a new one); a rebuilt site (another ``build_id``) never uses an older build's snapshot.
"""

import json
import re
from pathlib import Path

from conftest import SNAPSHOT_FOLDER as FOLDER
from playwright.sync_api import expect

SAVE_TIMEOUT_MS = 60_000
FORMAT_SOURCE = Path(__file__).resolve().parents[2] / "web" / "worker" / "snapshot" / "format.js"

# the held-out digits the tests predict (rows of site/data after the training pool)
ROWS = [0, 1, 2, 3, 17, 99]


def stages(app) -> dict:
    """The start's stages once its snapshot is settled (written, restored or none)."""
    return app.page.evaluate(
        "() => window.pynn.ready.then(() => window.pynn.snapshotSaved).then(() => window.pynn.ready).then(r => r.stages)")


def snapshot_files(app) -> dict:
    """{file name: size} in the snapshot folder of this browser context's OPFS."""
    return app.page.evaluate(
        """async (folder) => {
            const root = await navigator.storage.getDirectory();
            let dir;
            try { dir = await root.getDirectoryHandle(folder); } catch (e) { return {}; }
            const out = {};
            for await (const [name, h] of dir.entries()) out[name] = h.kind === 'file' ? (await h.getFile()).size : -1;
            return out;
        }""", FOLDER)


def wait_saved(app, build_id: str) -> int:
    """Wait until `<build_id>.snapshot` is written (after Ready); returns its size."""
    size = app.wait_snapshot_written(build_id, SAVE_TIMEOUT_MS)
    assert size is not None, f"{build_id}.snapshot was not written within {SAVE_TIMEOUT_MS} ms; saw {snapshot_files(app)}"
    return size


def build_id(app) -> str:
    return app.page.evaluate("() => window.pynn.ready.then(r => r.build.build_id)")


def predictions(app, held_out) -> list:
    """pynn.predict of the ROWS digits: every probability as the exact float the worker sent."""
    images, _ = held_out
    pixels = [[float(v) / 255.0 for v in images[r]] for r in ROWS]
    return app.page.evaluate(
        """async (rows) => { const out = [];
            for (const px of rows) out.push((await window.pynn.predict(new Float32Array(px))).probabilities);
            return out; }""", pixels)


def train_small(app) -> dict:
    """A short seeded fit through pynn.fit: its history and held-out accuracy."""
    return app.page.evaluate(
        """async () => { const r = await window.pynn.fit({hidden: [32], epochs: 1, samples: 512,
                batchSize: 32, learningRate: 0.05, optimizer: 'sgd', seed: 5});
            return {history: r.history, accuracy: r.evaluation.accuracy, committed: r.committed}; }""")


def damage(app, build_id: str, how: str):
    """Change the saved snapshot file: "flip" bytes in the middle (the checksum no longer
    matches), or "table": a header that no longer fits the runtime, with a valid checksum (computed
    by the worker's own format module, web/worker/snapshot/format.js, which the site ships bundled)."""
    app.page.context.route("**/__tests__/snapshot-format.js", lambda route: route.fulfill(
        status=200, content_type="text/javascript", body=FORMAT_SOURCE.read_text()))
    app.page.evaluate(
        """async ([folder, name, how]) => {
            const dir = await (await navigator.storage.getDirectory()).getDirectoryHandle(folder);
            const handle = await dir.getFileHandle(name);
            const bytes = new Uint8Array(await (await handle.getFile()).arrayBuffer());
            if (how === 'flip') {
                for (let i = 0; i < 64; i++) bytes[(bytes.length >> 1) + i] ^= 0x5a;
            } else {
                const { checksum } = await import(new URL('./__tests__/snapshot-format.js', location.href).href);
                const view = new DataView(bytes.buffer);
                const length = view.getUint32(8, true);
                const header = JSON.parse(new TextDecoder().decode(bytes.subarray(16, 16 + length)));
                header.initialTableLength += 1;
                const json = new TextEncoder().encode(JSON.stringify(header).padEnd(length, ' '));
                if (json.length !== length) throw new Error('the header grew');
                bytes.set(json, 16);
                view.setUint32(12, checksum([bytes.subarray(16)]), true);
            }
            const w = await handle.createWritable();
            await w.write(bytes);
            await w.close();
        }""", [FOLDER, f"{build_id}.snapshot", how])


def test_reload_starts_from_the_snapshot_and_predicts_the_same(open_app, held_out):
    app = open_app()
    first = stages(app)
    assert first["snapshot"] == "saved", first
    bid = build_id(app)
    size = wait_saved(app, bid)
    assert size > 10_000_000, f"the snapshot is only {size} bytes"
    normal = predictions(app, held_out)
    app.draw("7")
    drawn_normal = app.settled_probs()

    app.reload()
    second = stages(app)
    assert second["snapshot"] == "restored", second
    assert "packages" not in second and "py_nn" not in second, second  # those stages were skipped
    expect(app.status).to_contain_text("WebAssembly SIMD kernel")
    expect(app.active_model).to_have_text(re.compile(r"default", re.I))
    assert predictions(app, held_out) == normal  # bit-identical floats
    app.draw("7")
    assert app.settled_probs() == drawn_normal


def test_training_after_a_restore_equals_a_normal_start(open_app):
    normal_app = open_app()
    assert stages(normal_app)["snapshot"] == "saved"
    wait_saved(normal_app, build_id(normal_app))
    normal_app.reload()
    assert stages(normal_app)["snapshot"] == "restored"
    restored = train_small(normal_app)

    fresh = open_app()  # another context: empty OPFS, a normal start
    assert stages(fresh)["snapshot"] == "saved"
    normal = train_small(fresh)
    assert restored["committed"] and normal["committed"]
    assert restored == normal
    assert normal["accuracy"] > 0.5, normal


def test_a_damaged_snapshot_is_replaced_by_a_normal_start(open_app):
    app = open_app()
    bid = build_id(app)
    wait_saved(app, bid)
    # flip bytes in the middle of the saved memory: the checksum no longer matches
    damage(app, bid, "flip")
    app.reload()
    after = stages(app)
    assert after["snapshot"] == "saved", after  # a normal start, which saves a new snapshot
    assert not app.status.inner_text().startswith("Error")
    assert wait_saved(app, bid) > 10_000_000
    app.reload()
    assert stages(app)["snapshot"] == "restored"


def test_a_snapshot_that_fails_while_restoring_falls_back(open_app, held_out):
    """A well-formed snapshot whose contents do not fit the runtime (here: a wrong table size,
    with a valid checksum) fails after Pyodide started: the page starts again normally."""
    app = open_app()
    bid = build_id(app)
    wait_saved(app, bid)
    normal = predictions(app, held_out)
    damage(app, bid, "table")
    app.reload()
    after = stages(app)
    assert after["snapshot"] == "saved", after
    expect(app.status).to_contain_text("Ready")
    assert predictions(app, held_out) == normal
    wait_saved(app, bid)
    app.reload()
    assert stages(app)["snapshot"] == "restored"


def test_a_rebuilt_site_ignores_the_old_snapshot(open_app, site_dir):
    """Another build_id in build.json (a rebuilt site): the old snapshot is deleted, not used."""
    app = open_app(service_workers="block")
    old = build_id(app)
    wait_saved(app, old)
    real = json.loads((site_dir / "build.json").read_text())
    new_id = "0123456789abcdef" if old != "0123456789abcdef" else "fedcba9876543210"
    app.page.context.route("**/build.json", lambda route: route.fulfill(
        status=200, content_type="application/json", body=json.dumps(real | {"build_id": new_id})))
    app.reload()
    after = stages(app)
    assert after["snapshot"] == "saved", after
    assert f"{old}.snapshot" not in snapshot_files(app)
    wait_saved(app, new_id)
    assert list(snapshot_files(app)) == [f"{new_id}.snapshot"]
