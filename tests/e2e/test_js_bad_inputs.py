"""Bad input a person really tries with window.pynn: each is refused with a clear message, loses nothing.

Every case is one row of README's "Bad inputs and their messages" table. One page serves all
cases (it holds two saved models, "mine" active, and a damaged entry "broken"). For each case
the test checks the key part of the rejection message and that nothing changed: every pynn.*
localStorage entry, the active model, and the prediction for a fixed drawing. With
PYNN_BAD_INPUTS_LOG set, each case appends the message it saw there (tools/bad_inputs.py).
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import pytest
from test_keep import FILL_STORAGE  # fills localStorage to the browser's quota

ROOT = Path(__file__).resolve().parents[2]
FIVE_OUTPUTS = "FIVE_OUTPUTS"     # placeholder: a real py_nn document with layers [784, 16, 5]
NEWER_VERSION = "NEWER_VERSION"   # placeholder: the default model with "version": 3

# (id, the call as a person writes it, JavaScript expression (`pynn` = window.pynn), key part of the message)
CASES = [
    ("predict-short", "pynn.predict(new Float32Array(10))",
     "pynn.predict(new Float32Array(10))",
     "predict() expected 784 pixel values (28x28); got a Float32Array of length 10."),
    ("predict-text", "pynn.predict('pixels')",
     "pynn.predict('pixels')",
     "predict() expected a Float32Array(784) of pixels (28x28, row-major, 0 = background .. 1 = ink); got string."),
    ("predict-nan", "pynn.predict(pixels with NaN at index 100)",
     "pynn.predict(Float32Array.from({length: 784}, (_, i) => i === 100 ? NaN : 0))",
     "predict() expected pixel values from 0 (background) to 1 (ink); got NaN at index 100."),
    ("predict-0-255", "pynn.predict(grey levels 0..255)",
     "pynn.predict(Array.from({length: 784}, (_, i) => i === 300 ? 255 : 0))",
     "got 255 at index 300. Divide 0..255 grey levels by 255."),
    ("fit-hidden-text", "pynn.fit({hidden: 'abc'})",
     "pynn.fit({hidden: 'abc'})",
     'Hidden layers: expected whole numbers from 1 to 2048 separated by commas (at most 5 layers), e.g. "128" or "256, 64"; got "abc".'),
    ("fit-epochs-zero", "pynn.fit({epochs: 0})",
     "pynn.fit({epochs: 0})",
     "Epochs: expected a whole number from 1 to 100; got 0."),
    ("fit-batch-negative", "pynn.fit({batchSize: -1})",
     "pynn.fit({batchSize: -1})",
     "Batch size: expected a whole number from 1 to 60000; got -1."),
    ("fit-optimizer-unknown", "pynn.fit({optimizer: 'adamw'})",
     "pynn.fit({optimizer: 'adamw'})",
     'Optimizer: expected one of adam, sgd, rmsprop, adagrad; got "adamw".'),
    ("fit-learning-rate-zero", "pynn.fit({learningRate: 0})",
     "pynn.fit({learningRate: 0})",
     "Learning rate: expected a number greater than 0 and at most 10 (e.g. 0.001 for adam, 0.01 for sgd); got 0."),
    ("fit-samples-over-pool", "pynn.fit({samples: 60001})",
     "pynn.fit({samples: 60001})",
     "Training samples: expected a whole number from 1 to 60000 (the training split has 60,000 samples); got 60001."),
    ("fit-dataset-unknown", "pynn.fit({dataset: 'cifar'})",
     "pynn.fit({dataset: 'cifar'})",
     'Data set: expected one of "mnist", "fashion-mnist" or one of yours (pynn.datasets() lists them); got "cifar".'),
    ("fit-unknown-option", "pynn.fit({epoch: 3})",
     "pynn.fit({epoch: 3})",
     'Unknown option "epoch": valid options are hidden, epochs, batchSize, optimizer, learningRate, samples, dataset.'),
    ("fit-not-an-object", "pynn.fit('fast')",
     "pynn.fit('fast')",
     'fit() expected an options object like {hidden: [128], epochs: 3}; got "fast".'),
    ("fit-progress-not-a-function", "pynn.fit({}, 'log')",
     "pynn.fit({}, 'log')",
     "fit() expected onProgress to be a function (or left out); got string."),
    ("save-empty-name", "pynn.save('  ')",
     "pynn.save('  ')",
     'Model name is empty: type a name such as "my model", then Save.'),
    ("save-long-name", "pynn.save('x'.repeat(61))",
     "pynn.save('x'.repeat(61))",
     "Model name is 61 characters long; use at most 60."),
    ("save-number-name", "pynn.save(42)",
     "pynn.save(42)",
     'Model name: expected text, got number. Type a name such as "my model".'),
    ("load-missing", "pynn.load('nope')",
     "pynn.load('nope')",
     'There is no saved model named "nope". Saved models: "broken", "mine", "other".'),
    ("load-damaged-entry", "pynn.load('broken') (its stored text is cut off)",
     "pynn.load('broken')",
     'Saved model "broken" cannot be loaded: Not valid JSON'),
    ("remove-missing", "pynn.remove('nope')",
     "pynn.remove('nope')",
     'There is no saved model named "nope".'),
    ("import-not-json", "pynn.importModel('hello')",
     "pynn.importModel('hello')",
     "Cannot import the text: Not valid JSON"),
    ("import-five-outputs", "pynn.importModel(a model with layers [784, 16, 5])",
     f"pynn.importModel(new File([{FIVE_OUTPUTS}], 'five.json'))",
     'Cannot import "five.json": the model has layers [784, 16, 5], but this page needs 784 inputs (28x28 pixels) and 10 outputs (digits 0-9).'),
    ("import-newer-version", "pynn.importModel(a model file with \"version\": 3)",
     f"pynn.importModel(new File([{NEWER_VERSION}], 'future.json'))",
     "Unsupported model format version 3"),
    ("import-empty-file", "pynn.importModel(an empty file)",
     "pynn.importModel(new File([], 'empty.json'))",
     'Cannot import "empty.json": it is empty. The active model is unchanged; pick a .json file written by Export.'),
    ("import-huge-file", "pynn.importModel(a 60 MB file)",
     "pynn.importModel(new File([new Uint8Array(60e6)], 'huge.json'))",
     '"huge.json" is 60.0 MB; a py_nn model file for this page is well under 50 MB. Pick the .json file that Export wrote.'),
    ("import-nothing", "pynn.importModel(null)",
     "pynn.importModel(null)",
     "importModel() expected a File, Blob or the model JSON text; got null. Pick the .json file that Export wrote."),
    ("step-label-out-of-range", "pynn.explainStep(pixels, 10)",
     "pynn.explainStep(new Float32Array(784), 10)",
     "explainStep() expected the label, the class the drawing shows: a whole number from 0 to 9; got 10."),
    ("step-short-pixels", "pynn.explainStep(new Float32Array(10), 3)",
     "pynn.explainStep(new Float32Array(10), 3)",
     "explainStep() expected 784 pixel values (28x28); got a Float32Array of length 10."),
    ("step-learning-rate-zero", "pynn.explainStep(pixels, 3, {learningRate: 0})",
     "pynn.explainStep(new Float32Array(784), 3, {learningRate: 0})",
     "explainStep(): Learning rate: expected a number greater than 0 and at most 10"),
    ("step-unknown-option", "pynn.explainStep(pixels, 3, {lr: 0.1})",
     "pynn.explainStep(new Float32Array(784), 3, {lr: 0.1})",
     'explainStep(): unknown option "lr"; valid options are learningRate, code, settings.'),
    ("gradcheck-kind", "pynn.gradCheck(pixels, 3, {layer: 0, kind: 'w', i: 0, j: 0})",
     "pynn.gradCheck(new Float32Array(784), 3, {layer: 0, kind: 'w', i: 0, j: 0})",
     'gradCheck() expected kind to be "W" (a weight) or "b" (a bias), as in {layer: 0, kind: "W", i: 300, j: 5}; got "w".'),
    ("gradcheck-layer-out-of-range", "pynn.gradCheck(pixels, 3, {layer: 3, kind: 'W', i: 0, j: 0}) on 784-256-128-10",
     "pynn.gradCheck(new Float32Array(784), 3, {layer: 3, kind: 'W', i: 0, j: 0})",
     "gradCheck(): layer must be an integer 0..2 (the network has 3 weight layers); got 3."),
    ("apply-without-step", "pynn.applyStep() before any explainStep()",
     "pynn.applyStep()",
     "applyStep(): there is no step to apply: call explainStep(pixels, label) first"),
    ("undo-without-apply", "pynn.undoStep() with no step applied",
     "pynn.undoStep()",
     "undoStep(): there is no applied step to undo."),
]

SNAPSHOT = """async () => {
    const storage = Object.fromEntries(Object.keys(localStorage).filter(k => k.startsWith('pynn.'))
                                       .map(k => [k, localStorage.getItem(k)]));
    const px = Float32Array.from({length: 784}, (_, i) => ((i * 7) % 13) / 12);
    const {probabilities} = await window.pynn.predict(px);
    return {storage, active: window.pynn.activeModel(), probabilities};
}"""



def rejection(page, expression):
    """Run `expression` (with `pynn` = window.pynn) in the page: {resolved} or {isError, message}."""
    return page.evaluate(f"""async () => {{ const pynn = window.pynn;
        try {{ await ({expression}); return {{resolved: true}}; }}
        catch (e) {{ return {{isError: e instanceof Error, message: e && e.message || String(e)}}; }} }}""")


def record(case_id, shown_input, message, test=None, module="tests/e2e/test_js_bad_inputs.py"):
    """Append what this case saw to $PYNN_BAD_INPUTS_LOG (one JSON line), if set."""
    path = os.environ.get("PYNN_BAD_INPUTS_LOG")
    if path:
        with open(path, "a", encoding="utf-8") as f:
            f.write(json.dumps({"where": "window.pynn", "input": shown_input, "message": message,
                                "test": f"{module}::" + (test or f"test_bad_input[{case_id}]")}) + "\n")


def documents(default_model_text):
    """JS string literals for the placeholders: a 5-output model and a 'version 3' model."""
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    import py_nn

    five = py_nn.NeuralNetwork([784, 16, 5], seed=0).to_json()
    newer = json.dumps(dict(json.loads(default_model_text), version=3))
    return {FIVE_OUTPUTS: json.dumps(five), NEWER_VERSION: json.dumps(newer)}


def ready_page(browser, base_url):
    """A page of a new context, ready; its uncaught errors collect in ``page.errors``."""
    context = browser.new_context()
    context.set_default_timeout(60_000)
    page = context.new_page()
    page.errors = []
    page.on("pageerror", lambda err: page.errors.append(str(err)))
    page.goto(base_url + "/?nosw")
    page.evaluate("async () => { await window.pynn.ready; }")
    return page


@pytest.fixture(scope="module")
def page(browser, base_url):
    """One page, ready, holding saved models "mine" (active) and "other" and a damaged "broken"."""
    page = ready_page(browser, base_url)
    page.evaluate("""async () => {
        await window.pynn.save('other');
        await window.pynn.save('mine');
        localStorage.setItem('pynn.model.broken', localStorage.getItem('pynn.model.mine').slice(0, 500));
    }""")
    yield page
    page.context.close()


def _placeholders(expression, docs):
    for key, literal in docs.items():
        expression = expression.replace(key, literal)
    return expression


@pytest.mark.parametrize("case_id,shown_input,expression,expected", CASES, ids=[c[0] for c in CASES])
def test_bad_input(page, default_model_text, case_id, shown_input, expression, expected):
    before = page.evaluate(SNAPSHOT)
    assert before["active"]["name"] == "mine", before["active"]
    out = rejection(page, _placeholders(expression, documents(default_model_text)))
    assert not out.get("resolved"), f"{shown_input} was accepted"
    assert out["isError"], f"{shown_input} rejected with something that is not an Error: {out}"
    record(case_id, shown_input, out["message"])
    assert expected in out["message"], f"message lacks {expected!r}: {out['message']!r}"
    after = page.evaluate(SNAPSHOT)
    assert after["storage"] == before["storage"], f"{shown_input} changed localStorage"
    assert after["active"] == before["active"], f"{shown_input} changed the active model"
    assert after["probabilities"] == before["probabilities"], f"{shown_input} changed the model's predictions"
    assert page.errors == [], page.errors


def test_bad_input_storage_full(page):
    """Saving a new model into full storage: the quota message; stored models and the active one stay."""
    shown = "pynn.save('new') when browser storage is full"
    before = page.evaluate(SNAPSHOT)
    page.evaluate(FILL_STORAGE)
    try:
        out = rejection(page, "pynn.save('new')")
        after = page.evaluate(SNAPSHOT)
    finally:
        page.evaluate("() => Object.keys(localStorage).filter(k => k.startsWith('e2e-filler-'))"
                      ".forEach(k => localStorage.removeItem(k))")
    assert not out.get("resolved") and out["isError"], out
    record("storage-full", shown, out["message"], test="test_bad_input_storage_full")
    assert 'Storage is full: could not store the model "new"' in out["message"], out["message"]
    assert "Nothing was changed and your 3 saved models are intact" in out["message"], out["message"]
    assert "Delete a saved model you no longer need, or use Export" in out["message"], out["message"]
    assert after["storage"] == before["storage"]
    assert after["active"] == before["active"] and after["probabilities"] == before["probabilities"]
