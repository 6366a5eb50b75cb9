"""Tensor: an ndarray plus the autograd bookkeeping (requires_grad, grad, the Function that made it)."""
import numpy as np

from . import ops
from .autograd import Function, is_grad_enabled, run_backward
from .rng import get_rng

_FLOATS = (np.float32, np.float64)


def _to_array(data, dtype=None):
    """float32 unless told otherwise; float64 arrays stay float64 (used for gradient checks)."""
    if isinstance(data, Tensor):
        data = data.data
    if dtype is not None:
        return np.asarray(data, dtype=dtype)
    arr = np.asarray(data)
    if isinstance(data, (np.ndarray, np.generic)) and arr.dtype.type in _FLOATS:
        return arr
    return arr.astype(np.float32)       # python scalars/lists, ints and bools become float32


class Tensor:
    __array_priority__ = 1000   # make `ndarray + Tensor` call Tensor.__radd__

    def __init__(self, data, requires_grad=False, dtype=None):
        self.data = _to_array(data, dtype)
        if requires_grad and self.data.dtype.type not in _FLOATS:
            raise TypeError(f"only float32/float64 tensors can require gradients, not {self.data.dtype}")
        self.requires_grad = bool(requires_grad)
        self.grad = None
        self._ctx = None

    @classmethod
    def _wrap(cls, arr):
        """A Tensor over `arr` exactly as it is (no dtype conversion): for op outputs."""
        t = cls.__new__(cls)
        t.data, t.requires_grad, t.grad, t._ctx = arr, False, None, None
        return t

    # ------------------------------------------------------------ basic properties
    shape = property(lambda self: self.data.shape)
    dtype = property(lambda self: self.data.dtype)
    ndim = property(lambda self: self.data.ndim)
    size = property(lambda self: self.data.size)

    def numel(self):
        return self.data.size

    def __len__(self):
        return len(self.data)

    @property
    def is_leaf(self):
        return self._ctx is None

    def numpy(self):
        return self.data

    def item(self):
        return self.data.item()

    def tolist(self):
        return self.data.tolist()

    def detach(self):
        return Tensor._wrap(self.data)

    def requires_grad_(self, flag=True):
        self.requires_grad = bool(flag)
        return self

    def __repr__(self):
        extra = ", requires_grad=True" if self.requires_grad else ""
        return f"Tensor({np.array2string(self.data, precision=4, threshold=20)}, dtype={self.dtype}{extra})"

    def __bool__(self):
        return bool(self.data)

    def __float__(self):
        return float(self.data)

    def __int__(self):
        return int(self.data)

    def __array__(self, dtype=None, copy=None):
        return self.data if dtype is None else self.data.astype(dtype)

    # ------------------------------------------------------------ autograd
    def backward(self, grad=None, retain_graph=False):
        if not self.requires_grad:
            raise RuntimeError("backward() on a tensor that does not require grad (no graph was recorded)")
        if grad is None:
            if self.data.size != 1:
                raise RuntimeError(f"backward() needs an explicit grad for a non-scalar tensor of shape {self.shape}")
            grad = np.ones(self.shape, dtype=self.dtype)
        else:
            grad = np.asarray(grad.data if isinstance(grad, Tensor) else grad, dtype=self.dtype)
            if grad.shape != self.shape:
                raise ValueError(f"backward() grad of shape {grad.shape} for a tensor of shape {self.shape}")
        run_backward(self, grad, retain_graph=retain_graph)

    # ------------------------------------------------------------ operand coercion
    def _operand(self, other):
        """Scalars and arrays adopt this tensor's dtype, so python floats never upcast float32."""
        if isinstance(other, Tensor):
            return other
        return Tensor._wrap(np.asarray(other, dtype=self.dtype))

    def __add__(self, o):
        return ops.Add.apply(self, self._operand(o))

    def __radd__(self, o):
        return ops.Add.apply(self._operand(o), self)

    def __sub__(self, o):
        return ops.Sub.apply(self, self._operand(o))

    def __rsub__(self, o):
        return ops.Sub.apply(self._operand(o), self)

    def __mul__(self, o):
        return ops.Mul.apply(self, self._operand(o))

    def __rmul__(self, o):
        return ops.Mul.apply(self._operand(o), self)

    def __truediv__(self, o):
        return ops.Div.apply(self, self._operand(o))

    def __rtruediv__(self, o):
        return ops.Div.apply(self._operand(o), self)

    def __neg__(self):
        return ops.Neg.apply(self)

    def __pow__(self, p):
        if isinstance(p, Tensor) or (isinstance(p, np.ndarray) and p.ndim > 0):
            return ops.Pow.apply(self, self._operand(p))
        return ops.PowScalar.apply(self, float(p) if not float(p).is_integer() else int(p))

    def __rpow__(self, c):
        if isinstance(c, (int, float, np.number)):
            return ops.RPowScalar.apply(self, float(c))
        return ops.Pow.apply(self._operand(c), self)

    def __matmul__(self, o):
        return ops.MatMul.apply(self, self._operand(o))

    def __rmatmul__(self, o):
        return ops.MatMul.apply(self._operand(o), self)

    # comparisons give plain (non-differentiable) bool tensors
    def _cmp(self, o, fn):
        o = o.data if isinstance(o, Tensor) else o
        return Tensor._wrap(fn(self.data, o))

    def __lt__(self, o):
        return self._cmp(o, np.less)

    def __le__(self, o):
        return self._cmp(o, np.less_equal)

    def __gt__(self, o):
        return self._cmp(o, np.greater)

    def __ge__(self, o):
        return self._cmp(o, np.greater_equal)

    def eq(self, o):
        return self._cmp(o, np.equal)

    __hash__ = object.__hash__   # identity hashing (Tensors are dict keys in optimizers)

    # ------------------------------------------------------------ elementwise math
    def exp(self):
        return ops.Exp.apply(self)

    def log(self):
        return ops.Log.apply(self)

    def sqrt(self):
        return ops.Sqrt.apply(self)

    def abs(self):
        return ops.Abs.apply(self)

    def relu(self):
        return ops.ReLU.apply(self)

    def sigmoid(self):
        return ops.Sigmoid.apply(self)

    def tanh(self):
        return ops.Tanh.apply(self)

    def clamp(self, min=None, max=None):
        return ops.Clamp.apply(self, min, max)

    def astype(self, dtype):
        dtype = np.dtype(dtype)
        return self if dtype == self.dtype else ops.Cast.apply(self, dtype)

    def float(self):
        return self.astype(np.float32)

    def double(self):
        return self.astype(np.float64)

    # ------------------------------------------------------------ reductions
    def sum(self, axis=None, keepdims=False):
        return ops.Sum.apply(self, axis=axis, keepdims=keepdims)

    def mean(self, axis=None, keepdims=False):
        return ops.Mean.apply(self, axis=axis, keepdims=keepdims)

    def max(self, axis=None, keepdims=False):
        return ops.Max.apply(self, axis=axis, keepdims=keepdims)

    def min(self, axis=None, keepdims=False):
        return -ops.Max.apply(-self, axis=axis, keepdims=keepdims)

    def argmax(self, axis=None, keepdims=False):
        return Tensor._wrap(np.asarray(np.argmax(self.data, axis=axis, keepdims=keepdims)))

    def argmin(self, axis=None, keepdims=False):
        return Tensor._wrap(np.asarray(np.argmin(self.data, axis=axis, keepdims=keepdims)))

    # ------------------------------------------------------------ shape ops
    def reshape(self, *shape):
        if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
            shape = tuple(shape[0])
        return ops.Reshape.apply(self, shape)

    view = reshape

    def flatten(self, start_dim=0, end_dim=-1):
        nd = self.ndim
        if nd == 0:
            return self.reshape(1)
        s, e = start_dim % nd, end_dim % nd
        shape = self.shape[:s] + (int(np.prod(self.shape[s:e + 1])),) + self.shape[e + 1:]
        return self.reshape(shape)

    def permute(self, *axes):
        if len(axes) == 1 and isinstance(axes[0], (tuple, list)):
            axes = tuple(axes[0])
        axes = tuple(a % self.ndim for a in axes)
        if sorted(axes) != list(range(self.ndim)):
            raise ValueError(f"permute: {axes} is not a permutation of {self.ndim} axes")
        return ops.Transpose.apply(self, axes)

    def transpose(self, *axes):
        """No axes: reverse them. A full permutation: numpy semantics. Two axes of a tensor that is not
        2-D: swap them (torch semantics, e.g. x.transpose(1, 2))."""
        if len(axes) == 1 and isinstance(axes[0], (tuple, list)):
            axes = tuple(axes[0])
        if not axes:
            axes = tuple(reversed(range(self.ndim)))
        elif len(axes) == 2 and self.ndim != 2:
            perm = list(range(self.ndim))
            i, j = axes[0] % self.ndim, axes[1] % self.ndim
            perm[i], perm[j] = perm[j], perm[i]
            axes = tuple(perm)
        return self.permute(axes)

    @property
    def T(self):
        return self.transpose()

    def __getitem__(self, index):
        if isinstance(index, Tensor):
            index = index.data
        elif isinstance(index, tuple):
            index = tuple(i.data if isinstance(i, Tensor) else i for i in index)
        elif isinstance(index, list):
            index = np.asarray(index)
        return ops.GetItem.apply(self, index)

    def unsqueeze(self, axis):
        axis = axis % (self.ndim + 1)
        return self.reshape(self.shape[:axis] + (1,) + self.shape[axis:])

    def squeeze(self, axis=None):
        if axis is None:
            return self.reshape(tuple(n for n in self.shape if n != 1))
        axis = axis % self.ndim
        if self.shape[axis] != 1:
            return self
        return self.reshape(self.shape[:axis] + self.shape[axis + 1:])


# ---------------------------------------------------------------- constructors
def tensor(data, requires_grad=False, dtype=None):
    return Tensor(data, requires_grad=requires_grad, dtype=dtype)


def _shape(shape):
    return tuple(shape[0]) if len(shape) == 1 and isinstance(shape[0], (tuple, list)) else shape


def zeros(*shape, dtype=np.float32, requires_grad=False):
    return Tensor(np.zeros(_shape(shape), dtype=dtype), requires_grad=requires_grad)


def ones(*shape, dtype=np.float32, requires_grad=False):
    return Tensor(np.ones(_shape(shape), dtype=dtype), requires_grad=requires_grad)


def randn(*shape, dtype=np.float32, requires_grad=False):
    return Tensor(get_rng().standard_normal(_shape(shape)).astype(dtype), requires_grad=requires_grad)


def rand(*shape, dtype=np.float32, requires_grad=False):
    return Tensor(get_rng().random(_shape(shape)).astype(dtype), requires_grad=requires_grad)


def zeros_like(t, requires_grad=False):
    return Tensor(np.zeros_like(t.data if isinstance(t, Tensor) else t), requires_grad=requires_grad)


def ones_like(t, requires_grad=False):
    return Tensor(np.ones_like(t.data if isinstance(t, Tensor) else t), requires_grad=requires_grad)


def _as_tensors(tensors):
    tensors = [t if isinstance(t, Tensor) else Tensor(t) for t in tensors]
    if not tensors:
        raise ValueError("need at least one tensor")
    return tensors


def cat(tensors, axis=0):
    return ops.Cat.apply(*_as_tensors(tensors), axis=axis)


def stack(tensors, axis=0):
    return ops.Stack.apply(*_as_tensors(tensors), axis=axis)


__all__ = ["Tensor", "Function", "tensor", "zeros", "ones", "randn", "rand", "zeros_like", "ones_like",
           "cat", "stack", "is_grad_enabled"]
