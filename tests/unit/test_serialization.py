"""The whole-model JSON format and the seed's save/load: exact round trips, clear refusals."""
import base64
import json

import numpy as np
import pytest

import py_nn


@pytest.fixture
def trained(rng):
    net = py_nn.NeuralNetwork([5, 7, 4, 3], py_nn.activations.get_hidden(
        {"name": "leaky_relu", "config": {"alpha": 0.2}}), "softmax",
        "categorical_crossentropy", py_nn.Adam(lr=0.01), dtype="float32", seed=2)
    x = rng.normal(size=(40, 5))
    net.fit(x, np.arange(40) % 3, 8, 2, categorical=True, verbose=False)
    return net, x


def test_json_round_trip_is_exact(trained):
    net, x = trained
    text = net.to_json(metadata={"name": "mine", "accuracy": 0.5})
    doc = json.loads(text)
    assert doc["format"] == "py_nn.model" and doc["version"] == 1
    assert doc["layers"] == [5, 7, 4, 3] and doc["dtype"] == "float32"
    assert doc["hidden_activation"] == {"name": "leaky_relu", "config": {"alpha": 0.2}}
    assert doc["optimizer"] == {"name": "adam", "config": {
        "lr": 0.01, "beta1": 0.9, "beta2": 0.999, "eps": 1e-8}}
    assert doc["optimizer_state"] is None and doc["params"]["count"] == net.n_params
    again = py_nn.NeuralNetwork.from_json(text)
    np.testing.assert_array_equal(again.params, net.params)
    np.testing.assert_array_equal(again.predict(x), net.predict(x))
    assert again.metadata == {"name": "mine", "accuracy": 0.5}
    assert again.hidden_activation.config == {"alpha": 0.2}
    assert again.predict(x).dtype == np.float32


def test_optimizer_state_round_trip_continues_training_identically(trained, rng):
    net, x = trained
    copy = py_nn.from_json(net.to_json(include_optimizer=True))
    assert copy.optimizer.iterations == net.optimizer.iterations
    y = np.arange(40) % 3
    for model in (net, copy):
        model.rng = np.random.default_rng(0)
        model.fit(x, y, 8, 1, categorical=True, verbose=False)
    np.testing.assert_array_equal(copy.params, net.params)


def test_save_model_and_load_model_files(trained, tmp_path):
    net, x = trained
    path = tmp_path / "model.json"
    net.save_model(path)
    np.testing.assert_array_equal(py_nn.load_model(path).predict(x), net.predict(x))


def test_seed_save_and_load_weights(trained, tmp_path):
    net, x = trained
    path = tmp_path / "weights.npz"
    net.save(path)
    other = py_nn.NeuralNetwork([5, 7, 4, 3], "leaky_relu", "softmax",
                                "categorical_crossentropy", py_nn.SGD(), dtype="float32")
    other.hidden_activation = net.hidden_activation
    other.load(path)
    np.testing.assert_array_equal(other.predict(x), net.predict(x))


def test_load_weights_of_another_shape_changes_nothing(trained, tmp_path):
    net, _ = trained
    path = tmp_path / "weights.npz"
    py_nn.NeuralNetwork([5, 8, 3]).save(path)
    before = net.params.copy()
    with pytest.raises(ValueError, match="layers"):
        net.load(path)
    np.testing.assert_array_equal(net.params, before)


def test_load_a_file_that_is_not_weights(trained, tmp_path):
    net, _ = trained
    path = tmp_path / "notes.txt"
    path.write_text("hello")
    with pytest.raises(ValueError, match="not a weights file"):
        net.load(path)


def damaged(doc, change):
    doc = json.loads(json.dumps(doc))
    change(doc)
    return json.dumps(doc)


@pytest.mark.parametrize("change,expected", [
    (lambda d: d.update(format="keras"), "Not a py_nn model"),
    (lambda d: d.update(version=2), "Unsupported model format version 2"),
    (lambda d: d.update(layers=[5, "7", 3]), "layers must be a list"),
    (lambda d: d.update(layers=[5, 9, 4, 3]), "params.count must be"),
    (lambda d: d.update(dtype="int8"), "dtype must be"),
    (lambda d: d["hidden_activation"].update(name="swish"), "'swish' is not a built-in"),
    (lambda d: d["optimizer"].update(name="lion"), "optimizer 'lion' is not built in"),
    (lambda d: d["optimizer"]["config"].update(lr=-1), "bad config"),
    (lambda d: d["params"].update(data=d["params"]["data"][:-40]), "truncated"),
    (lambda d: d["params"].update(data="!!!!"), "not valid base64"),
    (lambda d: d["params"].update(byteorder="big"), "params.byteorder must be 'little'"),
    (lambda d: d.pop("params"), "params must be an object"),
    (lambda d: d.update(metadata=[1]), "metadata must be an object"),
])
def test_bad_documents_are_refused_with_a_clear_message(trained, change, expected):
    net, _ = trained
    doc = json.loads(net.to_json())
    with pytest.raises(py_nn.ModelFormatError, match=None) as info:
        py_nn.from_json(damaged(doc, change))
    assert expected in str(info.value)


def test_nan_parameters_are_refused(trained):
    net, _ = trained
    doc = json.loads(net.to_json())
    values = np.zeros(net.n_params, dtype="<f4")
    values[3] = np.nan
    doc["params"]["data"] = base64.b64encode(values.tobytes()).decode()
    with pytest.raises(ValueError, match="NaN or inf"):
        py_nn.from_json(json.dumps(doc))


@pytest.mark.parametrize("text", ["hello", "", '{"format": "py_nn.model"', "[1, 2]"])
def test_text_that_is_not_a_model(text):
    with pytest.raises(ValueError) as info:
        py_nn.from_json(text)
    assert "JSON" in str(info.value) or "model" in str(info.value)


def test_truncated_file(trained):
    net, _ = trained
    text = net.to_json()
    with pytest.raises(ValueError, match="Not valid JSON"):
        py_nn.from_json(text[: len(text) // 2])


def test_custom_components_need_custom_objects_to_load(rng):
    def cube(z):
        return z ** 3

    def d_cube(z):
        return 3 * z ** 2

    net = py_nn.NeuralNetwork([3, 4, 2], (cube, d_cube), seed=0)
    text = net.to_json()
    with pytest.raises(ValueError, match="custom_objects"):
        py_nn.from_json(text)
    loaded = py_nn.from_json(text, custom_objects={"cube": (cube, d_cube)})
    x = rng.normal(size=(3, 3))
    np.testing.assert_array_equal(loaded.predict(x), net.predict(x))
