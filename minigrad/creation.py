"""Tensor constructors with torch's signatures: tensor (dtype inference), zeros/ones/full/empty/eye/arange/
linspace, the random ones (rand, randn, randint, randperm), the *_like family, cat and stack."""
import numpy as np

from . import dtypes, ops
from .rng import get_rng
from .tensor import Tensor


def _sizes(shape):
    return tuple(shape[0]) if len(shape) == 1 and isinstance(shape[0], (tuple, list)) else tuple(shape)


def _make(arr, dtype, requires_grad, op):
    if dtype is not None:
        arr = arr.astype(dtypes.as_dtype(dtype, op), copy=False)
    t = Tensor._wrap(arr)
    if requires_grad:
        t.requires_grad_(True)
    return t


def tensor(data, dtype=None, requires_grad=False, device=None):
    """torch.tensor: a copy of data; ndarrays keep their dtype, Python floats give float32, ints int64."""
    if isinstance(data, Tensor):
        data = data.data
    return _make(dtypes.infer_array(data), dtype, requires_grad, "tensor")


def as_tensor(data, dtype=None, device=None):
    if isinstance(data, Tensor) and (dtype is None or data.dtype == np.dtype(dtype)):
        return data
    return tensor(data, dtype=dtype)


def from_numpy(array):
    """A tensor sharing the array's memory (torch.from_numpy)."""
    return Tensor._wrap(dtypes.check_array_dtype(np.asarray(array), "from_numpy"))


def zeros(*shape, dtype=None, requires_grad=False, device=None):
    return _make(np.zeros(_sizes(shape), dtype=dtypes.DEFAULT_FLOAT), dtype, requires_grad, "zeros")


def ones(*shape, dtype=None, requires_grad=False, device=None):
    return _make(np.ones(_sizes(shape), dtype=dtypes.DEFAULT_FLOAT), dtype, requires_grad, "ones")


empty = zeros


def full(size, fill_value, dtype=None, requires_grad=False, device=None):
    arr = dtypes.infer_array(fill_value)
    return _make(np.full(_sizes((size,)), arr, dtype=arr.dtype), dtype, requires_grad, "full")


def eye(n, m=None, dtype=None, requires_grad=False, device=None):
    return _make(np.eye(n, m, dtype=dtypes.DEFAULT_FLOAT), dtype, requires_grad, "eye")


def arange(start, end=None, step=1, dtype=None, requires_grad=False, device=None):
    """int64 for integer arguments, float32 as soon as one is a float (torch's rule)."""
    if end is None:
        start, end = 0, start
    floats = any(isinstance(v, float) or (isinstance(v, Tensor) and v.dtype.kind == "f") for v in (start, end, step))
    arr = np.arange(float(start), float(end), float(step)) if floats else np.arange(int(start), int(end), int(step))
    return _make(arr.astype(dtypes.DEFAULT_FLOAT if floats else np.int64), dtype, requires_grad, "arange")


def linspace(start, end, steps, dtype=None, requires_grad=False, device=None):
    return _make(np.linspace(start, end, steps).astype(dtypes.DEFAULT_FLOAT), dtype, requires_grad, "linspace")


def randn(*shape, dtype=None, requires_grad=False, generator=None, device=None):
    rng = get_rng(generator)
    return _make(rng.standard_normal(_sizes(shape)).astype(dtypes.DEFAULT_FLOAT), dtype, requires_grad, "randn")


def rand(*shape, dtype=None, requires_grad=False, generator=None, device=None):
    rng = get_rng(generator)
    return _make(rng.random(_sizes(shape)).astype(dtypes.DEFAULT_FLOAT), dtype, requires_grad, "rand")


def randint(low, high=None, size=None, dtype=None, generator=None, device=None):
    if high is None:
        low, high = 0, low
    rng = get_rng(generator)
    return _make(rng.integers(low, high, size=tuple(size)).astype(np.int64), dtype, False, "randint")


def randperm(n, dtype=None, generator=None, device=None):
    rng = get_rng(generator)
    return _make(rng.permutation(n).astype(np.int64), dtype, False, "randperm")


def _like(fn, t, dtype, requires_grad):
    arr = t.data if isinstance(t, Tensor) else np.asarray(t)
    return _make(fn(arr), dtype, requires_grad, "like")


def zeros_like(input, dtype=None, requires_grad=False, device=None):
    return _like(np.zeros_like, input, dtype, requires_grad)


def ones_like(input, dtype=None, requires_grad=False, device=None):
    return _like(np.ones_like, input, dtype, requires_grad)


empty_like = zeros_like


def full_like(input, fill_value, dtype=None, requires_grad=False, device=None):
    return _like(lambda a: np.full_like(a, fill_value), input, dtype, requires_grad)


def rand_like(input, dtype=None, requires_grad=False, device=None):
    return _like(lambda a: get_rng().random(a.shape).astype(a.dtype), input, dtype, requires_grad)


def randn_like(input, dtype=None, requires_grad=False, device=None):
    return _like(lambda a: get_rng().standard_normal(a.shape).astype(a.dtype), input, dtype, requires_grad)


def _as_tensors(tensors, op):
    tensors = [t if isinstance(t, Tensor) else tensor(t) for t in tensors]
    if not tensors:
        raise RuntimeError(f"{op}(): expected a non-empty list of Tensors")
    dt = tensors[0].dtype
    for t in tensors[1:]:
        dt = dtypes.promote(dt, t.dtype)
    return [t._as(dt) for t in tensors]


def cat(tensors, dim=0, *, axis=None):
    """torch.cat (alias concat/concatenate); numpy's `axis` is accepted too."""
    tensors = _as_tensors(tensors, "cat")
    dim = dim if axis is None else axis
    ref = next((t for t in tensors if t.shape != (0,)), tensors[0])   # torch skips legacy empty 1-D tensors
    if ref.ndim == 0:
        raise RuntimeError("zero-dimensional tensor cannot be concatenated")
    d = ref._dim(dim, "cat")
    tensors = [t for t in tensors if t.shape != (0,) or t is ref]
    for i, t in enumerate(tensors):
        if t.ndim != ref.ndim or t.shape[:d] + t.shape[d + 1:] != ref.shape[:d] + ref.shape[d + 1:]:
            raise RuntimeError(f"Sizes of tensors must match except in dimension {d}. Expected sizes "
                               f"{list(ref.shape)} (except dim {d}) but got {list(t.shape)} for tensor number {i} "
                               f"in the list.")
    return ops.Cat.apply(*tensors, axis=d)


concat = concatenate = cat


def stack(tensors, dim=0, *, axis=None):
    tensors = _as_tensors(tensors, "stack")
    dim = dim if axis is None else axis
    for i, t in enumerate(tensors):
        if t.shape != tensors[0].shape:
            raise RuntimeError(f"stack expects each tensor to be equal size, but got {list(tensors[0].shape)} at "
                               f"entry 0 and {list(t.shape)} at entry {i}")
    n = tensors[0].ndim + 1
    if not -n <= dim < n:
        raise IndexError(f"stack: Dimension out of range (expected to be in range of [{-n}, {n - 1}], but got {dim})")
    return ops.Stack.apply(*tensors, axis=dim % n)
