"""The Teach panel's "Your data" in Chromium, as a person uses it: create a data set with class names,
draw samples of each on the teaching pad with the mouse, see the counts, reload and find it again;
import a zip of class folders with the button; export it; delete it and undo. Today's "teach your
digits" flow is tests/e2e/test_teach.py's (unchanged)."""
import io
import json
import math
import zipfile

from playwright.sync_api import expect

from dataset_files import png, scanned, zip_bytes


def line(p, q, n=16):
    return [(p[0] + (q[0] - p[0]) * i / n, p[1] + (q[1] - p[1]) * i / n) for i in range(n + 1)]


# strokes in unit coordinates of the pad, drawn with the mouse
CIRCLE = [[(0.5 + 0.22 * math.sin(2 * math.pi * i / 40), 0.5 - 0.3 * math.cos(2 * math.pi * i / 40)) for i in range(43)]]
CROSS = [line((0.3, 0.3), (0.7, 0.7)), line((0.7, 0.3), (0.3, 0.7))]
STROKE = [line((0.5, 0.15), (0.5, 0.85), 20)]


def message(app):
    return app.page.get_by_test_id("dataset-message")


def add(app, name, strokes):
    app.draw_strokes(app.page.get_by_label("Teaching pad", exact=True), strokes)
    app.button(f"Add as {name}").click()
    expect(message(app)).to_contain_text(f"Added as {name}")


def test_a_data_set_drawn_with_the_mouse_survives_a_reload(app):
    app.field("Name").fill("shapes")
    app.field("Classes").fill("circle, cross")
    app.button("Create data set").click()
    expect(message(app)).to_have_text('Created "shapes" with classes circle, cross. Draw on the teaching pad, then "Add as …".')
    for _ in range(5):
        add(app, "circle", CIRCLE)
    for _ in range(2):
        add(app, "cross", CROSS)
    expect(message(app)).to_contain_text("(train split)")
    expect(app.page.get_by_test_id("ds-count-0")).to_have_text("circle: 5")
    expect(app.page.get_by_test_id("ds-count-1")).to_have_text("cross: 2")
    # nothing drawn: a clear message, nothing added
    app.button("Add as cross").click()
    expect(message(app)).to_have_text("Draw a cross on the teaching pad first, then add it.")
    app.snap("drawn")
    app.reload()
    expect(app.field("Your data set")).to_have_value("mine-shapes")
    expect(app.page.get_by_test_id("ds-count-0")).to_have_text("circle: 5")
    expect(app.page.get_by_test_id("ds-count-1")).to_have_text("cross: 2")
    d = app.page.evaluate("""async () => { const d = await window.pynn.myDataset('mine-shapes');
        return {train: Array.from(d.train.labels), test: Array.from(d.test.labels), ink: d.train.images.reduce((a, b) => a + b, 0)}; }""")
    assert (sorted(d["train"]), d["test"]) == ([0, 0, 0, 0, 1, 1], [0]), d  # every fifth of a class is a test sample
    assert d["ink"] > 6 * 255 * 40, "the drawn samples hold no ink"
    # today's digit samples are untouched by it
    assert app.page.evaluate("async () => (await window.pynn.examples()).length") == 0


def test_import_export_delete_and_undo_with_the_buttons(app, held_out, tmp_path):
    images, labels = held_out
    files = {f"{name}/{i}.png": png(scanned(img, i)) for name, d in (("three", 3), ("eight", 8))
             for i, img in enumerate(images[labels == d][:5])}
    files["eight/readme.md"] = b"# eights"
    path = tmp_path / "threes and eights.zip"
    path.write_bytes(zip_bytes(files))
    app.page.set_input_files("#ds-file", str(path))
    expect(message(app)).to_contain_text('Imported "threes and eights": 2 classes (eight, three), 8 training and 2 test samples.', timeout=30_000)
    expect(message(app)).to_contain_text("Inverted: dark ink on a light background in 10 of 10 images")
    expect(message(app)).to_contain_text("Skipped 1: eight/readme.md (not an image (expected .png, .jpg, .jpeg))")
    expect(app.page.get_by_test_id("ds-count-0")).to_have_text("eight: 5")
    app.snap("imported")
    with app.page.expect_download() as dl:
        app.button("Export data set").click()
    with zipfile.ZipFile(io.BytesIO(open(dl.value.path(), "rb").read())) as z:
        assert json.loads(z.read("dataset.json"))["classes"] == ["eight", "three"]
        assert len([n for n in z.namelist() if n.endswith(".png")]) == 10
    app.button("Delete data set").click()
    expect(message(app)).to_contain_text('Deleted "threes and eights".')
    assert app.page.evaluate("async () => (await window.pynn.myDatasets()).length") == 0
    message(app).get_by_role("button", name="Undo").click()
    expect(message(app)).to_have_text('Restored "threes and eights".')
    expect(app.page.get_by_test_id("ds-count-1")).to_have_text("three: 5")
    app.reload()
    listed = app.page.evaluate("async () => window.pynn.myDatasets()")
    assert [(d["name"], d["train"], d["test"], d["stored"]) for d in listed] == [("threes and eights", 8, 2, True)]


def test_when_storage_refuses_the_data_set_is_kept_for_the_visit_and_the_page_says_so(open_app, held_out, tmp_path):
    app = open_app(load=False)
    app.page.add_init_script("""
        IDBFactory.prototype.open = function () { throw new DOMException('The quota has been exceeded.', 'QuotaExceededError'); };
    """)
    app.open()
    images, labels = held_out
    path = tmp_path / "ones and sevens.zip"
    path.write_bytes(zip_bytes({f"{name}/{i}.png": png(scanned(img, i)) for name, d in (("one", 1), ("seven", 7))
                                for i, img in enumerate(images[labels == d][:3])}))
    app.page.set_input_files("#ds-file", str(path))
    expect(message(app)).to_contain_text('Imported "ones and sevens": 2 classes', timeout=30_000)
    expect(message(app)).to_contain_text("could not be stored in this browser")
    expect(message(app)).to_contain_text("It is kept for this visit; use Export to keep a zip")
    expect(app.field("Your data set").locator("option")).to_have_text(["ones and sevens (2 classes, 6 samples, this visit only: not stored)"])
    add(app, "one", STROKE)  # drawing into it works too, and says it was not stored
    expect(app.page.get_by_test_id("ds-count-0")).to_have_text("one: 4")
    with app.page.expect_download() as dl:  # nothing is lost: Export still writes it all
        app.button("Export data set").click()
    with zipfile.ZipFile(io.BytesIO(open(dl.value.path(), "rb").read())) as z:
        assert len([n for n in z.namelist() if n.endswith(".png")]) == 7
