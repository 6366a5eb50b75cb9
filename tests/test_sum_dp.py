"""The exact sum/count dynamic program (digitsum.sum_dp): brute force over all readings, torch's CTC,
float64 gradchecks of both ops, and the read-out helpers."""
import itertools

import numpy as np
import pytest

import minigrad as mg
import minigrad.functional as F
from digitsum.models.sum_dp import (best_path_digits, sum_count_forward, sum_count_table, sum_nll,
                             sum_probabilities)


def random_logp(rng, n, T, dtype=np.float64, blank_bias=0.0):
    x = rng.standard_normal((n, T, 11))
    x[..., 0] += blank_bias
    return (x - np.log(np.exp(x).sum(-1, keepdims=True))).astype(dtype)


def brute_force_table(logp, K):
    """Enumerate all 11^T readings: merge repeats, drop blanks, bin by (count, sum)."""
    n, T, _ = logp.shape
    out = np.zeros((n, K + 1, 9 * K + 1))
    for path in itertools.product(range(11), repeat=T):
        digits, prev = [], 0
        for c in path:
            if c != 0 and c != prev:
                digits.append(c - 1)
            prev = c
        if len(digits) <= K:
            out[:, len(digits), sum(digits)] += np.exp(logp[:, np.arange(T), list(path)].sum(axis=1))
    with np.errstate(divide="ignore"):
        return np.log(out)


@pytest.mark.parametrize("K", [1, 2, 3, 4])
def test_table_matches_brute_force(rng, K):
    logp = random_logp(rng, 2, 4)
    table, _ = sum_count_forward(logp, K)
    expect = brute_force_table(logp, K)
    assert np.array_equal(np.isfinite(table), np.isfinite(expect))
    fin = np.isfinite(expect)
    np.testing.assert_allclose(table[fin], expect[fin], rtol=1e-12, atol=1e-12)


def test_all_mass_accounted_when_no_reading_is_dropped(rng):
    # with K >= T no reading has more than K digits, so P(count, sum) sums to exactly 1
    logp = random_logp(rng, 3, 6)
    np.testing.assert_allclose(sum_probabilities(logp, max_digits=6).sum(axis=1), 1.0, rtol=1e-12)


def test_matches_torch_ctc_for_one_and_two_digits(rng):
    torch = pytest.importorskip("torch")
    T = 9
    logp = random_logp(rng, 2, T)
    table, _ = sum_count_forward(logp, 2)
    lp = torch.tensor(logp).transpose(0, 1)                  # (T, N, C) as ctc_loss wants

    def seq_prob(seq):
        tgt = torch.tensor([[d + 1 for d in seq]] * 2)
        nll = torch.nn.functional.ctc_loss(lp, tgt, torch.tensor([T, T]), torch.tensor([len(seq)] * 2),
                                           blank=0, reduction="none", zero_infinity=False)
        return torch.exp(-nll).numpy()

    for s in range(10):
        np.testing.assert_allclose(np.exp(table[:, 1, s]), seq_prob([s]), rtol=1e-9)
    for s in range(19):
        expect = sum(seq_prob([a, s - a]) for a in range(10) if 0 <= s - a <= 9)
        np.testing.assert_allclose(np.exp(table[:, 2, s]), expect, rtol=1e-9)


def test_gradcheck_table(rng):
    logits = mg.Tensor(rng.standard_normal((2, 5, 11)), requires_grad=True)
    finite = np.flatnonzero(np.isfinite(sum_count_forward(random_logp(rng, 1, 5), 3)[0][0]))

    def fn(z):  # the op composed with log_softmax, on the cells that can be non-zero
        return sum_count_table(F.log_softmax(z, axis=-1), 3).reshape(2, -1)[:, finite]

    assert mg.gradcheck(fn, [logits], atol=1e-6, rtol=1e-5)


@pytest.mark.parametrize("counts", [(4,), (3, 4, 5)])
def test_gradcheck_sum_nll(rng, counts):
    logits = mg.Tensor(rng.standard_normal((2, 9, 11)), requires_grad=True)
    sums = np.array([0, 17])
    assert mg.gradcheck(lambda z: sum_nll(F.log_softmax(z, axis=-1), sums, counts, max_digits=5), [logits],
                        atol=1e-6, rtol=1e-5)


def test_gradcheck_raw_log_probs(rng):
    # the op itself, fed unnormalised scores (it only ever exponentiates them): checks d/dlogp directly
    logp = mg.Tensor(rng.standard_normal((2, 6, 11)) - 2.5, requires_grad=True)
    assert mg.gradcheck(lambda z: sum_nll(z, np.array([5, 12]), (2, 3)), [logp], atol=1e-6, rtol=1e-5)


def test_nll_equals_minus_log_table_entry_and_keeps_float32(rng):
    logp = random_logp(rng, 4, 20, dtype=np.float32, blank_bias=2.0)
    sums = np.array([3, 20, 36, 9])
    per_image = [-np.logaddexp(sum_count_forward(logp[i:i + 1], 4)[0][0, 4, s], -np.inf) for i, s in enumerate(sums)]
    loss = sum_nll(mg.Tensor(logp, requires_grad=True), sums)
    assert loss.dtype == np.float32
    np.testing.assert_allclose(loss.item(), np.mean(per_image), rtol=1e-5)
    loss.backward()


def test_gradient_is_minus_symbol_posterior(rng):
    # CTC identity: d(-log P)/d logp[t, c] = -(posterior probability that column t reads symbol c)
    logp = mg.Tensor(random_logp(rng, 1, 7), requires_grad=True)
    sum_nll(logp, np.array([7]), (2,)).backward()
    posterior = -logp.grad
    np.testing.assert_allclose(posterior.sum(axis=-1), 1.0, rtol=1e-10)
    assert (posterior >= -1e-12).all()


def test_confident_reading_predicts_its_sum():
    seq = [0, 8, 8, 0, 0, 3, 0, 3, 3, 0, 10, 0]   # blank 7 7 blank blank 2 blank 2 2 blank 9 blank
    logp = np.full((1, len(seq), 11), np.log(1e-4))
    logp[0, np.arange(len(seq)), seq] = np.log(1 - 10e-4)
    assert best_path_digits(logp) == [[7, 2, 2, 9]]
    assert sum_probabilities(logp, 6)[0].argmax() == 20


def test_unreachable_target_gives_infinite_loss_not_nan(rng):
    logp = random_logp(rng, 1, 3)   # 3 columns hold at most 3 digits... 4 needs T >= 4
    with np.errstate(all="ignore"):
        loss = sum_nll(mg.Tensor(logp), np.array([10]), (4,))
    assert np.isposinf(loss.item())
