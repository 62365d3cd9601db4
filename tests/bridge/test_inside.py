"""WorkerState's Inside and Teach requests against plain NumPy recomputation on real digits."""
import json

import numpy as np
import pytest
from pynn_worker import WorkerState

FIT = {"hidden": [16], "optimizer": "adam", "learningRate": 0.01, "batchSize": 100, "epochs": 1,
       "samples": 1000, "seed": 1}


def by_hand(net, x):
    """(hidden activations, logits, softmax) of the default ReLU/softmax model, in float64."""
    a, hidden = np.asarray(x, dtype=np.float64), []
    for i, (w, b) in enumerate(zip(net.weights, net.biases)):
        z = a @ np.asarray(w, np.float64) + np.asarray(b, np.float64)
        if i == len(net.weights) - 1:
            e = np.exp(z - z.max(axis=1, keepdims=True))
            return hidden, z, e / e.sum(axis=1, keepdims=True)
        a = np.maximum(z, 0)
        hidden.append(a)


def run(session, config, images=None, labels=None):
    session.fit_start(json.dumps(config), images, labels)
    while not json.loads(session.fit_slice(50))["done"]:
        pass
    return json.loads(session.fit_finish(False, "{}"))


def test_inside_gives_every_layer_for_one_drawing(session, typed):
    x = session.x_test[3]
    out = json.loads(session.inside(typed(x.astype(np.float32))))
    hidden, logits, probs = by_hand(session.net, x[None])
    assert [layer["size"] for layer in out["layers"]] == session.net.layers[1:-1]
    for mine, ref in zip(out["layers"], hidden):
        np.testing.assert_allclose(mine["activations"], ref[0], rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(out["logits"], logits[0], rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(out["probabilities"], probs[0], rtol=1e-4, atol=1e-6)
    assert int(np.argmax(out["probabilities"])) == json.loads(session.predict(typed(x)))["label"]


def test_overview_summary_per_class_and_histograms(session):
    out = json.loads(session.overview())
    net = session.net
    assert [r["shape"] for r in out["summary"]] == [list(w.shape) for w in net.weights]
    assert out["summary"][0]["params"] == net.weights[0].size + net.biases[0].size
    assert out["summary"][0]["std"] == pytest.approx(float(np.std(net.weights[0])), rel=1e-5)
    _, _, probs = by_hand(net, session.x_test)
    pred = probs.argmax(axis=1)
    for row in out["perClass"]:
        mask = session.y_test == row["class"]
        assert row["total"] == int(mask.sum())
        assert row["accuracy"] == pytest.approx(float(np.mean(pred[mask] == row["class"])))
    assert out["evaluation"]["accuracy"] == pytest.approx(float(np.mean(pred == session.y_test)))
    hist = out["histograms"][0]
    assert hist["start"] is None, "the shipped model was not trained here: no 'start' histogram"
    assert sum(hist["now"]) == net.weights[0].size


def test_first_layer_bytes_and_the_digits_a_neuron_likes(session):
    w = np.frombuffer(session.first_layer(), dtype=np.float32).reshape(session.net.layers[1], -1)
    np.testing.assert_array_equal(w, np.asarray(session.net.weights[0], np.float32).T)
    out = json.loads(session.neuron(5, 4))
    z = session.x_test.astype(np.float64) @ session.net.weights[0][:, 5] + session.net.biases[0][0, 5]
    assert [d["index"] for d in out["digits"]] == list(np.argsort(-z, kind="stable")[:4])
    first = out["digits"][0]
    assert first["label"] == int(session.y_test[first["index"]])
    np.testing.assert_allclose(np.array(first["pixels"]) / 255, session.x_test[first["index"]], atol=1 / 255)
    with pytest.raises(ValueError, match="neuron must be an integer"):
        session.neuron(10_000)


def test_mistakes_and_held_out_digits(session):
    _, _, probs = by_hand(session.net, session.x_test)
    pred = probs.argmax(axis=1)
    wrong = np.flatnonzero(pred != session.y_test)
    out = json.loads(session.mistakes(json.dumps({"limit": 5})))
    assert len(out) == min(5, len(wrong))
    assert all(m["index"] in wrong and m["predicted"] == pred[m["index"]] for m in out)
    conf = [m["probabilities"][m["predicted"]] for m in out]
    assert conf == sorted(conf, reverse=True), "most confidently wrong first"
    some = out[0]
    only = json.loads(session.mistakes(json.dumps({"true": some["label"], "predicted": some["predicted"]})))
    expected = np.flatnonzero((session.y_test == some["label"]) & (pred == some["predicted"]))
    assert sorted(m["index"] for m in only) == sorted(expected)
    digit = json.loads(session.held_out(some["index"]))
    assert digit["label"] == some["label"] and len(digit["pixels"]) == session.inputs
    with pytest.raises(ValueError, match="from 0 to 9999"):  # the 10,000 official test digits
        session.held_out(10000)


def test_augment_preview_keeps_originals_and_changes_copies(session):
    out = json.loads(session.augment_preview(json.dumps({"shift": 2, "rotation": 15}), 4))
    assert len(out["originals"]) == len(out["augmented"]) == 4
    np.testing.assert_allclose(np.array(out["originals"][0]) / 255, session.pool().train(1)[0][0], atol=1 / 255)
    assert out["originals"] != out["augmented"]
    with pytest.raises(ValueError, match="rotation must be"):
        session.augment_preview(json.dumps({"rotation": 500}))


def test_continue_training_keeps_the_architecture_and_reports_before_and_after(session, typed):
    start = [w.copy() for w in session.net.weights]
    mine_x = session.x_test[:40]
    mine_y = session.y_test[:40]
    images = typed(np.rint(mine_x * 255).astype(np.uint8).ravel())
    labels = typed(mine_y.astype(np.uint8))
    layers = list(session.net.layers)
    before_acc = float(np.mean(session.net.predict(session.x_test).argmax(1) == session.y_test))
    cfg = {**FIT, "continueTraining": True, "data": "both", "learningRate": 0.0003, "hidden": [7]}
    res = run(session, cfg, images, labels)
    assert res["committed"] and session.net.layers == layers, "continued, not a new [784, 7, 10] net"
    assert res["oversample"] == 2  # round(0.1 * 1000 / 40)
    assert res["before"]["heldOut"] == pytest.approx(before_acc)
    assert res["before"]["mineCount"] == 40
    after = float(np.mean(session.net.predict(session.x_test).argmax(1) == session.y_test))
    assert res["after"]["heldOut"] == pytest.approx(after)
    mine_after = float(np.mean(session.net.predict(mine_x).argmax(1) == mine_y))
    assert res["after"]["mine"] == pytest.approx(mine_after)
    assert not np.allclose(session.net.weights[0], start[0]), "the weights moved"
    hist = json.loads(session.overview())["histograms"][0]
    assert sum(hist["start"]) == start[0].size, "'start' is the run's starting weights"
    counts = np.histogram(start[0], bins=np.array(hist["edges"]))[0]
    assert hist["start"] == counts.tolist()


def test_training_on_mine_without_samples_says_how_to_fix_it(session):
    layers = list(session.net.layers)
    with pytest.raises(ValueError, match='add some in "Teach"'):
        session.fit_start(json.dumps({**FIT, "continueTraining": True, "data": "mine"}), None, None)
    assert session.net.layers == layers and session.fit is None


def test_a_new_model_with_augmentation_trains(session):
    res = run(session, {**FIT, "augment": {"shift": 1, "rotation": 10, "scale": 0, "thickness": 0}})
    assert res["committed"] and session.net.layers == [session.inputs, 16, session.classes]
    assert res["after"]["heldOut"] > 0.5 and res["after"]["mine"] is None
