"""Elementwise tensor methods: torch's named arithmetic (add, mul, div...), maths (exp, sin, rsqrt...),
activations and clamping. Each calls a Function in minigrad.ops (or composes them)."""
import numpy as np

from . import dtypes, ops


class MathMixin:
    # ------------------------------------------------------------ named arithmetic
    def add(self, other, alpha=1):
        return self + (other if alpha == 1 else other * alpha)

    def sub(self, other, alpha=1):
        return self - (other if alpha == 1 else other * alpha)

    subtract = sub

    def mul(self, other):
        return self * other

    multiply = mul

    def div(self, other, rounding_mode=None):
        if rounding_mode is None:
            return self / other
        if rounding_mode == "floor":
            return self // other
        if rounding_mode == "trunc":
            a, b = self._pair(other)
            if a.dtype.kind == "f":
                return (a / b).trunc()
            return type(self)._wrap(np.asarray(np.trunc(a.data / b.data)).astype(a.dtype))
        raise ValueError(f"div: rounding_mode must be None, 'trunc' or 'floor', not {rounding_mode!r}")

    divide = true_divide = div

    def floor_divide(self, other):
        return self // other

    def remainder(self, other):
        return self % other

    def fmod(self, other):
        """Remainder with the sign of the dividend (C's fmod)."""
        if self.dtype.kind == "f":
            return self - (self / other).trunc() * other
        a, b = self._pair(other)
        return type(self)._wrap(np.asarray(np.fmod(a.data, b.data)))

    def pow(self, exponent):
        return self ** exponent

    def matmul(self, other):
        return self @ other

    def mm(self, other):
        if self.ndim != 2 or getattr(other, "ndim", 0) != 2:
            raise RuntimeError(f"mm: both arguments must be 2D, got {self.ndim}D and {getattr(other, 'ndim', 0)}D")
        return self @ other

    bmm = matmul

    def dot(self, other):
        if self.ndim != 1 or other.ndim != 1:
            raise RuntimeError(f"dot: 1D tensors expected, but got {self.ndim}D and {other.ndim}D tensors")
        return self @ other

    def outer(self, other):
        if self.ndim != 1 or other.ndim != 1:
            raise RuntimeError(f"outer: 1D tensors expected, but got {self.ndim}D and {other.ndim}D tensors")
        return self.reshape(-1, 1) * other.reshape(1, -1)

    ger = outer

    def trace(self):
        if self.ndim != 2:
            raise RuntimeError(f"trace: expected a matrix, but got tensor with dim {self.ndim}")
        return self.diagonal().sum()

    def neg(self):
        return -self

    negative = neg

    def maximum(self, other):
        return ops.Maximum.apply(*self._pair(other))

    def minimum(self, other):
        return ops.Maximum.apply(*self._pair(other), lower=True)

    def where(self, condition, other):
        return where(condition, self, other)

    def lerp(self, end, weight):
        return self + weight * (end - self)

    def addcmul(self, tensor1, tensor2, value=1):
        return self + value * tensor1 * tensor2

    def addcdiv(self, tensor1, tensor2, value=1):
        return self + value * tensor1 / tensor2

    # ------------------------------------------------------------ maths
    def _float_unary(self, fn):
        """Integer inputs are promoted to float32 first, as torch does for exp, sin, sqrt..."""
        x = self if self.dtype.kind == "f" else self._as(dtypes.DEFAULT_FLOAT)
        return fn.apply(x)

    def exp(self):
        return self._float_unary(ops.Exp)

    def log(self):
        return self._float_unary(ops.Log)

    def sqrt(self):
        return self._float_unary(ops.Sqrt)

    def rsqrt(self):
        return self._float_unary(ops.Rsqrt)

    def reciprocal(self):
        return self._float_unary(ops.Reciprocal)

    def sin(self):
        return self._float_unary(ops.Sin)

    def cos(self):
        return self._float_unary(ops.Cos)

    def tan(self):
        return self._float_unary(ops.Tan)

    def asin(self):
        return self._float_unary(ops.Asin)

    def acos(self):
        return self._float_unary(ops.Acos)

    def atan(self):
        return self._float_unary(ops.Atan)

    def asinh(self):
        return self._float_unary(ops.Asinh)

    def acosh(self):
        return self._float_unary(ops.Acosh)

    def atanh(self):
        return self._float_unary(ops.Atanh)

    def exp2(self):
        return self._float_unary(ops.Exp2)

    arcsin, arccos, arctan, arcsinh, arccosh, arctanh = asin, acos, atan, asinh, acosh, atanh

    def sinh(self):
        return self._float_unary(ops.Sinh)

    def cosh(self):
        return self._float_unary(ops.Cosh)

    def log2(self):
        return self._float_unary(ops.Log2)

    def log10(self):
        return self._float_unary(ops.Log10)

    def log1p(self):
        return self._float_unary(ops.Log1p)

    def expm1(self):
        return self._float_unary(ops.Expm1)

    def square(self):
        return ops.Square.apply(self)

    def abs(self):
        if self.dtype.kind != "f":
            return type(self)._wrap(np.abs(self.data))
        return ops.Abs.apply(self)

    absolute = abs

    def _rounding(self, fn):
        if self.dtype.kind != "f":
            return self.clone() if fn is not ops.Sign else type(self)._wrap(np.sign(self.data))
        return fn.apply(self)

    def sign(self):
        return self._rounding(ops.Sign)

    def floor(self):
        return self._rounding(ops.Floor)

    def ceil(self):
        return self._rounding(ops.Ceil)

    def trunc(self):
        return self._rounding(ops.Trunc)

    fix = trunc

    def round(self, decimals=0):
        if decimals == 0:
            return self._rounding(ops.Round)
        scale = 10.0 ** decimals
        return (self * scale)._rounding(ops.Round) / scale

    def frac(self):
        return self - self.trunc()

    # ------------------------------------------------------------ activations
    def relu(self):
        return ops.ReLU.apply(self)

    def sigmoid(self):
        return ops.Sigmoid.apply(self)

    def tanh(self):
        return ops.Tanh.apply(self)

    def softmax(self, dim, dtype=None):
        from . import functional as F
        return F.softmax(self if dtype is None else self.to(dtype), dim)

    def log_softmax(self, dim, dtype=None):
        from . import functional as F
        return F.log_softmax(self if dtype is None else self.to(dtype), dim)

    def clamp(self, min=None, max=None):
        from .tensor import Tensor
        if min is None and max is None:
            raise RuntimeError("clamp: at least one of 'min' or 'max' must not be None")
        if isinstance(min, Tensor) or isinstance(max, Tensor):
            out = self if min is None else self.maximum(min)
            return out if max is None else out.minimum(max)
        if self.dtype.kind != "f" and any(isinstance(v, float) for v in (min, max)):
            return self._as(dtypes.DEFAULT_FLOAT).clamp(min, max)
        return ops.Clamp.apply(self, min, max)

    clip = clamp

    def clamp_min(self, min):
        return self.clamp(min=min)

    def clamp_max(self, max):
        return self.clamp(max=max)

    def isnan(self):
        return type(self)._wrap(np.isnan(self.data))

    def isinf(self):
        return type(self)._wrap(np.isinf(self.data))

    def isfinite(self):
        return type(self)._wrap(np.isfinite(self.data))

    def logical_not(self):
        return type(self)._wrap(np.logical_not(self.data))

    def logical_and(self, other):
        return type(self)._wrap(np.logical_and(self.data, getattr(other, "data", other)))

    def logical_or(self, other):
        return type(self)._wrap(np.logical_or(self.data, getattr(other, "data", other)))

    def isclose(self, other, rtol=1e-05, atol=1e-08, equal_nan=False):
        return type(self)._wrap(np.isclose(self.data, getattr(other, "data", other), rtol, atol, equal_nan))

    def allclose(self, other, rtol=1e-05, atol=1e-08, equal_nan=False):
        return bool(np.allclose(self.data, getattr(other, "data", other), rtol, atol, equal_nan))

    def equal(self, other):
        return self.shape == other.shape and bool(np.array_equal(self.data, other.data))


def where(condition, input=None, other=None):
    """torch.where(cond, x, y): x where cond holds, else y (differentiable in x and y, broadcasting).
    where(cond) alone gives the indices of the true elements, as torch's nonzero(as_tuple=True)."""
    from .tensor import Tensor
    cond = condition.data if isinstance(condition, Tensor) else np.asarray(condition)
    if input is None and other is None:
        return tuple(Tensor._wrap(i) for i in np.nonzero(cond))
    if cond.dtype != np.bool_:
        raise RuntimeError(f"where: expected a bool condition, got {cond.dtype}")
    if not isinstance(input, Tensor):
        if not isinstance(other, Tensor):
            input = Tensor._wrap(dtypes.infer_array(input))
        else:
            b, a = other._pair(input)
            return ops.Where.apply(cond, a, b)
    a, b = input._pair(other)
    return ops.Where.apply(cond, a, b)
