"""Activations, dropout and the softmax family."""
import numpy as np

from .. import kernels as K
from ..autograd import Function
from ..rng import get_rng
from ..tensor import Tensor
from ._util import as_tensor


def relu(x):
    return as_tensor(x).relu()


class AddReLUFn(Function):
    @staticmethod
    def forward(ctx, a, b):
        out = K.add_relu_forward(a, b)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, g):
        gx = K.relu_backward(np.ascontiguousarray(g), ctx.saved_tensors[0])
        return gx, gx  # autograd never accumulates in place, so one array can serve both inputs


def add_relu(a, b):
    """relu(a + b) in one pass for same-shape float tensors (ResNet's residual join); otherwise it is
    exactly (a + b).relu()."""
    a, b = as_tensor(a), as_tensor(b)
    if (a.shape == b.shape and a.dtype == b.dtype and a.dtype in (np.float32, np.float64)
            and a.data.flags.c_contiguous and b.data.flags.c_contiguous):
        return AddReLUFn.apply(a, b)
    return (a + b).relu()


def sigmoid(x):
    return as_tensor(x).sigmoid()


def tanh(x):
    return as_tensor(x).tanh()


def dropout(x, p=0.5, training=True):
    """Inverted dropout: zero each element with probability p, scale survivors by 1/(1-p)."""
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"dropout probability must be in [0, 1], got {p}")
    x = as_tensor(x)
    if not training or p == 0.0:
        return x
    if p == 1.0:
        return x * 0.0
    keep = get_rng().random(x.shape, dtype=np.float32) >= p
    mask = keep.astype(x.dtype) * x.dtype.type(1.0 / (1.0 - p))
    return x * Tensor._wrap(mask)


class SoftmaxFn(Function):
    @staticmethod
    def forward(ctx, x, axis):
        e = np.exp(x - x.max(axis=axis, keepdims=True))
        out = e / e.sum(axis=axis, keepdims=True)
        ctx.save_for_backward(out)
        ctx.axis = axis
        return out

    @staticmethod
    def backward(ctx, g):
        (s,) = ctx.saved_tensors
        return s * (g - (g * s).sum(axis=ctx.axis, keepdims=True))


class LogSoftmaxFn(Function):
    @staticmethod
    def forward(ctx, x, axis):
        shifted = x - x.max(axis=axis, keepdims=True)
        out = shifted - np.log(np.exp(shifted).sum(axis=axis, keepdims=True))
        ctx.save_for_backward(out)
        ctx.axis = axis
        return out

    @staticmethod
    def backward(ctx, g):
        (out,) = ctx.saved_tensors
        return g - np.exp(out) * g.sum(axis=ctx.axis, keepdims=True)


class LogSumExpFn(Function):
    @staticmethod
    def forward(ctx, x, axis, keepdims):
        m = x.max(axis=axis, keepdims=True)
        lse = m + np.log(np.exp(x - m).sum(axis=axis, keepdims=True))
        ctx.save_for_backward(np.exp(x - lse))          # the softmax: d lse / dx
        ctx.axis, ctx.keepdims = axis, keepdims
        return lse if keepdims else np.squeeze(lse, axis=axis)

    @staticmethod
    def backward(ctx, g):
        (s,) = ctx.saved_tensors
        if not ctx.keepdims:
            g = np.expand_dims(g, ctx.axis if ctx.axis is not None else tuple(range(s.ndim)))
        return s * g


def softmax(x, axis=-1):
    return SoftmaxFn.apply(as_tensor(x), axis)


def log_softmax(x, axis=-1):
    return LogSoftmaxFn.apply(as_tensor(x), axis)


def logsumexp(x, axis=None, keepdims=False):
    return LogSumExpFn.apply(as_tensor(x), axis, keepdims)
