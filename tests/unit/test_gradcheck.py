"""py_nn.gradcheck: derivative checks of learner-written components against finite differences."""
import numpy as np
import pytest

import py_nn
import py_nn.gradcheck as gc
from py_nn import activations, losses, optimizers


def swish(z):
    return z / (1 + np.exp(-z))


def d_swish(z):
    s = 1 / (1 + np.exp(-z))
    return s + z * s * (1 - s)


def leaky(z):
    return np.where(z > 0, z, 0.1 * z)


def d_leaky(z):
    return np.where(z > 0, 1.0, 0.1)


def assert_result_form(result):
    assert set(result) >= {"ok", "maxRelError", "shapeOk", "message", "worst"}
    assert isinstance(result["message"], str) and result["message"]
    for point in result["worst"]:
        assert {"input", "analytic", "numeric"} <= set(point)


# ------------------------------------------------------------------ hidden
def test_correct_hidden_derivatives_pass():
    for component in [(swish, d_swish), (leaky, d_leaky)]:
        result = gc.check_hidden(component)
        assert_result_form(result)
        assert result["ok"] and result["shapeOk"], result["message"]
        assert result["maxRelError"] < 1e-6


def test_wrong_hidden_derivative_fails_and_shows_its_worst_points():
    def d_sigmoid_wrong(z):  # s (1 + s) instead of s (1 - s)
        s = py_nn.sigmoid(z)
        return s * (1 + s)

    result = gc.check_hidden((py_nn.sigmoid, d_sigmoid_wrong))
    assert_result_form(result)
    assert not result["ok"] and result["shapeOk"]
    assert result["maxRelError"] > 0.5
    assert "d_sigmoid_wrong does not match finite differences" in result["message"]
    worst = result["worst"]
    assert len(worst) == gc.WORST
    errors = [w["relError"] for w in worst]
    assert errors == sorted(errors, reverse=True) and errors[0] == result["maxRelError"]
    for w in worst:  # the numeric value is the true derivative, the analytic the wrong one
        z = np.array([[w["input"]]])
        assert w["numeric"] == pytest.approx(float(py_nn.d_sigmoid(z)[0, 0]), rel=1e-6)
        assert w["analytic"] == pytest.approx(float(d_sigmoid_wrong(z)[0, 0]))


def test_leaky_relu_with_the_wrong_slope_fails():
    result = gc.check_hidden((leaky, lambda z: np.where(z > 0, 1.0, 0.01)))
    assert not result["ok"]
    assert "the derivative does not match" in result["message"]


def test_relu_kink_at_zero_is_skipped_not_failed():
    points = gc.hidden_points()
    assert np.count_nonzero(points == 0) == 2 and np.all(np.abs(points[points != 0]) >= 0.01)
    # d_relu(0) = 0 while the central difference there is 0.5: not a failure
    result = gc.check_hidden((py_nn.relu, py_nn.d_relu))
    assert result["ok"], result["message"]
    assert "2 point(s) on a kink skipped" in result["message"]
    # a derivative that is wrong away from the kink still fails
    wrong = gc.check_hidden((py_nn.relu, lambda z: (z < 0).astype(z.dtype)))
    assert not wrong["ok"] and wrong["maxRelError"] == pytest.approx(1.0)


def test_smooth_functions_have_no_kinks_at_zero():
    result = gc.check_hidden((swish, d_swish))
    assert "kink" not in result["message"]
    wrong_at_zero = gc.check_hidden((swish, lambda z: np.where(z == 0, 0.0, d_swish(z))))
    assert not wrong_at_zero["ok"] and wrong_at_zero["worst"][0]["input"] == 0.0
    assert wrong_at_zero["worst"][0]["numeric"] == pytest.approx(0.5)


def test_hidden_derivative_of_the_wrong_shape_says_which_shape_was_expected():
    def d_my_act(z):
        return np.ones((z.shape[0], 1))

    result = gc.check_hidden((np.tanh, d_my_act))
    assert not result["ok"] and not result["shapeOk"]
    assert result["message"] == (
        "d_my_act returned shape (4, 1) for input of shape (4, 5): a hidden activation's "
        "derivative must be elementwise, shape (n, m) = (4, 5).")


def test_hidden_activation_that_mixes_a_row_is_not_elementwise():
    def rownorm(z):
        return z / np.abs(z).sum(axis=1, keepdims=True)

    result = gc.check_hidden((rownorm, lambda z: np.ones_like(z)))
    assert not result["ok"]
    assert "rownorm is not elementwise" in result["message"]


def test_components_that_mix_the_samples_of_a_batch_fail():
    def batch_softmax(z):  # normalised over the whole batch instead of per row
        e = np.exp(z)
        return e / e.sum()

    result = gc.check_output((batch_softmax, py_nn.d_softmax))
    assert not result["ok"]
    assert "batch_softmax mixes samples: changing row 0 of its input changed row" in \
        result["message"]

    def batch_mse(p, y):
        return np.full((len(p), 1), np.mean((p - y) ** 2))

    assert "batch_mse mixes samples" in gc.check_loss((batch_mse, py_nn.d_mse))["message"]


def test_exceptions_inside_user_functions_fail_the_component_with_their_line():
    source = ("import numpy as np\n"
              "def act(z):\n"
              "    return np.tanh(z)\n"
              "def d_act(z):\n"
              "    return 1 / 0\n")
    namespace = {}
    exec(compile(source, "code.py", "exec"), namespace)
    result = gc.check_hidden((namespace["act"], namespace["d_act"]), filename="code.py")
    assert not result["ok"]
    assert result["message"] == "d_act raised ZeroDivisionError: division by zero"
    assert result["line"] == 5


def test_derivative_returning_none_is_explained():
    result = gc.check_hidden((np.tanh, lambda z: None))
    assert not result["ok"] and "returned None; did it forget `return`?" in result["message"]


# ------------------------------------------------------------------ output
def test_softmax_jacobian_passes_and_a_diagonal_only_one_fails():
    good = gc.check_output((py_nn.softmax, py_nn.d_softmax))
    assert good["ok"] and good["maxRelError"] < 1e-6, good["message"]

    def d_softmax_diag(z):
        p = py_nn.softmax(z)
        return np.stack([np.diag(row * (1 - row)) for row in p])

    bad = gc.check_output((py_nn.softmax, d_softmax_diag))
    assert_result_form(bad)
    assert not bad["ok"] and bad["shapeOk"] and bad["maxRelError"] == pytest.approx(1.0)
    k, i, j = bad["worst"][0]["index"]
    assert i != j  # the missing entries are off the diagonal
    assert "index" in bad["message"]


def test_output_derivative_must_be_a_jacobian_stack():
    result = gc.check_output((py_nn.softmax, lambda z: py_nn.softmax(z) * (1 - py_nn.softmax(z))))
    assert not result["ok"] and not result["shapeOk"]
    assert "returned shape (3, 4) for input of shape (3, 4)" in result["message"]
    assert "shape (n, m, m) = (3, 4, 4)" in result["message"]


# ------------------------------------------------------------------ loss
def test_loss_derivatives_correct_and_wrong():
    def my_mse(p, y):
        return np.mean((p - y) ** 2, axis=1, keepdims=True)

    def d_my_mse(p, y):
        return (2 * (p - y) / p.shape[1])[:, None, :]

    def d_my_mse_wrong(p, y):  # the factor 2 forgotten
        return ((p - y) / p.shape[1])[:, None, :]

    assert gc.check_loss((my_mse, d_my_mse))["ok"]
    bad = gc.check_loss((my_mse, d_my_mse_wrong))
    assert not bad["ok"] and bad["maxRelError"] == pytest.approx(0.5)
    assert {"input", "target", "index", "analytic", "numeric"} <= set(bad["worst"][0])
    assert bad["worst"][0]["numeric"] == pytest.approx(2 * bad["worst"][0]["analytic"])


def test_loss_shapes_are_checked():
    per_row = gc.check_loss((py_nn.mse, lambda p, y: 2 * (p - y) / p.shape[1]))
    assert not per_row["shapeOk"]
    assert "a loss derivative is a row vector per sample, shape (n, 1, m) = (4, 1, 5)" \
        in per_row["message"]
    flat_loss = gc.check_loss((lambda p, y: np.mean((p - y) ** 2, axis=1), py_nn.d_mse))
    assert not flat_loss["shapeOk"]
    assert "returned shape (4,)" in flat_loss["message"] and "(n, 1) = (4, 1)" in flat_loss["message"]


# ------------------------------------------------------------------ registry entries
BUILTINS = ([(gc.check_hidden, activations.get_hidden, n) for n in sorted(activations.HIDDEN)]
            + [(gc.check_output, activations.get_output, n) for n in sorted(activations.OUTPUT)]
            + [(gc.check_loss, losses.get_loss, n) for n in sorted(losses.LOSSES)])


@pytest.mark.parametrize("check, get, name", BUILTINS,
                         ids=[f"{c.__name__}-{n}" for c, _, n in BUILTINS])
def test_every_builtin_component_passes(check, get, name):
    result = check(get(name))
    assert result["ok"] and result["maxRelError"] < 1e-6, result["message"]


@pytest.mark.parametrize("name", sorted(optimizers.OPTIMIZERS))
def test_every_builtin_optimizer_passes_and_keeps_its_state(name):
    opt = optimizers.get_optimizer(name)
    result = gc.check_optimizer(opt)
    assert result["ok"], result["message"]
    assert opt.iterations == 0 and opt.state is None  # checked on a copy


# ------------------------------------------------------------------ optimizers
class Plain:
    def __init__(self, lr=0.1):
        self.lr = lr

    def update(self, old_params, gradient):
        return old_params - self.lr * gradient


def test_optimizer_mistakes_are_explained():
    assert gc.check_optimizer(Plain())["ok"]
    as_class = gc.check_optimizer(Plain)
    assert not as_class["ok"] and "create one, e.g. optimizer = Plain()" in as_class["message"]
    assert "must be an object with .update" in gc.check_optimizer(object())["message"]

    class Uphill(Plain):
        def update(self, old_params, gradient):
            return old_params + self.lr * gradient

    assert "along the gradient, not against" in gc.check_optimizer(Uphill())["message"]

    class Shapeless(Plain):
        def update(self, old_params, gradient):
            return (old_params - self.lr * gradient)[:, None]

    shapeless = gc.check_optimizer(Shapeless())
    assert not shapeless["shapeOk"]
    assert "returned shape (50, 1) for parameters of shape (50,)" in shapeless["message"]

    class Broken(Plain):
        def update(self, old_params, gradient):
            raise RuntimeError("no state yet")

    assert gc.check_optimizer(Broken())["message"] == \
        "Broken.update raised RuntimeError: no state yet"


def test_optimizer_in_place_updates():
    class InPlace(Plain):
        def update(self, old_params, gradient):
            old_params -= self.lr * gradient
            return old_params

    class InPlaceCopy(Plain):
        def update(self, old_params, gradient):
            old_params -= self.lr * gradient
            return old_params.copy()

    ok = gc.check_optimizer(InPlace())
    assert ok["ok"] and "updates old_params in place and returns it" in ok["message"]
    bad = gc.check_optimizer(InPlaceCopy())
    assert not bad["ok"] and "changed old_params in place" in bad["message"]


def test_optimizer_that_changes_dtype_is_reported():
    class Upcast(Plain):
        def update(self, old_params, gradient):
            return old_params.astype(np.float64) - np.float64(self.lr) * gradient

    result = gc.check_optimizer(Upcast())
    assert result["ok"] and "it returns float64" in result["message"]


def test_optimizer_that_diverges_on_a_bowl_fails():
    result = gc.check_optimizer(Plain(lr=500.0))
    assert not result["ok"] and "must lower a simple bowl" in result["message"]


# ------------------------------------------------------------------ a whole namespace
def test_check_components_checks_what_the_code_defines():
    namespace = {"hidden_activation": (swish, d_swish), "output_activation": "softmax",
                 "loss": (py_nn.mse, lambda p, y: p - y), "optimizer": Plain(),
                 "layers": [784, 10]}
    results = gc.check_components(namespace)
    assert list(results) == ["hidden_activation", "output_activation", "loss", "optimizer"]
    assert results["hidden_activation"]["ok"]
    assert results["output_activation"] == {**results["output_activation"], "ok": True,
                                            "message": "built-in 'softmax': ok"}
    assert not results["loss"]["ok"] and not results["loss"]["shapeOk"]
    assert results["optimizer"]["ok"]
    only_one = gc.check_components({"optimizer": "adam"})
    assert list(only_one) == ["optimizer"] and only_one["optimizer"]["ok"]
    unknown = gc.check_components({"hidden_activation": "relux"})["hidden_activation"]
    assert not unknown["ok"] and "Unknown hidden_activation 'relux'" in unknown["message"]
