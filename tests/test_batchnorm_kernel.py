"""The Numba batch-norm kernels (training mode, optionally fused with ReLU) against a naive loop
reference, in float32 and float64, on the worker pool and inline."""
import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from minigrad.kernels import batchnorm
from test_kernels import kernel_schedule

SETTINGS = settings(max_examples=25, deadline=None)


def ref_batch_norm(x, w, b, eps, relu, g):
    """Loops over channels in float64 -> (out, mean, var, gx, gw, gb)."""
    N, C = x.shape[:2]
    x3, g3 = x.reshape(N, C, -1).astype(np.float64), g.reshape(N, C, -1).astype(np.float64)
    out, gx = np.empty_like(x3), np.empty_like(x3)
    mean, var, gw, gb = np.empty(C), np.empty(C), np.empty(C), np.empty(C)
    for c in range(C):
        v = x3[:, c]
        mean[c] = v.sum() / v.size
        var[c] = ((v - mean[c]) ** 2).sum() / v.size
        xhat = (v - mean[c]) / np.sqrt(var[c] + eps)
        y = xhat * w[c] + b[c]
        gy = g3[:, c] * (y > 0) if relu else g3[:, c]
        out[:, c] = np.maximum(y, 0) if relu else y
        gb[c], gw[c] = gy.sum(), (gy * xhat).sum()
        gx[:, c] = (gy - gb[c] / v.size - xhat * gw[c] / v.size) * w[c] / np.sqrt(var[c] + eps)
    return out.reshape(x.shape), mean, var, gx.reshape(x.shape), gw, gb


@SETTINGS
@given(st.sampled_from([(4, 3), (2, 5, 7), (3, 4, 5, 6), (2, 9, 1, 3)]), st.sampled_from([np.float32, np.float64]),
       st.booleans(), st.booleans(), st.booleans(), st.integers(0, 2**31))
def test_batch_norm_kernels_match_loop_reference(shape, dtype, relu, need_x, worker_pool, seed):
    rng = np.random.default_rng(seed)
    x = (rng.standard_normal(shape) * 3 + 1).astype(dtype)
    w = rng.uniform(0.5, 1.5, shape[1]).astype(dtype)
    b = rng.standard_normal(shape[1]).astype(dtype)
    g = rng.standard_normal(shape).astype(dtype)
    with kernel_schedule(one_image_chunks=False, worker_pool=worker_pool):
        out, mean, var, saved = batchnorm.batch_norm_train_forward(x, w, b, 1e-5, relu)
        gx, gw, gb = batchnorm.batch_norm_train_backward(g, saved, need_x)
    r_out, r_mean, r_var, r_gx, r_gw, r_gb = ref_batch_norm(x, w, b, 1e-5, relu, g)
    tol = dict(rtol=1e-4, atol=1e-4) if dtype == np.float32 else dict(rtol=1e-10, atol=1e-10)
    assert out.dtype == gw.dtype == gb.dtype == mean.dtype == dtype
    for got, ref in ((out, r_out), (mean, r_mean), (var, r_var), (gw, r_gw), (gb, r_gb)):
        np.testing.assert_allclose(got, ref, **tol)
    if need_x:
        np.testing.assert_allclose(gx, r_gx, **tol)
    else:
        assert gx is None


def test_fused_relu_mask_is_exactly_the_forward_zeros():
    """ReLU'(0) = 0: the gradient passes exactly where the forward output is positive."""
    rng = np.random.default_rng(3)
    x = rng.standard_normal((8, 4, 5, 5)).astype(np.float32)
    out, _, _, saved = batchnorm.batch_norm_train_forward(x, None, None, 1e-5, relu=True)
    g = np.ones_like(x)
    gx, gw, gb = batchnorm.batch_norm_train_backward(g, saved, True)
    passed = (out > 0).reshape(8, 4, -1).sum(axis=(0, 2))
    np.testing.assert_array_equal(gb, passed.astype(np.float32))


def test_float16_is_computed_in_float32_and_returned_in_float16():
    rng = np.random.default_rng(4)
    x = rng.standard_normal((6, 3, 4, 4)).astype(np.float16)
    g = rng.standard_normal(x.shape).astype(np.float16)
    w, b = np.ones(3, np.float16), np.zeros(3, np.float16)
    out, mean, var, saved = batchnorm.batch_norm_train_forward(x, w, b, 1e-5, relu=True)
    gx, gw, gb = batchnorm.batch_norm_train_backward(g, saved, True)
    assert out.dtype == mean.dtype == gx.dtype == gw.dtype == gb.dtype == np.float16
    r_out, _, _, r_gx, r_gw, _ = ref_batch_norm(x, w, b, 1e-5, True, g)
    np.testing.assert_allclose(out, r_out, rtol=2e-3, atol=2e-3)
    np.testing.assert_allclose(gx, r_gx, rtol=1e-2, atol=1e-2)
