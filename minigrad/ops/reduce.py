"""Reductions over axes: sum, mean, max."""
import numpy as np

from ..autograd import Function


def _norm_axes(axis, ndim):
    if axis is None:
        return tuple(range(ndim))
    if isinstance(axis, int):
        axis = (axis,)
    return tuple(sorted(a % ndim for a in axis))


def _expand_reduced(g, shape, axes, keepdims):
    """Give a reduced gradient back its reduced axes (size 1) so it broadcasts against the input."""
    if not keepdims:
        g = np.expand_dims(g, axes) if axes else g
    return np.broadcast_to(g, shape)


class Sum(Function):
    @staticmethod
    def forward(ctx, a, axis=None, keepdims=False):
        ctx.shape, ctx.axes, ctx.keepdims = a.shape, _norm_axes(axis, a.ndim), keepdims
        return np.asarray(a.sum(axis=ctx.axes, keepdims=keepdims))

    @staticmethod
    def backward(ctx, g):
        return _expand_reduced(g, ctx.shape, ctx.axes, ctx.keepdims)


class Mean(Function):
    @staticmethod
    def forward(ctx, a, axis=None, keepdims=False):
        ctx.shape, ctx.axes, ctx.keepdims = a.shape, _norm_axes(axis, a.ndim), keepdims
        ctx.count = int(np.prod([a.shape[i] for i in ctx.axes])) if ctx.axes else 1
        return np.asarray(a.mean(axis=ctx.axes, keepdims=keepdims))

    @staticmethod
    def backward(ctx, g):
        return _expand_reduced(g / g.dtype.type(ctx.count), ctx.shape, ctx.axes, ctx.keepdims)


class Max(Function):
    """Over one axis the gradient goes to the first maximum (torch.max(dim)); over several axes or all
    of them it is shared evenly among tied maxima (torch.max() / amax)."""

    @staticmethod
    def forward(ctx, a, axis=None, keepdims=False):
        axes = _norm_axes(axis, a.ndim)
        out = np.asarray(a.max(axis=axes, keepdims=True))
        ctx.shape, ctx.axes, ctx.keepdims = a.shape, axes, keepdims
        if isinstance(axis, int):
            ctx.index = np.argmax(a, axis=axis)
            ctx.mode = "first"
        else:
            mask = a == out
            ctx.save_for_backward(mask / mask.sum(axis=axes, keepdims=True).astype(a.dtype))
            ctx.mode = "even"
        return out if keepdims else np.squeeze(out, axis=axes)

    @staticmethod
    def backward(ctx, g):
        if not ctx.keepdims:
            g = np.expand_dims(g, ctx.axes)
        if ctx.mode == "first":
            axis = ctx.axes[0]
            out = np.zeros(ctx.shape, dtype=g.dtype)
            np.put_along_axis(out, np.expand_dims(ctx.index, axis), g, axis=axis)
            return out
        return ctx.saved_tensors[0].astype(g.dtype, copy=False) * g
