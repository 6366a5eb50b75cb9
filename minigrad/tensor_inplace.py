"""In-place tensor methods (add_, mul_, zero_, copy_, x += y, x[i] = v, ...) with torch's rules.

Every in-place op writes into the tensor's existing array (views and aliases see the change) and bumps its
version counter, so a backward that needs the old values refuses to run. When a graph is being recorded,
the op is computed out of place from a copy of the old values and the tensor takes the new history, as
torch does; a change made through a view also gives the view's base a new history (ops.ViewScatter). An
in-place op on a leaf that requires grad, or on a view of one, is refused outside no_grad.
"""
import numpy as np

from . import dtypes, ops
from .autograd import is_grad_enabled
from .rng import get_rng


class InplaceMixin:
    def _records(self, others):
        return is_grad_enabled() and (self.requires_grad or any(getattr(o, "requires_grad", False) for o in others))

    def _inplace(self, op, compute, *others):
        """Run compute(src) -> Tensor or array-like (a constant) and write the result into self."""
        from .tensor import Tensor

        if not self._records(others):
            result = compute(self)
            self._write(result.data if isinstance(result, Tensor) else result, op)
            return self
        if self._ctx is None and self.requires_grad:
            raise RuntimeError(f"{op}: a leaf Variable that requires grad is being used in an in-place operation.")
        base = self._base
        if base is not None and base._ctx is None and base.requires_grad:
            raise RuntimeError(f"{op}: a view of a leaf Variable that requires grad is being used in an in-place "
                               f"operation.")
        src = Tensor._wrap(self.data.copy())      # the old values, with the old history
        src.requires_grad, src._ctx = self.requires_grad, self._ctx
        result = compute(src)
        if not isinstance(result, Tensor) or not result.requires_grad:   # a constant overwrote everything
            result = ops.Overwrite.apply(src, np.asarray(result.data if isinstance(result, Tensor) else result))
        elif result._ctx is None:                # another leaf itself (copy_): take a history through it
            result = ops.Clone.apply(result)
        self._write(result.data, op)
        self._ctx, self.requires_grad = result._ctx, True
        ctx = result._ctx
        if any(t is result for t, _ in ctx.saved_versions):      # the op saved its output: that is now self
            ctx.saved_versions = tuple((self, self._version) if t is result else (t, v) for t, v in ctx.saved_versions)
            ctx.saved_tensors = tuple(self.data if a is result.data else a for a in ctx.saved_tensors)
        chain = getattr(self, "_view_chain", None)
        if base is not None and chain:             # written through a view: the base's values changed too
            old = Tensor._wrap(base.data)
            old.requires_grad, old._ctx = base.requires_grad, base._ctx
            base._ctx = ops.ViewScatter.apply(old, self, chain=chain)._ctx
            base.requires_grad = True
            self._base_ctx = base._ctx             # this view's own history is already current
        return self

    def _write(self, values, op):
        values = np.asarray(values)
        if dtypes.category(values.dtype) > dtypes.category(self.data.dtype):
            raise RuntimeError(f"{op}: result type {values.dtype} can't be cast to the desired output type "
                               f"{self.data.dtype}")
        if values.shape != self.data.shape and np.broadcast_shapes(values.shape, self.data.shape) != self.data.shape:
            raise RuntimeError(f"{op}: output with shape {list(self.data.shape)} doesn't match the broadcast "
                               f"shape {list(np.broadcast_shapes(values.shape, self.data.shape))}")
        if not self.data.flags.writeable:
            raise RuntimeError(f"{op}: unsupported operation: more than one element of the written-to tensor "
                               f"refers to a single memory location (e.g. an expand()ed tensor). Please clone() "
                               f"the tensor before performing the operation.")
        np.copyto(self.data, values, casting="unsafe")
        self._bump_version()

    # ------------------------------------------------------------ arithmetic
    def add_(self, other, alpha=1):
        return self._inplace("add_", lambda s: s + (other if alpha == 1 else other * alpha), other)

    def sub_(self, other, alpha=1):
        return self._inplace("sub_", lambda s: s - (other if alpha == 1 else other * alpha), other)

    def mul_(self, other):
        return self._inplace("mul_", lambda s: s * other, other)

    def div_(self, other, rounding_mode=None):
        return self._inplace("div_", lambda s: s.div(other, rounding_mode=rounding_mode), other)

    def pow_(self, exponent):
        return self._inplace("pow_", lambda s: s ** exponent, exponent)

    def addcmul_(self, tensor1, tensor2, value=1):
        return self._inplace("addcmul_", lambda s: s + value * tensor1 * tensor2, tensor1, tensor2)

    def addcdiv_(self, tensor1, tensor2, value=1):
        return self._inplace("addcdiv_", lambda s: s + value * tensor1 / tensor2, tensor1, tensor2)

    def lerp_(self, end, weight):
        return self._inplace("lerp_", lambda s: s + weight * (end - s), end, weight)

    __iadd__, __isub__, __imul__ = add_, sub_, mul_

    def __itruediv__(self, other):
        return self.div_(other)

    def __ifloordiv__(self, other):
        return self._inplace("floor_divide_", lambda s: s // other, other)

    def __imod__(self, other):
        return self._inplace("remainder_", lambda s: s % other, other)

    def __ipow__(self, other):
        return self.pow_(other)

    # ------------------------------------------------------------ unary
    def neg_(self):
        return self._inplace("neg_", lambda s: -s)

    def abs_(self):
        return self._inplace("abs_", lambda s: s.abs())

    def exp_(self):
        return self._inplace("exp_", lambda s: s.exp())

    def log_(self):
        return self._inplace("log_", lambda s: s.log())

    def sqrt_(self):
        return self._inplace("sqrt_", lambda s: s.sqrt())

    def rsqrt_(self):
        return self._inplace("rsqrt_", lambda s: s.rsqrt())

    def reciprocal_(self):
        return self._inplace("reciprocal_", lambda s: s.reciprocal())

    def sigmoid_(self):
        return self._inplace("sigmoid_", lambda s: s.sigmoid())

    def tanh_(self):
        return self._inplace("tanh_", lambda s: s.tanh())

    def relu_(self):
        return self._inplace("relu_", lambda s: s.relu())

    def clamp_(self, min=None, max=None):
        return self._inplace("clamp_", lambda s: s.clamp(min, max), min, max)

    clip_ = clamp_

    def floor_(self):
        return self._inplace("floor_", lambda s: s.floor())

    def ceil_(self):
        return self._inplace("ceil_", lambda s: s.ceil())

    def round_(self, decimals=0):
        return self._inplace("round_", lambda s: s.round(decimals=decimals))

    def sign_(self):
        return self._inplace("sign_", lambda s: s.sign())

    # ------------------------------------------------------------ overwrite
    def zero_(self):
        return self._inplace("zero_", lambda s: np.zeros((), self.data.dtype))

    def fill_(self, value):
        return self._inplace("fill_", lambda s: value if hasattr(value, "requires_grad") else np.asarray(value), value)

    def copy_(self, src, non_blocking=False):
        from .tensor import Tensor

        def compute(s):
            if not isinstance(src, Tensor):
                return np.asarray(src)
            return src.to(s.dtype).expand(s.shape) if src.shape != s.shape else src.to(s.dtype)
        return self._inplace("copy_", compute, src)

    def masked_fill_(self, mask, value):
        return self._inplace("masked_fill_", lambda s: s.masked_fill(mask, value), value)

    def normal_(self, mean=0.0, std=1.0, generator=None):
        rng = get_rng(generator)
        return self._inplace("normal_", lambda s: rng.normal(mean, std, s.shape))

    def uniform_(self, a=0.0, b=1.0, generator=None):
        rng = get_rng(generator)
        return self._inplace("uniform_", lambda s: rng.uniform(a, b, s.shape))

    def __setitem__(self, index, value):
        from .tensor import Tensor

        index = ops.as_index(index)
        if not self._records((value,)):
            if isinstance(value, Tensor):
                value = value.data
            if dtypes.category(np.asarray(value).dtype) > dtypes.category(self.data.dtype):
                raise RuntimeError(f"index_put_: value of type {np.asarray(value).dtype} can't be cast to a "
                                   f"{self.data.dtype} tensor")
            if not self.data.flags.writeable:
                self._write(self.data, "index_put_")   # raises the read-only error
            self.data[index] = value
            self._bump_version()
            return
        value = value if isinstance(value, Tensor) else Tensor._wrap(np.asarray(value, dtype=self.data.dtype))
        self._inplace("index_put_", lambda s: ops.SetItem.apply(s, value._as(s.dtype), index=index), value)
