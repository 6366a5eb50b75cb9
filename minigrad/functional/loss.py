"""Classification losses over class scores: cross_entropy and nll_loss, with torch's keyword arguments.

Inputs are (N, C), (N, C, d1, ...) or an unbatched (C,). Both losses bring the class axis last and work on
rows (M, C): targets are class indices (M,) or, for cross_entropy, class probabilities shaped like the
input. Class indices are checked here and only here (the kernel trusts them). `weight` (C,) rescales
classes; with reduction='mean' the sum is divided by the total weight of the targets, as in torch.
"""
import numpy as np

from .. import kernels as K
from ..autograd import Function
from ..tensor import Tensor
from ._reduction import check_reduction, reduce, upstream
from ._util import array_of, as_tensor


class TargetOutOfBounds(IndexError, ValueError):
    """A class index outside [0, C) that is not ignore_index (an IndexError in torch)."""


def _check_input(name, x):
    if not np.issubdtype(x.dtype, np.floating):
        raise TypeError(f"{name}: expected a floating point input, got {x.dtype}")
    if x.ndim == 0:
        raise ValueError(f"{name}: expected input of shape (N, C), (N, C, d1, ...) or (C,), got a 0-d tensor")


def _to_rows(a):
    """(N, C, d...) -> (N * d..., C); (C,) -> (1, C)."""
    if a.ndim == 1:
        return a.reshape(1, -1)
    return np.moveaxis(a, 1, -1).reshape(-1, a.shape[1]) if a.ndim > 2 else a


def _from_rows(rows, shape):
    if len(shape) <= 2:
        return rows.reshape(shape)
    moved = (shape[0],) + tuple(shape[2:]) + (shape[1],)
    return np.moveaxis(rows.reshape(moved), -1, 1)


def _loss_shape(shape):
    """Shape of the per-sample loss: the input's without the class axis."""
    return () if len(shape) == 1 else (shape[0],) + tuple(shape[2:])


class _Targets:
    """Validated class indices as rows, the per-row weights and the denominator of a 'mean'."""

    def __init__(self, name, shape, target, weight, ignore_index):
        t = array_of(target)
        expected = _loss_shape(shape)
        if t.dtype.kind not in "iuf":
            raise TypeError(f"{name}: expected target of integer class indices (or float class probabilities "
                            f"shaped like the input), got dtype {t.dtype}")
        if t.shape != expected:
            raise ValueError(f"{name}: target shape {t.shape} does not match input shape {shape} (expected "
                             f"{expected} for an input (N, C), (N, C, d1, ...) or unbatched (C,))")
        if t.dtype.kind == "f" and not np.all(t == np.round(t)):
            raise ValueError(f"{name}: targets must be integer class indices, got non-integer values")
        t = t.astype(np.int64, copy=False).reshape(-1)
        c = shape[0] if len(shape) == 1 else shape[1]
        keep = t != ignore_index
        all_kept = bool(keep.all())
        bad = (t < 0) | (t >= c)
        if not all_kept:
            bad &= keep
        if bad.any():
            raise TargetOutOfBounds(f"{name}: target {t[bad][0]} is out of bounds: classes must be in [0, {c}) "
                                    f"(input shape {shape}; ignore_index={ignore_index})")
        self.index = t if all_kept else np.where(keep, t, 0)
        self.keep = keep
        if weight is None and all_kept:          # the common case: every row counts once
            self.row_weight, self.denom = None, float(t.size)
        else:
            self.row_weight = keep.astype(np.float64) if weight is None else np.where(keep, weight[self.index], 0.0)
            self.denom = float(self.row_weight.sum())

    def weighted(self, rows):
        return rows if self.row_weight is None else rows * self.row_weight


def _class_weight(name, weight, c):
    if weight is None:
        return None
    w = array_of(weight).astype(np.float64)
    if w.shape != (c,):
        raise ValueError(f"{name}: weight of shape {w.shape} given for {c} classes (expected ({c},))")
    return w


class CrossEntropyFn(Function):
    """Index targets without label smoothing: the fused Numba kernel, rows scaled by their weights."""

    @staticmethod
    def forward(ctx, x, targets, reduction):
        losses, ctx.saved = K.cross_entropy_forward(_to_rows(x), targets.index)
        ctx.shape, ctx.targets, ctx.reduction = x.shape, targets, reduction
        return reduce(_shape_losses(targets.weighted(losses), x.shape), reduction, x.dtype, targets.denom)

    @staticmethod
    def backward(ctx, g):
        t = ctx.targets
        scales = t.weighted(upstream(g, ctx.reduction, _loss_shape(ctx.shape), t.denom).reshape(-1))
        return _from_rows(K.cross_entropy_backward(scales, ctx.saved), ctx.shape), None, None


def _shape_losses(rows, shape):
    return rows.reshape(_loss_shape(shape))


def _log_softmax_rows(x2):
    shifted = x2 - x2.max(axis=1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))


class SoftCrossEntropyFn(Function):
    """loss_i = -sum_j c_ij log softmax(x_i)_j for a coefficient matrix c: class probabilities times class
    weights, or label-smoothed one-hot index targets. The gradient reaches the probabilities too."""

    @staticmethod
    def forward(ctx, x, probs, coeff_fn, reduction, denom):
        logp = _log_softmax_rows(_to_rows(x))
        coeff, dcoeff = coeff_fn(None if probs is None else _to_rows(probs))
        ctx.save_for_backward(logp, coeff, dcoeff)
        ctx.shape, ctx.reduction, ctx.denom = x.shape, reduction, denom
        rows = -(coeff * logp).sum(axis=1)
        return reduce(_shape_losses(rows, x.shape), reduction, x.dtype, denom)

    @staticmethod
    def backward(ctx, g):
        logp, coeff, dcoeff = ctx.saved_tensors
        gi = upstream(g, ctx.reduction, _loss_shape(ctx.shape), ctx.denom).reshape(-1, 1)
        gx = gi * (np.exp(logp) * coeff.sum(axis=1, keepdims=True) - coeff) if ctx.needs_input_grad[0] else None
        gp = _from_rows(-gi * dcoeff * logp, ctx.shape) if ctx.needs_input_grad[1] else None
        return (None if gx is None else _from_rows(gx, ctx.shape)), gp, None, None, None


def cross_entropy(input, target, weight=None, size_average=None, ignore_index=-100, reduce=None,
                  reduction="mean", label_smoothing=0.0):
    """torch.nn.functional.cross_entropy: log_softmax over the class axis (1, or 0 for unbatched input) and
    the negative log-likelihood of class indices, or the cross-entropy with class probabilities when the
    target has the input's shape."""
    name = "cross_entropy"
    x = as_tensor(input)
    _check_input(name, x)
    reduction = _legacy_reduction(size_average, reduce, reduction, name)
    if not 0.0 <= label_smoothing <= 1.0:
        raise ValueError(f"{name}: label_smoothing must be between 0.0 and 1.0, got {label_smoothing}")
    c = x.shape[0] if x.ndim == 1 else x.shape[1]
    w = _class_weight(name, weight, c)
    eps = float(label_smoothing)
    t = target.data if isinstance(target, Tensor) else np.asarray(target)
    if t.shape == x.shape and np.issubdtype(t.dtype, np.floating):
        probs = target if isinstance(target, Tensor) else Tensor._wrap(t.astype(x.dtype))
        wrow = (np.ones(c) if w is None else w).astype(x.dtype)

        def coeff(p):
            dcoeff = (1.0 - eps) * wrow if eps else wrow
            return (p * (1.0 - eps) + eps / c) * wrow if eps else p * wrow, np.broadcast_to(dcoeff, p.shape)
        return SoftCrossEntropyFn.apply(x, probs, coeff, reduction, float(t.size // max(c, 1)))
    targets = _Targets(name, x.shape, target, w, ignore_index)
    if eps == 0.0:
        return CrossEntropyFn.apply(x, targets, reduction)
    wrow = np.ones(c) if w is None else w

    def coeff_smoothed(_):
        onehot = np.zeros((targets.index.size, c))
        onehot[np.arange(targets.index.size), targets.index] = 1.0
        coeff = (1.0 - eps) * targets.weighted(onehot.T).T + (eps / c) * wrow * targets.keep[:, None]
        return coeff, np.zeros_like(coeff)
    return SoftCrossEntropyFn.apply(x, None, coeff_smoothed, reduction, targets.denom)


class NLLLossFn(Function):
    @staticmethod
    def forward(ctx, logp, targets, reduction):
        rows = _to_rows(logp)
        picked = targets.weighted(-rows[np.arange(len(targets.index)), targets.index].astype(np.float64))
        ctx.shape, ctx.targets, ctx.reduction = logp.shape, targets, reduction
        return reduce(_shape_losses(picked, logp.shape), reduction, logp.dtype, targets.denom)

    @staticmethod
    def backward(ctx, g):
        t = ctx.targets
        scales = t.weighted(upstream(g, ctx.reduction, _loss_shape(ctx.shape), t.denom).reshape(-1))
        c = ctx.shape[0] if len(ctx.shape) == 1 else ctx.shape[1]
        rows = np.zeros((len(t.index), c), dtype=g.dtype)
        rows[np.arange(len(t.index)), t.index] = -scales
        return _from_rows(rows, ctx.shape), None, None


def nll_loss(input, target, weight=None, size_average=None, ignore_index=-100, reduce=None, reduction="mean"):
    """torch.nn.functional.nll_loss: -input[i, target[i]] over log-probabilities (N, C), (N, C, d...) or (C,)."""
    name = "nll_loss"
    x = as_tensor(input)
    _check_input(name, x)
    reduction = _legacy_reduction(size_average, reduce, reduction, name)
    c = x.shape[0] if x.ndim == 1 else x.shape[1]
    return NLLLossFn.apply(x, _Targets(name, x.shape, target, _class_weight(name, weight, c), ignore_index),
                           reduction)


def _legacy_reduction(size_average, reduce_, reduction, name):
    """torch's deprecated size_average/reduce flags, mapped to reduction as torch maps them."""
    if size_average is not None or reduce_ is not None:
        size_average = True if size_average is None else size_average
        reduce_ = True if reduce_ is None else reduce_
        reduction = "none" if not reduce_ else ("mean" if size_average else "sum")
    return check_reduction(reduction, name)
