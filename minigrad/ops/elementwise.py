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


class Clone(Function):
    @staticmethod
    def forward(ctx, a):
        return a.copy()

    @staticmethod
    def backward(ctx, g):
        return g


class Overwrite(Function):
    """The result of an in-place op that replaced every value by a constant (fill_, zero_, copy_ from an
    array): the old values get a zero gradient."""

    @staticmethod
    def forward(ctx, a, value):
        return np.array(np.broadcast_to(value, a.shape), dtype=a.dtype)

    @staticmethod
    def backward(ctx, g):
        return np.zeros_like(g)          # zeros, not None: torch gives the old values a zero gradient


def _unary(name, fn, grad, doc, saves="x"):
    """A unary Function class: out = fn(x); d out/dx = grad(x, out) (None: a zero gradient)."""

    def forward(ctx, a):
        with np.errstate(divide="ignore", invalid="ignore"):
            out = np.asarray(fn(a))
        if grad is not None:
            ctx.save_for_backward(a, out)
        return out

    def backward(ctx, g):
        if grad is None:
            return np.zeros_like(g)
        a, out = ctx.saved_tensors
        with np.errstate(divide="ignore", invalid="ignore"):
            return g * grad(a, out)

    return type(name, (Function,), {"__doc__": doc, "forward": staticmethod(forward),
                                     "backward": staticmethod(backward)})


Sin = _unary("Sin", np.sin, lambda x, y: np.cos(x), "sin(x)")
Cos = _unary("Cos", np.cos, lambda x, y: -np.sin(x), "cos(x)")
Tan = _unary("Tan", np.tan, lambda x, y: 1 + y * y, "tan(x)")
Rsqrt = _unary("Rsqrt", lambda x: 1 / np.sqrt(x), lambda x, y: -0.5 * y * y * y, "1 / sqrt(x)")
Reciprocal = _unary("Reciprocal", lambda x: 1 / x, lambda x, y: -y * y, "1 / x")
Log2 = _unary("Log2", np.log2, lambda x, y: 1 / (x * np.log(x.dtype.type(2))), "log2(x)")
Log10 = _unary("Log10", np.log10, lambda x, y: 1 / (x * np.log(x.dtype.type(10))), "log10(x)")
Log1p = _unary("Log1p", np.log1p, lambda x, y: 1 / (1 + x), "log(1 + x)")
Expm1 = _unary("Expm1", np.expm1, lambda x, y: y + 1, "exp(x) - 1")
Asin = _unary("Asin", np.arcsin, lambda x, y: 1 / np.sqrt(1 - x * x), "arcsin(x)")
Acos = _unary("Acos", np.arccos, lambda x, y: -1 / np.sqrt(1 - x * x), "arccos(x)")
Atan = _unary("Atan", np.arctan, lambda x, y: 1 / (1 + x * x), "arctan(x)")
Sinh = _unary("Sinh", np.sinh, lambda x, y: np.cosh(x), "sinh(x)")
Cosh = _unary("Cosh", np.cosh, lambda x, y: np.sinh(x), "cosh(x)")
Asinh = _unary("Asinh", np.arcsinh, lambda x, y: 1 / np.sqrt(x * x + 1), "arcsinh(x)")
Acosh = _unary("Acosh", np.arccosh, lambda x, y: 1 / np.sqrt(x * x - 1), "arccosh(x)")
Atanh = _unary("Atanh", np.arctanh, lambda x, y: 1 / (1 - x * x), "arctanh(x)")
Exp2 = _unary("Exp2", np.exp2, lambda x, y: y * np.log(y.dtype.type(2)), "2 ** x")
Square = _unary("Square", np.square, lambda x, y: 2 * x, "x * x")
# piecewise constant: a zero gradient everywhere, as torch
Sign = _unary("Sign", np.sign, None, "sign(x)")
Floor = _unary("Floor", np.floor, None, "floor(x)")
Ceil = _unary("Ceil", np.ceil, None, "ceil(x)")
Trunc = _unary("Trunc", np.trunc, None, "trunc(x)")
Round = _unary("Round", np.round, None, "round half to even, as torch.round")
