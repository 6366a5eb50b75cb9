"""Argument helpers shared by the functional modules."""
import numpy as np

from ..kernels._checks import pair
from ..tensor import Tensor

__all__ = ["pair", "as_tensor", "like"]


def as_tensor(x):
    return x if isinstance(x, Tensor) else Tensor(x)


def like(t, ref):
    """A constant operand (array or Tensor) in ref's dtype, so float64 targets never upcast float32 inputs."""
    if isinstance(t, Tensor):
        return t
    return Tensor._wrap(np.asarray(t, dtype=ref.dtype))
