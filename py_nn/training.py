"""The training loop: batches, one optimizer step per batch, divergence checks, progress events.

The common classifier (ReLU, softmax + cross-entropy on labels, float32, built-in SGD)
takes ``fastpath`` under WebAssembly: one batch as a fixed list of calls, SGD momentum folded
into the gradient products. Otherwise, per batch the loop copies the batch into a reused buffer with one ``np.take`` per array (the
sample order is shuffled once per epoch), runs the engine's passes on the workspace for that
batch size, and steps. Built-in optimizers step in place (``update_into``) into the network's
spare parameter buffer, which becomes the live one only once it is checked finite, so a step
that overflows leaves the weights from before the batch. Any other optimizer is called as the
seed defines it: ``new_params = optimizer.update(old_params, gradient)``.
"""
import math

import numpy as np

from . import engine, fastpath
from .optimizers import fast_update

_MAX_WORKSPACES = 4  # batch sizes kept at once (a fit needs two: full and last batch)


class Inputs:
    """The training inputs x (n, layers[0]) as the caller gave them, converted to the model dtype
    one batch at a time: uint8 pixels stay uint8 (60,000 MNIST digits are 47 MB, not 188 MB as
    float32). ``scale``, if given, multiplies each converted batch in the model dtype (e.g. 1/255).
    Converting a batch gives the same numbers as converting all of x first."""

    def __init__(self, x, dtype, scale=None):
        self.x, self.dtype = x, dtype
        self.scale = None if scale is None else dtype.type(scale)
        self.rows = {}  # batch size -> a buffer of x's dtype (when x is not of the model dtype)

    def __len__(self):
        return len(self.x)

    def gather(self, idx, out):
        """The rows ``idx`` (rows,) of x into ``out`` (rows, layers[0]) of the model dtype."""
        if self.x.dtype == self.dtype:
            self.x.take(idx, axis=0, out=out, mode="clip")
            if self.scale is not None:
                np.multiply(out, self.scale, out=out)
            return out
        rows = self.rows.get(len(idx))
        if rows is None:
            if len(self.rows) >= _MAX_WORKSPACES:
                self.rows.clear()
            rows = self.rows[len(idx)] = np.empty((len(idx), self.x.shape[1]), self.x.dtype)
        self.x.take(idx, axis=0, out=rows, mode="clip")
        if self.scale is None:
            np.copyto(out, rows, casting="unsafe")
        else:  # the rows converted to the model dtype, then times the scale in it
            np.multiply(rows, self.scale, out=out, dtype=self.dtype, casting="unsafe")
        return out


class Buffers:
    """What one fit reuses between batches: the gradient and a workspace per batch size.

    ``grad`` is ``(flat (n_params,), weight views, bias views)``. Made when a fit starts and
    dropped when it ends, so a network keeps no batch-sized memory between fits.
    """

    def __init__(self, net):
        flat = np.empty(net.n_params, dtype=net.dtype)
        self.grad = (flat, *net._split(flat))
        self.layers, self.dtype = list(net.layers), net.dtype
        self.workspaces, self.batches = {}, {}

    def workspace(self, rows):
        ws = self.workspaces.get(rows)
        if ws is None:
            if len(self.workspaces) >= _MAX_WORKSPACES:
                self.workspaces.clear()
            ws = self.workspaces[rows] = engine.Workspace(self.layers, self.dtype, rows)
        return ws

    def batch(self, rows):
        """The fast path's buffers and plans for batches of ``rows`` (``fastpath.Batch``)."""
        batch = self.batches.get(rows)
        if batch is None:
            if len(self.batches) >= _MAX_WORKSPACES:
                self.batches.clear()
            batch = self.batches[rows] = fastpath.Batch(self.layers, rows)
        return batch


def step(net, grad, where, fast=None):
    """Update ``net``'s parameters from ``grad`` (n_params,); refuse a non-finite result.

    ``where`` is ``(epoch, batch)`` for the message. ``fast`` is the optimizer's
    ``update_into``; ``grad`` then holds the gradient times the optimizer's
    ``gradient_scale`` (see ``engine.backward``) and is used as scratch.
    """
    if fast is not None:
        new = fast(net.params, grad, net._spare_params(), scaled=True)
    else:
        new = np.asarray(net.optimizer.update(net.params, grad.copy()))
        if new.shape != net.params.shape:
            raise ValueError(f"optimizer.update returned shape {new.shape}; expected "
                             f"{net.params.shape} (a flat vector of all parameters).")
    if not math.isfinite(np.add.reduce(new)):  # new.sum(): one pass; NaN and inf propagate
        _diverged(where)
    if fast is not None:
        net._swap_params()
    elif new is not net.params:
        net._adopt(np.ascontiguousarray(new, dtype=net.dtype))


def _diverged(where):
    raise FloatingPointError(
        f"Training diverged at epoch {where[0]}, batch {where[1]}: the update made some "
        f"weights NaN or inf. The model keeps its weights from before this batch; lower "
        f"the learning rate.")


def _bad_loss(where, loss):
    raise FloatingPointError(
        f"Training diverged at epoch {where[0]}, batch {where[1]}: the loss is {loss}. The "
        f"model keeps its weights from before this batch; lower the learning rate.")


def train(net, x, y, labels, batch_size, epochs, shuffle, val):
    """The generator behind ``NeuralNetwork.fit_steps``; inputs are already checked.

    x an ``Inputs`` (n, layers[0]), y (n, layers[-1]) of the model dtype, labels (n,) or None,
    val ``(x_val, y_val, labels_val)`` or None.
    """
    buffers = Buffers(net)
    if labels is not None:
        labels = labels.astype(np.intp, copy=False)
    n = len(x)
    batches = math.ceil(n / batch_size)
    for epoch in range(1, epochs + 1):
        order = net.rng.permutation(n) if shuffle else np.arange(n)
        loss_sum, correct, seen = 0.0, 0, 0
        for batch in range(1, batches + 1):
            idx = order[(batch - 1) * batch_size: batch * batch_size]
            if fastpath.applies(net, labels):  # checked per batch: a callback may change net
                fast = buffers.batch(len(idx))
                batch_loss, hits = fast.forward(net, x, labels, idx)
                if not math.isfinite(batch_loss):
                    _bad_loss((epoch, batch), batch_loss)
                if not fast.step(net):
                    _diverged((epoch, batch))
                net._swap_params()
                loss_sum += batch_loss * len(idx)
                seen += len(idx)
                correct += hits
                yield {"event": "batch", "epoch": epoch, "epochs": epochs, "batch": batch,
                       "batches": batches, "loss": loss_sum / seen,
                       "accuracy": correct / seen, "samples": seen}
                continue
            ws = buffers.workspace(len(idx))
            # ndarray and ufunc methods rather than np.take / np.sum / np.argmax: the same
            # C code without NumPy's Python wrappers, which cost more than these small arrays
            xb = x.gather(idx, ws.x)
            yb = y.take(idx, axis=0, out=ws.y, mode="clip")
            lb = None if labels is None else labels.take(idx, out=ws.labels, mode="clip")
            io = engine.forward(net, xb, ws)
            p = io[-1][1]
            batch_loss = engine.mean_loss(net, p, yb, lb, ws)
            if not math.isfinite(batch_loss):
                _bad_loss((epoch, batch), batch_loss)
            fast = fast_update(net.optimizer)
            scale = net.optimizer.gradient_scale if fast is not None else 1.0
            grad = engine.backward(net, xb, io, yb, ws, buffers.grad, scale)
            step(net, grad, (epoch, batch), fast)
            loss_sum += batch_loss * len(idx)
            seen += len(idx)
            if lb is not None:
                p.argmax(axis=1, out=ws.pred)
                np.equal(ws.pred, lb, out=ws.hit)
                correct += int(np.add.reduce(ws.hit))
            yield {"event": "batch", "epoch": epoch, "epochs": epochs, "batch": batch,
                   "batches": batches, "loss": loss_sum / seen,
                   "accuracy": correct / seen if labels is not None else None,
                   "samples": seen}
        record = {"loss": loss_sum / seen,
                  "accuracy": correct / seen if labels is not None else None,
                  "val_loss": None, "val_accuracy": None}
        if val is not None:
            x_val, y_val, val_labels = val
            p_val = engine.predict(net, x_val)
            record["val_loss"] = engine.mean_loss(net, p_val, y_val)
            if val_labels is not None:
                record["val_accuracy"] = float(np.mean(p_val.argmax(axis=1) == val_labels))
        for key, value in record.items():
            net.history[key].append(value)
        yield {"event": "epoch", "epoch": epoch, "epochs": epochs, **record}
