"""The weights fingerprint the page shows (pynn_worker.state.fingerprint, in every model info):
8 hex characters of the SHA-256 of the float32 parameters. Same seed, same training: same
fingerprint; another seed, or one float32 step: another."""
import hashlib
import json

import numpy as np
import py_nn

from pynn_worker.state import fingerprint

CONFIG = {"hidden": [16], "optimizer": "sgd", "learningRate": 0.05, "batchSize": 50, "epochs": 1,
          "samples": 500, "augment": {"shift": 1}}


def train(session, **changes):
    session.fit_start(json.dumps({**CONFIG, **changes}))
    while not json.loads(session.fit_slice(1000))["done"]:
        pass
    return json.loads(session.fit_finish(False, "{}"))["info"]["fingerprint"]


def test_the_fingerprint_is_the_sha256_of_the_float32_parameters():
    net = py_nn.NeuralNetwork([6, 4, 3], seed=1, dtype="float32")
    want = hashlib.sha256(np.asarray(net.params, dtype="<f4").tobytes()).hexdigest()[:8]
    assert fingerprint(net) == want
    net.params[0] = np.nextafter(net.params[0], np.float32(1))  # one float32 step
    assert fingerprint(net) != want


def test_same_seed_same_fingerprint_other_seed_another(session):
    first = train(session, seed=7)
    assert json.loads(session.model_info())["fingerprint"] == first
    assert train(session, seed=7) == first
    assert train(session, seed=8) != first
