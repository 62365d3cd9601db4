"""Bad input a person really tries with py_nn: each gets a clear message and loses nothing.

Every case is one row of README's "Bad inputs and their messages" table. The test checks the key
part of the message (what was expected, what was given, how to fix it) and that the network
(parameters, optimizer state, history) and the files on disk are exactly as before. With
PYNN_BAD_INPUTS_LOG set, each case appends the message it saw there (tools/bad_inputs.py turns
those lines into the README table).
"""
import json
import os

import numpy as np
import pytest

import py_nn
from py_nn import stepwise

X = np.random.default_rng(7).normal(size=(12, 4))   # (12, 4): 12 samples for layers [4, 6, 3]
Y = np.arange(12) % 3                                # (12,): labels 0..2


def with_nan(x, row, col):
    x = x.copy()
    x[row, col] = np.nan
    return x


def model_text():
    return py_nn.NeuralNetwork([4, 6, 3], seed=1).to_json()


# (id, the input as a person writes it, call(net), key part of the message)
CASES = [
    ("layers-one-size", "NeuralNetwork([784])",
     lambda net: py_nn.NeuralNetwork([784]),
     "layers must be a list of at least 2 positive integers (input, hidden..., output), "
     "e.g. [784, 128, 10]; got [784]."),
    ("layers-text-size", "NeuralNetwork([784, '128', 10])",
     lambda net: py_nn.NeuralNetwork([784, "128", 10]),
     "got [784, '128', 10]."),
    ("unknown-activation", "NeuralNetwork([4, 6, 3], hidden_activation='relux')",
     lambda net: py_nn.NeuralNetwork([4, 6, 3], hidden_activation="relux"),
     "Unknown hidden_activation 'relux'; valid names are leaky_relu, relu, sigmoid, tanh"),
    ("unknown-loss", "NeuralNetwork([4, 6, 3], loss='cross_entropy')",
     lambda net: py_nn.NeuralNetwork([4, 6, 3], loss="cross_entropy"),
     "Unknown loss 'cross_entropy'; valid names are binary_crossentropy, "
     "categorical_crossentropy, mse"),
    ("unknown-optimizer", "NeuralNetwork([4, 6, 3], optimizer='adamw')",
     lambda net: py_nn.NeuralNetwork([4, 6, 3], optimizer="adamw"),
     "Unknown optimizer 'adamw'; valid names are adagrad, adam, rmsprop, sgd"),
    ("optimizer-setting-name", "get_optimizer('adam', learning_rate=0.1)",
     lambda net: py_nn.get_optimizer("adam", learning_rate=0.1),
     "unexpected keyword argument 'learning_rate'; its settings are lr, beta1, beta2, eps."),
    ("learning-rate-zero", "SGD(lr=0)",
     lambda net: py_nn.SGD(lr=0),
     "SGD: lr must be a number > 0; got 0. Typical values are 0.001 to 0.1."),
    ("dtype-float16", "NeuralNetwork([4, 6, 3], dtype='float16')",
     lambda net: py_nn.NeuralNetwork([4, 6, 3], dtype="float16"),
     "dtype must be 'float32' or 'float64'; got 'float16'."),
    ("x-wrong-width", "fit(x of shape (12, 3), ...) for layers [4, 6, 3]",
     lambda net: net.fit(X[:, :3], Y, 4, 1, categorical=True, verbose=False),
     "x must have shape (n_samples, 4) for layers [4, 6, 3]; got shape (12, 3)."),
    ("one-sample-as-1d", "predict(np.zeros(4))",
     lambda net: net.predict(np.zeros(4)),
     "got shape (4,). For a single sample use x.reshape(1, -1)."),
    ("x-as-text", "predict([['a', 'b', 'c', 'd']])",
     lambda net: net.predict([["a", "b", "c", "d"]]),
     "x must hold numbers; got dtype <U1. Convert it first, e.g. np.asarray(x, dtype=float)."),
    ("x-ragged-rows", "predict([[1, 2, 3, 4], [1, 2]])",
     lambda net: net.predict([[1, 2, 3, 4], [1, 2]]),
     "x must be a 2-D array of numbers, 4 in every row; NumPy could not make one (setting an "
     "array element with a sequence). Check that every row has 4 numbers."),
    ("x-with-nan", "fit(x with NaN in row 5, ...)",
     lambda net: net.fit(with_nan(X, 5, 2), Y, 4, 1, categorical=True, verbose=False),
     "x contains NaN or inf (first in row 5); remove or replace those values."),
    ("label-out-of-range", "fit(x, [0, 1, 3], ..., categorical=True) with 3 outputs",
     lambda net: net.fit(X[:3], [0, 1, 3], 1, 1, categorical=True, verbose=False),
     "y has class label 3 but the output layer has 3 nodes, so labels must be 0..2."),
    ("label-negative", "fit(x, [0, -1, 2], ..., categorical=True)",
     lambda net: net.fit(X[:3], [0, -1, 2], 1, 1, categorical=True, verbose=False),
     "y must hold class labels >= 0 (the first class is 0); got -1."),
    ("label-fraction", "fit(x, [0, 1.5, 2], ..., categorical=True)",
     lambda net: net.fit(X[:3], [0, 1.5, 2], 1, 1, categorical=True, verbose=False),
     "y must hold whole numbers (class labels); got e.g. 1.5."),
    ("label-names", "fit(x, ['cat', 'dog', 'cat'], ..., categorical=True)",
     lambda net: net.fit(X[:3], ["cat", "dog", "cat"], 1, 1, categorical=True, verbose=False),
     "Number the classes 0..n-1 first, e.g. np.unique(y, return_inverse=True)[1]."),
    ("x-y-lengths", "fit(x of 12 samples, y of 10 labels, ...)",
     lambda net: net.fit(X, Y[:10], 4, 1, categorical=True, verbose=False),
     "x and y must have the same number of samples; got 12 and 10."),
    ("y-wrong-width", "fit(x, y of shape (12, 5), ...) with 3 outputs",
     lambda net: net.fit(X, np.zeros((12, 5)), 4, 1, verbose=False),
     "y must have shape (n_samples, 3) for layers [4, 6, 3], or be integer class labels"),
    ("batch-size-zero", "fit(x, y, batch_size=0, epochs=1)",
     lambda net: net.fit(X, Y, 0, 1, categorical=True, verbose=False),
     "batch_size must be an integer >= 1; got 0."),
    ("epochs-fraction", "fit(x, y, batch_size=4, epochs=2.5)",
     lambda net: net.fit(X, Y, 4, 2.5, categorical=True, verbose=False),
     "epochs must be an integer >= 1; got 2.5."),
    ("validation-not-a-pair", "fit(..., validation_data=x_val)",
     lambda net: net.fit(X, Y, 4, 1, categorical=True, validation_data=X, verbose=False),
     "validation_data must be a tuple (x_val, y_val); got ndarray."),
    ("json-not-json", "NeuralNetwork.from_json('hello')",
     lambda net: py_nn.NeuralNetwork.from_json("hello"),
     "a py_nn model file starts with '{\"format\": \"py_nn.model\"'. Got: 'hello'"),
    ("json-cut-off", "from_json(the first 200 characters of a model)",
     lambda net: py_nn.NeuralNetwork.from_json(model_text()[:200]),
     "of 200, cut off or not a model file?)"),
    ("json-newer-version", "from_json(a document with \"version\": 3)",
     lambda net: py_nn.NeuralNetwork.from_json(json.dumps(dict(json.loads(model_text()),
                                                                version=3))),
     "Unsupported model format version 3; this py_nn (" + py_nn.__version__
     + ") reads versions 1 to 2. Upgrade py_nn."),
    ("json-as-dict", "from_json(json.loads(text))",
     lambda net: py_nn.NeuralNetwork.from_json(json.loads(model_text())),
     "from_json expects a JSON string; got dict. For a dict use json.dumps(doc) first."),
    ("load-model-missing", "load_model('nope.json')",
     lambda net: py_nn.load_model("nope.json"),
     "No model file at 'nope.json': check the path, or write one with save_model(path) first."),
    ("load-weights-missing", "net.load('nope.npz')",
     lambda net: net.load("nope.npz"),
     "No weights file at 'nope.npz': check the path, or write one with save(path) first."),
    ("load-weights-other-layers", "net.load('other.npz') written by a [4, 8, 3] network",
     lambda net: net.load("other.npz"),
     "other.npz: weights_0 has shape (4, 8); layers [4, 6, 3] need (4, 6)."),
    ("step-label-out-of-range", "stepwise.step(net, x of shape (1, 4), 3) with 3 outputs",
     lambda net: stepwise.step(net, X[:1], 3),
     "y has class label 3 but the output layer has 3 nodes, so labels must be 0..2."),
    ("gradcheck-position", "stepwise.check_weight(net, x, 0, layer=0, kind='W', i=4, j=0)",
     lambda net: stepwise.check_weight(net, X[:1], 0, 0, "W", 4, 0),
     "i must be an integer 0..3 for W of layer 0, shape (4, 6); got 4."),
    ("apply-stale-step", "stepwise.apply(net, a step computed for other parameters)",
     lambda net: stepwise.apply(net, stepwise.step(py_nn.NeuralNetwork(
         [4, 6, 3], optimizer=py_nn.Adam(), seed=5), X[:1], 0)),
     "This step was computed for other parameters: the model has changed since"),
]


def record(case_id, shown_input, exc):
    """Append what this case saw to $PYNN_BAD_INPUTS_LOG (one JSON line), if set."""
    path = os.environ.get("PYNN_BAD_INPUTS_LOG")
    if path:
        with open(path, "a", encoding="utf-8") as f:
            f.write(json.dumps({"where": "py_nn", "input": shown_input,
                                "message": f"{type(exc).__name__}: {exc}",
                                "test": f"tests/unit/test_bad_inputs.py::test_bad_input[{case_id}]"})
                    + "\n")


@pytest.fixture
def workdir(tmp_path, monkeypatch):
    """A folder holding a saved model and weights files, made the current directory."""
    monkeypatch.chdir(tmp_path)
    py_nn.NeuralNetwork([4, 6, 3], seed=2).save_model("model.json")
    py_nn.NeuralNetwork([4, 6, 3], seed=2).save("weights.npz")
    py_nn.NeuralNetwork([4, 8, 3], seed=2).save("other.npz")
    return tmp_path


@pytest.mark.parametrize("case_id,shown_input,call,expected", CASES, ids=[c[0] for c in CASES])
def test_bad_input(workdir, case_id, shown_input, call, expected):
    net = py_nn.NeuralNetwork([4, 6, 3], optimizer=py_nn.Adam(), seed=0)
    net.fit(X, Y, 4, 1, categorical=True, verbose=False)  # a trained model, with history and state
    params = net.params.copy()
    state = {k: v.copy() for k, v in net.optimizer.state.items()}
    history = json.dumps(net.history)
    files = {p.name: p.read_bytes() for p in sorted(workdir.iterdir())}

    with pytest.raises((ValueError, TypeError, OSError)) as info:
        call(net)
    message = str(info.value)
    record(case_id, shown_input, info.value)
    assert expected in message, f"message lacks {expected!r}: {message!r}"

    np.testing.assert_array_equal(net.params, params)
    assert all(np.array_equal(net.optimizer.state[k], v) for k, v in state.items())
    assert json.dumps(net.history) == history
    assert {p.name: p.read_bytes() for p in sorted(workdir.iterdir())} == files
    np.testing.assert_array_equal(net.predict(X), py_nn.NeuralNetwork.from_json(
        net.to_json()).predict(X))  # the model still works
