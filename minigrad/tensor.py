"""Tensor: an ndarray plus the autograd bookkeeping (requires_grad, grad, the Function that made it, a
version counter). Operators and dtype handling live here; the other methods come from mixins by theme."""
import numpy as np

from . import dtypes, ops
from .autograd import Function, _refresh_view, is_grad_enabled, run_backward  # noqa: F401  (Function re-exported)
from .tensor_dtype import DtypeMixin
from .tensor_inplace import InplaceMixin
from .tensor_math import MathMixin
from .tensor_reduce import ReduceMixin
from .tensor_shape import ShapeMixin
from .tensor_sort_scan import SortScanMixin

_FLOATS = (np.float32, np.float64)
_SCALARS = (int, float, bool, np.number, np.bool_)


def _to_array(data, dtype=None):
    """Tensor(...)'s rule: float32 unless told otherwise; float64 arrays stay float64 (gradient checks)."""
    if isinstance(data, Tensor):
        data = data.data
    if dtype is not None:
        return dtypes.check_array_dtype(np.asarray(data, dtype=dtypes.as_dtype(dtype, "Tensor")), "Tensor")
    arr = dtypes.check_array_dtype(np.asarray(data), "Tensor")
    if isinstance(data, (np.ndarray, np.generic)) and arr.dtype.type in _FLOATS:
        return arr
    return arr.astype(np.float32)       # python scalars/lists, ints and bools become float32


class Tensor(DtypeMixin, InplaceMixin, MathMixin, ReduceMixin, ShapeMixin, SortScanMixin):
    __array_priority__ = 1000   # make `ndarray + Tensor` call Tensor.__radd__

    def __init__(self, data, *sizes, requires_grad=False, dtype=None):
        if sizes:                                  # torch.Tensor(2, 3): a (2, 3) tensor (zeros here)
            data = np.zeros((data,) + sizes, dtype=np.float32)
        self.data = _to_array(data, dtype)
        self._init_autograd(requires_grad)

    def _init_autograd(self, requires_grad):
        if requires_grad and self.data.dtype.kind != "f":
            raise RuntimeError(
                f"only Tensors of floating point dtype can require gradients, not {self.data.dtype}")
        self.requires_grad = bool(requires_grad)
        self._grad = self._ctx = self._base = self._view_chain = self._base_ctx = None
        self._vcount = 0

    # autograd defaults, as class attributes so that wrapping an op's output sets only `data`
    requires_grad = False
    _grad = _ctx = _base = _view_chain = _base_ctx = None
    _vcount = 0

    @staticmethod
    def _wrap(arr):
        """A Tensor over `arr` exactly as it is (no dtype conversion, no copy): for op outputs."""
        t = Tensor.__new__(Tensor)
        t.data = arr
        return t

    # ------------------------------------------------------------ basic properties
    shape = property(lambda self: self.data.shape)
    dtype = property(lambda self: self.data.dtype)
    ndim = property(lambda self: self.data.ndim)
    device = property(lambda self: "cpu")
    is_cuda = False

    def size(self, dim=None):
        return self.data.shape if dim is None else self.data.shape[self._dim(dim, "size")]

    def dim(self):
        return self.data.ndim

    def numel(self):
        return self.data.size

    nelement = numel

    def element_size(self):
        return self.data.itemsize

    itemsize = property(element_size)
    nbytes = property(lambda self: self.data.nbytes)

    def is_contiguous(self, memory_format=None):
        return self.data.flags.c_contiguous

    def is_floating_point(self):
        return self.data.dtype.kind == "f"

    def __len__(self):
        if self.data.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return len(self.data)

    def __iter__(self):
        if self.data.ndim == 0:
            raise TypeError("iteration over a 0-d tensor")
        return (self[i] for i in range(len(self.data)))

    @property
    def is_leaf(self):
        return self._ctx is None

    @property
    def grad_fn(self):
        return self._ctx

    @property
    def grad(self):
        return self._grad

    @grad.setter
    def grad(self, value):
        """A Tensor (or None) of this tensor's shape; an ndarray is wrapped."""
        if value is not None:
            if not isinstance(value, Tensor):
                value = Tensor._wrap(np.asarray(value))
            if value.shape != self.data.shape:
                raise RuntimeError(f"assigned grad has data of a different size: {value.shape} for a tensor "
                                   f"of shape {self.data.shape}")
        self._grad = value

    @property
    def _version(self):
        """torch's version counter: bumped by every in-place op; views share their base's counter."""
        return (self if self._base is None else self._base)._vcount

    def _bump_version(self):
        (self if self._base is None else self._base)._vcount += 1

    def numpy(self):
        """The array itself (shared memory). Unlike torch, allowed on tensors that require grad."""
        return self.data

    def item(self):
        if self.data.size != 1:
            raise RuntimeError(f"a Tensor with {self.data.size} elements cannot be converted to Scalar")
        return self.data.item()

    def tolist(self):
        return self.data.tolist()

    def detach(self):
        """The same data (and version counter) without history."""
        t = Tensor._wrap(self.data)
        t._base = self if self._base is None else self._base
        t._view_chain = None                       # shares memory, but an in-place change leaves self's history
        return t

    def detach_(self):
        self._ctx, self.requires_grad = None, False
        return self

    def clone(self):
        return ops.Clone.apply(self)

    def requires_grad_(self, flag=True):
        if flag and self.data.dtype.kind != "f":
            raise RuntimeError(f"only Tensors of floating point dtype can require gradients, not {self.dtype}")
        if not flag and self._ctx is not None:
            raise RuntimeError("you can only change requires_grad flags of leaf variables.")
        self.requires_grad = bool(flag)
        return self

    def retain_grad(self):
        """Keep .grad on a non-leaf tensor after backward (leaves always keep theirs)."""
        if self._ctx is not None:
            self._ctx.retained = self

    def __repr__(self):
        extra = ", requires_grad=True" if self.requires_grad else ""
        return f"tensor({np.array2string(self.data, precision=4, threshold=20)}, dtype={self.dtype}{extra})"

    def __bool__(self):
        if self.data.size != 1:
            raise RuntimeError(f"Boolean value of Tensor with {self.data.size} values is ambiguous")
        return bool(self.data)

    def __float__(self):
        return float(self.item())

    def __int__(self):
        return int(self.item())

    def __index__(self):
        if self.data.dtype.kind not in "iub" or self.data.size != 1:
            raise TypeError("only integer tensors of a single element can be converted to an index")
        return int(self.data.item())

    def __format__(self, spec):
        """f"{loss:.4f}" works on one-element tensors, as in torch."""
        if self.data.size == 1 and spec:
            return format(self.item(), spec)
        return format(repr(self), spec)

    def __array__(self, dtype=None, copy=None):
        return self.data if dtype is None else self.data.astype(dtype)

    # ------------------------------------------------------------ autograd
    def backward(self, gradient=None, retain_graph=None, create_graph=False):
        if create_graph:
            raise NotImplementedError("backward(create_graph=True): minigrad has no higher-order gradients")
        if self._view_chain and self._base_ctx is not self._base._ctx:
            _refresh_view(self)
        if not self.requires_grad:
            raise RuntimeError("element 0 of tensors does not require grad and does not have a grad_fn")
        if gradient is None:
            if self.data.size != 1:
                raise RuntimeError(f"grad can be implicitly created only for scalar outputs (this tensor has "
                                   f"shape {self.shape}); pass backward(gradient)")
            gradient = np.ones(self.shape, dtype=self.dtype)
        else:
            gradient = np.asarray(gradient.data if isinstance(gradient, Tensor) else gradient)
            if gradient.shape != self.shape:
                raise RuntimeError(f"backward: gradient of shape {gradient.shape} for a tensor of shape {self.shape}")
            gradient = gradient.astype(self.dtype, copy=False)
        run_backward(self, gradient, retain_graph=bool(retain_graph))

    # ------------------------------------------------------------ dtypes
    def _as(self, dtype):
        """This tensor in `dtype` (itself when it already is): differentiable between float dtypes."""
        if self.data.dtype == dtype:
            return self
        if self.requires_grad and dtype.kind == "f":
            return ops.Cast.apply(self, dtype)
        return Tensor._wrap(self.data.astype(dtype))

    # ------------------------------------------------------------ operand coercion (torch's promotion)
    def _pair(self, other):
        """(a, b): this tensor and `other` in their common dtype. Python scalars and raw ndarrays are
        'weak' (like torch's scalars): they adopt this tensor's dtype unless of a higher category."""
        if isinstance(other, Tensor):
            if other.data.dtype == self.data.dtype:
                return self, other
            dt = dtypes.result_type(self.data.dtype, self.data.ndim, other.data.dtype, other.data.ndim)
            return self._as(dt), other._as(dt)
        if isinstance(other, _SCALARS):
            dt = dtypes.scalar_result_type(self.data.dtype, other)
        else:
            other = np.asarray(other) if isinstance(other, np.ndarray) else dtypes.infer_array(other)
            dtypes.check_array_dtype(other, "operand")
            dt = self.data.dtype if dtypes.category(self.data.dtype) >= dtypes.category(other.dtype) else \
                (dtypes.DEFAULT_FLOAT if other.dtype.kind == "f" else other.dtype)
        return self._as(dt), Tensor._wrap(np.asarray(other, dtype=dt))

    def _binary(self, fn, other, reverse=False):
        a, b = self._pair(other)
        return fn.apply(b, a) if reverse else fn.apply(a, b)

    def _float_pair(self, other, reverse=False):
        a, b = self._pair(other)
        if a.data.dtype.kind != "f":
            a, b = a._as(dtypes.DEFAULT_FLOAT), b._as(dtypes.DEFAULT_FLOAT)
        return (b, a) if reverse else (a, b)

    def __add__(self, o):
        return self._binary(ops.Add, o)

    def __radd__(self, o):
        return self._binary(ops.Add, o, True)

    def __sub__(self, o):
        return self._binary(ops.Sub, o)

    def __rsub__(self, o):
        return self._binary(ops.Sub, o, True)

    def __mul__(self, o):
        return self._binary(ops.Mul, o)

    def __rmul__(self, o):
        return self._binary(ops.Mul, o, True)

    def __truediv__(self, o):
        return ops.Div.apply(*self._float_pair(o))

    def __rtruediv__(self, o):
        return ops.Div.apply(*self._float_pair(o, True))

    def __floordiv__(self, o):
        return self._binary(ops.FloorDiv, o)

    def __rfloordiv__(self, o):
        return self._binary(ops.FloorDiv, o, True)

    def __mod__(self, o):
        return self._binary(ops.Remainder, o)

    def __rmod__(self, o):
        return self._binary(ops.Remainder, o, True)

    def __neg__(self):
        return ops.Neg.apply(self)

    def __pos__(self):
        return self

    def __abs__(self):
        return self.abs()

    def __pow__(self, p):
        if isinstance(p, _SCALARS):
            a = self._as(dtypes.scalar_result_type(self.data.dtype, p))
            p = float(p)
            return ops.PowScalar.apply(a, int(p) if p.is_integer() else p)
        return self._binary(ops.Pow, p)

    def __rpow__(self, c):
        if isinstance(c, _SCALARS):
            a = self._as(dtypes.scalar_result_type(self.data.dtype, c))
            return ops.RPowScalar.apply(a, float(c))
        return self._binary(ops.Pow, c, True)

    def _matmul_pair(self, o):
        """torch refuses to multiply matrices of two dtypes (it never promotes here)."""
        if isinstance(o, Tensor) and o.data.dtype != self.data.dtype:
            raise RuntimeError(f"expected m1 and m2 to have the same dtype, but got: {self.dtype} != {o.dtype}")
        return self._pair(o)

    def __matmul__(self, o):
        return ops.MatMul.apply(*self._matmul_pair(o))

    def __rmatmul__(self, o):
        a, b = self._matmul_pair(o)
        return ops.MatMul.apply(b, a)

    # bitwise / logical ops on bool and integer tensors (no gradient)
    def _logical(self, o, fn, op):
        a, b = self._pair(o)
        if a.data.dtype.kind not in "biu":
            raise TypeError(f"{op}: bitwise operations need bool or integer tensors, not {a.dtype}")
        return Tensor._wrap(np.asarray(fn(a.data, b.data)))

    def __and__(self, o):
        return self._logical(o, np.bitwise_and, "and")

    __rand__ = __and__

    def __or__(self, o):
        return self._logical(o, np.bitwise_or, "or")

    __ror__ = __or__

    def __xor__(self, o):
        return self._logical(o, np.bitwise_xor, "xor")

    __rxor__ = __xor__

    def __lshift__(self, o):
        return self._logical(o, np.left_shift, "lshift")

    def __rshift__(self, o):
        return self._logical(o, np.right_shift, "rshift")

    bitwise_and, bitwise_or, bitwise_xor = __and__, __or__, __xor__
    bitwise_left_shift, bitwise_right_shift = __lshift__, __rshift__

    def __invert__(self):
        if self.data.dtype.kind not in "biu":
            raise TypeError(f"~: bitwise not needs a bool or integer tensor, not {self.dtype}")
        return Tensor._wrap(np.asarray(~self.data))

    bitwise_not = __invert__

    # comparisons are elementwise and give bool tensors (no gradient), as in torch
    def _cmp(self, o, fn):
        a, b = self._pair(o)
        return Tensor._wrap(np.asarray(fn(a.data, b.data)))

    def __eq__(self, o):
        if o is None:
            return False
        return self._cmp(o, np.equal)

    def __ne__(self, o):
        if o is None:
            return True
        return self._cmp(o, np.not_equal)

    def __lt__(self, o):
        return self._cmp(o, np.less)

    def __le__(self, o):
        return self._cmp(o, np.less_equal)

    def __gt__(self, o):
        return self._cmp(o, np.greater)

    def __ge__(self, o):
        return self._cmp(o, np.greater_equal)

    eq, ne, lt, le, gt, ge = __eq__, __ne__, __lt__, __le__, __gt__, __ge__
    greater, greater_equal, less, less_equal, not_equal = gt, ge, lt, le, ne

    __hash__ = object.__hash__   # identity hashing, as torch (Tensors are dict keys in optimizers)


# the constructors used to live here; other modules still import them from minigrad.tensor
from .creation import cat, ones, ones_like, rand, randn, stack, tensor, zeros, zeros_like  # noqa: E402,F401
