"""Parity with torch 2.13.0 (CPU): forward values and every gradient, in float32 and float64."""
import numpy as np
import pytest
import torch

import minigrad as mg
import minigrad.functional as F
from conftest import record_parity, unique_values

torch.set_num_threads(1)
TOL = {np.float32: 2e-5, np.float64: 1e-10}
DTYPES = [np.float32, np.float64]


def _compare(name, ours, theirs, dtype):
    """Relative max error (scaled by the reference's magnitude); recorded for the run summary."""
    theirs = theirs.detach().numpy() if isinstance(theirs, torch.Tensor) else np.asarray(theirs)
    ours = ours.data if isinstance(ours, mg.Tensor) else np.asarray(ours)
    assert ours.shape == theirs.shape, f"{name}: shape {ours.shape} vs torch {theirs.shape}"
    assert ours.dtype == dtype, f"{name}: dtype {ours.dtype}, expected {np.dtype(dtype)}"
    err = float(np.max(np.abs(ours.astype(np.float64) - theirs)) / (np.max(np.abs(theirs)) + 1e-30)) \
        if theirs.size else 0.0
    record_parity(name, dtype, err)
    assert err <= TOL[dtype], f"{name}: relative error {err:.3g} > {TOL[dtype]:g}"


def _run_both(name, dtype, arrays, ours_fn, torch_fn, rng):
    """Apply both implementations to the same inputs, backprop one random upstream grad, compare all."""
    ms = [mg.Tensor(a.astype(dtype), requires_grad=True) for a in arrays]
    ts = [torch.tensor(a.astype(dtype), requires_grad=True) for a in arrays]
    out_m, out_t = ours_fn(*ms), torch_fn(*ts)
    _compare(name + " forward", out_m, out_t, dtype)
    g = rng.standard_normal(out_m.shape).astype(dtype)
    out_m.backward(g)
    out_t.backward(torch.tensor(g))
    for i, (m, t) in enumerate(zip(ms, ts)):
        _compare(f"{name} grad[{i}]", m.grad, t.grad, dtype)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("stride,padding,k", [(1, 0, 3), (1, 1, 3), (2, 1, 3), (3, 2, (3, 5)), (1, 0, 1), (2, 2, 5)])
def test_conv2d(rng, dtype, stride, padding, k):
    kh, kw = (k, k) if isinstance(k, int) else k
    arrays = [rng.standard_normal((3, 4, 11, 13)), rng.standard_normal((5, 4, kh, kw)), rng.standard_normal(5)]
    _run_both("conv2d", dtype, arrays, lambda x, w, b: F.conv2d(x, w, b, stride, padding),
              lambda x, w, b: torch.nn.functional.conv2d(x, w, b, stride, padding), rng)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("k,s,p", [(2, 2, 0), (3, 2, 1), (3, 1, 1), ((2, 3), (2, 1), (1, 1))])
def test_max_pool2d(rng, dtype, k, s, p):
    arrays = [unique_values(rng, 2, 3, 9, 10)]
    _run_both("max_pool2d", dtype, arrays, lambda x: F.max_pool2d(x, k, s, p),
              lambda x: torch.nn.functional.max_pool2d(x, k, s, p), rng)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("k,s,p", [(2, 2, 0), (3, 2, 1), (3, 1, 1), ((2, 3), (2, 1), (1, 1))])
def test_avg_pool2d(rng, dtype, k, s, p):
    _run_both("avg_pool2d", dtype, [rng.standard_normal((2, 3, 9, 10))], lambda x: F.avg_pool2d(x, k, s, p),
              lambda x: torch.nn.functional.avg_pool2d(x, k, s, p), rng)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("out", [1, (3, 4), (4, 3)])
def test_adaptive_avg_pool2d(rng, dtype, out):
    _run_both("adaptive_avg_pool2d", dtype, [rng.standard_normal((2, 3, 9, 10))],
              lambda x: F.adaptive_avg_pool2d(x, out), lambda x: torch.nn.functional.adaptive_avg_pool2d(x, out), rng)


@pytest.mark.parametrize("dtype", DTYPES)
def test_linear(rng, dtype):
    arrays = [rng.standard_normal((6, 7)), rng.standard_normal((4, 7)), rng.standard_normal(4)]
    _run_both("linear", dtype, arrays, F.linear, torch.nn.functional.linear, rng)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape", [(8, 3), (4, 3, 5, 6)])
@pytest.mark.parametrize("training", [True, False])
def test_batch_norm(rng, dtype, shape, training):
    rm_m, rv_m = rng.standard_normal(3).astype(dtype), (rng.random(3) + 0.5).astype(dtype)
    rm_t, rv_t = torch.tensor(rm_m.copy()), torch.tensor(rv_m.copy())
    arrays = [rng.standard_normal(shape) * 2 + 1, rng.standard_normal(3), rng.standard_normal(3)]
    _run_both("batch_norm", dtype, arrays,
              lambda x, w, b: F.batch_norm(x, rm_m, rv_m, w, b, training=training, momentum=0.1, eps=1e-5),
              lambda x, w, b: torch.nn.functional.batch_norm(x, rm_t, rv_t, w, b, training=training,
                                                             momentum=0.1, eps=1e-5), rng)
    _compare("batch_norm running_mean", rm_m, rm_t, dtype)
    _compare("batch_norm running_var", rv_m, rv_t, dtype)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("n,c", [(1, 3), (16, 10), (7, 37)])
def test_cross_entropy(rng, dtype, n, c):
    target = rng.integers(0, c, n)
    _run_both("cross_entropy", dtype, [rng.standard_normal((n, c)) * 3],
              lambda x: F.cross_entropy(x, target),
              lambda x: torch.nn.functional.cross_entropy(x, torch.tensor(target)), rng)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape", [(7,), (5, 1), (3, 4, 5)])
def test_mse_loss(rng, dtype, shape):
    _run_both("mse_loss", dtype, [rng.standard_normal(shape), rng.standard_normal(shape)],
              F.mse_loss, torch.nn.functional.mse_loss, rng)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("fn", ["softmax", "log_softmax"])
def test_softmax_family(rng, dtype, fn):
    _run_both(fn, dtype, [rng.standard_normal((4, 6)) * 5], lambda x: getattr(F, fn)(x, axis=1),
              lambda x: getattr(torch.nn.functional, fn)(x, dim=1), rng)
