"""usercode.run_code (the one runner of a learner's code): it runs as "code.py", prints are kept,
and a mistake points at the learner's own line, even when it happens deep inside NumPy or later,
inside a function the code defined."""
import traceback

import numpy as np

from pynn_worker import usercode

SETTINGS = {"hidden": [16], "optimizer": "sgd", "learningRate": 0.1}

GOOD = """\
import numpy as np
from py_nn import relu, d_relu

def swish(x):
    return x / (1 + np.exp(-x))

print("defined", swish.__name__)
hidden_activation = (relu, d_relu)
"""


def test_good_code_fills_the_namespace_and_captures_print():
    run = usercode.run_code(GOOD, SETTINGS)
    assert run["ok"] and run["error"] is None
    assert run["output"] == "defined swish\n"
    np.testing.assert_allclose(run["namespace"]["swish"](np.array([0.0, 1.0])),
                               [0.0, 1 / (1 + np.exp(-1))])
    assert run["network"]["hidden_activation"][0].__name__ == "relu"


def test_a_syntax_error_names_its_line_and_nothing_runs():
    run = usercode.run_code("x = 1\ny = 2\ndef f(:\n    return x\n", SETTINGS)
    assert run["error"]["line"] == 3
    assert run["error"]["message"].startswith("SyntaxError: ")
    assert "x" not in run["namespace"]


def test_a_runtime_error_names_the_persons_line_and_keeps_what_ran():
    run = usercode.run_code("a = 1\nprint('before')\n\nb = undefined_name + 1\nc = 3\n", SETTINGS)
    assert run["error"]["message"] == "NameError: name 'undefined_name' is not defined"
    assert run["error"]["line"] == 4
    assert run["output"] == "before\n" and run["namespace"]["a"] == 1
    assert "c" not in run["namespace"]


def test_an_error_deep_inside_numpy_points_at_the_last_user_line():
    source = ("import numpy as np\n\ndef loss(p, y):\n"
              "    return np.ones((2, 3)) @ np.ones((2, 3))\n\nloss(1, 2)\n")
    run = usercode.run_code(source, SETTINGS, filename="my_loss.py")
    assert run["error"]["line"] == 4, run["error"]
    assert run["error"]["message"].startswith("ValueError: matmul")


def test_an_error_raised_later_by_a_defined_function_is_traced_to_its_line():
    run = usercode.run_code("def act(x):\n    return x.nope\n", SETTINGS)
    assert run["ok"]
    try:
        run["namespace"]["act"](np.zeros(2))
    except AttributeError as exc:
        where = usercode.error_info(exc)
        text = "".join(traceback.format_exception(exc))
    assert where["message"] == "AttributeError: 'numpy.ndarray' object has no attribute 'nope'"
    assert where["line"] == 2
    assert 'File "code.py", line 2, in act' in text and "return x.nope" in text  # linecache


def test_exit_in_user_code_is_an_error_not_the_end_of_the_worker():
    run = usercode.run_code("import sys\nsys.exit(3)\n", SETTINGS)
    assert run["error"]["message"] == "SystemExit: 3" and run["error"]["line"] == 2
