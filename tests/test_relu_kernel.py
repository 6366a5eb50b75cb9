"""The Numba ReLU kernels against NumPy (loops are the same one-liners), on the worker pool and inline,
with the edge values: NaN propagates, ReLU(-0.0) = 0, ReLU'(0) = 0."""
import numpy as np
import pytest

from minigrad.kernels import elementwise
from test_kernels import kernel_schedule


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("worker_pool", [True, False])
@pytest.mark.parametrize("shape", [(7,), (3, 5, 4, 2), (2, 1000)])
def test_relu_kernels_match_numpy(dtype, worker_pool, shape):
    rng = np.random.default_rng(0)
    a = rng.standard_normal(shape).astype(dtype)
    a.reshape(-1)[:3] = (0.0, -0.0, np.nan)
    g = rng.standard_normal(shape).astype(dtype)
    with kernel_schedule(one_image_chunks=False, worker_pool=worker_pool):
        out = elementwise.relu_forward(a)
        gx = elementwise.relu_backward(g, out)
    expected = np.where(np.isnan(a), np.nan, np.where(a > 0, a, 0))
    np.testing.assert_array_equal(out, expected)
    assert not np.signbit(out.reshape(-1)[1])
    np.testing.assert_array_equal(gx, np.where(out > 0, g, 0))
    assert gx.reshape(-1)[0] == 0 and gx.reshape(-1)[1] == 0
