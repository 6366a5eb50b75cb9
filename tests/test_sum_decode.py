"""constrained_digits: the most probable reading with a given sum, checked against enumerating every reading."""
import itertools

import numpy as np

from digitsum.models.sum_decode import constrained_digits
from digitsum.models.sum_dp import best_path_digits


def collapse(path):
    """CTC rule: runs merge, blanks (0) drop, symbol c >= 1 is digit c - 1."""
    return [c - 1 for i, c in enumerate(path) if c != 0 and (i == 0 or path[i - 1] != c)]


def brute_force(lp, s, K):
    """Best reading with sum s and the count most probable for s, by enumerating all 11^T paths."""
    T = lp.shape[0]
    paths = np.array(list(itertools.product(range(11), repeat=T)))
    score = lp[np.arange(T), paths].sum(axis=1)
    readings = [collapse(list(p)) for p in paths]
    mass = {}
    for r, v in zip(readings, score):
        if sum(r) == s and len(r) <= K:
            mass[len(r)] = np.logaddexp(mass.get(len(r), -np.inf), v)
    k = max(mass, key=mass.get)
    best = max((v, i) for i, (r, v) in enumerate(zip(readings, score)) if sum(r) == s and len(r) == k)[1]
    return readings[best]


def test_matches_enumeration_of_every_reading(rng):
    T, K = 5, 3
    for _ in range(6):
        logits = rng.normal(0, 2.0, size=(1, T, 11))
        lp = logits - np.log(np.exp(logits).sum(-1, keepdims=True))
        for s in (0, 4, 9, 13):
            assert constrained_digits(lp, [s], K) == [brute_force(lp[0], s, K)], s


def test_agrees_with_the_greedy_path_when_that_has_the_sum_and_falls_back_when_no_reading_has_it():
    lp = np.full((2, 6, 11), np.log(1e-4))
    for i, path in enumerate([[8, 0, 3, 3, 0, 6], [2, 0, 2, 0, 0, 0]]):          # "7 2 5" and "1 1"
        lp[i, np.arange(6), path] = np.log(1 - 10e-4)
    assert constrained_digits(lp, [14, 2], 6) == [[7, 2, 5], [1, 1]]
    assert constrained_digits(lp, [15, 2], 6)[0] != [7, 2, 5]                     # forced to add up to 15
    assert sum(constrained_digits(lp, [15, 2], 6)[0]) == 15
    assert constrained_digits(lp, [60, 2], 6)[0] == best_path_digits(lp)[0]       # 60 > 9 * 6: unreadable
