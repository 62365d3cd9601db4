"""pools.py: a data set's samples as the worker holds them: uint8 pixels (a quarter of float32's
bytes: all 60,000 MNIST training digits are 47 MB, not 188), converted to float32 only for the
rows a request uses (a plain fit converts one batch at a time: ``Pool.train_pixels`` and
``SCALE``). A built-in data set arrives shard by shard (the training split in a seeded random
order, so its first n samples are a fair sample), a person's own data set whole.
"""
import numpy as np

SPLITS = ("train", "test")
SCALE = 1.0 / 255.0  # pixel byte -> 0..1 ink, multiplied in float32: float32(b) * float32(SCALE)


class Pool:
    """The samples of one data set that are in the worker so far.

    Parameters
    ----------
    dataset_id : str, e.g. "mnist"
    classes : list of str, the class names (label k is ``classes[k]``)
    inputs : int, pixels per sample (side * side)
    """

    def __init__(self, dataset_id, classes, inputs):
        self.id, self.classes, self.inputs = dataset_id, list(classes), int(inputs)
        self._images = {s: np.zeros((0, self.inputs), dtype=np.uint8) for s in SPLITS}
        self._labels = {s: np.zeros(0, dtype=np.uint8) for s in SPLITS}
        self._test = None  # (x float32 (n, inputs), y int64 (n,)) of the test split, made once

    def count(self, split):
        """How many samples of ``split`` are loaded."""
        return int(len(self._labels[split]))

    def counts(self):
        return {s: self.count(s) for s in SPLITS}

    def add(self, split, images, labels, where="the data"):
        """Append samples to ``split``: ``images`` uint8 (n * inputs,) 0 = background .. 255 =
        ink, ``labels`` uint8 (n,) class indexes. Checked first; nothing changes on an error."""
        images = np.frombuffer(images, dtype=np.uint8)
        labels = np.frombuffer(labels, dtype=np.uint8)
        if images.size != labels.size * self.inputs:
            raise ValueError(f"{where} is inconsistent: {images.size:,} pixel bytes for "
                             f"{labels.size:,} labels (expected {self.inputs} per label)")
        if labels.size and int(labels.max()) >= len(self.classes):
            raise ValueError(f"{where} has the label {int(labels.max())}, but {self.id} has "
                             f"{len(self.classes)} classes (labels 0-{len(self.classes) - 1})")
        self._images[split] = np.concatenate([self._images[split],
                                              images.reshape(-1, self.inputs)])
        self._labels[split] = np.concatenate([self._labels[split], labels])
        if split == "test":
            self._test = None
        return self.count(split)

    def require(self, split, n):
        """ValueError unless at least ``n`` samples of ``split`` are loaded."""
        if self.count(split) < n:
            raise ValueError(f"{self.id}: {n:,} {split} samples needed, {self.count(split):,} "
                             f"loaded")

    def train(self, n):
        """The first ``n`` training samples: (x float32 (n, inputs) in 0..1, y int64 (n,))."""
        x, y = self.train_pixels(n)
        return floats(x), y

    def train_pixels(self, n):
        """The first ``n`` training samples as kept: (x uint8 (n, inputs), a view, y int64 (n,))."""
        self.require("train", n)
        return self._images["train"][:n], self._labels["train"][:n].astype(np.int64)

    def test(self):
        """The whole test split (x float32 (n, inputs) in 0..1, y int64 (n,)), kept once made."""
        if self._test is None:
            if not self.count("test"):
                raise ValueError(f"{self.id}: the test split is not loaded")
            self._test = (floats(self._images["test"]), self._labels["test"].astype(np.int64))
        return self._test


def floats(images):
    """uint8 pixels (n, inputs) as float32 in 0..1: float32(b) * float32(SCALE)."""
    x = images.astype(np.float32)
    x *= np.float32(SCALE)
    return x
