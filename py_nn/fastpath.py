"""py_nn/fastpath.py: the training step of the common classifier as a fixed list of calls.

For ReLU hidden layers, softmax + categorical cross-entropy on integer labels, float32 and the
built-in :class:`~py_nn.optimizers.SGD` with classic momentum (the page's networks), one batch
is about 17 calls with no allocation, instead of about 60 NumPy calls:

    x_b = x[idx], labels_b = labels[idx]             gathered into buffers (np.take, out=)
    a_i = relu(a_{i-1} @ W_i + b_i)                  product, then one fused pass
    p = softmax(a_{L-1} @ W_L + b_L)                 product, fused bias + row max, exp, fused
    delta_L = -lr / n * (p - onehot(labels))         normalise + gradient + picked + accuracy
    v_W_i = momentum * v_W_i + a_{i-1}.T @ delta_i   SGD momentum folded into the gradient
    v_b_i = momentum * v_b_i + sum_rows(delta_i)     product (gemm's beta): no pass over v
    delta_{i-1} = (delta_i @ W_i.T) * (a_{i-1} > 0)  product, then one fused pass
    params' = params + v, checked finite             one pass into the spare buffer

This is the same arithmetic as the general path (``engine`` + ``SGD.update_into``) in another
order, so the results agree within float32 rounding (tests/unit/test_fastpath.py). Under
WebAssembly with the ``simd`` kernel the products and the fused passes are the side module's
(``py_nn/_simd/sgemm.c`` and ``ops.c``), called with array addresses cached once per buffer
(the plan keeps every such array alive); elsewhere each step of the plan is NumPy.

``MODE``: ``"auto"`` (use it when the ``simd`` kernel is active), ``True`` (whenever the model
qualifies, e.g. to test it on CPython) or ``False`` (never).
"""
import ctypes
import functools

import numpy as np

from . import activations, kernels, losses
from .optimizers import SGD

MODE = "auto"
_F32 = np.dtype(np.float32)
_NN, _TN, _NT = 0, 1, 2                        # pynn_sgemm's trans codes
_OPS = ("pynn_bias_relu", "pynn_bias_rowmax", "pynn_softmax_xent", "pynn_relu_mask",
        "pynn_colsum", "pynn_add_finite")


def applies(net, labels):
    """True when ``net`` trained on integer ``labels`` (or None) can take the fast path."""
    if MODE is False or labels is None or (MODE == "auto" and kernels.active != "simd"):
        return False
    opt = net.optimizer
    return (net.dtype == _F32 and type(opt) is SGD and not opt.nesterov
            and tuple(net.hidden_activation) == (activations.relu, activations.d_relu)
            and net.output_activation[0] is activations.softmax
            and net.loss[0] is losses.categorical_crossentropy)


class _NumPyOps:
    """Each step of a plan as a NumPy call on the arrays (no cached addresses)."""

    def gemm(self, trans, a, b, c, alpha, beta):
        product = (kernels.mm, kernels.mm_tn, kernels.mm_nt)[trans]
        if beta == 0.0 and alpha == 1.0:
            return functools.partial(product, a, b, out=c)
        scratch = np.empty_like(c)              # made once per plan, not per batch

        def run():
            product(a, b, out=scratch)
            np.multiply(c, beta, out=c)
            if alpha != 1.0:
                np.multiply(scratch, alpha, out=scratch)
            np.add(c, scratch, out=c)
        return run

    @staticmethod
    def bias_relu(z, b):
        def run():
            np.add(z, b, out=z)
            np.maximum(z, 0, out=z)
        return run

    @staticmethod
    def bias_rowmax(z, b, row):
        def run():
            np.add(z, b, out=z)
            np.maximum.reduce(z, axis=1, keepdims=True, out=row)
            np.subtract(z, row, out=z)
        return run

    @staticmethod
    def softmax_xent(p, labels, scale, delta, picked, row, flat, offsets, pred, hit):
        def run():
            np.add.reduce(p, axis=1, keepdims=True, out=row)
            np.divide(p, row, out=p)
            np.add(offsets, labels, out=flat)
            np.multiply(p, scale, out=delta)
            delta.reshape(-1)[flat] -= scale        # scale * (p - onehot)
            p.reshape(-1).take(flat, out=picked, mode="clip")
            np.add(picked, losses.EPS, out=picked)
            p.argmax(axis=1, out=pred)
            np.equal(pred, labels, out=hit)
            return int(np.add.reduce(hit))
        return run

    @staticmethod
    def relu_mask(d, a, mask):
        def run():
            np.greater(a, 0, out=mask)
            np.multiply(d, mask, out=d)
        return run

    @staticmethod
    def colsum(d, v, alpha, beta, row):
        def run():
            np.add.reduce(d, axis=0, keepdims=True, out=row)
            np.multiply(v, beta, out=v)
            np.add(v, row if alpha == 1.0 else alpha * row, out=v)
        return run

    @staticmethod
    def add_finite(p, v, out):
        def run():
            np.add(p, v, out=out)
            return np.isfinite(np.add.reduce(out))  # NaN and inf propagate into the sum
        return run


class _SimdOps:
    """Each step of a plan as one call into the side module with the arrays' addresses."""

    def __init__(self, lib):
        self.lib, self.fn = lib, {name: getattr(lib.lib, name) for name in _OPS}
        self.keep = []                          # every array whose address a call holds

    def addr(self, x):
        address = self.lib.writable_address(x)
        if address is None:
            raise ValueError("fastpath: an internal buffer is not C-contiguous")
        self.keep.append(x)
        return address

    def gemm(self, trans, a, b, c, alpha, beta):
        (ra, ca), (rb, cb) = a.shape, b.shape
        m, k = (ca, ra) if trans == _TN else (ra, ca)
        n = cb if trans != _NT else rb
        return functools.partial(self.lib.fn, trans, m, n, k, ctypes.c_float(alpha),
                                 self.addr(a), ca, self.addr(b), cb, ctypes.c_float(beta),
                                 self.addr(c), c.shape[1], self.lib.work_addr)

    def bias_relu(self, z, b):
        return functools.partial(self.fn["pynn_bias_relu"], self.addr(z), self.addr(b), *z.shape)

    def bias_rowmax(self, z, b, row):
        return functools.partial(self.fn["pynn_bias_rowmax"], self.addr(z), self.addr(b),
                                 *z.shape)

    def softmax_xent(self, p, labels, scale, delta, picked, row, flat, offsets, pred, hit):
        return functools.partial(self.fn["pynn_softmax_xent"], self.addr(p), self.addr(labels),
                                 *p.shape, ctypes.c_float(scale), ctypes.c_float(losses.EPS),
                                 self.addr(delta), self.addr(picked))

    def relu_mask(self, d, a, mask):
        return functools.partial(self.fn["pynn_relu_mask"], self.addr(d), self.addr(a), d.size)

    def colsum(self, d, v, alpha, beta, row):
        return functools.partial(self.fn["pynn_colsum"], self.addr(d), *d.shape,
                                 ctypes.c_float(alpha), ctypes.c_float(beta), self.addr(v))

    def add_finite(self, p, v, out):
        return functools.partial(self.fn["pynn_add_finite"], self.addr(p), self.addr(v),
                                 self.addr(out), p.size)


def _ops():
    """The side module's steps when the simd kernel is active and ships ops.c, else NumPy's."""
    lib = kernels.simd_library()
    if (lib is not None and all(hasattr(lib.lib, name) for name in _OPS)
            and np.dtype(np.intp).itemsize == 4):   # ops.c reads labels as 32-bit int
        return _SimdOps(lib)
    return _NumPyOps()


class Plan:
    """The calls of one batch for one set of arrays: the live parameters (n_params,), the
    spare buffer the step writes into, the optimizer's velocity (n_params,)."""

    def __init__(self, net, batch, params, spare, velocity):
        ops = _ops()
        self.arrays = (params, spare, velocity, batch)   # alive while the plan is
        self.params, self.spare, self.velocity = params, spare, velocity
        weights, biases = net._split(params)
        v_weights, v_biases = net._split(velocity)
        opt, b, last = net.optimizer, batch, len(weights) - 1
        rows = b.rows
        self.forward = []
        for i, (w, bias) in enumerate(zip(weights, biases)):
            a_prev = b.x if i == 0 else b.a[i - 1]
            self.forward.append(ops.gemm(_NN, a_prev, w, b.a[i], 1.0, 0.0))
            self.forward.append(ops.bias_relu(b.a[i], bias) if i < last
                                else ops.bias_rowmax(b.a[i], bias, b.row))
        self.exp_of = b.a[last]
        scale = float(np.float32(-opt.lr / rows))  # delta_L = -lr/n (p - onehot)
        self.xent = ops.softmax_xent(b.a[last], b.labels, scale, b.delta[last], b.picked,
                                     b.row, b.flat, b.offsets, b.pred, b.hit)
        self.backward = []
        for i in range(last, -1, -1):
            a_prev = b.x if i == 0 else b.a[i - 1]
            self.backward.append(ops.gemm(_TN, a_prev, b.delta[i], v_weights[i], 1.0,
                                          opt.momentum))
            self.backward.append(ops.colsum(b.delta[i], v_biases[i], 1.0, opt.momentum,
                                            b.bias_row[i]))
            if i > 0:
                self.backward.append(ops.gemm(_NT, b.delta[i], weights[i], b.delta[i - 1],
                                              1.0, 0.0))
                self.backward.append(ops.relu_mask(b.delta[i - 1], b.a[i - 1], b.mask[i - 1]))
        self.add_finite = ops.add_finite(params, velocity, spare)
        self.keep = getattr(ops, "keep", None)


class Batch:
    """Reused buffers for batches of ``rows`` samples: ``x`` (rows, layers[0]), ``labels``,
    ``pred``, ``flat``, ``offsets`` (rows,) intp, ``picked`` (rows,), ``hit`` (rows,) bool,
    ``row`` (rows, 1); per layer i ``a[i]``, ``delta[i]``, ``mask[i]`` (rows, layers[i+1])
    and ``bias_row[i]`` (1, layers[i+1]). Holds up to two plans (the parameter buffers
    alternate between steps)."""

    def __init__(self, layers, rows):
        outs = layers[1:]
        self.rows = rows
        self.x = np.empty((rows, layers[0]), _F32)
        self.labels, self.pred, self.flat = (np.empty(rows, np.intp) for _ in range(3))
        self.offsets = np.arange(0, rows * layers[-1], layers[-1], dtype=np.intp)
        self.picked, self.hit = np.empty(rows, _F32), np.empty(rows, bool)
        self.row = np.empty((rows, 1), _F32)
        self.a = [np.empty((rows, m), _F32) for m in outs]
        self.delta = [np.empty((rows, m), _F32) for m in outs]
        self.mask = [np.empty((rows, m), bool) for m in outs]
        self.bias_row = [np.empty((1, m), _F32) for m in outs]
        self.plans = {}

    def plan(self, net):
        """The plan for the network's current parameter, spare and velocity buffers."""
        params = net.params
        spare = net._spare_params()
        velocity = net.optimizer.prepare(params)["velocity"]
        plan = self.plans.get(id(params))
        if plan is None or not (plan.params is params and plan.spare is spare
                                and plan.velocity is velocity):
            if len(self.plans) >= 2:
                self.plans.clear()
            plan = self.plans[id(params)] = Plan(net, self, params, spare, velocity)
        return plan

    def forward(self, net, x, labels, idx):
        """Gather the batch ``idx`` of x (``training.Inputs``, n rows) and labels (n,) intp, run the
        forward pass and the output gradient; returns (mean loss as a Python float, correct count)."""
        x.gather(idx, self.x)
        labels.take(idx, out=self.labels, mode="clip")
        self._plan = plan = self.plan(net)
        for call in plan.forward:
            call()
        np.exp(plan.exp_of, out=plan.exp_of)
        correct = plan.xent()
        picked = self.picked                    # -log(p[k, labels[k]] + EPS), shape (rows,)
        np.log(picked, out=picked)
        return float(picked.dtype.type(-float(np.add.reduce(picked)) / self.rows)), correct

    def step(self, net):
        """After ``forward``: the momentum step into the velocity and the spare parameter
        buffer; True when every new parameter is finite (then swap it in), else False."""
        net.optimizer.iterations += 1
        plan = self._plan
        for call in plan.backward:
            call()
        return bool(plan.add_finite())
