"""Scores for predicted sums: exact-match accuracy, mean absolute error, per-sum accuracy, confusion.

Everything here works on integer sums (0-36 for four digits, up to 9 x the digit count) as numpy arrays, whatever model produced them, so the
training loop, `evaluate` and the plots share one definition of "accuracy".
"""
import numpy as np

from digitsum.data.shapes import NUM_SUMS


def accuracy(pred, true):
    """Fraction of images whose predicted sum equals the true sum exactly."""
    pred, true = np.asarray(pred), np.asarray(true)
    return float(np.mean(pred == true)) if len(true) else float("nan")


def mae(pred, true):
    """Mean absolute error between predicted and true sums."""
    pred, true = np.asarray(pred, np.float64), np.asarray(true, np.float64)
    return float(np.mean(np.abs(pred - true))) if len(true) else float("nan")


def confusion(pred, true, num=None):
    """(num, num) int64 matrix; row = true sum, column = predicted sum. num defaults to the largest sum
    present + 1, at least NUM_SUMS, so a 5-digit sum of 45 gets its own row instead of landing in 36."""
    pred, true = np.asarray(pred, np.int64), np.asarray(true, np.int64)
    if num is None:
        num = max(NUM_SUMS, int(pred.max(initial=0)) + 1, int(true.max(initial=0)) + 1)
    if (pred < 0).any() or (true < 0).any() or (pred >= num).any() or (true >= num).any():
        raise ValueError(f"confusion: sums must lie in 0..{num - 1}")
    m = np.zeros((num, num), np.int64)
    np.add.at(m, (true, pred), 1)
    return m


def per_sum_accuracy(pred, true, num=None):
    """{sum: (accuracy, count)} for every true sum that occurs at least once."""
    m = confusion(pred, true, num)
    counts = m.sum(axis=1)
    return {int(s): (float(m[s, s] / counts[s]), int(counts[s])) for s in range(len(m)) if counts[s] > 0}


def summarize(pred, true):
    """The metrics every command reports, JSON-ready."""
    return {
        "accuracy": accuracy(pred, true),
        "mae": mae(pred, true),
        "n": int(len(np.asarray(true))),
        "per_sum": {str(s): {"accuracy": a, "n": n} for s, (a, n) in per_sum_accuracy(pred, true).items()},
    }


def digit_accuracy(read, true_digits):
    """Fraction of recorded digits read correctly, compared position by position (reading i against
    truth i; a missed or extra digit is not realigned). read: digit lists; true_digits (n, D), -1 = absent."""
    correct = total = 0
    for r, t in zip(read, np.asarray(true_digits)):
        t = t[t >= 0]
        total += len(t)
        correct += sum(int(a == b) for a, b in zip(r, t))
    return correct / max(total, 1)


def mean_std(values):
    """(mean, sample std) of a list of numbers; std is 0 for a single value."""
    v = np.asarray(values, np.float64)
    return float(v.mean()), float(v.std(ddof=1)) if len(v) > 1 else 0.0
