"""torch's `reduction=` for losses: one place that reduces per-element losses and expands the gradient back."""
import numpy as np

REDUCTIONS = ("none", "mean", "sum")


def check_reduction(reduction, name):
    if reduction not in REDUCTIONS:
        raise ValueError(f"{name}: {reduction!r} is not a valid value for reduction (use 'none', 'mean' or 'sum')")
    return reduction


def reduce(values, reduction, dtype, denom=None):
    """values: per-element losses (any float dtype); 'mean' divides by denom (default: the count)."""
    if reduction == "none":
        return np.asarray(values, dtype=dtype)
    total = np.sum(values, dtype=np.float64)
    if reduction == "sum":
        return np.asarray(total, dtype=dtype)
    denom = values.size if denom is None else denom
    return np.asarray(total / denom if denom else np.nan, dtype=dtype)     # an empty mean is nan, as in torch


def upstream(g, reduction, shape, denom=None):
    """The gradient reaching each element of a loss of `shape`, given the reduced loss's gradient g."""
    if reduction == "none":
        return g
    scale = g if reduction == "sum" else g / (int(np.prod(shape)) if denom is None else denom)
    return np.full(shape, scale, dtype=g.dtype)
