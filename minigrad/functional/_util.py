"""Argument helpers shared by the functional modules."""
import numpy as np

from ..kernels._checks import pair
from ..tensor import Tensor

__all__ = ["pair", "as_tensor", "like", "unbatched"]


def as_tensor(x):
    return x if isinstance(x, Tensor) else Tensor(x)


def like(t, ref):
    """A constant operand (array or Tensor) in ref's dtype, so float64 targets never upcast float32 inputs."""
    if isinstance(t, Tensor):
        return t
    return Tensor._wrap(np.asarray(t, dtype=ref.dtype))


def unbatched(fn, x, *args):
    """torch accepts (C, H, W) as a batch of one: run fn on (1, C, H, W) and drop the batch axis again."""
    if x.ndim != 3:
        return fn(x, *args)
    out = fn(x.reshape((1,) + x.shape), *args)
    if isinstance(out, tuple):  # (values, indices)
        return tuple(o.reshape(o.shape[1:]) for o in out)
    return out.reshape(out.shape[1:])
