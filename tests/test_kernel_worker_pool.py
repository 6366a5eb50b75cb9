"""The conv worker pool: found with numpy's OpenBLAS, honours the caller's numpy error state and BLAS thread
count, survives a fork, and deals weight-gradient partial sums statically (bitwise reproducible)."""
import numpy as np
import pytest

from minigrad import kernels as K
from minigrad.kernels import threadpool
from test_kernels import kernel_schedule


def test_conv_worker_pool_is_available_here():
    """The fast path (per-worker single-threaded OpenBLAS) must be found with numpy's OpenBLAS."""
    assert threadpool._find_local_thread_setter() is not None


def test_conv_workers_follow_the_callers_numpy_error_state():
    """np.errstate is per thread; the conv workers must honour the caller's (here: raise)."""
    x = np.full((4, 1, 5, 5), 3e38, np.float32)
    w = np.full((2, 1, 3, 3), 3e38, np.float32)
    with kernel_schedule(True, True), np.errstate(over="raise"):
        with pytest.raises(FloatingPointError):
            K.conv2d_forward(x, w, None, 1, 1)


def test_kernels_work_in_a_forked_child_after_the_parent_used_the_pool():
    """A fork inherits the worker pool object but not its threads: the child must build its own."""
    import multiprocessing as mp
    x = np.random.default_rng(0).standard_normal((4, 2, 6, 6)).astype(np.float32)
    with kernel_schedule(True, True):
        K.max_pool2d_forward(x, 2, 2, 0)  # the parent's pool now exists
        ctx = mp.get_context("fork")
        with ctx.Pool(1) as procs:
            out = procs.apply_async(_child_pool_sum, (x,)).get(timeout=120)
    np.testing.assert_allclose(out, K.max_pool2d_forward(x, 2, 2, 0)[0].sum(), rtol=1e-6)


def _child_pool_sum(x):
    from minigrad.kernels import conv as conv_kernels
    conv_kernels._MIN_GEMM_COLS, conv_kernels._CACHE_BYTES = 1, 1
    return float(K.max_pool2d_forward(x, 2, 2, 0)[0].sum())


def test_conv2d_weight_gradient_is_bitwise_reproducible_on_the_worker_pool():
    # Partial gW sums are dealt to workers statically, so scheduling never changes the float32 result.
    rng = np.random.default_rng(7)
    x = rng.standard_normal((16, 8, 12, 20)).astype(np.float32)
    w = rng.standard_normal((16, 8, 3, 3)).astype(np.float32)
    b = rng.standard_normal(16).astype(np.float32)
    with kernel_schedule(one_image_chunks=True, worker_pool=True):
        out, saved = K.conv2d_forward(x, w, b, (1, 1), (1, 1))
        g = rng.standard_normal(out.shape).astype(np.float32)
        first = K.conv2d_backward(g, saved, True, True, True)
        for _ in range(20):
            again = K.conv2d_backward(g, saved, True, True, True)
            for a, c in zip(first, again):
                assert np.array_equal(a, c)


def test_conv_leaves_the_callers_blas_thread_count_alone():
    # Workers run single-threaded BLAS; the caller's own numpy matmuls must keep all their threads.
    setter = threadpool.blas_setter()
    before = setter(2)
    setter(before)
    rng = np.random.default_rng(3)
    x = rng.standard_normal((8, 4, 10, 12)).astype(np.float32)
    w = rng.standard_normal((6, 4, 3, 3)).astype(np.float32)
    with kernel_schedule(one_image_chunks=True, worker_pool=True):
        out, saved = K.conv2d_forward(x, w, None, (1, 1), (1, 1))
        K.conv2d_backward(np.ones_like(out), saved, True, True, False)
    assert setter(before) == before
