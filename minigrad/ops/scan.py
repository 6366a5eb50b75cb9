"""Scans and orderings along one dim: cumprod, and the indices of cummax/cummin and sort (their values are
gathered from the input with ops.Gather, which carries the gradient)."""
import numpy as np

from ..autograd import Function


class CumProd(Function):
    """Cumulative product. d out_j / d x_i = prod_{k <= j, k != i} x_k, computed with x_i set to 1 for each i
    along the dim (exact when x holds zeros, which the out / x shortcut is not)."""

    @staticmethod
    def forward(ctx, a, axis):
        ctx.axis = axis
        ctx.save_for_backward(a)
        return np.cumprod(a, axis=axis)

    @staticmethod
    def backward(ctx, g):
        (a,) = ctx.saved_tensors
        x, gm = np.moveaxis(a, ctx.axis, -1), np.moveaxis(g, ctx.axis, -1)
        grad = np.empty_like(x)
        for i in range(x.shape[-1]):           # a loop over the scanned dim only (never pixels or samples)
            others = x[..., i:].copy()
            others[..., 0] = 1
            prefix = np.prod(x[..., :i], axis=-1, keepdims=True)
            grad[..., i] = np.sum(gm[..., i:] * prefix * np.cumprod(others, axis=-1), axis=-1)
        return np.moveaxis(grad, -1, ctx.axis)


def running_arg_extreme(a, axis, lower):
    """Indices of torch.cummax / cummin: the last position of the running extreme (ties move forward)."""
    x = np.moveaxis(a, axis, -1)
    acc = (np.minimum if lower else np.maximum).accumulate(x, axis=-1)
    pos = np.where(x == acc, np.arange(x.shape[-1]), -1)
    if np.issubdtype(x.dtype, np.floating):     # a nan becomes the running extreme from where it appears
        pos = np.where(np.isnan(acc) & ~np.isnan(x), -1, pos)
    return np.moveaxis(np.maximum.accumulate(pos, axis=-1), -1, axis).astype(np.int64)


def sort_indices(a, axis, descending):
    """Stable ordering along axis (ties keep their order, descending too), as torch's CPU sort."""
    if not descending:
        return np.argsort(a, axis=axis, kind="stable")
    n = a.shape[axis]
    flipped = np.flip(a, axis)
    order = np.argsort(flipped, axis=axis, kind="stable")
    return np.flip(n - 1 - order, axis)


class LogCumSumExp(Function):
    """log(cumsum(exp(x))) by np.logaddexp.accumulate (no overflow or underflow). The gradient
    d out_j / d x_i = exp(x_i - out_j) for i <= j is never above 1, so it is formed directly (n x n per row)."""

    @staticmethod
    def forward(ctx, a, axis):
        out = np.logaddexp.accumulate(a, axis=axis)
        ctx.axis = axis
        ctx.save_for_backward(a, out)
        return out

    @staticmethod
    def backward(ctx, g):
        a, out = ctx.saved_tensors
        x, o, gm = (np.moveaxis(t, ctx.axis, -1) for t in (a, out, g))
        n = x.shape[-1]
        with np.errstate(invalid="ignore", over="ignore"):
            w = np.exp(x[..., :, None] - o[..., None, :])          # (..., i, j)
        w = np.where(np.triu(np.ones((n, n), dtype=bool)), w, 0)
        grad = np.einsum("...ij,...j->...i", w, gm)
        return np.moveaxis(grad, -1, ctx.axis).astype(g.dtype, copy=False)
