"""The most probable reading of a column sequence whose digits add up to a given sum.

The predicted sum marginalises over every reading of the columns (digitsum.models.sum_dp); the greedy
best path (most likely symbol per column) need not add up to it, and where it does not, one of its digits
is wrong. `constrained_digits` finds instead the single most probable reading among those with exactly the
predicted sum and the most probable count for that sum: a max-product (Viterbi) pass over the same
(digits so far k, partial sum s, last symbol c) states as sum_dp, then a walk back along the stored
choices. The digits shown then agree with the sum reported.
"""
import numpy as np
from numba import njit, prange

from digitsum.models.sum_dp import N_SYMBOLS, best_path_digits, sum_count_forward


@njit(cache=True)
def _viterbi(lp, K, back):
    """lp (T, 11) log-probs -> best log-prob of every final state (K+1, 9K+1, 11); back[t, k, s, c] is the
    previous column's symbol, + N_SYMBOLS when column t starts a new digit."""
    T = lp.shape[0]
    S = 9 * K + 1
    a = np.full((K + 1, S, N_SYMBOLS), -np.inf)
    b = np.empty_like(a)
    a[0, 0, 0] = 0.0                     # before the first column: nothing read, as if after a blank
    for t in range(T):
        b[:] = -np.inf
        for k in range(K + 1):
            for s in range(9 * k + 1):
                best, arg, second = -np.inf, -1, -np.inf   # best and runner-up over the last symbol
                for c in range(N_SYMBOLS):
                    v = a[k, s, c]
                    if v > best:
                        best, arg, second = v, c, best
                    elif v > second:
                        second = v
                if best == -np.inf:
                    continue
                v = best + lp[t, 0]                         # blank: nothing emitted
                if v > b[k, s, 0]:
                    b[k, s, 0] = v
                    back[t, k, s, 0] = arg
                for c in range(1, N_SYMBOLS):               # the same digit again: merges
                    v = a[k, s, c] + lp[t, c]
                    if v > b[k, s, c]:
                        b[k, s, c] = v
                        back[t, k, s, c] = c
                if k < K:                                   # a new digit d starts (not after a run of d)
                    for d in range(10):
                        prev, m = (arg, best) if arg != d + 1 else (-1, second)
                        if m == -np.inf:
                            continue
                        if prev < 0:
                            for c in range(N_SYMBOLS):
                                if c != d + 1 and a[k, s, c] == m:
                                    prev = c
                                    break
                        v = m + lp[t, d + 1]
                        if v > b[k + 1, s + d, d + 1]:
                            b[k + 1, s + d, d + 1] = v
                            back[t, k + 1, s + d, d + 1] = prev + N_SYMBOLS
        a, b = b, a
    return a


@njit(cache=True, parallel=True)
def _decode(lp, K, counts, sums, digits):
    """digits[i, :counts[i]] <- the best reading of image i with that count and sum; returns, per image,
    whether one exists (False: no reading of the columns has that count and sum)."""
    n, T, _ = lp.shape
    found = np.zeros(n, np.bool_)
    for i in prange(n):
        k, s = counts[i], sums[i]
        if k > K or s > 9 * k:
            continue
        back = np.zeros((T, K + 1, 9 * K + 1, N_SYMBOLS), np.int8)
        final = _viterbi(lp[i], K, back)
        c, best = 0, -np.inf
        for cc in range(N_SYMBOLS):
            if final[k, s, cc] > best:
                c, best = cc, final[k, s, cc]
        if best == -np.inf:
            continue
        found[i] = True
        for t in range(T - 1, -1, -1):                      # walk back, emitting digits right to left
            code = back[t, k, s, c]
            if code >= N_SYMBOLS:
                k -= 1
                s -= c - 1
                digits[i, k] = c - 1
                code -= N_SYMBOLS
            c = code
    return found


def constrained_digits(logp, sums, max_digits):
    """List of digit lists: for each image the most probable reading whose digits add up to sums[i], with
    the count most probable for that sum (counts up to max_digits); the greedy best path where the sum
    cannot be read at all."""
    lp = np.ascontiguousarray(logp, np.float64)
    sums = np.asarray(sums, np.int64)
    if len(lp) == 0:
        return []
    table, _ = sum_count_forward(lp, max_digits, for_backward=False)        # (N, K+1, 9K+1) log P
    ok = (sums >= 0) & (sums < table.shape[2])
    counts = table[np.arange(len(lp)), :, np.where(ok, sums, 0)].argmax(axis=1).astype(np.int64)
    digits = np.full((len(lp), max_digits), -1, np.int64)
    found = _decode(lp, max_digits, counts, np.where(ok, sums, 10 ** 6), digits)
    greedy = best_path_digits(logp)
    return [list(digits[i, :counts[i]]) if found[i] else greedy[i] for i in range(len(lp))]
