"""Argument normalisation shared by the kernels (plain Python, runs once per call)."""
import numpy as np

FLOAT_TYPES = (np.float32, np.float64)


def pair(v, name):
    """int or (h, w) -> (h, w) of Python ints."""
    if isinstance(v, (int, np.integer)):
        return int(v), int(v)
    t = tuple(int(e) for e in v)
    if len(t) != 2:
        raise ValueError(f"{name} must be an int or a pair, got {v!r}")
    return t


def as_float(a, name, dtype=None):
    """C-contiguous float32/float64 array; `dtype` forces the dtype of a partner operand."""
    a = np.asarray(a)
    if dtype is None:
        if a.dtype.type not in FLOAT_TYPES:
            raise TypeError(f"{name} must be float32 or float64, got {a.dtype}")
        dtype = a.dtype
    return np.ascontiguousarray(a, dtype=dtype)


def out_size(size, k, s, p, what):
    """Output length of a sliding window, with a clear error when nothing fits."""
    if k <= 0 or s <= 0 or p < 0:
        raise ValueError(f"{what}: kernel and stride must be positive and padding >= 0")
    o = (size + 2 * p - k) // s + 1
    if o < 1:
        raise ValueError(f"{what}: kernel {k} larger than padded input {size} + 2*{p}")
    return o
