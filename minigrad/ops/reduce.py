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
    """max (min with `lower=True`). Over one axis with `first=True` the gradient goes to the first extreme
    (torch.max(dim) with its indices); otherwise it is shared evenly among tied extremes (torch.max(), amax)."""

    @staticmethod
    def forward(ctx, a, axis=None, keepdims=False, lower=False, first=None):
        if a.size == 0:
            raise RuntimeError(f"{'min' if lower else 'max'}(): cannot reduce an empty tensor of shape "
                               f"{list(a.shape)} (no identity)")
        axes = _norm_axes(axis, a.ndim)
        out = np.asarray(a.min(axis=axes, keepdims=True) if lower else a.max(axis=axes, keepdims=True))
        ctx.shape, ctx.axes, ctx.keepdims = a.shape, axes, keepdims
        first = isinstance(axis, int) if first is None else first
        if first and a.ndim:
            ctx.index = (np.argmin if lower else np.argmax)(a, axis=axes[0])
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


class Prod(Function):
    """Product over one axis or all; the gradient is the product of the other elements (exact with zeros,
    from exclusive cumulative products)."""

    @staticmethod
    def forward(ctx, a, axis=None, keepdims=False):
        ctx.shape, ctx.axis, ctx.keepdims = a.shape, axis, keepdims
        ctx.save_for_backward(a)
        return np.asarray(np.prod(a, axis=axis, keepdims=keepdims))

    @staticmethod
    def backward(ctx, g):
        (a,) = ctx.saved_tensors
        axis = ctx.axis
        x = a.reshape(-1) if axis is None else np.moveaxis(a, axis, -1)
        ones = np.ones(x.shape[:-1] + (1,), dtype=x.dtype)
        left = np.cumprod(np.concatenate([ones, x[..., :-1]], axis=-1), axis=-1)
        right = np.cumprod(np.concatenate([ones, x[..., :0:-1]], axis=-1), axis=-1)[..., ::-1]
        others = left * right
        if axis is None:
            return (others * g.reshape(())).reshape(ctx.shape)
        if not ctx.keepdims:
            g = np.expand_dims(g, axis)
        return np.moveaxis(others, -1, axis) * g


class CumSum(Function):
    @staticmethod
    def forward(ctx, a, axis):
        ctx.axis = axis
        return np.cumsum(a, axis=axis)

    @staticmethod
    def backward(ctx, g):
        return np.flip(np.cumsum(np.flip(g, ctx.axis), axis=ctx.axis), ctx.axis)


class StdFromVar(Function):
    """sqrt of a variance; where the deviation is 0 its gradient is 0 (torch's std), not sqrt's infinity."""

    @staticmethod
    def forward(ctx, var):
        out = np.sqrt(var)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, g):
        (out,) = ctx.saved_tensors
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(out == 0, 0, g / (2 * out)).astype(g.dtype, copy=False)
