"""The reference behind "same link, same seed, same weights in every engine" (used by the tests).

Every engine's page trains with the plain WebAssembly SIMD kernel (py_nn/kernels.py says why not
the relaxed one), so a seeded run must give bit-identical weights in Chromium, Firefox and
Safari's engine. The tests check each engine against one reference: the same run trained by
the worker's own Python and the built wheel inside Pyodide in Node.js
(tests/pyodide/fit_fingerprint.mjs), with the configuration the page's run really used (a
trained model keeps it as ``metadata.training``).
"""
import functools
import json
import subprocess

from tools.paths import SITE, TESTS

# The lesson every engine opens and trains (share/link.js's format): 16 hidden units, SGD,
# 500 digits, one epoch, seed 7, shifted and rotated digits (the augmentation's random draws too).
LESSON_HASH = "#v=1&d=mnist&h=16&o=sgd&lr=0.05&e=1&b=50&n=500&s=7&a=1,10,0,0&p=draw,train,models"


def training_config(model_text):
    """The fit configuration a model file records (``metadata.training`` without the run's own
    ``stopped`` and ``seconds``): what its training run received."""
    training = dict(json.loads(model_text)["metadata"]["training"])
    for key in ("stopped", "seconds"):
        training.pop(key, None)
    return training


@functools.lru_cache(maxsize=8)
def _reference(config_json):
    wheel = SITE / json.loads((SITE / "build.json").read_text())["wheel"]
    from tools.suites import node_binary

    run = subprocess.run([node_binary(), str(TESTS / "pyodide" / "fit_fingerprint.mjs"), "--site", str(SITE),
                          "--wheel", str(wheel), "--config", config_json],
                         capture_output=True, text=True, timeout=300)
    if run.returncode != 0:
        raise RuntimeError(f"fit_fingerprint.mjs failed ({run.returncode}):\n{run.stderr[-3000:]}")
    return json.loads(run.stdout.strip().splitlines()[-1])


def reference_fit(config):
    """``{"fingerprint", "kernel", "variant", "accuracy"}`` of ``config`` (a dict) trained in
    Pyodide in Node.js: the fingerprint every engine's page must show for the same run."""
    return _reference(json.dumps(config, sort_keys=True))


def main():
    """``python3 -m tools.fit_reference < model.json``: the reference for the run that trained a
    model file, as one JSON line ``{"fingerprint", "kernel", "variant", "accuracy", "config"}``
    (for tests driven from Node, tests/engines/firefox.mjs)."""
    import sys

    config = training_config(sys.stdin.read())
    print(json.dumps({**reference_fit(config), "config": config}))


if __name__ == "__main__":
    main()
