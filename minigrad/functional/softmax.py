"""The softmax family over one dimension: softmax, softmin, log_softmax, logsumexp."""
import warnings

import numpy as np

from ..autograd import Function
from ._util import as_tensor, resolve_dim


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
        m = np.where(np.isfinite(m), m, 0)               # all -inf (or +inf) rows: no inf - inf
        with np.errstate(divide="ignore", invalid="ignore"):
            lse = m + np.log(np.exp(x - m).sum(axis=axis, keepdims=True))
            ctx.save_for_backward(np.exp(x - lse))      # the softmax: d lse / dx
        ctx.axis, ctx.keepdims = axis, keepdims
        return lse if keepdims else np.squeeze(lse, axis=axis)

    @staticmethod
    def backward(ctx, g):
        (s,) = ctx.saved_tensors
        if not ctx.keepdims:
            g = np.expand_dims(g, ctx.axis if ctx.axis is not None else tuple(range(s.ndim)))
        return s * g


def _softmax_input(name, x, dim, axis, dtype):
    """The input (cast to dtype if given) and the one dim to normalise over (torch's rule when dim is None)."""
    x = as_tensor(x)
    if dtype is not None:
        x = x.astype(dtype)
    if not np.issubdtype(x.dtype, np.floating):
        raise TypeError(f"{name}: expected a floating point input (or dtype=), got {x.dtype}")
    dim = resolve_dim(dim, axis)
    if dim is None:
        warnings.warn(f"Implicit dimension choice for {name} has been deprecated. Change the call to include "
                      f"dim=X as an argument.", stacklevel=3)
        dim = 0 if x.ndim in (0, 1, 3) else 1
    if x.ndim == 0:
        if dim not in (0, -1):
            raise IndexError(f"{name}: dimension out of range (expected to be in range of [-1, 0], but got {dim})")
        return x, None
    if not -x.ndim <= dim < x.ndim:
        raise IndexError(f"{name}: dimension out of range (expected to be in range of [{-x.ndim}, "
                         f"{x.ndim - 1}], but got {dim})")
    return x, dim


def softmax(input, dim=None, _stacklevel=3, dtype=None, *, axis=None):
    x, dim = _softmax_input("softmax", input, dim, axis, dtype)
    return SoftmaxFn.apply(x, dim)


def softmin(input, dim=None, _stacklevel=3, dtype=None, *, axis=None):
    x, dim = _softmax_input("softmin", input, dim, axis, dtype)
    return SoftmaxFn.apply(-x, dim)


def log_softmax(input, dim=None, _stacklevel=3, dtype=None, *, axis=None):
    x, dim = _softmax_input("log_softmax", input, dim, axis, dtype)
    return LogSoftmaxFn.apply(x, dim)


def logsumexp(input, dim=None, keepdim=False, *, axis=None, keepdims=None):
    """torch.logsumexp; dim may be an int or a tuple (None reduces everything)."""
    x = as_tensor(input)
    dim = resolve_dim(dim, axis)
    keepdim = keepdim if keepdims is None else keepdims
    if isinstance(dim, list):
        dim = tuple(dim)
    return LogSumExpFn.apply(x, dim, bool(keepdim))
