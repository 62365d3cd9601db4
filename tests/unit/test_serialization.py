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
    (lambda d: d.update(version=3), "Unsupported model format version 3"),
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


# ---------------------------------------------------------------- compact parameters
@pytest.mark.parametrize("compact, itemsize", [("float16", 2), ("int8", 1)])
def test_compact_round_trip_is_close_and_keeps_the_networks_dtype(trained, compact, itemsize):
    net, x = trained
    text = net.to_json(compact=compact, metadata={"name": "small"})
    doc = json.loads(text)
    assert doc["version"] == 2 and doc["dtype"] == "float32"
    assert doc["params"]["dtype"] == compact and doc["params"]["count"] == net.n_params
    assert len(base64.b64decode(doc["params"]["data"])) == net.n_params * itemsize
    again = py_nn.NeuralNetwork.from_json(text)
    assert again.params.dtype == np.float32 and again.metadata == {"name": "small"}
    if compact == "int8":
        # each value is within half a step of its tensor's scale (max |t| / 127)
        sizes = py_nn.serialization.tensor_sizes(net.layers)
        bounds = np.repeat(doc["params"]["scales"], sizes) / 2
        assert np.all(np.abs(again.params - net.params) <= bounds * (1 + 1e-6) + 1e-12)
        assert doc["params"]["scales"] == pytest.approx(
            [np.abs(t).max() / 127 for t in np.split(net.params, np.cumsum(sizes)[:-1])])
    else:
        np.testing.assert_allclose(again.params, net.params, rtol=1e-3, atol=1e-7)
    np.testing.assert_allclose(again.predict(x), net.predict(x), atol=0.05)
    # written again, a compact model gives the same document (the values are on the grid)
    assert again.to_json(compact=compact) == text


def test_exact_documents_stay_version_1_and_compact_keeps_optimizer_state_exact(trained):
    net, _ = trained
    assert json.loads(net.to_json())["version"] == 1
    doc = json.loads(net.to_json(include_optimizer=True, compact="int8"))
    assert doc["optimizer_state"]["vectors"]["m"]["dtype"] == "float32"
    again = py_nn.NeuralNetwork.from_json(json.dumps(doc))
    np.testing.assert_array_equal(again.optimizer.state["m"], net.optimizer.state["m"])


def test_unknown_compact_option_is_refused_and_changes_nothing(trained, tmp_path):
    net, _ = trained
    before = net.metadata
    with pytest.raises(ValueError, match=r"compact must be None \(exact parameters\), "
                                         r"'float16' or 'int8'; got 'int4'"):
        net.to_json(compact="int4", metadata={"name": "changed"})
    with pytest.raises(ValueError, match="compact must be"):
        net.save_model(tmp_path / "m.json", compact=True)
    assert net.metadata == before and not (tmp_path / "m.json").exists()


def _compact_doc(net, change):
    doc = json.loads(net.to_json(compact="int8"))
    change(doc)
    return json.dumps(doc)


@pytest.mark.parametrize("change, expected", [
    (lambda d: d["params"].update(data=d["params"]["data"][:-8]), r"params.data (holds|is not valid)"),
    (lambda d: d["params"].update(data="!!" + d["params"]["data"][2:]), r"params.data is not valid base64"),
    (lambda d: d["params"].update(scales=d["params"]["scales"][:-1]), r"params.scales must be 6 finite numbers"),
    (lambda d: d["params"].update(scales=[float("nan")] * 6), r"params.scales must be 6 finite numbers"),
    (lambda d: d["params"].update(scales=None), r"params.scales must be"),
    (lambda d: d.update(version=1), r"params.dtype must be 'float32'; got 'int8'"),
    (lambda d: d.update(version=3), r"Unsupported model format version 3.*reads versions 1 to 2"),
])
def test_damaged_compact_documents_are_refused_with_a_clear_message(trained, change, expected):
    net, _ = trained
    with pytest.raises(py_nn.serialization.ModelFormatError, match=expected):
        py_nn.NeuralNetwork.from_json(_compact_doc(net, change))
