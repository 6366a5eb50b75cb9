"""Adam / AdamW parameter update as one Numba pass per block of a parameter, on the worker pool.

NumPy's version makes about ten passes over the parameter-sized arrays (and temporaries); this reads
p, grad, m, v once and writes p, m, v once. The arithmetic is done in the parameter's dtype (the
coefficients arrive as an array of that dtype), as torch does for float32 parameters. Blocks are
disjoint, so the result does not depend on the scheduling.
"""
import numpy as np
from numba import njit
from numba import uint64 as u64

from . import threadpool


@njit(nogil=True, cache=True, error_model="numpy")  # IEEE division (no zero check): the loop vectorises
def _adam(p, g, m, v, coef, coupled, lo, hi):
    b1, one_b1, b2, one_b2 = coef[0], coef[1], coef[2], coef[3]
    decay, wd, step_size, bc2_sqrt, eps = coef[4], coef[5], coef[6], coef[7], coef[8]
    for i in range(lo, hi):
        k = u64(i)
        pi = p[k]
        gi = g[k]
        if coupled:
            gi = gi + wd * pi
        else:
            pi = pi * decay
        mi = m[k] * b1 + one_b1 * gi
        vi = v[k] * b2 + one_b2 * (gi * gi)
        m[k] = mi
        v[k] = vi
        p[k] = pi - step_size * (mi / (np.sqrt(vi) / bc2_sqrt + eps))


def adam_update(p, grad, m, v, lr, b1, b2, eps, wd, decoupled, t):
    """In place on C-contiguous p, m, v (grad read only), all of one float dtype; step number t >= 1."""
    coef = np.array([b1, 1 - b1, b2, 1 - b2, 1 - lr * wd if decoupled else 1.0, wd,
                     lr / (1 - b1 ** t), np.sqrt(1 - b2 ** t), eps], dtype=p.dtype)
    coupled = wd != 0 and not decoupled
    flat = [a.reshape(-1) for a in (p, grad, m, v)]
    blocks = threadpool.blocks(p.size, threadpool.pool_size())
    threadpool.run(lambda items: [_adam(*flat, coef, coupled, lo, hi) for lo, hi in items], blocks, work=4 * p.size)
