""""One step by hand" in Chromium: draw a digit, open the panel, and every stage it shows (and
pynn.explainStep returns) equals an independent NumPy recomputation from the exported model file;
a weight's finite-difference check; Apply takes exactly the shown update and Undo restores the
model bit for bit; a wrong derivative in the Code panel is marked at the stage where it goes wrong.

The reference is plain NumPy in float64 on the weights of `pynn.exportModel()`'s document (read
with py_nn.from_json only to get the arrays), the seed article's formulas written out here. The
page computes in float32, so values agree to float32 rounding: within a few float32 ulps of each
array's scale (float32's epsilon is 1.2e-7). A confident prediction has p near 1, where float32
holds p only to ~6e-8, so what is made of p - y (the Jacobian, delta) is compared on the scale
of the probabilities (1), and the backward pass is recomputed from the page's own output delta.
"""
import json
import re
import sys
from pathlib import Path

import numpy as np
import pytest
from playwright.sync_api import expect

from test_code import open_editor, type_code

ROOT = Path(__file__).resolve().parents[2]
STAGES = ["stage-forward", "stage-loss", "stage-jacobian", "stage-backward", "stage-update", "stage-after"]
F32 = 1e-6  # relative to an array's largest |value|: ~8 float32 ulps, far below any real mistake
WRONG_RELU = ("import numpy as np\n"
              "def my_relu(z):\n    return np.maximum(z, 0)\n"
              "def d_my_relu(z):\n    return 2 * z\n"
              "hidden_activation = (my_relu, d_my_relu)")

# the drawing the panel used, the step as pynn.explainStep returns it (typed arrays as lists, the
# summarized ones fetched whole with explainArray) and the active model's document
STEP_JS = """async ([label, refs]) => {
    const { toMnist } = await import(new URL('./page/draw.js', document.baseURI).href);
    const { pixels } = toMnist(document.querySelector('#pad'));
    const step = await window.pynn.explainStep(pixels, label);
    const plain = (v) => ArrayBuffer.isView(v) ? { shape: v.shape, values: Array.from(v) } : v;
    const whole = {};
    for (const name of refs) {
        const s = name.split('.').reduce((o, k) => o[k], step);
        whole[name] = plain(s.ref ? await window.pynn.explainArray(s.ref) : s);
    }
    const doc = await (await window.pynn.exportModel({ download: false })).text();
    return { pixels: Array.from(pixels), doc, whole,
             loss: step.loss, lossAfter: step.lossAfter, maxDelta: step.maxDelta, paramsLength: step.paramsLength,
             rule: step.update.rule, optimizer: step.update.optimizer, from: step.network.from,
             layers: step.layers.map((l) => ({ z: plain(l.z), a: plain(l.a) })),
             dLoss: plain(step.dLoss), jacobian: plain(step.jacobian), delta: plain(step.delta),
             fusedDelta: plain(step.fusedDelta), probabilitiesAfter: plain(step.probabilitiesAfter),
             grads: step.grads.map((g) => ({ db: plain(g.db), dW: plain(g.dW) })) };
}"""
WHOLE = ["grads.0.dW", "grads.1.dW", "grads.2.dW", "params", "gradient", "update.newParams"]


def arr(v):
    return np.asarray(v["values"], dtype=np.float64).reshape(v["shape"])


def network(doc):
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    import py_nn
    return py_nn.NeuralNetwork.from_json(doc)


def reference(doc, x, label):
    """Forward, loss, Jacobian, delta, backward and Adam's first step in float64, plain NumPy."""
    net = network(doc)
    W = [w.astype(np.float64) for w in net.weights]
    b = [v.astype(np.float64) for v in net.biases]
    a, zs, acts = x[None, :].astype(np.float64), [], [x[None, :].astype(np.float64)]
    for i, (w, v) in enumerate(zip(W, b)):
        z = a @ w + v
        a = np.maximum(z, 0) if i < len(W) - 1 else np.exp(z - z.max()) / np.exp(z - z.max()).sum()
        zs.append(z)
        acts.append(a)
    p = acts[-1]
    y = np.eye(p.shape[1])[[label]]                             # the label one-hot, (1, m)
    eps = float(np.finfo(np.float64).eps)  # py_nn's EPS in the loss
    d_loss = (-y / (p + eps))[:, None, :]                       # (1, 1, m)
    jac = np.diag(p[0]) - np.outer(p[0], p[0])                  # (m, m): p_i (delta_ij - p_j)
    delta = d_loss[:, 0, :] @ jac                               # (1, m)
    return {"z": zs, "a": acts, "W": W, "loss": float(-np.log(p[0, label] + eps)), "d_loss": d_loss,
            "jacobian": jac[None], "delta": delta, "fused": p - y, "net": net}


def backward(ref, d):
    """[(dW, db)] per layer from the output's delta ``d`` (1, m) down: the seed's __backward."""
    grads = [None] * len(ref["W"])
    for i in range(len(ref["W"]) - 1, -1, -1):
        grads[i] = (ref["a"][i].T @ d, d.copy())
        if i:
            d = (d @ ref["W"][i].T) * (ref["z"][i - 1] > 0)
    return grads


def close(got, want, what, scale=None):
    scale = float(np.abs(want).max()) if scale is None else scale
    err = float(np.abs(np.asarray(got, dtype=np.float64) - want).max())
    assert err <= F32 * max(scale, 1e-30), f"{what}: largest difference {err:.3g} on a scale of {scale:.3g}"


def open_step(app):
    app.page.locator("#step > summary").click()
    for stage in STAGES:
        expect(app.page.get_by_test_id(stage)).to_be_visible(timeout=30_000)


def shown(app, testid):
    return [float(v) for v in app.page.get_by_test_id(testid).locator("td").evaluate_all(
        "tds => tds.map(td => td.dataset.value)")]


def test_the_stages_of_a_drawn_digit_equal_numpy_from_the_exported_model(app):
    app.draw("7")
    app.settled_probs()
    open_step(app)
    label = int(app.page.locator("#step-label").input_value())
    assert str(label) == app.prediction.inner_text().strip(), "the label defaults to the prediction"
    out = app.page.evaluate(STEP_JS, [label, WHOLE])
    x = np.asarray(out["pixels"], dtype=np.float32)
    ref = reference(out["doc"], x, label)
    assert out["from"] == "active" and out["optimizer"] == "Adam" and "m <- beta1 * m" in out["rule"]
    for i, layer in enumerate(out["layers"]):
        close(arr(layer["z"]), ref["z"][i], f"z of layer {i + 1}")
        close(arr(layer["a"]), ref["a"][i + 1], f"a of layer {i + 1}")
    assert abs(out["loss"] - ref["loss"]) <= F32 * max(1.0, ref["loss"])
    close(arr(out["dLoss"]), ref["d_loss"], "d_loss")
    close(arr(out["jacobian"]), ref["jacobian"], "the Jacobian", scale=1.0)
    close(arr(out["delta"]), ref["delta"], "delta = d_loss @ J", scale=1.0)
    close(arr(out["fusedDelta"]), ref["fused"], "the fused p - y", scale=1.0)
    assert out["maxDelta"] < 1e-6
    ref["grads"] = backward(ref, arr(out["fusedDelta"]))
    for i, (dW, db) in enumerate(ref["grads"]):
        close(arr(out["whole"][f"grads.{i}.dW"]), dW, f"dW of layer {i + 1}")
        close(arr(out["grads"][i]["db"]), db, f"db of layer {i + 1}")
    net = ref["net"]
    assert out["paramsLength"] == net.n_params == len(out["whole"]["params"]["values"])
    flat_grad = np.concatenate([g[0].ravel() for g in ref["grads"]] + [g[1].ravel() for g in ref["grads"]])
    old = arr(out["whole"]["params"])
    np.testing.assert_array_equal(old, net.params.astype(np.float64))   # the flat vector: every W, then every b
    close(arr(out["whole"]["gradient"]), flat_grad, "the flat gradient")
    # Adam's first step (the document has no optimizer state), on the page's own gradient
    cfg = json.loads(out["doc"])["optimizer"]["config"]
    g = arr(out["whole"]["gradient"])
    m, v = (1 - cfg["beta1"]) * g, (1 - cfg["beta2"]) * g ** 2
    new = old - cfg["lr"] * (m / (1 - cfg["beta1"])) / (np.sqrt(v / (1 - cfg["beta2"])) + cfg["eps"])
    close(arr(out["whole"]["update.newParams"]), new, "the new parameters", scale=1.0)
    # what the panel shows is that step
    page = app.page
    assert float(page.get_by_test_id("step-loss").get_attribute("data-value")) == out["loss"]
    np.testing.assert_array_equal(shown(app, "step-probabilities"), arr(out["layers"][-1]["a"])[0])
    np.testing.assert_array_equal(shown(app, "step-logits"), arr(out["layers"][-1]["z"])[0])
    np.testing.assert_array_equal(shown(app, "step-delta"), arr(out["delta"])[0])
    np.testing.assert_array_equal(shown(app, "step-probabilities-after"), arr(out["probabilitiesAfter"])[0])
    assert page.get_by_test_id("step-params-length").inner_text() == f"{net.n_params:,}"
    expect(page.get_by_test_id("step-tiles").locator("canvas")).to_have_count(32)
    for stage in STAGES[1:4]:
        expect(page.get_by_test_id(stage)).to_have_attribute("data-check", "ok")


def test_a_clicked_weight_shows_old_gradient_new_and_agrees_with_finite_differences(app):
    app.draw("0")
    app.settled_probs()
    open_step(app)
    # another label than the prediction: a real loss, so gradients far above the differences' noise
    wrong = (int(app.prediction.inner_text().strip()) + 1) % 10
    app.page.locator("#step-label").select_option(str(wrong))
    app.page.wait_for_function(  # the step for that label is on show: its loss is large
        "() => Number(document.querySelector('[data-testid=step-loss]')?.dataset.value) > 1", timeout=30_000)
    tile = app.page.get_by_test_id("step-tiles").locator("canvas").first
    expect(tile).to_be_visible(timeout=20_000)
    unit = int(re.search(r"Unit (\d+)", tile.get_attribute("aria-label")).group(1))
    box = tile.bounding_box()
    # the pixel in the middle of the left edge of the ring: ink under any reasonable 0
    tile.click(position={"x": box["width"] * 10.5 / 28, "y": box["height"] * 14.5 / 28})
    detail = app.page.get_by_test_id("step-weight")
    expect(detail.get_by_test_id("weight-rel-error")).to_be_visible(timeout=30_000)
    assert app.page.locator("#step-pick-j").input_value() == str(unit)
    i = int(app.page.locator("#step-pick-i").input_value())
    assert i == 14 * 28 + 10
    value = {k: float(detail.get_by_test_id(k).get_attribute("data-value"))
             for k in ("weight-old", "weight-gradient", "weight-new", "weight-backprop", "weight-numeric", "weight-rel-error")}
    assert value["weight-gradient"] != 0, "the unit with the largest |db| has a gradient where the 0 has ink"
    # ~1e-6: a central difference with h = 1e-5 is itself only that exact where the loss curves
    # (3e-6 seen here); a wrong gradient is off by far more (the Code panel test: > 1e-2)
    assert value["weight-rel-error"] < 1e-5, value
    assert abs(value["weight-backprop"] - value["weight-gradient"]) <= 1e-5 * abs(value["weight-backprop"])
    # Adam's first step moves a weight by about lr against its gradient
    assert value["weight-new"] - value["weight-old"] == pytest.approx(-0.001 * np.sign(value["weight-gradient"]), rel=1e-3)
    doc = app.page.evaluate("async () => (await window.pynn.exportModel({download: false})).text()")
    assert value["weight-old"] == float(network(doc).weights[0][i, unit])


PARAMS_JS = "async () => (await window.pynn.exportModel({download: false})).text()"


def test_apply_takes_exactly_the_shown_update_and_undo_restores_the_model(app):
    app.draw("1")
    app.settled_probs()
    before = network(app.page.evaluate(PARAMS_JS)).params.copy()
    open_step(app)
    apply = app.button("Apply this step")
    expect(apply).to_be_enabled(timeout=20_000)
    # the step, whole, from the API; the panel then refuses to apply the step it shows (the
    # worker's last step is the API's) and computes it again: the same drawing and label give
    # the same step (its loss shows it), and Apply takes the one on show
    label = int(app.page.locator("#step-label").input_value())
    api = app.page.evaluate("""async (label) => {
        const { toMnist } = await import(new URL('./page/draw.js', document.baseURI).href);
        const step = await window.pynn.explainStep(toMnist(document.querySelector('#pad')).pixels, label);
        return { id: step.step, loss: step.loss, newParams: Array.from(await window.pynn.explainArray(step.update.newParams.ref)) };
    }""", label)
    shown_new = api["newParams"]
    apply.click()   # another step came since the one on show: refused, nothing changes
    expect(app.page.get_by_test_id("step-applied")).to_contain_text("Another step was computed since", timeout=10_000)
    assert network(app.page.evaluate(PARAMS_JS)).params.tobytes() == before.tobytes()
    expect(app.page.get_by_test_id("step-status")).to_have_attribute("data-step", str(api["id"] + 1), timeout=20_000)
    assert float(app.page.get_by_test_id("step-loss").get_attribute("data-value")) == api["loss"]
    apply.click()
    expect(app.active_model).to_contain_text("Default model + 1 step by hand (unsaved)", timeout=20_000)
    after = network(app.page.evaluate(PARAMS_JS)).params
    assert after.dtype == np.float32
    np.testing.assert_array_equal(after, np.asarray(shown_new, dtype=np.float32))
    assert not np.array_equal(after, before)
    stored = app.storage()
    assert json.loads(stored["pynn.last"]) == {"kind": "unsaved"} and "pynn.unsaved" in stored
    undo = app.button("Undo")
    expect(undo).to_be_enabled(timeout=20_000)
    undo.click()
    expect(app.active_model).to_have_text("Default model", timeout=20_000)
    restored = network(app.page.evaluate(PARAMS_JS)).params
    assert restored.tobytes() == before.tobytes(), "Undo restores the parameters bit for bit"
    stored = app.storage()
    assert "pynn.unsaved" not in stored and json.loads(stored.get("pynn.last", '{"kind": "default"}')) == {"kind": "default"}
    expect(undo).to_be_disabled()


def test_a_wrong_derivative_in_the_code_panel_is_marked_at_the_backward_stage(app):
    editor = open_editor(app)
    type_code(app, editor, WRONG_RELU)
    app.page.wait_for_function(
        "src => (JSON.parse(localStorage.getItem('pynn.code')) || {}).source === src", arg=WRONG_RELU)
    app.draw("7")
    app.settled_probs()
    open_step(app)
    app.page.locator("#step-code").check()
    backward = app.page.get_by_test_id("stage-backward")
    expect(backward).to_have_attribute("data-check", "mismatch", timeout=30_000)
    expect(app.page.get_by_test_id("stage-loss")).to_have_attribute("data-check", "ok")
    expect(app.page.get_by_test_id("stage-jacobian")).to_have_attribute("data-check", "ok")
    expect(app.page.get_by_test_id("step-status")).to_contain_text("goes wrong at stage 4")
    expect(app.page.get_by_test_id("step-status")).to_contain_text("your code's components")
    expect(backward.locator('p[data-check="mismatch"]')).to_have_count(2)   # f'(z) of both hidden layers
    # the second layer's bias this example moves most: backprop through the wrong f'(z) disagrees
    # with finite differences there
    j = app.page.evaluate("""async () => {
        const { toMnist } = await import(new URL('./page/draw.js', document.baseURI).href);
        const code = JSON.parse(localStorage.getItem('pynn.code')).source;
        const label = Number(document.querySelector('#step-label').value);
        const db = (await window.pynn.explainStep(toMnist(document.querySelector('#pad')).pixels, label, { code })).grads[1].db;
        return db.reduce((best, v, k) => (Math.abs(v) > Math.abs(db[best]) ? k : best), 0);
    }""")
    app.page.locator("#step-pick-layer").select_option("1")
    app.page.locator("#step-pick-kind").select_option("b")
    app.page.locator("#step-pick-j").fill(str(j))
    app.button("Follow this weight").click()
    rel = app.page.get_by_test_id("weight-rel-error")
    expect(rel).to_have_attribute("data-check", "mismatch", timeout=30_000)
    assert float(rel.get_attribute("data-value")) > 1e-2


def test_a_held_out_digit_by_number_defaults_to_its_true_label(app, held_out):
    app.page.locator("#step > summary").click()
    expect(app.page.get_by_test_id("step-status")).to_contain_text("Draw a digit")   # nothing drawn yet
    app.page.get_by_label("Held-out digit number", exact=True).fill("5")
    app.page.get_by_label("Held-out digit no.", exact=True).check()
    expect(app.page.get_by_test_id("stage-after")).to_be_visible(timeout=30_000)
    images, labels = held_out
    assert app.page.locator("#step-label").input_value() == str(labels[5])
    expect(app.page.locator("#step-label-help")).to_contain_text(f"the true label is {labels[5]}")
    digit = app.page.get_by_role("img", name="The input x").evaluate(
        "c => Array.from(c.getContext('2d').getImageData(0, 0, 28, 28).data.filter((_, i) => i % 4 === 0))")
    np.testing.assert_array_equal(np.asarray(digit, dtype=np.uint8), images[5])
