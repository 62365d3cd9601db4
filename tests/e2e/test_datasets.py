"""Data sets of your own in Chromium, through window.pynn: a zip of PNG class folders made from real
MNIST digits (scanned-looking: dark ink on a light page, larger, off-centre) and a Kaggle-layout CSV
of real digits are imported; counts, class names, skipped files and the inversion note are checked,
and the prepared pixels against the digits they came from; Export then import gives the same
pixels; the data set is still there after a reload."""
from __future__ import annotations

import base64
import io
import json
import zipfile

import numpy as np
import pytest

from app_page import pynn_call as call
from dataset_files import as_file_js, kaggle_csv, png, scanned, zip_bytes

CLASSES = {"zero": 0, "one": 1, "two": 2}
PER_CLASS = 10


def pixels(app, dataset_id: str) -> dict:
    """The stored data set's splits as numpy arrays: {split: (images (n, 784), labels (n,))}."""
    d = call(app, f"""pynn.myDataset({json.dumps(dataset_id)}).then(d => ({{classes: d.classes,
        train: [Array.from(d.train.images), Array.from(d.train.labels)],
        test: [Array.from(d.test.images), Array.from(d.test.labels)]}}))""")
    assert "error" not in d, d
    return {s: (np.array(d[s][0], dtype=np.uint8).reshape(-1, 784), np.array(d[s][1])) for s in ("train", "test")}


def similarity(a, b) -> float:
    """Correlation of two 28x28 images, the best over shifts of up to 2 pixels (the centre of mass
    is rounded to a whole pixel, MNIST's and the pad's alike)."""
    a = a.reshape(28, 28).astype(float)
    b = b.reshape(28, 28).astype(float)
    return max(np.corrcoef(np.roll(a, (dy, dx), axis=(0, 1)).ravel(), b.ravel())[0, 1]
               for dy in range(-2, 3) for dx in range(-2, 3))


def rows(split) -> list:
    """A split as a sorted list of (label, pixel bytes): order-free comparison."""
    images, labels = split
    return sorted((int(lab), img.tobytes()) for img, lab in zip(images, labels))


@pytest.fixture(scope="module")
def digits(held_out):
    """{digit: the first PER_CLASS held-out MNIST digits with that label (uint8 (n, 784))}."""
    images, labels = held_out
    return {d: images[labels == d][:PER_CLASS] for d in range(10)}


@pytest.fixture(scope="module")
def class_zip(digits) -> bytes:
    """my digits/<class>/<n>.png of scanned-looking real digits, plus a note and a broken "PNG"."""
    files = {f"my digits/{name}/{i}.png": png(scanned(img, seed=d * 100 + i))
             for name, d in CLASSES.items() for i, img in enumerate(digits[d])}
    files["my digits/two/notes.txt"] = b"drawn by hand"
    files["my digits/one/broken.png"] = b"this is not a png"
    return zip_bytes(files)


def test_import_a_zip_of_png_class_folders(app, digits, class_zip):
    res = call(app, f"pynn.importDataset({as_file_js(class_zip, 'my digits.zip')})")
    assert "error" not in res, res
    assert (res["id"], res["name"], res["classes"]) == ("mine-my-digits", "my digits", ["one", "two", "zero"])
    assert (res["train"], res["test"], res["persisted"]) == (24, 6, True)
    assert sorted((s["file"], s["reason"]) for s in res["skipped"]) == [
        ("my digits/one/broken.png", "not a readable PNG or JPEG image"),
        ("my digits/two/notes.txt", "not an image (expected .png, .jpg, .jpeg)")]
    assert any("inverted: dark ink on a light background in 30 of 30 images" in n for n in res["notes"]), res["notes"]
    assert any("fitted into 20x20 and centred in 28x28: 30 of 30" in n for n in res["notes"]), res["notes"]
    # every prepared image is its MNIST digit again: inverted, fitted and centred like MNIST
    got = pixels(app, res["id"])
    index = {c: i for i, c in enumerate(res["classes"])}
    worst = 1.0
    for images, labels in got.values():
        for img, lab in zip(images, labels):
            name = res["classes"][lab]
            originals = digits[CLASSES[name]]
            worst = min(worst, max(similarity(img, o) for o in originals))
    assert worst > 0.9, f"an imported image matches its MNIST digit with correlation {worst:.3f} only"
    assert sorted(index) == sorted(CLASSES)
    assert call(app, "pynn.myDatasets()") == [{"id": "mine-my-digits", "name": "my digits", "classes": ["one", "two", "zero"],
                                                "train": 24, "test": 6, "createdAt": call(app, "pynn.myDatasets()")[0]["createdAt"],
                                                "stored": True}]


def test_import_a_kaggle_csv_of_real_digits(app, digits):
    images = np.concatenate([digits[d][:3] for d in range(10)])
    labels = [d for d in range(10) for _ in range(3)]
    text = kaggle_csv(images, labels)
    res = call(app, f"pynn.importDataset({as_file_js(text.encode(), 'train.csv')}, {{name: 'Kaggle digits', seed: 3}})")
    assert "error" not in res, res
    assert (res["name"], res["classes"], res["train"], res["test"]) == ("Kaggle digits", [str(d) for d in range(10)], 20, 10)
    assert res["skipped"] == [] and res["notes"] == []
    got = pixels(app, res["id"])
    assert sorted(rows(got["train"]) + rows(got["test"])) == sorted((lab, img.tobytes()) for img, lab in zip(images, labels))


def test_export_then_import_gives_the_same_pixels(app, class_zip):
    first = call(app, f"pynn.importDataset({as_file_js(class_zip, 'my digits.zip')}, {{name: 'shared'}})")
    exported = call(app, """pynn.exportDataset('mine-shared').then(async f => ({name: f.name, type: f.type,
        b64: await new Promise(r => { const fr = new FileReader(); fr.onload = () => r(fr.result.split(',')[1]); fr.readAsDataURL(f); })}))""")
    assert (exported["name"], exported["type"]) == ("shared.zip", "application/zip")
    data = base64.b64decode(exported["b64"])
    with zipfile.ZipFile(io.BytesIO(data)) as z:  # Python's zip reader agrees on the layout
        names = z.namelist()
        meta = json.loads(z.read("dataset.json"))
    assert meta["name"] == "shared" and meta["classes"] == first["classes"] and (meta["train"], meta["test"]) == (24, 6)
    assert len([n for n in names if n.startswith("train/") and n.endswith(".png")]) == 24
    assert len([n for n in names if n.startswith("test/zero/")]) == 2
    again = call(app, f"pynn.importDataset({as_file_js(data, 'shared.zip')}, {{name: 'shared again'}})")
    assert "error" not in again, again
    assert (again["classes"], again["train"], again["test"], again["notes"]) == (first["classes"], 24, 6, [])
    a, b = pixels(app, "mine-shared"), pixels(app, "mine-shared-again")
    assert rows(a["train"]) == rows(b["train"]) and rows(a["test"]) == rows(b["test"])


def test_an_imported_data_set_survives_a_reload(app, digits):
    images = np.concatenate([digits[d][:2] for d in (4, 7)])
    text = kaggle_csv(images, ["four", "four", "seven", "seven"])
    res = call(app, f"pynn.importDataset({as_file_js(text.encode(), 'fours and sevens.csv')})")
    assert (res["name"], res["classes"], res["train"], res["test"]) == ("fours and sevens", ["four", "seven"], 2, 2)
    app.reload()
    listed = call(app, "pynn.myDatasets()")
    assert [(d["id"], d["train"], d["test"], d["stored"]) for d in listed] == [("mine-fours-and-sevens", 2, 2, True)]
    got = pixels(app, "mine-fours-and-sevens")
    assert sorted(rows(got["train"]) + rows(got["test"])) == sorted((lab, img.tobytes()) for img, lab in zip(images, [0, 0, 1, 1]))


def test_import_jpeg_class_folders(app, digits):
    """JPEGs (lossy) made by the browser's own encoder from real digits, dark on a light page, zipped."""
    payload = {str(d): [img.tolist() for img in digits[d][:5]] for d in (5, 6)}
    res = app.page.evaluate("""async (payload) => {
        const ff = await import(new URL('vendor/fflate.mjs', document.baseURI).href);
        const files = {};
        for (const [label, imgs] of Object.entries(payload)) {
            for (const [i, px] of imgs.entries()) {
                const c = new OffscreenCanvas(90, 70);
                const ctx = c.getContext('2d');
                ctx.fillStyle = '#eee';
                ctx.fillRect(0, 0, 90, 70);
                const img = ctx.getImageData(20, 5, 56, 56);
                for (let y = 0; y < 56; y++) for (let x = 0; x < 56; x++) {
                    const v = 238 - Math.round(px[(y >> 1) * 28 + (x >> 1)] * 238 / 255);
                    img.data.set([v, v, v, 255], (y * 56 + x) * 4);
                }
                ctx.putImageData(img, 20, 5);
                const jpeg = await c.convertToBlob({type: 'image/jpeg', quality: 0.9});
                files[`digit ${label}/${i}.jpg`] = new Uint8Array(await jpeg.arrayBuffer());
            }
        }
        return window.pynn.importDataset(new File([ff.zipSync(files)], 'jpegs.zip'));
    }""", payload)
    assert (res["classes"], res["train"], res["test"], res["skipped"]) == (["digit 5", "digit 6"], 8, 2, []), res
    assert "inverted: dark ink on a light background in 10 of 10 images" in res["notes"][0]
    got = pixels(app, res["id"])
    worst = min(similarity(img, max(digits[5 + lab], key=lambda o: similarity(img, o)))
                for images, labels in got.values() for img, lab in zip(images, labels))
    assert worst > 0.85, f"a JPEG imported matches its MNIST digit with correlation {worst:.3f} only"
