"""Training on data sets of your own, in Chromium through window.pynn: a zip of scanned-looking PNG
class folders and a Kaggle-layout CSV, both made from real MNIST digits, are imported
(web/page/datasets/), then pynn.fit({dataset: <its id>}) trains a new network on it in the worker
(the page sends the stored splits: web/page/session-datasets.js). The new model names that data
set and its classes, is evaluated on its test split, and predicts with its class names."""
from __future__ import annotations

import json

import numpy as np
import pytest

from app_page import pynn_call as call
from dataset_files import as_file_js, kaggle_csv, png, scanned, zip_bytes

FIT = {"hidden": [32], "epochs": 8, "batchSize": 8, "optimizer": "adam", "learningRate": 0.01, "seed": 1}


@pytest.fixture(scope="module")
def digits(held_out):
    """{digit: the first 10 held-out MNIST digits with that label (uint8 (10, 784))}."""
    images, labels = held_out
    return {d: images[labels == d][:10] for d in range(10)}


def train_on(app, dataset_id: str, samples: int) -> dict:
    res = call(app, f"pynn.fit({json.dumps({**FIT, 'dataset': dataset_id, 'samples': samples})})")
    assert "error" not in res, res
    return res


def test_train_a_new_network_on_an_imported_zip_of_class_folders(app, digits):
    classes = {"one": 1, "seven": 7, "zero": 0}
    files = {f"shapes/{name}/{i}.png": png(scanned(img, seed=d * 100 + i))
             for name, d in classes.items() for i, img in enumerate(digits[d])}
    imported = call(app, f"pynn.importDataset({as_file_js(zip_bytes(files), 'shapes.zip')})")
    assert "error" not in imported, imported
    assert (imported["classes"], imported["train"], imported["test"]) == (["one", "seven", "zero"], 24, 6)

    res = train_on(app, imported["id"], imported["train"])
    assert res["committed"] and not res["stopped"], res
    assert res["evaluation"]["count"] == 6 and len(res["evaluation"]["confusion"]) == 3
    active = call(app, "pynn.activeModel()")
    assert (active["dataset"], active["classes"], active["layers"]) == (imported["id"], ["one", "seven", "zero"], [784, 32, 3])
    # a held-out "seven" drawn like the imported ones: the prediction names one of the three classes
    guess = call(app, f"pynn.predict(new Float32Array({json.dumps((digits[7][-1] / 255).tolist())}))")
    assert guess["className"] in ("one", "seven", "zero") and len(guess["probabilities"]) == 3, guess


def test_train_on_an_imported_kaggle_csv_learns_its_digits(app, digits):
    images = np.concatenate([digits[d] for d in range(10)])
    labels = [d for d in range(10) for _ in range(10)]
    imported = call(app, f"pynn.importDataset({as_file_js(kaggle_csv(images, labels).encode(), 'train.csv')}, "
                         "{name: 'Kaggle digits', seed: 3})")
    assert "error" not in imported, imported
    assert (imported["train"], imported["test"]) == (80, 20)

    res = train_on(app, imported["id"], imported["train"])
    assert res["committed"], res
    ev = res["evaluation"]
    assert ev["count"] == 20 and len(ev["confusion"]) == 10
    assert len(res["history"]["loss"]) == FIT["epochs"] and res["history"]["loss"][-1] < res["history"]["loss"][0]
    assert call(app, "pynn.evaluate()")["count"] == 20  # the active model is evaluated on its own test split
    active = call(app, "pynn.activeModel()")
    assert (active["dataset"], active["classes"]) == (imported["id"], [str(d) for d in range(10)])


def test_the_train_panel_trains_on_a_data_set_of_yours(app, digits):
    """As a person would: the data set appears under "Yours" in the Train panel's choice; picking it
    keeps the active model, and Train makes a new network for its classes."""
    images = np.concatenate([digits[d] for d in (3, 8)])
    imported = call(app, f"pynn.importDataset({as_file_js(kaggle_csv(images, ['three'] * 10 + ['eight'] * 10).encode(), 'threes and eights.csv')})")
    assert "error" not in imported, imported
    before = call(app, "pynn.activeModel()")
    choice = app.page.get_by_role("region", name="Train").get_by_label("Data set")
    choice.focus()
    app.page.wait_for_function("() => document.querySelector('#f-dataset optgroup[label=Yours] option')")
    choice.select_option(imported["id"])
    assert call(app, "pynn.activeModel()")["fingerprint"] == before["fingerprint"]  # nothing changed yet
    assert app.field("Training samples").input_value() == str(imported["train"])
    accuracy = app.train_and_wait(hidden=16, epochs=5, batch=4, lr=0.01, optimizer="adam")
    active = call(app, "pynn.activeModel()")
    assert (active["dataset"], active["classes"], active["layers"]) == (imported["id"], ["eight", "three"], [784, 16, 2])
    assert accuracy.endswith("%")
    app.snap("trained-on-yours")


def test_continue_training_a_model_of_your_data_set_on_it(app, digits):
    """"Or continue one": a model trained on your data set trains further on it (a copy of the
    active model, the same layers and classes), and stays that data set's model."""
    images = np.concatenate([digits[d] for d in (2, 5)])
    imported = call(app, f"pynn.importDataset({as_file_js(kaggle_csv(images, ['two'] * 10 + ['five'] * 10).encode(), 'twos and fives.csv')})")
    assert "error" not in imported, imported
    first = train_on(app, imported["id"], imported["train"])
    assert first["committed"], first
    trained = call(app, "pynn.activeModel()")
    more = call(app, f"pynn.fit({json.dumps({'dataset': imported['id'], 'continueTraining': True, 'epochs': 2, 'batchSize': 8, 'samples': imported['train'], 'learningRate': 0.001, 'optimizer': 'adam', 'data': 'mnist'})})")
    assert "error" not in more and more["committed"], more
    after = call(app, "pynn.activeModel()")
    assert (after["dataset"], after["classes"], after["layers"]) == (imported["id"], ["five", "two"], trained["layers"])
    assert after["fingerprint"] != trained["fingerprint"]  # it trained further
    assert more["evaluation"]["count"] == imported["test"]
