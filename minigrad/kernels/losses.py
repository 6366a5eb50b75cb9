"""Fused, numerically stable losses.

cross-entropy: per row m = max(x), loss = (m - x[t]) + log(sum exp(x - m)); the softmax computed on
the way is saved, so backward is (p - onehot) * g_row, where g_row carries the reduction and the class
weights. Finite for logits of 1e8. Row losses are float64; the caller reduces them. Targets arrive
validated (minigrad.functional.loss is the one place that checks them). MSE reduces to a mean; sums
accumulate in float64 scalars (no array upcasts); outputs keep the input dtype.
"""
import numpy as np
from numba import njit, prange

from ._checks import as_float


# CE works on (batch, classes) logits: far too small for threads to pay, so it runs serially.
@njit(cache=True)
def _ce_fwd(x, t, probs, losses):
    N, C = x.shape
    for i in range(N):
        m = x[i, 0]
        for j in range(1, C):
            if x[i, j] > m:
                m = x[i, j]
        s = 0.0
        for j in range(C):
            e = np.exp(x[i, j] - m)
            probs[i, j] = e
            s += e
        inv = 1.0 / s
        for j in range(C):
            probs[i, j] *= inv
        losses[i] = (m - x[i, t[i]]) + np.log(s)


@njit(cache=True)
def _ce_bwd(probs, t, scales, g):
    N, C = probs.shape
    for i in range(N):
        s = scales[i]
        for j in range(C):
            g[i, j] = probs[i, j] * s
        g[i, t[i]] -= s


# MSE: threads only pay for large inputs (a regression head's (N, 1) output is tiny).
# prange here departs from threadpool.py's rule (serial kernels on the worker pool) because these are
# single flat loops with no BLAS call in the same op, so Numba's threads never alternate with OpenBLAS's
# inside one op; and they run only above _PARALLEL_MIN elements, which no digitsum model's output reaches.
_PARALLEL_MIN = 1 << 18


@njit(cache=True)
def _sq_err_sum(a, b):
    s = 0.0
    for i in range(a.shape[0]):
        d = a[i] - b[i]
        s += d * d
    return s


@njit(parallel=True, cache=True)
def _sq_err_sum_par(a, b):
    s = 0.0
    for i in prange(a.shape[0]):
        d = a[i] - b[i]
        s += d * d
    return s


@njit(cache=True)
def _mse_bwd(a, b, scale, ga, gb):
    for i in range(a.shape[0]):
        d = (a[i] - b[i]) * scale
        ga[i] = d
        gb[i] = -d


@njit(parallel=True, cache=True)
def _mse_bwd_par(a, b, scale, ga, gb):
    for i in prange(a.shape[0]):
        d = (a[i] - b[i]) * scale
        ga[i] = d
        gb[i] = -d


def cross_entropy_forward(logits, target):
    """logits (N, C), target (N,) int64 in [0, C) (checked by the caller) -> (row losses float64 (N,), saved)."""
    x = as_float(logits, "cross_entropy logits")
    if x.ndim != 2 or target.shape != (x.shape[0],):
        raise ValueError(f"cross_entropy kernel: logits {x.shape} need 2-D (N, C) with target (N,), got {target.shape}")
    t = np.ascontiguousarray(target, dtype=np.int64)
    probs = np.empty_like(x)
    losses = np.empty(x.shape[0], dtype=np.float64)
    if x.shape[0]:
        _ce_fwd(x, t, probs, losses)
    return losses, (probs, t)


def cross_entropy_backward(row_scales, saved):
    """d(sum_i row_scales[i] * loss_i) / d logits = (softmax - onehot) * row_scales[:, None]."""
    probs, t = saved
    g = np.empty_like(probs)
    if probs.shape[0]:
        _ce_bwd(probs, t, np.ascontiguousarray(row_scales, dtype=np.float64), g)
    return g


def _same_shape(a, b):
    a = as_float(a, "mse_loss input")
    b = as_float(b, "mse_loss target", a.dtype)
    if a.shape != b.shape:
        raise ValueError(f"mse_loss: input shape {a.shape} and target shape {b.shape} differ")
    return a, b


def mse_forward(a, b):
    """mean((a - b)**2) as a 0-d array of a's dtype."""
    a, b = _same_shape(a, b)
    if a.size == 0:
        return np.array(np.nan, dtype=a.dtype)
    fn = _sq_err_sum_par if a.size >= _PARALLEL_MIN else _sq_err_sum
    return np.array(fn(a.reshape(-1), b.reshape(-1)) / a.size, dtype=a.dtype)


def mse_backward(g, a, b):
    """-> (ga, gb) = (+-2 g (a - b) / n) in a's shape and dtype."""
    a, b = _same_shape(a, b)
    ga, gb = np.empty_like(a), np.empty_like(a)
    if a.size:
        fn = _mse_bwd_par if a.size >= _PARALLEL_MIN else _mse_bwd
        fn(a.reshape(-1), b.reshape(-1), 2.0 * float(g) / a.size, ga.reshape(-1), gb.reshape(-1))
    return ga, gb
