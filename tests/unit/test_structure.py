"""The package's seams: imports run one way, the codec never needs the network, a spec round trip."""
import ast
import json
from pathlib import Path

import numpy as np
import pytest

import py_nn
from py_nn import activations, components, losses, serialization, validation

PACKAGE = Path(py_nn.__file__).parent


def package_imports():
    """{module: set of py_nn modules it imports}, read from the installed sources."""
    graph = {}
    for path in sorted(PACKAGE.glob("*.py")):
        name = path.stem
        found = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.level == 1:
                if node.module:
                    found.add(node.module.split(".")[0])
                else:
                    found.update(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith("py_nn"):
                found.add((node.module.split(".") + ["__init__"])[1])
            elif isinstance(node, ast.Import):
                found.update(a.name.split(".")[1] for a in node.names
                             if a.name.startswith("py_nn."))
        graph[name] = found
    return graph


def reachable(graph, start):
    seen, todo = set(), [start]
    while todo:
        for nxt in graph.get(todo.pop(), ()):
            if nxt not in seen:
                seen.add(nxt)
                todo.append(nxt)
    return seen


def test_every_relative_import_names_a_module_of_the_package():
    graph = package_imports()
    for module, targets in graph.items():
        assert targets <= set(graph) - {"__init__"}, \
            f"{module} imports {targets - set(graph)} from the package itself"


def test_the_codec_never_imports_the_network():
    graph = package_imports()
    assert "network" not in reachable(graph, "serialization")
    assert "network" in graph["__init__"] and "serialization" in graph["network"]


def test_imports_run_one_way():
    graph = package_imports()
    for module in graph:
        assert module not in reachable(graph, module), f"{module} imports itself back"


def test_activations_and_losses_share_one_registry_module():
    graph = package_imports()
    assert "activations" not in graph["losses"]
    assert {"components"} <= graph["activations"] & graph["losses"]
    assert activations.Component is losses.Component is components.Component
    assert activations.resolve is losses.resolve is components.resolve


def test_version_lives_in_its_own_module():
    from py_nn import _version
    assert py_nn.__version__ == _version.__version__
    assert "__init__" not in reachable(package_imports(), "serialization")


def trained_net(rng):
    net = py_nn.NeuralNetwork([5, 6, 3], {"name": "leaky_relu", "config": {"alpha": 0.3}},
                              "softmax", "categorical_crossentropy", py_nn.RMSprop(lr=0.01),
                              dtype="float32", seed=4)
    x = rng.normal(size=(30, 5))
    net.fit(x, np.arange(30) % 3, 7, 2, categorical=True, verbose=False)
    net.metadata = {"name": "spec test"}
    return net, x


def test_spec_is_plain_data_and_round_trips(rng):
    net, x = trained_net(rng)
    spec = net.to_spec(include_optimizer=True)
    assert spec["layers"] == [5, 6, 3] and spec["dtype"] == "float32"
    assert spec["hidden_activation"] == {"name": "leaky_relu", "config": {"alpha": 0.3}}
    assert spec["optimizer"] == {"name": "rmsprop", "config": net.optimizer.get_config()}
    assert spec["optimizer_state"]["iterations"] == net.optimizer.iterations == 10
    assert not np.shares_memory(spec["params"], net.params)
    json.dumps({k: v for k, v in spec.items() if k not in ("params", "optimizer_state")})
    again = py_nn.NeuralNetwork.from_spec(spec)
    np.testing.assert_array_equal(again.params, net.params)
    np.testing.assert_array_equal(again.predict(x), net.predict(x))
    np.testing.assert_array_equal(again.optimizer.state["mean_sq"],
                                  net.optimizer.state["mean_sq"])
    assert again.metadata == {"name": "spec test"} and again.hidden_activation.config == {
        "alpha": 0.3}


def test_codec_decode_inverts_encode_without_a_network(rng):
    net, _ = trained_net(rng)
    spec = net.to_spec(include_optimizer=True)
    back = serialization.loads(serialization.dumps(spec))
    assert set(back) == set(spec)
    for key in ("layers", "hidden_activation", "output_activation", "loss", "optimizer",
                "dtype", "metadata"):
        assert back[key] == spec[key], key
    np.testing.assert_array_equal(back["params"], spec["params"])
    assert back["params"].dtype == np.float32
    assert serialization.dumps(back) == serialization.dumps(spec) == net.to_json(True)


def test_the_document_format_is_unchanged(rng):
    net, _ = trained_net(rng)
    doc = json.loads(net.to_json())
    assert list(doc) == ["format", "version", "py_nn_version", "layers", "hidden_activation",
                         "output_activation", "loss", "optimizer", "dtype", "params",
                         "optimizer_state", "metadata"]
    raw = np.frombuffer(__import__("base64").b64decode(doc["params"]["data"]), "<f4")
    np.testing.assert_array_equal(raw, net.params)


def test_set_params_copies_and_checks(rng):
    net, x = trained_net(rng)
    values = rng.normal(size=net.n_params)
    net.set_params(values)
    assert net.params.dtype == np.float32 and not np.shares_memory(net.params, values)
    np.testing.assert_array_equal(net.params, values.astype(np.float32))
    assert np.shares_memory(net.weights[0], net.params)
    before = net.params.copy()
    with pytest.raises(ValueError, match=rf"params must have shape \({net.n_params},\)"):
        net.set_params(values[:-1])
    bad = values.copy()
    bad[2] = np.nan
    with pytest.raises(ValueError, match="finite"):
        net.set_params(bad)
    np.testing.assert_array_equal(net.params, before)


def test_from_spec_refuses_bad_settings_with_the_format_error(rng):
    net, _ = trained_net(rng)
    spec = net.to_spec()
    spec["hidden_activation"] = {"name": "leaky_relu", "config": {"beta": 1}}
    with pytest.raises(py_nn.ModelFormatError, match="The model's settings are not valid"):
        py_nn.NeuralNetwork.from_spec(spec)


def test_validation_messages_match_the_network_boundary():
    layers, dtype = [4, 6, 3], np.dtype("float64")
    with pytest.raises(ValueError) as direct:
        validation.check_x(np.zeros((2, 5)), layers, dtype)
    net = py_nn.NeuralNetwork(layers, seed=0)
    with pytest.raises(ValueError) as through:
        net.predict(np.zeros((2, 5)))
    assert str(direct.value) == str(through.value) == (
        "x must have shape (n_samples, 4) for layers [4, 6, 3]; got shape (2, 5).")
    x, targets, labels = validation.check_xy(np.ones((3, 4)), [0, 2, 1], layers, dtype, True)
    np.testing.assert_array_equal(targets, np.eye(3)[[0, 2, 1]])
    np.testing.assert_array_equal(labels, [0, 2, 1])
