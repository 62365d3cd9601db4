"""The window.pynn bridge: clear rejections, list, evaluate, predict on held-out digits."""

import re


def rejection(page, expression: str) -> str:
    """Run an async expression; return the rejection message ('' if it resolved)."""
    return page.evaluate(
        f"""async () => {{ try {{ await ({expression}); return ''; }}
                         catch (e) {{ return (e instanceof Error ? 'Error:' : 'NOT-AN-ERROR:') + (e && e.message || String(e)); }} }}""")


def test_predict_with_wrong_length_rejects_mentioning_784(ready_page):
    msg = rejection(ready_page, "window.pynn.predict(new Float32Array(10))")
    assert msg.startswith("Error:"), f"predict(Float32Array(10)) did not reject with an Error: {msg!r}"
    assert "784" in msg, msg


def test_fit_with_zero_epochs_rejects_clearly(ready_page):
    msg = rejection(ready_page, "window.pynn.fit({epochs: 0})")
    assert msg.startswith("Error:"), f"fit({{epochs: 0}}) did not reject with an Error: {msg!r}"
    assert re.search(r"epoch", msg, re.I), msg
    # nothing broke: a real prediction still works
    out = ready_page.evaluate("async () => await window.pynn.predict(new Float32Array(784))")
    assert abs(sum(out["probabilities"]) - 1) < 1e-4 and out["label"] in range(10), out


def _names(listed):
    """pynn.list() entries: names, or objects carrying a `name`."""
    assert isinstance(listed, list), listed
    return [e if isinstance(e, str) else e["name"] for e in listed]


def test_list_returns_saved_names(ready_page):
    assert _names(ready_page.evaluate("async () => await window.pynn.list()")) == []
    ready_page.evaluate("async () => { await window.pynn.save('api-model'); await window.pynn.save('b-model'); }")
    names = _names(ready_page.evaluate("async () => await window.pynn.list()"))
    assert sorted(names) == ["api-model", "b-model"], names
    ready_page.evaluate("async () => await window.pynn.remove('b-model')")
    assert _names(ready_page.evaluate("async () => await window.pynn.list()")) == ["api-model"]


def test_evaluate_default_model_is_at_least_96_percent(ready_page):
    result = ready_page.evaluate("async () => await window.pynn.evaluate()")
    assert result["accuracy"] >= 0.96, result
    assert 0 < result["loss"] < 0.5, result


def test_predict_recognises_held_out_digits(ready_page, held_out):
    images, labels = held_out
    picks = list(range(0, 2000, 100))  # 20 held-out digits
    batch = [[int(v) for v in images[i]] for i in picks]
    results = ready_page.evaluate(
        """async (batch) => { const out = [];
               for (const img of batch) out.push(await window.pynn.predict(Float32Array.from(img, v => v / 255)));
               return out; }""", batch)
    for r in results:
        assert len(r["probabilities"]) == 10 and abs(sum(r["probabilities"]) - 1) < 1e-4, r
        assert r["label"] == max(range(10), key=lambda d: r["probabilities"][d]), r
    correct = sum(r["label"] == int(labels[i]) for r, i in zip(results, picks))
    assert correct >= 18, f"{correct}/20 held-out digits recognised"
