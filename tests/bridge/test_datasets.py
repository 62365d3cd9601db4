"""WorkerState with more than one data set: Fashion-MNIST's shards and model, a person's own data
set given whole (as the page sends one: typed arrays), and models that name their data set."""
import json

import numpy as np
import pytest
from pynn_worker import WorkerState
import py_nn

FASHION = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker",
           "Bag", "Ankle boot"]
FIT = {"hidden": [32], "optimizer": "adam", "learningRate": 0.005, "batchSize": 100, "epochs": 1,
       "samples": 3000, "seed": 2}


def run_fit(state, config):
    state.fit_start(json.dumps(config))
    while not json.loads(state.fit_slice(50))["done"]:
        pass
    return json.loads(state.fit_finish(False, json.dumps({"name": "t"})))


@pytest.fixture
def fashion(datasets_json, default_model_text, typed, site_path):
    """A WorkerState with the MNIST default model active and Fashion-MNIST's first training
    shard and test shard loaded."""
    import gzip
    s = WorkerState(datasets_json)
    for split in ("train", "test"):
        data = gzip.decompress((site_path / "data" / "fashion-mnist" / f"{split}-0.u8.gz").read_bytes())
        s.add_shard("fashion-mnist", split, typed(np.frombuffer(data, dtype=np.uint8)))
    s.load_model(default_model_text)
    return s


def test_the_fashion_model_names_its_classes_and_scores_as_the_build_says(fashion, build_info, site_path):
    entry = next(d for d in build_info["datasets"] if d["id"] == "fashion-mnist")
    info = json.loads(fashion.load_model((site_path / entry["model"]).read_text()))
    assert info["metadata"]["dataset"] == {"id": "fashion-mnist", "classes": FASHION}
    assert json.loads(fashion.active_dataset())["classes"] == FASHION
    ev = json.loads(fashion.evaluate())  # on Fashion-MNIST's 10,000 test images now
    assert ev["count"] == 10000
    assert ev["accuracy"] == pytest.approx(entry["model_test_accuracy"], abs=2e-3)


def test_a_fit_on_fashion_mnist_makes_a_model_of_its_classes(fashion):
    result = run_fit(fashion, {**FIT, "dataset": "fashion-mnist"})
    assert result["committed"] and result["info"]["layers"] == [784, 32, 10]
    assert result["info"]["metadata"]["dataset"] == {"id": "fashion-mnist", "classes": FASHION}
    assert result["evaluation"]["count"] == 10000
    assert 0.70 < result["evaluation"]["accuracy"] < 0.90  # clothes are harder than digits
    assert fashion.dataset_id == "fashion-mnist"
    # the document keeps the data set: loaded elsewhere it is still a clothes model
    again = WorkerState(json.dumps([{"id": "mnist", "classes": list("0123456789"), "side": 28}]))
    info = json.loads(again.load_model(fashion.to_json("{}")))
    assert info["metadata"]["dataset"]["classes"] == FASHION


def test_a_fit_needs_its_samples_loaded(fashion):
    with pytest.raises(ValueError, match=r"fashion-mnist: 20,000 train samples needed, 10,000 loaded"):
        fashion.fit_start(json.dumps({**FIT, "dataset": "fashion-mnist", "samples": 20000}))
    assert fashion.fit is None


def own_dataset(rng, n_train=600, n_test=150):
    """Three classes told apart by where the ink is: left, middle or right third of the image."""
    def split(n):
        labels = rng.integers(0, 3, n).astype(np.uint8)
        images = np.zeros((n, 28, 28), dtype=np.uint8)
        for i, c in enumerate(labels):
            cols = slice(2 + 9 * c, 8 + 9 * c)
            images[i, 4:24, cols] = rng.integers(150, 256, (20, 6))
        return images.reshape(n, 784), labels
    return split(n_train), split(n_test)


def test_a_persons_data_set_trains_like_a_built_in_one(datasets_json, default_model_text, typed):
    s = WorkerState(datasets_json)
    s.load_model(default_model_text)
    (xi, yi), (ti, tl) = own_dataset(np.random.default_rng(0))
    about = {"id": "mine-thirds", "name": "Thirds", "classes": ["left", "middle", "right"]}
    counts = json.loads(s.put_dataset(json.dumps(about), typed(xi.ravel()), typed(yi), typed(ti.ravel()), typed(tl)))
    assert counts == {"train": 600, "test": 150}
    result = run_fit(s, {**FIT, "dataset": "mine-thirds", "samples": 600, "batchSize": 32, "epochs": 3})
    assert result["info"]["layers"] == [784, 32, 3]
    assert result["info"]["metadata"]["dataset"] == {"id": "mine-thirds", "classes": ["left", "middle", "right"]}
    assert result["evaluation"]["count"] == 150 and result["evaluation"]["accuracy"] > 0.95
    assert np.array(result["evaluation"]["confusion"]).shape == (3, 3)
    out = json.loads(s.predict(typed((ti[0] / 255).astype(np.float32))))
    assert len(out["probabilities"]) == 3 and out["label"] == tl[0]


def test_a_bad_data_set_is_refused_and_changes_nothing(datasets_json, default_model_text, typed):
    s = WorkerState(datasets_json)
    s.load_model(default_model_text)
    (xi, yi), (ti, tl) = own_dataset(np.random.default_rng(1), 20, 5)
    about = json.dumps({"id": "mine-x", "name": "X", "classes": ["a", "b"]})  # labels go up to 2
    with pytest.raises(ValueError, match=r"mine-x .*label 2, but mine-x has 2 classes"):
        s.put_dataset(about, typed(xi.ravel()), typed(yi), typed(ti.ravel()), typed(tl))
    with pytest.raises(ValueError, match=r"inconsistent: 15,679 pixel bytes for 20 labels"):
        s.put_dataset(about, typed(xi.ravel()[:-1]), typed(yi), typed(ti.ravel()), typed(tl))
    assert "mine-x" not in s.pools and "mine-x" not in s.known


def test_a_model_is_checked_against_its_own_data_set(datasets_json, default_model_text):
    s = WorkerState(datasets_json)
    s.load_model(default_model_text)
    five = py_nn.NeuralNetwork([784, 8, 5], seed=0).to_json(metadata={"dataset": {"id": "fashion-mnist"}})
    with pytest.raises(ValueError, match=r"needs 784 inputs \(28x28 pixels\) and 10 outputs \(the classes of Fashion-MNIST\)"):
        s.load_model(five)
    three = py_nn.NeuralNetwork([784, 8, 3], seed=0).to_json(
        metadata={"dataset": {"id": "mine-abc", "classes": ["a", "b", "c"]}})
    info = json.loads(s.load_model(three))  # a person's data set, named with its classes by its model
    assert info["metadata"]["dataset"] == {"id": "mine-abc", "classes": ["a", "b", "c"]}
    assert s.classes == 3
