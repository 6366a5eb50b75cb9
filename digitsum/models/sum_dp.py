"""Exact sum-and-count probabilities of a column sequence, as a differentiable minigrad op.

A reading network gives, for each of T image columns, a distribution over 11 symbols: blank (0) and the
digits 0..9 (symbols 1..10). A *reading* of the image is one symbol per column; like CTC, consecutive
identical symbols merge into one digit and a blank separates two equal digits. This module marginalises
over all T-column readings with a forward dynamic program whose state is

    (k digits emitted so far, partial sum s, last symbol c)      k <= K, s <= 9K, c in 0..10

and returns log P(count = k, sum = s) for every k, s. Readings with more than K digits are dropped.
The backward pass is the adjoint of that linear recurrence (equivalently CTC's alpha-beta posteriors), so
the gradient is exact. Probabilities are rescaled every column (kept as log-scales) and held in float64
inside the DP because a single (k, s) cell can be 1e-40 of the total mass early in training; the DP costs
O(T * K * 9K * 11) per image, tiny next to the convolutions, so the upcast is not a hot-path cost.
"""
import numpy as np
from numba import njit, prange

from minigrad import Function

N_SYMBOLS = 11  # blank + ten digits
BLANK = 0


@njit(cache=True)
def _dp_step(a, y, b, tot):
    """One column: b = transition(a) under symbol probabilities y; returns the mass of b (before scaling).
    Only sums s <= 9k are reachable with k digits, so loops stop there; b's other cells stay 0."""
    K = a.shape[0] - 1
    b[:] = 0.0
    for k in range(K + 1):
        for s in range(9 * k + 1):
            acc = 0.0
            for c in range(N_SYMBOLS):
                acc += a[k, s, c]
            tot[k, s] = acc
            if acc == 0.0:
                continue
            b[k, s, 0] += y[0] * acc                    # blank: nothing emitted
            for c in range(1, N_SYMBOLS):               # same digit again: merges
                b[k, s, c] += y[c] * a[k, s, c]
            if k < K:                                   # a new digit d starts
                for d in range(10):
                    b[k + 1, s + d, d + 1] += y[d + 1] * (acc - a[k, s, d + 1])
    z = 0.0
    for k in range(K + 1):
        for s in range(9 * k + 1):
            for c in range(N_SYMBOLS):
                z += b[k, s, c]
    return z


@njit(cache=True, parallel=True)
def _dp_forward(probs, K, keep_all):
    """probs (N, T, 11) float64 -> (alpha, scale (N, T), logz (N,)). alpha is scaled to unit mass per
    column, shape (N, T+1, K+1, 9K+1, 11) if keep_all (backward needs every column) else (N, 1, ...)
    holding the last; scale[i, t] is column t's mass before scaling."""
    n, T, _ = probs.shape
    S = 9 * K + 1
    alpha = np.empty((n, T + 1 if keep_all else 1, K + 1, S, N_SYMBOLS))   # every slot is written below
    scale = np.zeros((n, T))
    logz = np.zeros(n)
    for i in prange(n):
        tot = np.zeros((K + 1, S))
        cur = np.zeros((K + 1, S, N_SYMBOLS))
        nxt = np.zeros((K + 1, S, N_SYMBOLS))
        cur[0, 0, 0] = 1.0
        if keep_all:
            alpha[i, 0] = cur
        for t in range(T):
            z = _dp_step(cur, probs[i, t], nxt, tot)
            scale[i, t] = z
            if z > 0.0:
                nxt /= z
                logz[i] += np.log(z)
            else:
                logz[i] = -np.inf
            cur, nxt = nxt, cur
            if keep_all:
                alpha[i, t + 1] = cur
        if not keep_all:
            alpha[i, 0] = cur
    return alpha, scale, logz


@njit(cache=True, parallel=True)
def _dp_backward(probs, alpha, scale, seed):
    """Adjoint pass. seed (N, K+1, S): dLoss/d(final scaled alpha summed over c).
    Returns dLoss/dprobs (N, T, 11)."""
    n, T, _ = probs.shape
    K = alpha.shape[2] - 1
    S = alpha.shape[3]
    gprobs = np.zeros((n, T, N_SYMBOLS))
    for i in prange(n):
        bar = np.zeros((K + 1, S, N_SYMBOLS))    # unreachable cells (s > 9k) stay 0
        prev = np.zeros((K + 1, S, N_SYMBOLS))
        for k in range(K + 1):
            for s in range(9 * k + 1):
                for c in range(N_SYMBOLS):
                    bar[k, s, c] = seed[i, k, s]
        for t in range(T - 1, -1, -1):
            a = alpha[i, t]
            y = probs[i, t]
            g = gprobs[i, t]
            z = scale[i, t]
            inv = 1.0 / z if z > 0.0 else 0.0
            for k in range(K + 1):
                for s in range(9 * k + 1):
                    tot = 0.0
                    for c in range(N_SYMBOLS):
                        tot += a[k, s, c]
                    # contributions that do not depend on the source's last symbol c
                    common = y[0] * bar[k, s, 0]
                    g[0] += tot * bar[k, s, 0] * inv
                    new_all = 0.0
                    if k < K:
                        for d in range(10):
                            w = bar[k + 1, s + d, d + 1]
                            new_all += y[d + 1] * w
                            g[d + 1] += (tot - a[k, s, d + 1]) * w * inv
                    prev[k, s, 0] = (common + new_all) * inv
                    for c in range(1, N_SYMBOLS):
                        v = common + new_all + y[c] * bar[k, s, c]
                        g[c] += a[k, s, c] * bar[k, s, c] * inv
                        if k < K:                       # a source ending in digit c-1 cannot restart it
                            v -= y[c] * bar[k + 1, s + c - 1, c]
                        prev[k, s, c] = v * inv
            bar, prev = prev, bar
    return gprobs


def sum_count_forward(logp, max_digits, for_backward=True):
    """logp (N, T, 11) log-probabilities -> (table (N, K+1, 9K+1) of log P(count=k, sum=s) in logp's dtype,
    saved state for `sum_count_backward`, or None if not for_backward). Impossible cells are -inf."""
    probs = np.exp(np.asarray(logp, dtype=np.float64))
    alpha, scale, logz = _dp_forward(np.ascontiguousarray(probs), int(max_digits), bool(for_backward))
    mass = alpha[:, -1].sum(axis=-1)                       # (N, K+1, S), scaled
    with np.errstate(divide="ignore"):
        table = np.log(mass) + logz[:, None, None]
    saved = (probs, alpha, scale, mass, logp.dtype) if for_backward else None
    return table.astype(logp.dtype, copy=False), saved


def sum_count_backward(gtable, saved):
    """gtable: dLoss/dtable (N, K+1, S) -> dLoss/dlogp (N, T, 11). Cells with zero mass get no gradient."""
    probs, alpha, scale, mass, dtype = saved
    g = np.asarray(gtable, dtype=np.float64)
    seed = np.divide(g, mass, out=np.zeros_like(g), where=mass > 0)
    gprobs = _dp_backward(probs, alpha, scale, seed)
    return (gprobs * probs).astype(dtype, copy=False)      # d/dlogp = p * d/dp


# ---------------------------------------------------------------- minigrad ops and numpy read-outs
class SumCountTable(Function):
    """logp (N, T, 11) -> log P(count=k, sum=s), shape (N, K+1, 9K+1); -inf where impossible (s > 9k)."""

    @staticmethod
    def forward(ctx, logp, max_digits):
        table, ctx.saved = sum_count_forward(logp, max_digits)
        return table

    @staticmethod
    def backward(ctx, g):
        return sum_count_backward(g, ctx.saved), None


class SumNLL(Function):
    """Per-image -log P(sum = target, count in `counts`), marginalised over all placements. Shape (N,)."""

    @staticmethod
    def forward(ctx, logp, sums, counts, max_digits):
        table, saved = sum_count_forward(logp, max_digits)
        rows = np.arange(len(sums))[:, None]
        counts = np.asarray(counts, dtype=np.int64)[None, :]
        sums = np.asarray(sums, dtype=np.int64)[:, None]
        picked = table[rows, counts, sums].astype(np.float64)        # (N, n_counts)
        with np.errstate(invalid="ignore"):
            lse = np.logaddexp.reduce(picked, axis=1)
            resp = np.nan_to_num(np.exp(picked - lse[:, None]))     # share of each count in P(sum)
        ctx.saved, ctx.index, ctx.resp, ctx.shape = saved, (rows, counts, sums), resp, table.shape
        return (-lse).astype(logp.dtype)

    @staticmethod
    def backward(ctx, g):
        gtable = np.zeros(ctx.shape)
        rows, counts, sums = ctx.index
        gtable[rows, counts, sums] = -np.asarray(g, np.float64)[:, None] * ctx.resp
        return sum_count_backward(gtable, ctx.saved), None, None, None


def sum_count_table(logp, max_digits=4):
    """Differentiable log P(count, sum) table of a (N, T, 11) log-probability Tensor."""
    return SumCountTable.apply(logp, int(max_digits))


def sum_nll(logp, sums, counts=(4,), max_digits=None):
    """Mean over the batch of -log P(sum = sums[i], count in counts): the training loss from sums alone."""
    counts = tuple(int(c) for c in counts)
    K = max(counts) if max_digits is None else int(max_digits)
    return SumNLL.apply(logp, np.asarray(sums, np.int64), counts, K).mean()


def sum_probabilities(logp, max_digits=7):
    """numpy (N, T, 11) log-probs -> (N, 9K+1) P(sum = s), marginalised over every count 0..K (no count
    is assumed, so one model reads 3-, 4- or 5-digit images)."""
    table, _ = sum_count_forward(np.asarray(logp, np.float64), max_digits, for_backward=False)
    return np.exp(table).sum(axis=1)


def best_path_digits(logp):
    """Greedy reading: most likely symbol per column, runs merged, blanks dropped -> list of digit lists."""
    best = np.asarray(logp).argmax(axis=-1)                            # (N, T)
    starts = np.ones_like(best, dtype=bool)
    starts[:, 1:] = best[:, 1:] != best[:, :-1]
    keep = starts & (best != BLANK)
    return [list(row[m] - 1) for row, m in zip(best, keep)]
