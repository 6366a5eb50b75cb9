"""kernels/gemm.py: the worker-split matrix product equals np.matmul (to rounding: BLAS may pick another
kernel for a block than for the whole), is the same bit for bit on every call, and leaves the caller's
BLAS thread count as it was."""
import numpy as np
import pytest

from minigrad.kernels import conv_algorithms, gemm, threadpool, winograd


@pytest.fixture
def split_everything(monkeypatch):
    monkeypatch.setattr(gemm, "MIN_SPLIT_FLOPS", 0)
    monkeypatch.setattr(threadpool, "MIN_PARALLEL_WORK", 0)


@pytest.mark.parametrize("m, k, n", [(3, 5, 7), (40, 9, 3), (2, 64, 1000), (257, 33, 4), (1, 1, 1), (0, 3, 4), (4, 0, 5)])
@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.int64])
def test_matmul_equals_numpy(split_everything, m, k, n, dtype):
    rng = np.random.default_rng(m * 1000 + n)
    a = (rng.standard_normal((m, k)) * 10).astype(dtype)
    b = (rng.standard_normal((n, k)) * 10).astype(dtype).T     # a transposed operand, read in place
    expected = a @ b
    got = gemm.matmul(a, b)
    assert got.dtype == expected.dtype and got.shape == expected.shape
    rtol = 1e-5 if dtype == np.float32 else 1e-12
    np.testing.assert_allclose(got, expected, rtol=rtol, atol=rtol * max(1, k) * 100)
    out = np.full((m, n), -1, dtype=dtype)
    assert gemm.matmul(a, b, out=out) is out
    np.testing.assert_array_equal(out, got)


@pytest.mark.parametrize("a_shape, b_shape", [((6, 4), (4, 3)), ((2, 5, 4), (4, 3)), ((4,), (4, 3)), ((2, 4), (4,))])
def test_matmul_last_axis_equals_numpy(split_everything, a_shape, b_shape):
    rng = np.random.default_rng(0)
    a, b = rng.standard_normal(a_shape), rng.standard_normal(b_shape)
    np.testing.assert_allclose(gemm.matmul_last_axis(a, b), np.matmul(a, b), rtol=1e-12)


def test_caller_blas_thread_count_is_restored(split_everything):
    setter = threadpool.blas_setter()
    assert setter is not None, "numpy's OpenBLAS has openblas_set_num_threads_local"
    before = setter(2)
    try:
        a = np.ones((64, 64), np.float32)
        gemm.matmul(a, a)
        with threadpool.caller_blas_single_threaded():
            pass
        assert setter(2) == 2      # what the caller had is what it has now
    finally:
        setter(before)


def test_winograd_weight_transforms_match_the_formula(split_everything):
    rng = np.random.default_rng(1)
    w = rng.standard_normal((5, 7, 3, 3)).astype(np.float32)
    u = winograd.weight_tiles(w)
    G = winograd.G
    for co, ci in ((0, 0), (4, 6), (2, 3)):
        ref = (G @ w[co, ci].astype(np.float64) @ G.T).reshape(16)
        np.testing.assert_allclose(u[:, co, ci], ref, rtol=1e-6, atol=1e-6)
    gu = rng.standard_normal((16, 5, 7)).astype(np.float32)   # the adjoint: <U(w), gu> = <w, U*(gu)>
    lhs = float((winograd.weight_tiles(w).astype(np.float64) * gu).sum())
    rhs = float((w.astype(np.float64) * winograd.weight_from_tiles(gu)).sum())
    assert abs(lhs - rhs) < 1e-4 * max(1.0, abs(lhs))
    assert conv_algorithms.forced is None
