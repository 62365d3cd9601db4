"""WorkerState on real MNIST digits with the installed py_nn: what the worker relies on."""
import json
import sys

import numpy as np
import pytest
from pynn_worker import WorkerState
from pynn_worker.state import fingerprint
import py_nn

FIT = {"hidden": [16], "optimizer": "adam", "learningRate": 0.01, "batchSize": 200, "epochs": 2,
       "samples": 1000, "seed": 1}


def run_fit(session, config=FIT, budget_ms=5):
    """Drive fit_start / fit_slice like the worker's slice loop; returns (slices, epoch events)."""
    json.loads(session.fit_start(json.dumps(config)))
    slices, epochs = 0, []
    while True:
        out = json.loads(session.fit_slice(budget_ms))
        slices += 1
        epochs += out["epochs"]
        if out["done"]:
            return slices, epochs


def test_shards_fill_a_uint8_pool_and_the_test_split_is_the_held_out_set(datasets_json, shape, shards, typed):
    s = WorkerState(datasets_json)
    train = np.frombuffer(shards["train"], dtype=np.uint8)
    # inside Pyodide these are real JS typed arrays, as the worker sends them
    assert hasattr(typed(train), "to_bytes") == (sys.platform == "emscripten")
    assert json.loads(s.data_counts("mnist")) == {"train": 0, "test": 0}
    assert json.loads(s.add_shard("mnist", "train", typed(train))) == {"train": 10000, "test": 0}
    counts = json.loads(s.add_shard("mnist", "test", typed(np.frombuffer(shards["test"], dtype=np.uint8))))
    assert counts == {"train": 10000, "test": shape["test"]}
    pool = s.pool("mnist")
    assert pool._images["train"].dtype == np.uint8  # kept as bytes: 784 per digit, not 3,136
    x, y = pool.train(8000)
    assert x.shape == (8000, shape["inputs"]) and x.dtype == np.float32
    assert 0.0 <= x.min() and x.max() <= 1.0
    np.testing.assert_allclose(x[0], train[:shape["inputs"]].astype(np.float32) / 255, rtol=1e-6)
    np.testing.assert_array_equal(y, train[10000 * shape["inputs"]:][:8000])
    assert s.x_test.shape == (shape["test"], shape["inputs"])
    per_digit = [int(np.sum(s.y_test == d)) for d in range(10)]  # (bincount of int64 fails on wasm32)
    assert per_digit == [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]


def test_a_damaged_shard_is_refused_and_changes_nothing(datasets_json, shards, typed):
    s = WorkerState(datasets_json)
    cut = np.frombuffer(shards["train"], dtype=np.uint8)[:-1]
    with pytest.raises(ValueError, match=r"mnist train shard holds 7,849,999 bytes, not a multiple of 785"):
        s.add_shard("mnist", "train", typed(cut))
    bad = np.frombuffer(shards["test"], dtype=np.uint8).copy()
    bad[-1] = 10  # a label outside MNIST's ten classes
    with pytest.raises(ValueError, match=r"label 10, but mnist has 10 classes \(labels 0-9\)"):
        s.add_shard("mnist", "test", typed(bad))
    assert json.loads(s.data_counts("mnist")) == {"train": 0, "test": 0}


def test_session_needs_the_datasets_from_build_json():
    with pytest.raises(ValueError, match=r"`datasets` needs entries.*Rebuild the site"):
        WorkerState('{"inputs": 784, "train": 8000, "test": 2000}')


def test_predict_gives_a_label_and_probabilities_that_sum_to_one(session, shape, typed):
    correct = 0
    for i in range(50):
        out = json.loads(session.predict(typed(session.x_test[i])))
        p = np.array(out["probabilities"])
        assert p.shape == (shape["classes"],)
        assert abs(p.sum() - 1.0) < 1e-5 and p.min() >= 0.0
        assert out["label"] == int(np.argmax(p))
        correct += out["label"] == session.y_test[i]
    assert correct >= 45, f"the default model got only {correct} of 50 held-out digits right"


def test_load_model_refuses_wrong_outputs_with_the_one_message_and_keeps_the_active_model(session, shape):
    before = session.model_info()
    five = py_nn.NeuralNetwork([shape["inputs"], 8, 5], seed=0).to_json()
    with pytest.raises(ValueError) as err:
        session.load_model(five)
    side = shape["side"]
    assert str(err.value) == (
        f"the model has layers [{shape['inputs']}, 8, 5], but this page needs {shape['inputs']} inputs "
        f"({side}x{side} pixels) and {shape['classes']} outputs (digits 0-{shape['classes'] - 1})")
    assert session.model_info() == before


def test_load_model_refuses_a_broken_document_and_keeps_the_active_model(session):
    before = session.model_info()
    with pytest.raises(ValueError):
        session.load_model('{"format": "py_nn.model", "layers": [784, 1')
    assert session.model_info() == before


def test_load_model_then_to_json_merges_metadata(session, shape):
    net = py_nn.NeuralNetwork([shape["inputs"], 8, shape["classes"]], seed=3)
    info = json.loads(session.load_model(net.to_json(metadata={"name": "small", "note": "old"})))
    mnist = {"id": "mnist", "classes": [str(d) for d in range(10)]}  # a model naming none is MNIST's
    assert info == {"layers": [shape["inputs"], 8, shape["classes"]],
                    "params": shape["inputs"] * 8 + 8 + 8 * shape["classes"] + shape["classes"],
                    "metadata": {"name": "small", "note": "old", "dataset": mnist},
                    "fingerprint": fingerprint(net)}
    doc = json.loads(session.to_json(json.dumps({"note": "new", "savedAs": "x"})))
    assert doc["metadata"] == {"name": "small", "note": "new", "savedAs": "x"}
    again = py_nn.NeuralNetwork.from_json(session.to_json("{}"))
    np.testing.assert_array_equal(again.params, net.params)


def test_evaluate_counts_every_held_out_digit_once(session, shape, build_info):
    ev = json.loads(session.evaluate())
    matrix = np.array(ev["confusion"])
    assert matrix.shape == (shape["classes"], shape["classes"])
    assert matrix.sum() == ev["count"] == shape["test"]
    assert ev["accuracy"] == pytest.approx(np.trace(matrix) / shape["test"])
    per_digit = [int(np.sum(session.y_test == digit)) for digit in range(shape["classes"])]
    assert matrix.sum(axis=1).tolist() == per_digit  # row = true digit
    assert ev["accuracy"] == pytest.approx(build_info["default_model"]["test_accuracy"], abs=2e-3)
    assert 0.0 < ev["loss"] < 0.5


def test_a_full_fit_commits_the_trained_model_only_when_finished(session, shape):
    default = json.loads(session.model_info())
    slices, epochs = run_fit(session)
    assert [e["epoch"] for e in epochs] == [1, 2]
    assert all(e["val_accuracy"] is not None for e in epochs)
    assert json.loads(session.model_info()) == default, "the model changed before fit_finish"

    result = json.loads(session.fit_finish(False, json.dumps({"name": "mine"})))
    batches = 2 * FIT["samples"] // FIT["batchSize"]
    assert result["committed"] is True and result["stopped"] is False and result["batches"] == batches
    assert result["history"]["val_accuracy"] == [e["val_accuracy"] for e in epochs]
    assert result["evaluation"]["count"] == shape["test"]
    assert result["evaluation"]["accuracy"] > 0.7
    layers = [shape["inputs"], 16, shape["classes"]]
    assert result["info"]["layers"] == layers
    assert result["info"]["metadata"] == {"name": "mine", "test_accuracy": result["evaluation"]["accuracy"],
                                          "dataset": {"id": "mnist", "classes": [str(d) for d in range(10)]}}
    assert json.loads(session.model_info()) == result["info"]
    assert session.fit is None


def test_stop_before_the_first_batch_commits_nothing(session):
    before = session.model_info()
    session.fit_start(json.dumps(FIT))
    result = json.loads(session.fit_finish(True, "{}"))
    assert result == {"history": {"loss": [], "accuracy": [], "val_loss": [], "val_accuracy": []},
                      "stopped": True, "batches": 0, "committed": False}
    assert session.model_info() == before and session.fit is None


def test_stop_after_a_batch_commits_the_partly_trained_model(session):
    session.fit_start(json.dumps(FIT))
    out = json.loads(session.fit_slice(0))  # a zero budget still runs one step
    assert out["batch"]["batch"] == 1 and out["done"] is False
    result = json.loads(session.fit_finish(True, '{"name": "stopped"}'))
    assert result["committed"] is True and result["stopped"] is True and result["batches"] == 1
    assert json.loads(session.model_info())["layers"][1] == 16


def test_fit_abort_leaves_the_active_model(session):
    before = session.model_info()
    session.fit_start(json.dumps(FIT))
    session.fit_slice(0)
    session.fit_abort()
    assert session.model_info() == before and session.fit is None
    session.fit_abort()  # nothing running: nothing happens


def test_a_bad_fit_config_is_refused_by_py_nn_before_anything_runs(session):
    before = session.model_info()
    with pytest.raises(ValueError, match="batch_size"):
        session.fit_start(json.dumps(dict(FIT, batchSize=0)))
    assert session.model_info() == before and session.fit is None


def test_fit_start_drops_an_unfinished_run(session):
    session.fit_start(json.dumps(FIT))
    first = session.fit
    session.fit_start(json.dumps(dict(FIT, hidden=[4])))
    with pytest.raises(StopIteration):
        next(first.steps)  # closed
    json.loads(session.fit_slice(0))
    assert json.loads(session.fit_finish(False, "{}"))["info"]["layers"][1] == 4


def test_about_names_the_kernel_that_really_runs(session):
    about = json.loads(session.about())
    assert about["version"] == py_nn.__version__
    # under WebAssembly the shipped SIMD kernel, loaded by about() itself; BLAS (`@`) on CPython
    expected = "simd" if sys.platform == "emscripten" else "matmul"
    assert about["kernel"] == expected == py_nn.kernels.active, about
