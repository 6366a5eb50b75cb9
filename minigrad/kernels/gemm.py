"""2-D matrix products on the kernel workers, never on BLAS's own thread pool.

A multi-threaded BLAS call made on the caller's thread wakes OpenBLAS's pool, whose threads then keep
spinning for tens of milliseconds after the call has returned, on the very cores the kernel workers
need for the next convolution (measured on 2 cores: a Winograd 3x3 conv, 64 channels on 10x42, batch
32, forward + backward took 48 ms at 2 workers, the same as at one, because of the two small
weight-transform GEMMs it made on the caller's thread; 39 ms with those made single-threaded). So the
library's own GEMMs split their output into one block per worker, each block a single-threaded BLAS
call, and small products run single-threaded on the caller's thread. Each output element is computed
by one BLAS call over the full K and the split depends only on the shapes and the worker count, so the
result is the same bit for bit on every call (not always bit for bit np.matmul's: for a block BLAS may
choose another kernel than for the whole product).
"""
import numpy as np

from . import threadpool

# Below this many flops a product runs inline (single-threaded BLAS): a hand-off costs more.
MIN_SPLIT_FLOPS = 1 << 22


def matmul(a, b, out=None):
    """a (M, K) @ b (K, N) -> out (M, N) (a new array if out is None): numpy's result, dtype included."""
    if out is None:
        out = np.empty((a.shape[0], b.shape[1]), dtype=np.result_type(a, b))
    M, K = a.shape
    N = b.shape[1]
    flops = 2 * M * N * K
    workers = threadpool.pool_size(needs_blas=True)
    if workers < 2 or flops < MIN_SPLIT_FLOPS or max(M, N) < 2 * workers:
        with threadpool.caller_blas_single_threaded():
            np.matmul(a, b, out=out)
        return out
    if N >= M:   # column blocks: each worker reads all of a and its own columns of b
        def task(items):
            for lo, hi in items:
                np.matmul(a, b[:, lo:hi], out=out[:, lo:hi])
        parts = threadpool.blocks(N, workers)
    else:
        def task(items):
            for lo, hi in items:
                np.matmul(a[lo:hi], b, out=out[lo:hi])
        parts = threadpool.blocks(M, workers)
    threadpool.run(task, parts, needs_blas=True, work=flops)
    return out


def matmul_last_axis(a, b):
    """a (..., K) @ b (K, N) or b (K,), as np.matmul computes it, the 2-D product through matmul()."""
    if b.ndim != 2 or a.ndim == 0:
        return np.matmul(a, b)
    if a.ndim == 1:
        return matmul(a[None], b)[0]
    return matmul(a.reshape(-1, a.shape[-1]), b).reshape(a.shape[:-1] + (b.shape[1],))
