"""Unary elementwise math: exp, log, sqrt, abs, activations, clamp and dtype casts."""
import numpy as np

from .. import kernels as K
from ..autograd import Function


class Exp(Function):
    @staticmethod
    def forward(ctx, a):
        out = np.exp(a)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, g):
        return g * ctx.saved_tensors[0]


class Log(Function):
    @staticmethod
    def forward(ctx, a):
        ctx.save_for_backward(a)
        return np.log(a)

    @staticmethod
    def backward(ctx, g):
        return g / ctx.saved_tensors[0]


class Sqrt(Function):
    @staticmethod
    def forward(ctx, a):
        out = np.sqrt(a)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, g):
        return g / (2 * ctx.saved_tensors[0])


class Abs(Function):
    @staticmethod
    def forward(ctx, a):
        ctx.save_for_backward(a)
        return np.abs(a)

    @staticmethod
    def backward(ctx, g):
        return g * np.sign(ctx.saved_tensors[0])   # abs'(0) = 0, as in PyTorch


def _kernel_ready(*arrays):
    """Float32/float64 C-contiguous arrays of one dtype and shape: the Numba kernels take them."""
    a = arrays[0]
    return (a.dtype in (np.float32, np.float64) and a.flags.c_contiguous and a.ndim > 0
            and all(b.dtype == a.dtype and b.shape == a.shape and b.flags.c_contiguous for b in arrays[1:]))


class ReLU(Function):
    @staticmethod
    def forward(ctx, a):
        out = K.relu_forward(a) if _kernel_ready(a) else np.maximum(a, 0)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, g):
        out = ctx.saved_tensors[0]
        if _kernel_ready(g, out):
            return K.relu_backward(g, out)
        return g * (out > 0)      # ReLU'(0) = 0, as in PyTorch


class Sigmoid(Function):
    @staticmethod
    def forward(ctx, a):
        # exp of a non-positive number only: no overflow warnings for large |a|
        e = np.exp(-np.abs(a))
        out = np.where(a >= 0, 1 / (1 + e), e / (1 + e)).astype(a.dtype, copy=False)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, g):
        s = ctx.saved_tensors[0]
        return g * s * (1 - s)


class Tanh(Function):
    @staticmethod
    def forward(ctx, a):
        out = np.tanh(a)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, g):
        t = ctx.saved_tensors[0]
        return g * (1 - t * t)


class Clamp(Function):
    """Gradient passes where lo <= x <= hi (inclusive, as in PyTorch)."""

    @staticmethod
    def forward(ctx, a, lo=None, hi=None):
        mask = np.ones(a.shape, dtype=bool)
        if lo is not None:
            mask &= a >= lo
        if hi is not None:
            mask &= a <= hi
        ctx.save_for_backward(mask)
        return np.clip(a, lo, hi).astype(a.dtype, copy=False)

    @staticmethod
    def backward(ctx, g):
        return g * ctx.saved_tensors[0]


class Cast(Function):
    @staticmethod
    def forward(ctx, a, dtype):
        ctx.src = a.dtype
        return a.astype(dtype)

    @staticmethod
    def backward(ctx, g):
        return g.astype(ctx.src)
