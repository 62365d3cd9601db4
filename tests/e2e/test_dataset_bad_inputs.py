"""Bad data sets a person really tries to import with window.pynn.importDataset: each is refused with a
clear message and changes nothing (IndexedDB's data sets, localStorage, the list of your data sets).

Every case is one row of README's "Bad inputs and their messages" table (tools/bad_inputs.py). One page
serves all cases; it already holds a data set named "taken" (for the name clash). The files are made
here: PNGs of a real MNIST digit, zips written by Python's zipfile, damaged or lying ones patched.
"""
from __future__ import annotations

import base64
import struct

import pytest

from dataset_files import kaggle_csv, png, zip_bytes
from test_js_bad_inputs import ready_page, record, rejection

MODULE = "tests/e2e/test_dataset_bad_inputs.py"


def declare(zip_data: bytes, size: int) -> bytes:
    """The zip with every file's declared uncompressed size set to ``size`` (local headers and
    central directory): what a zip bomb does to look small, or a zip that says it is huge."""
    out = bytearray(zip_data)
    for sig, at in ((b"PK\x03\x04", 22), (b"PK\x01\x02", 24)):
        i = out.find(sig)
        while i >= 0:
            out[i + at:i + at + 4] = struct.pack("<I", size)
            i = out.find(sig, i + 4)
    return bytes(out)


def bad_files(digit) -> dict:
    """{key: (file name, bytes)} of every bad file the cases import."""
    img = png(digit.reshape(28, 28))
    two = {"a/1.png": img, "b/1.png": img}
    header = ",".join(["label"] + [f"pixel{i}" for i in range(784)])
    return {
        "one-class": ("cats.zip", zip_bytes({"cats/1.png": img, "cats/2.png": img})),
        "empty-folder": ("shapes.zip", zip_bytes({"circle/1.png": img, "square/": b""})),
        "not-images": ("notes.zip", zip_bytes({"a/1.png": img, "b/notes.txt": b"hello", "b/list.pdf": b"%PDF"})),
        "damaged": ("cut.zip", zip_bytes(two)[:-40]),
        "declares-huge": ("huge.zip", declare(zip_bytes(two), 150_000_000)),
        "bomb": ("bomb.zip", declare(zip_bytes({"a/1.png": bytes(30_000_000), "b/1.png": img}), 1000)),
        "too-many-classes": ("many.zip", zip_bytes({f"class{i}/1.png": img for i in range(33)})),
        "csv-test-layout": ("test.csv", (header.split(",", 1)[1] + "\n" + ",".join(["0"] * 784) + "\n").encode()),
        "csv-mixed-labels": ("mixed.csv", kaggle_csv([digit, digit, digit], ["cat", "7", "dog"]).encode()),
        "csv-row-short": ("short.csv", (kaggle_csv([digit, digit], [1, 2]) + "3,0,0\n").encode()),
        "not-zip-or-csv": ("digit.png", img),
        "empty-file": ("empty.zip", b""),
        "clash": ("taken.zip", zip_bytes(two)),
    }


# (id, the call as a person writes it, JavaScript expression (`files` = the files above), key part of the message)
CASES = [
    ("one-class", "pynn.importDataset(a zip with one class folder)", "pynn.importDataset(files['one-class'])",
     'This zip has one class folder ("cats"); a data set needs at least 2: one folder of images per class.'),
    ("empty-folder", "pynn.importDataset(a zip with an empty class folder)", "pynn.importDataset(files['empty-folder'])",
     'Class folder "square" has no images (PNG or JPEG); put images in it or remove it.'),
    ("not-images", "pynn.importDataset(a zip whose class folder holds no images)", "pynn.importDataset(files['not-images'])",
     'Class folder "b" has no images (PNG or JPEG) (notes.txt, list.pdf are not images); put images in it or remove it.'),
    ("damaged", "pynn.importDataset(a zip cut short)", "pynn.importDataset(files['damaged'])",
     "This zip is damaged or not a zip"),
    ("declares-huge", "pynn.importDataset(a zip that declares 300 MB of files)", "pynn.importDataset(files['declares-huge'])",
     "This zip would expand to 300.0 MB; the page reads at most 200.0 MB. Nothing was unpacked"),
    ("bomb", "pynn.importDataset(a 30 KB zip bomb: declares 1000 bytes, inflates to 30 MB)", "pynn.importDataset(files['bomb'])",
     '"a/1.png" expands past the size it declares (1000 bytes); unpacking stopped and nothing was imported.'),
    ("too-many-classes", "pynn.importDataset(a zip of 33 class folders)", "pynn.importDataset(files['too-many-classes'])",
     "This data set has 33 classes; the page supports at most 32."),
    ("csv-test-layout", "pynn.importDataset(Kaggle's test.csv: no label column)", "pynn.importDataset(files['csv-test-layout'])",
     "The CSV has 784 columns; expected 785: a label and 784 pixels"),
    ("csv-mixed-labels", "pynn.importDataset(a CSV with labels cat, 7, dog)", "pynn.importDataset(files['csv-mixed-labels'])",
     'The CSV\'s row 3 has the label "7": labels must be all whole numbers or all names, never empty.'),
    ("csv-row-short", "pynn.importDataset(a CSV with a row of 3 columns)", "pynn.importDataset(files['csv-row-short'])",
     "The CSV's row 4 has 3 columns; expected 785 (a label and 784 pixels). Nothing was imported."),
    ("not-zip-or-csv", "pynn.importDataset(a PNG file)", "pynn.importDataset(files['not-zip-or-csv'])",
     '"digit.png" is neither a zip nor a CSV'),
    ("empty-file", "pynn.importDataset(an empty file)", "pynn.importDataset(files['empty-file'])",
     '"empty.zip" is empty: pick a .zip of class folders or a Kaggle-layout .csv.'),
    ("too-large", "pynn.importDataset(a 101 MB file)", "pynn.importDataset(new File([new Uint8Array(101e6)], 'big.zip'))",
     '"big.zip" is 101.0 MB; the page reads files up to 100 MB.'),
    ("clash", "pynn.importDataset(file, {name: 'Taken'}) when \"taken\" exists", "pynn.importDataset(files.clash, {name: 'Taken'})",
     'There is already a data set named "taken": pick another name'),
    ("not-a-file", "pynn.importDataset('data.zip')", "pynn.importDataset('data.zip')",
     "importDataset() expected a File or Blob (a .zip of class folders or a Kaggle-layout .csv); got string."),
    ("export-missing", "pynn.exportDataset('mine-nope')", "pynn.exportDataset('mine-nope')",
     'There is no data set of yours with id "mine-nope". Yours: "mine-taken".'),
]

SNAPSHOT = """async () => {
    const storage = Object.fromEntries(Object.keys(localStorage).filter(k => k.startsWith('pynn.'))
                                       .map(k => [k, localStorage.getItem(k)]));
    const db = await new Promise((ok, no) => { const r = indexedDB.open('pynn-datasets', 1);
                                               r.onsuccess = () => ok(r.result); r.onerror = () => no(r.error); });
    const stored = await new Promise((ok) => { const q = db.transaction('datasets').objectStore('datasets').getAll();
        q.onsuccess = () => ok(q.result.map(d => [d.id, d.name, d.train.labels.length, d.test.labels.length])); });
    db.close();
    return {storage, stored, listed: await window.pynn.myDatasets()};
}"""


@pytest.fixture(scope="module")
def page(browser, base_url, held_out):
    """One page, ready, holding a data set "taken"; `window.files` holds the bad files as Files."""
    page = ready_page(browser, base_url)
    page.evaluate("() => { window.files = {}; }")
    for key, (name, data) in bad_files(held_out[0][0]).items():
        page.evaluate("([key, name, b64]) => { window.files[key] = new File([Uint8Array.from(atob(b64), c => c.charCodeAt(0))], name); }",
                      [key, name, base64.b64encode(data).decode()])
    res = page.evaluate("async () => window.pynn.importDataset(window.files.clash, {name: 'taken'})")
    assert res["persisted"] and res["train"] + res["test"] == 2, res
    yield page
    page.context.close()


@pytest.mark.parametrize("case_id,shown_input,expression,expected", CASES, ids=[c[0] for c in CASES])
def test_bad_dataset(page, case_id, shown_input, expression, expected):
    before = page.evaluate(SNAPSHOT)
    assert [d[0] for d in before["stored"]] == ["mine-taken"], before
    out = rejection(page, f"(() => {{ const files = window.files; return {expression}; }})()")
    assert not out.get("resolved"), f"{shown_input} was accepted"
    assert out["isError"], f"{shown_input} rejected with something that is not an Error: {out}"
    record(case_id, shown_input, out["message"], test=f"test_bad_dataset[{case_id}]", module=MODULE)
    assert expected in out["message"], f"message lacks {expected!r}: {out['message']!r}"
    assert page.evaluate(SNAPSHOT) == before, f"{shown_input} changed what is stored"
    assert page.errors == [], page.errors
