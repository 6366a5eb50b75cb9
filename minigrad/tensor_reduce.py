"""Reductions with torch's signatures: sum, mean, prod, max/min (values and indices), amax/amin, argmax/argmin,
var/std, logsumexp, all/any, norm.

`dim`/`keepdim` are torch's names; numpy's `axis`/`keepdims` are accepted as aliases with exactly torch's
meaning (torch accepts them too): `x.max(axis=1)` returns (values, indices) as `x.max(dim=1)` does.
"""
from collections import namedtuple

import numpy as np

from . import ops

MaxResult = namedtuple("max", ["values", "indices"])
MinResult = namedtuple("min", ["values", "indices"])


class ReduceMixin:
    def _dim(self, dim, op):
        """One dim as a non-negative int, with torch's range error (a 0-d tensor accepts 0 and -1)."""
        n = max(self.ndim, 1)
        if not isinstance(dim, (int, np.integer)) or isinstance(dim, bool):
            raise TypeError(f"{op}: dim must be an int, not {type(dim).__name__}")
        if not -n <= dim < n:
            raise IndexError(f"{op}: Dimension out of range (expected to be in range of [{-n}, {n - 1}], "
                             f"but got {dim})")
        return int(dim) % n

    def _dims(self, dim, axis, op):
        """None (all dims), an int or a tuple of ints; on a 0-d tensor every valid dim means 'all'."""
        if axis is not None:
            if dim is not None:
                raise TypeError(f"{op}: got both dim and its numpy alias axis")
            dim = axis
        if dim is None:
            return None
        if isinstance(dim, (tuple, list)):
            dims = tuple(self._dim(d, op) for d in dim)
            if len(set(dims)) != len(dims):
                raise RuntimeError(f"{op}: dim {tuple(dim)} appears multiple times in the list of dims")
            return None if self.ndim == 0 else dims
        d = self._dim(dim, op)
        return None if self.ndim == 0 else d

    def sum(self, dim=None, keepdim=False, dtype=None, *, axis=None, keepdims=None):
        x = self if dtype is None else self.to(dtype)
        return ops.Sum.apply(x, axis=x._dims(dim, axis, "sum"), keepdims=bool(keepdims or keepdim))

    def mean(self, dim=None, keepdim=False, dtype=None, *, axis=None, keepdims=None):
        x = self if dtype is None else self.to(dtype)
        if x.dtype.kind != "f":
            raise RuntimeError(f"mean(): could not infer output dtype. Input dtype must be floating point, "
                               f"got {x.dtype}")
        return ops.Mean.apply(x, axis=x._dims(dim, axis, "mean"), keepdims=bool(keepdims or keepdim))

    def prod(self, dim=None, keepdim=False, dtype=None):
        x = self if dtype is None else self.to(dtype)
        if x.dtype.kind == "b":
            x = x.long()
        return ops.Prod.apply(x, axis=x._dims(dim, None, "prod"), keepdims=bool(keepdim))

    def _extreme(self, dim, keepdim, axis, keepdims, lower):
        from .tensor import Tensor

        op = "min" if lower else "max"
        if isinstance(dim, Tensor):
            return self.minimum(dim) if lower else self.maximum(dim)
        dims = self._dims(dim, axis, op)
        keep = bool(keepdims or keepdim)
        if (dim is None and axis is None) or isinstance(dims, tuple):
            return ops.Max.apply(self, axis=dims, keepdims=keep, lower=lower, first=False)
        if dims is None:                                    # a dim of a 0-d tensor
            dim = 0
        values = ops.Max.apply(self, axis=dims, keepdims=keep, lower=lower, first=True)
        indices = self.argmin(dim, keep) if lower else self.argmax(dim, keep)
        return (MinResult if lower else MaxResult)(values, indices)

    def max(self, dim=None, keepdim=False, *, axis=None, keepdims=None):
        """max() -> 0-d tensor; max(dim) -> (values, indices); max(other) -> elementwise maximum."""
        return self._extreme(dim, keepdim, axis, keepdims, lower=False)

    def min(self, dim=None, keepdim=False, *, axis=None, keepdims=None):
        return self._extreme(dim, keepdim, axis, keepdims, lower=True)

    def amax(self, dim=None, keepdim=False):
        return ops.Max.apply(self, axis=self._dims(dim if dim != () else None, None, "amax"),
                             keepdims=keepdim, first=False)

    def amin(self, dim=None, keepdim=False):
        return ops.Max.apply(self, axis=self._dims(dim if dim != () else None, None, "amin"),
                             keepdims=keepdim, lower=True, first=False)

    def _arg(self, fn, dim, keepdim, axis, keepdims, op):
        from .tensor import Tensor

        if self.data.size == 0:
            raise RuntimeError(f"{op}(): Expected reduction dim to be specified for input.numel() == 0.")
        dims = self._dims(dim, axis, op)
        keep = bool(keepdims or keepdim)
        if dims is None:
            out = np.asarray(fn(self.data.reshape(-1)), dtype=np.int64)
            return Tensor._wrap(out.reshape((1,) * self.ndim) if keep else out)
        return Tensor._wrap(np.asarray(fn(self.data, axis=dims, keepdims=keep), dtype=np.int64))

    def argmax(self, dim=None, keepdim=False, *, axis=None, keepdims=None):
        return self._arg(np.argmax, dim, keepdim, axis, keepdims, "argmax")

    def argmin(self, dim=None, keepdim=False, *, axis=None, keepdims=None):
        return self._arg(np.argmin, dim, keepdim, axis, keepdims, "argmin")

    def var(self, dim=None, unbiased=None, keepdim=False, *, correction=None, axis=None, keepdims=None):
        """Variance with torch's Bessel correction (correction=1 / unbiased=True by default)."""
        if isinstance(dim, bool):                     # var(unbiased) in torch's old positional form
            dim, unbiased = None, dim
        if correction is None:
            correction = 1 if unbiased is None or unbiased else 0
        dims = self._dims(dim, axis, "var")
        keep = bool(keepdims or keepdim)
        mean = self.mean(dims, keepdim=True)
        n = self.data.size if dims is None else int(np.prod([self.shape[d] for d in np.atleast_1d(dims)]))
        d = self - mean
        with np.errstate(divide="ignore", invalid="ignore"):
            return (d * d).sum(dims, keepdim=keep) / max(n - correction, 0)

    def std(self, dim=None, unbiased=None, keepdim=False, *, correction=None, axis=None, keepdims=None):
        var = self.var(dim, unbiased, keepdim, correction=correction, axis=axis, keepdims=keepdims)
        return ops.StdFromVar.apply(var)

    def logsumexp(self, dim, keepdim=False):
        from . import functional as F
        dims = self._dims(dim, None, "logsumexp")
        return F.logsumexp(self, dims, keepdim)

    def all(self, dim=None, keepdim=False, *, axis=None, keepdims=None):
        from .tensor import Tensor
        dims = self._dims(dim, axis, "all")
        return Tensor._wrap(np.asarray(np.all(self.data, axis=dims, keepdims=bool(keepdims or keepdim))))

    def any(self, dim=None, keepdim=False, *, axis=None, keepdims=None):
        from .tensor import Tensor
        dims = self._dims(dim, axis, "any")
        return Tensor._wrap(np.asarray(np.any(self.data, axis=dims, keepdims=bool(keepdims or keepdim))))

    def count_nonzero(self, dim=None):
        from .tensor import Tensor
        return Tensor._wrap(np.asarray(np.count_nonzero(self.data, axis=self._dims(dim, None, "count_nonzero")),
                                       dtype=np.int64))

    def norm(self, p=2, dim=None, keepdim=False):
        """p-norm (2 by default, 'fro' = 2, inf = max |x|) over dim or the whole tensor."""
        dims = self._dims(dim, None, "norm")
        if p in ("fro", 2):
            return (self * self).sum(dims, keepdim=keepdim).sqrt()
        if p in (float("inf"), "inf"):
            return self.abs().amax(dims, keepdim=keepdim)
        if p == 1:
            return self.abs().sum(dims, keepdim=keepdim)
        return (self.abs() ** p).sum(dims, keepdim=keepdim) ** (1.0 / p)
