"""Orderings and scans along a dim, with torch's return types: sort/argsort/topk/median/kthvalue,
cumsum/cumprod/cummax/cummin/logcumsumexp. Values are differentiable (they are taken from the input)."""
from collections import namedtuple

import numpy as np

from . import ops
from .ops.scan import running_arg_extreme, sort_indices

SortResult = namedtuple("sort", ["values", "indices"])
TopkResult = namedtuple("topk", ["values", "indices"])
CumResult = namedtuple("cummax", ["values", "indices"])
MedianResult = namedtuple("median", ["values", "indices"])
KthvalueResult = namedtuple("kthvalue", ["values", "indices"])


class SortScanMixin:
    def _take(self, index, d):
        from .tensor import Tensor
        return ops.Gather.apply(self, d, index), Tensor._wrap(index)

    def sort(self, dim=-1, descending=False, stable=False):
        if self.ndim == 0:
            return SortResult(self.clone(), type(self)._wrap(np.zeros((), np.int64)))
        d = self._dim(dim, "sort")
        return SortResult(*self._take(sort_indices(self.data, d, descending), d))

    def argsort(self, dim=-1, descending=False, stable=False):
        return self.sort(dim, descending, stable).indices

    def msort(self):
        return self.sort(0).values

    def topk(self, k, dim=-1, largest=True, sorted=True):
        d = self._dim(dim, "topk")
        n = self.shape[d] if self.ndim else 1
        if not 0 <= k <= n:
            raise RuntimeError(f"topk(): selected index k={k} out of range for a dim of size {n}")
        if self.ndim == 0:
            return TopkResult(self.clone(), type(self)._wrap(np.zeros((), np.int64)))
        order = np.take(sort_indices(self.data, d, largest), np.arange(k), axis=d)
        return TopkResult(*self._take(order, d))

    def kthvalue(self, k, dim=-1, keepdim=False):
        d = self._dim(dim, "kthvalue")
        n = self.shape[d] if self.ndim else 1
        if not 1 <= k <= n:
            raise RuntimeError(f"kthvalue(): selected number k={k} out of range for a dim of size {n}")
        x = self if self.ndim else self.reshape(1)
        order = np.take(sort_indices(x.data, d, False), [k - 1], axis=d)
        values, indices = x._take(order, d)
        if not keepdim or self.ndim == 0:
            values, indices = values.squeeze(d), indices.squeeze(d)
        return KthvalueResult(values, indices)

    def median(self, dim=None, keepdim=False):
        """The lower median, as torch. median() of the whole tensor returns the value only."""
        if dim is None:
            flat = self.flatten()
            return flat.kthvalue((flat.numel() + 1) // 2, 0).values
        n = self.shape[self._dim(dim, "median")] if self.ndim else 1
        return MedianResult(*self.kthvalue((n + 1) // 2, dim, keepdim))

    # ------------------------------------------------------------ scans
    def cumsum(self, dim, dtype=None):
        x = self if dtype is None else self.to(dtype)
        d = x._dim(dim, "cumsum")
        return x.clone() if x.ndim == 0 else ops.CumSum.apply(x, d)

    def cumprod(self, dim, dtype=None):
        x = self if dtype is None else self.to(dtype)
        d = x._dim(dim, "cumprod")
        return x.clone() if x.ndim == 0 else ops.CumProd.apply(x, d)

    def _cum_extreme(self, dim, lower, op):
        d = self._dim(dim, op)
        if self.ndim == 0:
            return CumResult(self.clone(), type(self)._wrap(np.zeros((), np.int64)))
        index = running_arg_extreme(self.data, d, lower)
        values, indices = self._take(index, d)
        return namedtuple(op, ["values", "indices"])(values, indices)

    def cummax(self, dim):
        return self._cum_extreme(dim, False, "cummax")

    def cummin(self, dim):
        return self._cum_extreme(dim, True, "cummin")

    def logcumsumexp(self, dim):
        d = self._dim(dim, "logcumsumexp")
        return self.clone() if self.ndim == 0 else ops.LogCumSumExp.apply(self, d)
