"""The fused Numba Adam/AdamW update against the element-wise formulas, several steps, float32 and
float64, on the worker pool (blocks) and inline."""
import math

import numpy as np
import pytest

from minigrad.kernels.adam import adam_update
from test_kernels import kernel_schedule


def reference_step(p, g, m, v, lr, b1, b2, eps, wd, decoupled, t):
    p, g = p.astype(np.float64), g.astype(np.float64)
    if decoupled:
        p = p * (1 - lr * wd)
    else:
        g = g + wd * p
    m = b1 * m + (1 - b1) * g
    v = b2 * v + (1 - b2) * g * g
    p = p - lr / (1 - b1 ** t) * m / (np.sqrt(v) / math.sqrt(1 - b2 ** t) + eps)
    return p, m, v


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("decoupled,wd", [(False, 0.0), (False, 0.1), (True, 0.01)])
@pytest.mark.parametrize("worker_pool", [True, False])
def test_fused_adam_matches_the_formulas(dtype, decoupled, wd, worker_pool):
    rng = np.random.default_rng(0)
    p = rng.standard_normal((37, 29)).astype(dtype)
    m, v = np.zeros_like(p), np.zeros_like(p)
    rp, rm, rv = p.astype(np.float64), np.zeros(p.shape), np.zeros(p.shape)
    for t in range(1, 6):
        g = rng.standard_normal(p.shape).astype(dtype)
        with kernel_schedule(one_image_chunks=False, worker_pool=worker_pool):
            adam_update(p, g, m, v, 1e-2, 0.9, 0.999, 1e-8, wd, decoupled, t)
        rp, rm, rv = reference_step(rp, g, rm, rv, 1e-2, 0.9, 0.999, 1e-8, wd, decoupled, t)
    tol = dict(rtol=1e-5, atol=1e-6) if dtype == np.float32 else dict(rtol=1e-12, atol=1e-14)
    assert p.dtype == m.dtype == v.dtype == dtype
    np.testing.assert_allclose(p, rp, **tol)
    np.testing.assert_allclose(m, rm, **tol)
    np.testing.assert_allclose(v, rv, **tol)
