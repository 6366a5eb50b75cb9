"""ReLU forward and backward (and the residual join max(a + b, 0)) as Numba loops over contiguous blocks on the worker pool.

NumPy's np.maximum / g * (out > 0) run on one core and the backward makes a temporary mask array;
here each worker handles one block of the flat array in one pass. Below threadpool.MIN_PARALLEL_WORK
elements everything runs inline on the caller's thread. NaN propagates (np.maximum(nan, 0) is nan,
as torch.relu), ReLU'(0) = 0.
"""
import numpy as np
from numba import njit
from numba import uint64 as u64

from . import threadpool


@njit(nogil=True, cache=True)
def _relu(a, out, lo, hi):
    for i in range(lo, hi):
        v = a[u64(i)]
        out[u64(i)] = 0 if v <= 0 else v


@njit(nogil=True, cache=True)
def _add_relu(a, b, out, lo, hi):
    for i in range(lo, hi):
        v = a[u64(i)] + b[u64(i)]
        out[u64(i)] = 0 if v <= 0 else v


@njit(nogil=True, cache=True)
def _relu_backward(g, out, gx, lo, hi):
    for i in range(lo, hi):
        gx[u64(i)] = g[u64(i)] if out[u64(i)] > 0 else 0


def _over_blocks(kernel, size, *arrays):
    flat = tuple(a.reshape(-1) for a in arrays)
    blocks = threadpool.blocks(size, threadpool.pool_size())
    threadpool.run(lambda items: [kernel(*flat, lo, hi) for lo, hi in items], blocks, work=size)


def relu_forward(a):
    """a C-contiguous float array -> max(a, 0)."""
    out = np.empty_like(a)
    _over_blocks(_relu, a.size, a, out)
    return out


def add_relu_forward(a, b):
    """a, b of one shape and dtype, C-contiguous -> max(a + b, 0) in one pass (a residual join);
    its backward is relu_backward for both inputs."""
    out = np.empty_like(a)
    _over_blocks(_add_relu, a.size, a, b, out)
    return out


def relu_backward(g, out):
    """g and the forward's output, same shape, C-contiguous -> g where out > 0, else 0."""
    gx = np.empty_like(g)
    _over_blocks(_relu_backward, g.size, g, out, gx)
    return gx
