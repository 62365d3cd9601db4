"""Real people's handwriting through the Draw pad's preprocessing: 300 of MNIST's official test
digits (written by people the training set never saw), each scaled up to the pad's size as a
person's drawing would be (anti-aliased ink on the pad's canvas), then prepared by the page's own
toMnist (bounding box into 20x20, centred by centre of mass in 28x28) and read by the default model
through window.pynn. The pad's preprocessing must not cost the model its accuracy."""
from __future__ import annotations

import json

COUNT = 300


def test_the_default_model_reads_real_handwriting_through_the_pads_preprocessing(app, held_out):
    images, labels = held_out
    digits = [images[i].tolist() for i in range(COUNT)]
    out = app.page.evaluate("""async (digits) => {
        const { toMnist } = await import(new URL('./page/draw.js', document.baseURI).href);
        const pad = document.querySelector('#pad');
        const big = document.createElement('canvas');
        big.width = pad.width; big.height = pad.height;
        const small = document.createElement('canvas');
        small.width = 28; small.height = 28;
        const preds = [], raw = [];
        for (const d of digits) {
            const img = new ImageData(28, 28);
            for (let i = 0; i < 784; i++) { img.data[i * 4 + 3] = d[i]; }   // ink as alpha, like the pad
            small.getContext('2d').putImageData(img, 0, 0);
            const ctx = big.getContext('2d', { willReadFrequently: true });
            ctx.clearRect(0, 0, big.width, big.height);
            ctx.imageSmoothingEnabled = true;
            ctx.drawImage(small, 0, 0, big.width, big.height);           // a person's size of drawing
            const { pixels } = toMnist(big, 28);
            preds.push((await window.pynn.predict(pixels)).label);
            raw.push((await window.pynn.predict(new Float32Array(d.map((v) => v / 255)))).label);
        }
        return { preds, raw };
    }""", digits)
    truth = [int(v) for v in labels[:COUNT]]
    pad = sum(p == t for p, t in zip(out["preds"], truth)) / COUNT
    pixels = sum(p == t for p, t in zip(out["raw"], truth)) / COUNT
    print(json.dumps({"pad": pad, "pixels": pixels, "count": COUNT}))
    assert pixels >= 0.97, f"the default model reads {pixels:.1%} of these test digits' own pixels"
    assert pad >= 0.97, f"through the pad's preprocessing it reads only {pad:.1%} (own pixels: {pixels:.1%})"
    assert pad >= pixels - 0.02, f"the pad's preprocessing costs {pixels - pad:.1%} ({pad:.1%} vs {pixels:.1%})"
