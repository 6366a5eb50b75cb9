"""Elementwise losses between an input and a target of the same shape, with torch's `reduction=`.

Each loss is a small object with `value(a, b)` and `grads(a, b)` (d/da, d/db per element); one Function,
ElementwiseLossFn, runs any of them, so reduction and the gradient plumbing exist once. Gradients reach
the target too, as in torch. Shapes must match exactly: torch broadcasts (N, 1) against (N,) into an
(N, N) loss with only a warning, a classic silent bug, so here it is an error.
"""
import numpy as np

from .. import kernels as K
from ..autograd import Function
from ._reduction import check_reduction, reduce, upstream
from ._util import array_of, as_tensor, like
from .activation import stable_sigmoid, stable_softplus
from .loss import _legacy_reduction


class ElementwiseLossFn(Function):
    @staticmethod
    def forward(ctx, a, b, loss, reduction):
        ctx.save_for_backward(a, b)
        ctx.loss, ctx.reduction = loss, reduction
        return reduce(loss.value(a, b), reduction, a.dtype, loss.denom(a))

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved_tensors
        up = upstream(g, ctx.reduction, a.shape, ctx.loss.denom(a))
        da, db = ctx.loss.grads(a, b)
        return ((up * da if ctx.needs_input_grad[0] else None), (up * db if ctx.needs_input_grad[1] else None),
                None, None)


class _Loss:
    weight = None

    def denom(self, a):
        return None

    def __call__(self, name, input, target, reduction, size_average=None, reduce_=None):
        reduction = _legacy_reduction(size_average, reduce_, reduction, name)
        a = as_tensor(input)
        if not np.issubdtype(a.dtype, np.floating):
            raise TypeError(f"{name}: expected a floating point input, got {a.dtype}")
        b = like(target, a)
        if a.shape != b.shape:
            raise ValueError(f"{name}: input shape {a.shape} and target shape {b.shape} differ; "
                             f"reshape one of them (no broadcasting in losses)")
        if b.dtype != a.dtype:
            b = b.astype(a.dtype)
        if self.weight is not None:
            try:
                np.broadcast_shapes(self.weight.shape, a.shape)
            except ValueError:
                raise ValueError(f"{name}: weight of shape {self.weight.shape} does not broadcast to the "
                                 f"input shape {a.shape}") from None
            self.weight = self.weight.astype(a.dtype)
        return ElementwiseLossFn.apply(a, b, self, reduction)

    def weighted(self, v):
        return v if self.weight is None else v * self.weight


class _Squared(_Loss):
    def value(self, a, b):
        return (a - b) ** 2

    def grads(self, a, b):
        d = 2 * (a - b)
        return d, -d


class _Absolute(_Loss):
    def value(self, a, b):
        return np.abs(a - b)

    def grads(self, a, b):
        s = np.sign(a - b)
        return s, -s


class _Huber(_Loss):
    """Quadratic within delta of the target, linear outside. smooth_l1 is huber / beta."""

    def __init__(self, delta, scale):
        self.delta, self.scale = delta, scale

    def value(self, a, b):
        d = np.abs(a - b)
        return np.where(d < self.delta, 0.5 * d * d, self.delta * (d - 0.5 * self.delta)) * self.scale

    def grads(self, a, b):
        da = np.clip(a - b, -self.delta, self.delta) * self.scale
        return da, -da


class _BinaryCrossEntropy(_Loss):
    """On probabilities; log terms clamped at -100 as in torch, so 0 and 1 give finite losses."""

    def __init__(self, weight):
        self.weight = weight

    def value(self, a, b):
        with np.errstate(divide="ignore"):
            return self.weighted(-(b * np.maximum(np.log(a), -100) + (1 - b) * np.maximum(np.log1p(-a), -100)))

    def grads(self, a, b):
        with np.errstate(divide="ignore"):
            db = np.maximum(np.log1p(-a), -100) - np.maximum(np.log(a), -100)
        return self.weighted((a - b) / np.maximum((1 - a) * a, 1e-12)), self.weighted(db)


class _BinaryCrossEntropyWithLogits(_Loss):
    """(1 - t) x + (1 + (pos_weight - 1) t) softplus(-x), the stable form torch uses."""

    def __init__(self, weight, pos_weight):
        self.weight, self.pos_weight = weight, pos_weight

    def value(self, a, b):
        if self.pos_weight is None:
            return self.weighted((1 - b) * a + stable_softplus(-a))
        return self.weighted((1 - b) * a + (1 + (self.pos_weight - 1) * b) * stable_softplus(-a))

    def grads(self, a, b):
        if self.pos_weight is None:
            return self.weighted(stable_sigmoid(a) - b), self.weighted(-a)
        pt = self.pos_weight * b
        da = (pt + 1 - b) * stable_sigmoid(a) - pt
        return self.weighted(da), self.weighted(-a + (self.pos_weight - 1) * stable_softplus(-a))


class _KLDiv(_Loss):
    """target * (log target - input) with 0 where target is 0 (or exp(t) * (t - input) for log targets)."""

    def __init__(self, log_target, batchmean):
        self.log_target, self.batchmean = log_target, batchmean

    def denom(self, a):
        return (a.shape[0] if a.ndim else 1) if self.batchmean else None

    def value(self, a, b):
        if self.log_target:
            return np.exp(b) * (b - a)
        xlogx = np.where(b > 0, b * np.log(np.where(b > 0, b, 1)), np.where(b == 0, 0, np.nan))
        return xlogx - b * a

    def grads(self, a, b):
        if self.log_target:
            e = np.exp(b)
            return -e, e * (b - a + 1)
        with np.errstate(divide="ignore", invalid="ignore"):
            return -b, np.where(b > 0, np.log(np.where(b > 0, b, 1)) + 1 - a, -a)


class _SoftMargin(_Loss):
    def value(self, a, b):
        return stable_softplus(-b * a)

    def grads(self, a, b):
        s = stable_sigmoid(-b * a)
        return -b * s, -a * s


class MSELossFn(Function):
    """The mean reduction of the squared error through the Numba kernel (the regression training path)."""

    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return K.mse_forward(a, b)

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved_tensors
        ga, gb = K.mse_backward(g, a, b)
        return (ga if ctx.needs_input_grad[0] else None), (gb if ctx.needs_input_grad[1] else None)


def mse_loss(input, target, size_average=None, reduce=None, reduction="mean"):
    if reduction == "mean" and size_average is None and reduce is None:
        a = as_tensor(input)
        b = like(target, a)
        if a.shape == b.shape and b.dtype == a.dtype and a.dtype in (np.float32, np.float64):
            return MSELossFn.apply(a, b)
    return _Squared()("mse_loss", input, target, reduction, size_average, reduce)


def l1_loss(input, target, size_average=None, reduce=None, reduction="mean"):
    return _Absolute()("l1_loss", input, target, reduction, size_average, reduce)


def smooth_l1_loss(input, target, size_average=None, reduce=None, reduction="mean", beta=1.0):
    if beta < 0:
        raise ValueError(f"smooth_l1_loss: beta must be >= 0, got {beta}")
    if beta == 0.0:
        return l1_loss(input, target, size_average, reduce, reduction)
    return _Huber(beta, 1.0 / beta)("smooth_l1_loss", input, target, reduction, size_average, reduce)


def huber_loss(input, target, reduction="mean", delta=1.0, weight=None):
    if delta <= 0:
        raise ValueError(f"huber_loss: delta must be > 0, got {delta}")
    loss = _Huber(delta, 1.0)
    loss.weight = None if weight is None else array_of(weight)
    return loss("huber_loss", input, target, reduction)


def binary_cross_entropy(input, target, weight=None, size_average=None, reduce=None, reduction="mean"):
    """On probabilities in [0, 1] (use binary_cross_entropy_with_logits on raw scores)."""
    x = array_of(input)
    if x.size and (np.nanmin(x) < 0 or np.nanmax(x) > 1):
        raise ValueError(f"binary_cross_entropy: all elements of input should be between 0 and 1 "
                         f"(input shape {x.shape})")
    loss = _BinaryCrossEntropy(None if weight is None else array_of(weight))
    return loss("binary_cross_entropy", input, target, reduction, size_average, reduce)


def binary_cross_entropy_with_logits(input, target, weight=None, size_average=None, reduce=None,
                                     reduction="mean", pos_weight=None):
    pw = None if pos_weight is None else array_of(pos_weight)
    x = array_of(input)
    if pw is not None:
        try:
            np.broadcast_shapes(pw.shape, x.shape)
        except ValueError:
            raise ValueError(f"binary_cross_entropy_with_logits: pos_weight of shape {pw.shape} does not "
                             f"broadcast to the input shape {x.shape}") from None
        pw = pw.astype(x.dtype)
    loss = _BinaryCrossEntropyWithLogits(None if weight is None else array_of(weight), pw)
    return loss("binary_cross_entropy_with_logits", input, target, reduction, size_average, reduce)


def kl_div(input, target, size_average=None, reduce=None, reduction="mean", log_target=False):
    """input holds log-probabilities; reduction='batchmean' divides the sum by the batch size."""
    batchmean = reduction == "batchmean"
    return _KLDiv(log_target, batchmean)("kl_div", input, target, "mean" if batchmean else reduction,
                                         size_average, reduce)


def soft_margin_loss(input, target, size_average=None, reduce=None, reduction="mean"):
    return _SoftMargin()("soft_margin_loss", input, target, reduction, size_average, reduce)
