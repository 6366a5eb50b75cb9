"""Pointwise activations with torch's signatures, forward formulas and gradient edge rules.

Each activation is a small object with `forward(x)` and `grad(x, y)` (dy/dx from the input and the output);
one Function, PointwiseFn, runs any of them, so the autograd plumbing exists once. Edges follow PyTorch:
ReLU'(0) = 0, hardtanh's gradient is 0 on its bounds, leaky_relu uses the negative slope at 0.
"""
import math

import numpy as np

from ..autograd import Function
from ..kernels.special import erf
from ._util import as_tensor


def stable_sigmoid(x):
    """1 / (1 + exp(-x)) without overflow: exp of a non-positive number only."""
    e = np.exp(-np.abs(x))
    return np.where(x >= 0, 1 / (1 + e), e / (1 + e)).astype(x.dtype, copy=False)


def stable_softplus(x):
    """log(1 + exp(x)) for any x, without overflow."""
    return np.maximum(x, 0) + np.log1p(np.exp(-np.abs(x)))


class PointwiseFn(Function):
    @staticmethod
    def forward(ctx, x, act):
        if not np.issubdtype(x.dtype, np.floating):
            raise TypeError(f"{act.name}: expected a floating point input, got {x.dtype}")
        out = np.asarray(act.forward(x), dtype=x.dtype)
        ctx.save_for_backward(x, out)
        ctx.act = act
        return out

    @staticmethod
    def backward(ctx, g):
        x, out = ctx.saved_tensors
        return g * ctx.act.grad(x, out), None


class _Act:
    name = "activation"

    def __call__(self, x):
        return PointwiseFn.apply(as_tensor(x), self)


class _Threshold(_Act):
    """x > threshold ? x : value (relu is threshold 0, value 0)."""
    name = "threshold"

    def __init__(self, threshold, value):
        self.threshold, self.value = threshold, value

    def forward(self, x):
        return np.where(x > self.threshold, x, self.value)

    def grad(self, x, y):
        return x > self.threshold


class _LeakyReLU(_Act):
    name = "leaky_relu"

    def __init__(self, slope):
        self.slope = slope

    def forward(self, x):
        return np.where(x > 0, x, x * self.slope)

    def grad(self, x, y):
        return np.where(x > 0, 1.0, self.slope).astype(x.dtype)


class _ELU(_Act):
    """scale * (x > 0 ? x : alpha * (exp(x * input_scale) - 1)): elu, selu and celu."""

    def __init__(self, name, alpha, scale=1.0, input_scale=1.0):
        self.name, self.alpha, self.scale, self.input_scale = name, alpha, scale, input_scale

    def forward(self, x):
        neg = self.alpha * np.expm1(np.minimum(x, 0) * self.input_scale)
        return self.scale * np.where(x > 0, x, neg)

    def grad(self, x, y):
        neg = self.alpha * self.input_scale * np.exp(np.minimum(x, 0) * self.input_scale)
        return self.scale * np.where(x > 0, 1.0, neg).astype(x.dtype)


class _Hardtanh(_Act):
    name = "hardtanh"

    def __init__(self, lo, hi):
        self.lo, self.hi = lo, hi

    def forward(self, x):
        return np.clip(x, self.lo, self.hi)

    def grad(self, x, y):
        return (x > self.lo) & (x < self.hi)


class _GELU(_Act):
    name = "gelu"
    _k = math.sqrt(2.0 / math.pi)

    def __init__(self, approximate):
        if approximate not in ("none", "tanh"):
            raise ValueError(f"gelu: approximate must be 'none' or 'tanh', got {approximate!r}")
        self.tanh = approximate == "tanh"

    def forward(self, x):
        if self.tanh:
            return 0.5 * x * (1 + np.tanh(self._k * (x + 0.044715 * x ** 3)))
        return 0.5 * x * (1 + erf(x * x.dtype.type(math.sqrt(0.5))))

    def grad(self, x, y):
        if self.tanh:
            t = np.tanh(self._k * (x + 0.044715 * x ** 3))
            return 0.5 * (1 + t) + 0.5 * x * (1 - t * t) * self._k * (1 + 3 * 0.044715 * x * x)
        cdf = 0.5 * (1 + erf(x * x.dtype.type(math.sqrt(0.5))))
        return cdf + x * np.exp(-0.5 * x * x) * (1 / math.sqrt(2 * math.pi))


class _Formula(_Act):
    """An activation without parameters given by two functions."""

    def __init__(self, name, forward, grad):
        self.name, self.forward, self.grad = name, forward, grad


class _Softplus(_Act):
    name = "softplus"

    def __init__(self, beta, threshold):
        self.beta, self.threshold = beta, threshold

    def forward(self, x):
        bx = x * self.beta
        return np.where(bx > self.threshold, x, stable_softplus(bx) / self.beta)

    def grad(self, x, y):
        bx = x * self.beta
        return np.where(bx > self.threshold, 1.0, stable_sigmoid(bx)).astype(x.dtype)


class _Shrink(_Act):
    """Zero on [-lambd, lambd]; hardshrink keeps x outside, softshrink moves it towards 0 by lambd."""

    def __init__(self, name, lambd, soft):
        self.name, self.lambd, self.soft = name, lambd, soft

    def forward(self, x):
        outside = (x < -self.lambd) | (x > self.lambd)
        return np.where(outside, x - np.sign(x) * self.lambd if self.soft else x, 0)

    def grad(self, x, y):
        return (x < -self.lambd) | (x > self.lambd)


def _silu_grad(x, y):
    s = stable_sigmoid(x)
    return s * (1 + x * (1 - s))


def _mish_grad(x, y):
    t = np.tanh(stable_softplus(x))
    return t + x * stable_sigmoid(x) * (1 - t * t)


def _hardswish_grad(x, y):
    return np.where(x <= -3, 0.0, np.where(x < 3, x / 3 + 0.5, 1.0)).astype(x.dtype)


_silu = _Formula("silu", lambda x: x * stable_sigmoid(x), _silu_grad)
_mish = _Formula("mish", lambda x: x * np.tanh(stable_softplus(x)), _mish_grad)
_softsign = _Formula("softsign", lambda x: x / (1 + np.abs(x)), lambda x, y: 1 / (1 + np.abs(x)) ** 2)
_hardsigmoid = _Formula("hardsigmoid", lambda x: np.clip(x / 6 + 0.5, 0, 1),
                        lambda x, y: ((x > -3) & (x < 3)) / x.dtype.type(6))
_hardswish = _Formula("hardswish", lambda x: x * np.clip(x + 3, 0, 6) / 6, _hardswish_grad)
_logsigmoid = _Formula("logsigmoid", lambda x: -stable_softplus(-x), lambda x, y: stable_sigmoid(-x))
_tanhshrink = _Formula("tanhshrink", lambda x: x - np.tanh(x), lambda x, y: np.tanh(x) ** 2)

_SELU_ALPHA, _SELU_SCALE = 1.6732632423543772848170429916717, 1.0507009873554804934193349852946


def relu(input, inplace=False):
    """`inplace` is accepted for torch code and computes out of place (see README, Differences)."""
    return as_tensor(input).relu()


def sigmoid(input):
    return as_tensor(input).sigmoid()


def tanh(input):
    return as_tensor(input).tanh()


def threshold(input, threshold, value, inplace=False):
    return _Threshold(threshold, value)(input)


def relu6(input, inplace=False):
    return _Hardtanh(0.0, 6.0)(input)


def hardtanh(input, min_val=-1.0, max_val=1.0, inplace=False):
    if min_val > max_val:
        raise ValueError(f"hardtanh: min_val {min_val} cannot be greater than max_val {max_val}")
    return _Hardtanh(min_val, max_val)(input)


def leaky_relu(input, negative_slope=0.01, inplace=False):
    return _LeakyReLU(negative_slope)(input)


def elu(input, alpha=1.0, inplace=False):
    return _ELU("elu", alpha)(input)


def selu(input, inplace=False):
    return _ELU("selu", _SELU_ALPHA, _SELU_SCALE)(input)


def celu(input, alpha=1.0, inplace=False):
    if alpha == 0:
        raise ValueError("celu: alpha cannot be 0")
    return _ELU("celu", alpha, 1.0, 1.0 / alpha)(input)


def gelu(input, approximate="none"):
    return _GELU(approximate)(input)


def silu(input, inplace=False):
    return _silu(input)


def mish(input, inplace=False):
    return _mish(input)


def softplus(input, beta=1.0, threshold=20.0):
    return _Softplus(beta, threshold)(input)


def softsign(input):
    return _softsign(input)


def hardsigmoid(input, inplace=False):
    return _hardsigmoid(input)


def hardswish(input, inplace=False):
    return _hardswish(input)


def logsigmoid(input):
    return _logsigmoid(input)


def tanhshrink(input):
    return _tanhshrink(input)


def hardshrink(input, lambd=0.5):
    return _Shrink("hardshrink", lambd, soft=False)(input)


def softshrink(input, lambd=0.5):
    if lambd < 0:
        raise ValueError(f"softshrink: lambda must be >= 0, got {lambd}")
    return _Shrink("softshrink", lambd, soft=True)(input)


class PReLUFn(Function):
    """x > 0 ? x : w * x with one slope per channel (axis 1) or one shared slope."""

    @staticmethod
    def forward(ctx, x, w):
        view = w.reshape((1, -1) + (1,) * (x.ndim - 2)) if w.size > 1 else w.reshape(())
        ctx.save_for_backward(x, view)
        ctx.w_shape = w.shape
        return np.where(x > 0, x, view * x)

    @staticmethod
    def backward(ctx, g):
        x, view = ctx.saved_tensors
        gx = np.where(x > 0, g, view * g) if ctx.needs_input_grad[0] else None
        gw = None
        if ctx.needs_input_grad[1]:
            gxw = np.where(x > 0, 0, x * g)
            gw = (gxw.sum() if len(ctx.w_shape) == 0 or ctx.w_shape == (1,) else
                  gxw.sum(axis=tuple(a for a in range(x.ndim) if a != 1)))
            gw = np.reshape(gw, ctx.w_shape)
        return gx, gw


def prelu(input, weight):
    x = as_tensor(input)
    n = weight.numel() if hasattr(weight, "numel") else np.size(weight)
    if n != 1 and (x.ndim < 2 or x.shape[1] != n):
        raise ValueError(f"prelu: weight with {n} slopes does not match the {x.shape[1] if x.ndim > 1 else 1} "
                         f"channels of input {x.shape}")
    return PReLUFn.apply(x, as_tensor(weight))


def glu(input, dim=-1):
    """a * sigmoid(b) where a, b are the two halves of input along dim."""
    x = as_tensor(input)
    n = x.shape[dim] if x.ndim else 0
    if n % 2:
        raise ValueError(f"glu: halving dimension {dim} of input {x.shape} needs an even size, got {n}")
    dim %= x.ndim
    lead = (slice(None),) * dim
    return x[lead + (slice(0, n // 2),)] * x[lead + (slice(n // 2, n),)].sigmoid()
