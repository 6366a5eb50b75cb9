"""Argument helpers shared by the functional modules."""
import numpy as np

from ..kernels._checks import pair
from ..tensor import Tensor

__all__ = ["pair", "as_tensor", "like", "unbatched", "half_as_float", "cast_back", "resolve_dim", "array_of",
           "ShapeError"]


class ShapeError(ValueError, RuntimeError):
    """Arguments whose shapes do not fit the op: a RuntimeError in torch, a ValueError by Python's convention."""


def as_tensor(x):
    return x if isinstance(x, Tensor) else Tensor(x)


def like(t, ref):
    """A constant operand (array or Tensor) in ref's dtype, so float64 targets never upcast float32 inputs."""
    if isinstance(t, Tensor):
        return t
    return Tensor._wrap(np.asarray(t, dtype=ref.dtype))


def array_of(t):
    """The ndarray behind a Tensor, or the argument as an ndarray."""
    return t.data if isinstance(t, Tensor) else np.asarray(t)


def resolve_dim(dim, axis):
    """torch's `dim`, with numpy's `axis` accepted as an alias (giving both is an error)."""
    if axis is not None:
        if dim is not None:
            raise TypeError("got both 'dim' and its alias 'axis'")
        return axis
    return dim


def unbatched(fn, x, *args):
    """torch accepts (C, H, W) as a batch of one: run fn on (1, C, H, W) and drop the batch axis again."""
    if x.ndim != 3:
        return fn(x, *args)
    out = fn(x.reshape((1,) + x.shape), *args)
    if isinstance(out, tuple):  # (values, indices)
        return tuple(o.reshape(o.shape[1:]) for o in out)
    return out.reshape(out.shape[1:])


def half_as_float(*arrays):
    """float16 operands run in float32, as torch's CPU kernels compute half -> (arrays, output dtype).
    Only when every float operand is float16; otherwise unchanged (the kernels refuse a mix, as torch)."""
    floats = [a for a in arrays if a is not None and np.issubdtype(a.dtype, np.floating)]
    if not floats or any(a.dtype != np.float16 for a in floats):
        return arrays, None
    return tuple(a if a is None or a.dtype != np.float16 else a.astype(np.float32) for a in arrays), np.float16


def cast_back(out, dtype):
    return out if dtype is None else out.astype(dtype)
