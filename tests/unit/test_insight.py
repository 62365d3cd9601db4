"""py_nn.insight against a forward pass redone by hand with the network's weights."""
import numpy as np
import pytest

import py_nn
import py_nn.insight as insight


@pytest.fixture(scope="module")
def trained(mnist):
    """A 784-32-16-10 ReLU network after one epoch on 2,000 real digits, and 500 held out."""
    x_train, y_train, x_test, y_test = mnist
    net = py_nn.NeuralNetwork([784, 32, 16, 10], optimizer=py_nn.SGD(lr=0.05), seed=3)
    net.fit(x_train[:2000], y_train[:2000], batch_size=32, epochs=1, categorical=True,
            verbose=False)
    return net, x_test[:500], y_test[:500]


def by_hand(net, x):
    """(hidden activations, logits, softmax) with plain NumPy and ReLU written out."""
    w1, w2, w3 = (np.array(w, dtype=np.float64) for w in net.weights)
    b1, b2, b3 = (np.array(b, dtype=np.float64) for b in net.biases)
    h1 = np.maximum(x @ w1 + b1, 0)
    h2 = np.maximum(h1 @ w2 + b2, 0)
    logits = h2 @ w3 + b3
    e = np.exp(logits - logits.max(axis=1, keepdims=True))
    return [h1, h2], logits, e / e.sum(axis=1, keepdims=True)


def test_layer_outputs_match_a_forward_pass_by_hand(trained):
    net, x, _ = trained
    out = insight.layer_outputs(net, x)
    hidden, logits, probs = by_hand(net, x)
    assert [a.shape for a in out["layers"]] == [(500, 32), (500, 16)]
    for mine, ref in zip(out["layers"], hidden):
        np.testing.assert_allclose(mine, ref, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(out["logits"], logits, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(out["probabilities"], probs, rtol=1e-9, atol=1e-15)
    np.testing.assert_allclose(out["probabilities"], net.predict(x), rtol=1e-9)


def test_layer_outputs_take_one_drawing_and_reject_bad_shapes(trained):
    net, x, _ = trained
    one = insight.layer_outputs(net, x[7])
    assert one["logits"].shape == (1, 10) and one["layers"][0].shape == (1, 32)
    np.testing.assert_allclose(one["probabilities"][0], net.predict(x[7:8])[0], rtol=1e-9)
    with pytest.raises(ValueError, match=r"shape \(n, 784\) or \(784,\).*got shape \(28, 28\)"):
        insight.layer_outputs(net, x[0].reshape(28, 28))


def test_summary_rows(trained):
    net, x, _ = trained
    rows = insight.summary(net)
    assert [r["name"] for r in rows] == ["hidden 1", "hidden 2", "output"]
    assert [r["shape"] for r in rows] == [[784, 32], [32, 16], [16, 10]]
    assert [r["params"] for r in rows] == [784 * 32 + 32, 32 * 16 + 16, 16 * 10 + 10]
    assert sum(r["params"] for r in rows) == net.n_params
    assert [r["activation"] for r in rows] == ["relu", "relu", "softmax"]
    for row, w in zip(rows, net.weights):
        assert (row["min"], row["max"]) == (w.min(), w.max())
        assert row["mean"] == pytest.approx(w.mean()) and row["std"] == pytest.approx(w.std())
        assert row["deadShare"] is None  # no held-out digits given


def test_dead_share_counts_units_that_never_fire(trained):
    net, x, _ = trained
    dead_net = py_nn.from_json(net.to_json())
    dead_net.biases[0][0, :4] = -1e6   # 4 of 32 first-layer units can never fire
    rows = insight.summary(dead_net, x)
    hidden, _, _ = by_hand(dead_net, x)
    expected = [float(np.mean(np.all(h == 0, axis=0))) for h in hidden]
    assert [r["deadShare"] for r in rows] == expected + [None]
    assert rows[0]["deadShare"] >= 4 / 32


def test_dead_share_is_none_for_activations_that_are_not_relu_like(mnist):
    x = mnist[2][:50]
    for name in ("tanh", "sigmoid", "leaky_relu"):
        net = py_nn.NeuralNetwork([784, 8, 10], hidden_activation=name, seed=0)
        assert insight.summary(net, x)[0]["deadShare"] is None
    custom = py_nn.NeuralNetwork([784, 8, 10], seed=0,
                                 hidden_activation=(lambda z: np.maximum(z, 0), py_nn.d_relu))
    row = insight.summary(custom, x)[0]
    assert row["activation"] == "<lambda>" and row["deadShare"] is not None


def test_mistakes_sorted_by_confidence_of_the_wrong_answer(trained):
    net, x, y = trained
    _, _, probs = by_hand(net, x)
    pred = probs.argmax(axis=1)
    wrong = np.flatnonzero(pred != y)
    assert 0 < len(wrong) < 250
    found = insight.mistakes(net, x, y)
    assert sorted(m["index"] for m in found) == sorted(wrong.tolist())
    confidence = [max(m["probabilities"]) for m in found]
    assert confidence == sorted(confidence, reverse=True)
    first = found[0]
    assert first["label"] == y[first["index"]] and first["predicted"] == pred[first["index"]]
    np.testing.assert_allclose(first["probabilities"], probs[first["index"]], rtol=1e-9)
    assert insight.mistakes(net, x, y, limit=3) == found[:3]


def test_mistakes_filtered_by_true_and_predicted_digit(trained):
    net, x, y = trained
    pred = by_hand(net, x)[2].argmax(axis=1)
    true_digit = int(y[np.flatnonzero(pred != y)[0]])
    by_true = insight.mistakes(net, x, y, true=true_digit)
    assert {m["index"] for m in by_true} == set(np.flatnonzero((pred != y) & (y == true_digit)))
    cell = insight.mistakes(net, x, y, true=true_digit, predicted=by_true[0]["predicted"])
    assert cell and all(m["label"] == true_digit and m["predicted"] == by_true[0]["predicted"]
                        for m in cell)
    assert insight.mistakes(net, x, y, true=3, predicted=3) == []


def test_per_class_accuracy():
    y = np.array([0, 0, 1, 1, 1, 2])
    pred = np.array([0, 1, 1, 1, 0, 2])
    rows = insight.per_class_accuracy(y, pred, 4)
    assert rows == [
        {"class": 0, "total": 2, "correct": 1, "accuracy": 0.5},
        {"class": 1, "total": 3, "correct": 2, "accuracy": pytest.approx(2 / 3)},
        {"class": 2, "total": 1, "correct": 1, "accuracy": 1.0},
        {"class": 3, "total": 0, "correct": 0, "accuracy": None}]


def test_top_inputs_are_the_held_out_digits_a_neuron_fires_on_most(trained):
    net, x, _ = trained
    h1 = by_hand(net, x)[0][0]
    neuron = int(np.argmax(h1.max(axis=0)))
    top = insight.top_inputs(net, neuron, x, k=5)
    assert len(top) == 5 and len(set(top)) == 5
    assert top == np.argsort(-h1[:, neuron], kind="stable")[:5].tolist()
    assert h1[top[0], neuron] == h1[:, neuron].max() > 0
    with pytest.raises(ValueError, match=r"neuron must be an integer 0..31"):
        insight.top_inputs(net, 32, x)


def test_first_layer_weights_one_row_per_neuron(trained):
    net, x, _ = trained
    w = insight.first_layer_weights(net)
    assert w.shape == (32, 784)
    np.testing.assert_array_equal(w[5], net.weights[0][:, 5])
    w[5] = 0  # a copy: the model is untouched
    assert np.any(net.weights[0][:, 5] != 0)


def test_weight_histograms(trained):
    net, _, _ = trained
    hists = insight.weight_histogram(net, bins=20)
    assert [h["layer"] for h in hists] == [1, 2, 3]
    for h, w in zip(hists, net.weights):
        assert len(h["edges"]) == 21 and sum(h["counts"]) == w.size
        assert h["edges"][0] == w.min() and h["edges"][-1] == w.max()
    fresh = py_nn.NeuralNetwork([784, 32, 16, 10], seed=3)
    again = insight.weight_histogram(fresh, edges=[h["edges"] for h in hists])
    assert [h["edges"] for h in again] == [h["edges"] for h in hists]
    counts, _ = np.histogram(fresh.weights[1], bins=hists[1]["edges"])
    assert again[1]["counts"] == counts.tolist()


def test_compare_histograms_share_bins_and_count_every_weight(trained):
    net, _, _ = trained
    start = [np.zeros_like(w) + 0.01 * np.arange(w.size).reshape(w.shape) / w.size for w in net.weights]
    rows = insight.compare_histograms(start, net.weights, bins=12)
    assert [r["layer"] for r in rows] == [1, 2, 3]
    for r, w, s in zip(rows, net.weights, start):
        edges = np.array(r["edges"])
        assert len(edges) == 13 and len(r["now"]) == 12 and len(r["start"]) == 12
        assert edges[0] == min(w.min(), s.min()) and edges[-1] == max(w.max(), s.max())
        assert sum(r["now"]) == w.size and sum(r["start"]) == s.size
        np.testing.assert_array_equal(r["now"], np.histogram(w, bins=edges)[0])
    only_now = insight.compare_histograms(None, net.weights, bins=5)
    assert only_now[0]["start"] is None and sum(only_now[0]["now"]) == net.weights[0].size
    with pytest.raises(ValueError, match="start has 1 layers"):
        insight.compare_histograms(start[:1], net.weights)
