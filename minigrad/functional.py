"""minigrad.functional (import as F): neural-network ops, each a Function with its backward beside it.

Convolution, pooling and the two losses call the Numba kernels in minigrad.kernels; the rest is vectorized
NumPy. Gradients are only computed for inputs that need them (ctx.needs_input_grad): a frozen conv weight
costs no weight gradient, and a first-layer conv computes no input gradient.
"""
import numpy as np

from . import kernels as K
from .autograd import Function
from .rng import get_rng
from .tensor import Tensor


def _pair(v, name):
    if isinstance(v, (int, np.integer)):
        return (int(v), int(v))
    v = tuple(int(i) for i in v)
    if len(v) != 2:
        raise ValueError(f"{name} must be an int or a pair (h, w), got {v}")
    return v


def _tensor(x):
    return x if isinstance(x, Tensor) else Tensor(x)


def _like(t, ref):
    """A constant operand (array or Tensor) in ref's dtype, so float64 targets never upcast float32 inputs."""
    if isinstance(t, Tensor):
        return t
    return Tensor._wrap(np.asarray(t, dtype=ref.dtype))


# ---------------------------------------------------------------- convolution and linear
class Conv2dFn(Function):
    @staticmethod
    def forward(ctx, x, w, b, stride, padding):
        out, ctx.saved = K.conv2d_forward(x, w, b, stride, padding)
        return out

    @staticmethod
    def backward(ctx, g):
        need_x, need_w, need_b = ctx.needs_input_grad[:3]
        return K.conv2d_backward(g, ctx.saved, need_x, need_w, need_b)


def conv2d(x, weight, bias=None, stride=1, padding=0):
    """x (N, Cin, H, W), weight (Cout, Cin, kh, kw), bias (Cout,) -> (N, Cout, Ho, Wo)."""
    x = _tensor(x)
    if x.ndim != 4 or weight.ndim != 4:
        raise ValueError(f"conv2d expects x (N, C, H, W) and weight (Cout, Cin, kh, kw), got {x.shape} and {weight.shape}")
    if x.shape[1] != weight.shape[1]:
        raise ValueError(f"conv2d: input has {x.shape[1]} channels but weight {weight.shape} expects {weight.shape[1]}")
    if bias is not None and bias.shape != (weight.shape[0],):
        raise ValueError(f"conv2d: bias shape {bias.shape} does not match {weight.shape[0]} output channels")
    return Conv2dFn.apply(x, weight, bias, _pair(stride, "stride"), _pair(padding, "padding"))


class LinearFn(Function):
    """y = x @ W.T + b over the last axis of x (any leading dims)."""

    @staticmethod
    def forward(ctx, x, w, b):
        ctx.save_for_backward(x, w)
        out = x @ w.T
        if b is not None:
            out += b
        return out

    @staticmethod
    def backward(ctx, g):
        x, w = ctx.saved_tensors
        need_x, need_w, need_b = ctx.needs_input_grad
        g2 = g.reshape(-1, g.shape[-1])
        gx = (g2 @ w).reshape(x.shape) if need_x else None
        gw = g2.T @ x.reshape(-1, x.shape[-1]) if need_w else None
        gb = g2.sum(axis=0) if need_b else None
        return gx, gw, gb


def linear(x, weight, bias=None):
    x = _tensor(x)
    if x.shape[-1] != weight.shape[1]:
        raise ValueError(f"linear: input features {x.shape[-1]} do not match weight {weight.shape} (out, in)")
    return LinearFn.apply(x, weight, bias)


# ---------------------------------------------------------------- pooling
def _pool_args(kernel_size, stride, padding):
    k = _pair(kernel_size, "kernel_size")
    s = k if stride is None else _pair(stride, "stride")
    p = _pair(padding, "padding")
    if p[0] > k[0] // 2 or p[1] > k[1] // 2:
        raise ValueError(f"pool padding {p} must be at most half the kernel size {k}")
    return k, s, p


class MaxPool2dFn(Function):
    @staticmethod
    def forward(ctx, x, kernel, stride, padding):
        out, ctx.argmax = K.max_pool2d_forward(x, kernel, stride, padding)
        ctx.x_shape = x.shape
        return out

    @staticmethod
    def backward(ctx, g):
        return K.max_pool2d_backward(g, ctx.argmax, ctx.x_shape)


def max_pool2d(x, kernel_size, stride=None, padding=0):
    """Padding never wins; on ties the first maximum (row-major in the window) gets the gradient."""
    return MaxPool2dFn.apply(_tensor(x), *_pool_args(kernel_size, stride, padding))


class AvgPool2dFn(Function):
    @staticmethod
    def forward(ctx, x, kernel, stride, padding):
        ctx.args = (x.shape, kernel, stride, padding)
        return K.avg_pool2d_forward(x, kernel, stride, padding)

    @staticmethod
    def backward(ctx, g):
        return K.avg_pool2d_backward(g, *ctx.args)


def avg_pool2d(x, kernel_size, stride=None, padding=0):
    """Zero padding counts in the average (count_include_pad=True, PyTorch's default)."""
    return AvgPool2dFn.apply(_tensor(x), *_pool_args(kernel_size, stride, padding))


def _adaptive_matrix(size, out, dtype):
    """Row i averages input cells floor(i*size/out) .. ceil((i+1)*size/out) - 1 (PyTorch's windows)."""
    m = np.zeros((out, size), dtype=dtype)
    for i in range(out):                       # loop over output cells only (a handful), not pixels
        lo, hi = (i * size) // out, -((-(i + 1) * size) // out)
        m[i, lo:hi] = 1.0 / (hi - lo)
    return m


class AdaptiveAvgPool2dFn(Function):
    """Adaptive average pooling is separable: out = Ph @ x @ Pw.T with row-averaging matrices."""

    @staticmethod
    def forward(ctx, x, out_hw):
        ph = _adaptive_matrix(x.shape[2], out_hw[0], x.dtype)
        pw = _adaptive_matrix(x.shape[3], out_hw[1], x.dtype)
        ctx.mats = (ph, pw)
        return np.matmul(np.matmul(ph, x), pw.T)

    @staticmethod
    def backward(ctx, g):
        ph, pw = ctx.mats
        return np.matmul(np.matmul(ph.T, g), pw)


def adaptive_avg_pool2d(x, output_size):
    x = _tensor(x)
    if x.ndim != 4:
        raise ValueError(f"adaptive_avg_pool2d expects (N, C, H, W), got {x.shape}")
    oh, ow = (output_size, output_size) if isinstance(output_size, (int, np.integer)) else output_size
    out_hw = (x.shape[2] if oh is None else int(oh), x.shape[3] if ow is None else int(ow))
    return AdaptiveAvgPool2dFn.apply(x, out_hw)


# ---------------------------------------------------------------- activations and dropout
def relu(x):
    return _tensor(x).relu()


def sigmoid(x):
    return _tensor(x).sigmoid()


def tanh(x):
    return _tensor(x).tanh()


def dropout(x, p=0.5, training=True):
    """Inverted dropout: zero each element with probability p, scale survivors by 1/(1-p)."""
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"dropout probability must be in [0, 1], got {p}")
    x = _tensor(x)
    if not training or p == 0.0:
        return x
    if p == 1.0:
        return x * 0.0
    keep = get_rng().random(x.shape, dtype=np.float32) >= p
    mask = keep.astype(x.dtype) * x.dtype.type(1.0 / (1.0 - p))
    return x * Tensor._wrap(mask)


# ---------------------------------------------------------------- batch normalization
def _channel_view(c, ndim):
    return (1, c) + (1,) * (ndim - 2)


class BatchNormTrainFn(Function):
    """Normalise with the batch statistics (given as constants; backward accounts for their dependence on x)."""

    @staticmethod
    def forward(ctx, x, w, b, mean, var, eps):
        view = _channel_view(x.shape[1], x.ndim)
        invstd = (1.0 / np.sqrt(var + eps)).astype(x.dtype)
        xhat = (x - mean.reshape(view)) * invstd.reshape(view)
        ctx.save_for_backward(xhat, invstd, w)
        out = xhat if w is None else xhat * w.reshape(view)
        return out + b.reshape(view) if b is not None else out

    @staticmethod
    def backward(ctx, g):
        xhat, invstd, w = ctx.saved_tensors
        axes = (0,) + tuple(range(2, g.ndim))
        view = _channel_view(g.shape[1], g.ndim)
        n = g.size // g.shape[1]
        gb = g.sum(axis=axes)
        gw = (g * xhat).sum(axis=axes)
        gx = None
        if ctx.needs_input_grad[0]:
            scale = invstd if w is None else invstd * w
            gx = (g - (gb / n).reshape(view) - xhat * (gw / n).reshape(view)) * scale.reshape(view)
        return gx, (gw if ctx.needs_input_grad[1] else None), (gb if ctx.needs_input_grad[2] else None)


def batch_norm(x, running_mean, running_var, weight=None, bias=None, training=False, momentum=0.1, eps=1e-5):
    """Batch norm over axis 1 of (N, C), (N, C, L) or (N, C, H, W). In training the batch statistics
    are used and running_mean/running_var (ndarrays, updated in place) get momentum-averaged with the
    unbiased batch variance, as PyTorch does. In eval the running statistics are used."""
    x = _tensor(x)
    if x.ndim < 2:
        raise ValueError(f"batch_norm expects (N, C, ...), got {x.shape}")
    running_mean = running_mean.data if isinstance(running_mean, Tensor) else running_mean
    running_var = running_var.data if isinstance(running_var, Tensor) else running_var
    view = _channel_view(x.shape[1], x.ndim)
    if training:
        axes = (0,) + tuple(range(2, x.ndim))
        n = x.size // x.shape[1]
        if n <= 1:
            raise ValueError(f"batch_norm: expected more than 1 value per channel when training, got input {x.shape}")
        mean = x.data.mean(axis=axes)
        var = x.data.var(axis=axes)
        if running_mean is not None:
            running_mean *= 1 - momentum
            running_mean += momentum * mean
        if running_var is not None:
            running_var *= 1 - momentum
            running_var += (momentum * n / (n - 1)) * var
        return BatchNormTrainFn.apply(x, weight, bias, mean, var, eps)
    if running_mean is None or running_var is None:
        raise ValueError("batch_norm in eval mode needs running_mean and running_var")
    invstd = (1.0 / np.sqrt(running_var + eps)).astype(x.dtype)
    scale = Tensor._wrap(invstd) if weight is None else weight * invstd
    shift = -Tensor._wrap(running_mean.astype(x.dtype)) * scale
    if bias is not None:
        shift = shift + bias
    return x * scale.reshape(view) + shift.reshape(view)


# ---------------------------------------------------------------- softmax family
class SoftmaxFn(Function):
    @staticmethod
    def forward(ctx, x, axis):
        e = np.exp(x - x.max(axis=axis, keepdims=True))
        out = e / e.sum(axis=axis, keepdims=True)
        ctx.save_for_backward(out)
        ctx.axis = axis
        return out

    @staticmethod
    def backward(ctx, g):
        (s,) = ctx.saved_tensors
        return s * (g - (g * s).sum(axis=ctx.axis, keepdims=True))


class LogSoftmaxFn(Function):
    @staticmethod
    def forward(ctx, x, axis):
        shifted = x - x.max(axis=axis, keepdims=True)
        out = shifted - np.log(np.exp(shifted).sum(axis=axis, keepdims=True))
        ctx.save_for_backward(out)
        ctx.axis = axis
        return out

    @staticmethod
    def backward(ctx, g):
        (out,) = ctx.saved_tensors
        return g - np.exp(out) * g.sum(axis=ctx.axis, keepdims=True)


class LogSumExpFn(Function):
    @staticmethod
    def forward(ctx, x, axis, keepdims):
        m = x.max(axis=axis, keepdims=True)
        lse = m + np.log(np.exp(x - m).sum(axis=axis, keepdims=True))
        ctx.save_for_backward(np.exp(x - lse))          # the softmax: d lse / dx
        ctx.axis, ctx.keepdims = axis, keepdims
        return lse if keepdims else np.squeeze(lse, axis=axis)

    @staticmethod
    def backward(ctx, g):
        (s,) = ctx.saved_tensors
        if not ctx.keepdims:
            g = np.expand_dims(g, ctx.axis if ctx.axis is not None else tuple(range(s.ndim)))
        return s * g


def softmax(x, axis=-1):
    return SoftmaxFn.apply(_tensor(x), axis)


def log_softmax(x, axis=-1):
    return LogSoftmaxFn.apply(_tensor(x), axis)


def logsumexp(x, axis=None, keepdims=False):
    return LogSumExpFn.apply(_tensor(x), axis, keepdims)


# ---------------------------------------------------------------- losses
def _class_targets(target, logits, name):
    t = target.data if isinstance(target, Tensor) else np.asarray(target)
    n, c = logits.shape
    if t.shape != (n,):
        raise ValueError(f"{name}: target shape {t.shape} does not match input shape {logits.shape} (expected ({n},))")
    if not np.issubdtype(t.dtype, np.integer):
        if not np.all(t == np.round(t)):
            raise ValueError(f"{name}: targets must be integer class indices")
    t = t.astype(np.int64, copy=False)
    if n and (t.min() < 0 or t.max() >= c):
        raise ValueError(f"{name}: target classes must be in [0, {c}), got range [{t.min()}, {t.max()}]")
    return t


class CrossEntropyFn(Function):
    @staticmethod
    def forward(ctx, logits, target):
        loss, ctx.saved = K.cross_entropy_forward(logits, target)
        return loss

    @staticmethod
    def backward(ctx, g):
        return K.cross_entropy_backward(g, ctx.saved), None


def cross_entropy(logits, target):
    """Mean cross-entropy of logits (N, C) against integer classes (N,) (ndarray or Tensor)."""
    logits = _tensor(logits)
    if logits.ndim != 2:
        raise ValueError(f"cross_entropy expects logits of shape (N, C), got {logits.shape}")
    return CrossEntropyFn.apply(logits, _class_targets(target, logits, "cross_entropy"))


class NLLLossFn(Function):
    @staticmethod
    def forward(ctx, logp, target):
        ctx.shape, ctx.target = logp.shape, target
        return np.asarray(-logp[np.arange(len(target)), target].mean(), dtype=logp.dtype)

    @staticmethod
    def backward(ctx, g):
        out = np.zeros(ctx.shape, dtype=g.dtype)
        n = len(ctx.target)
        out[np.arange(n), ctx.target] = -g / n
        return out, None


def nll_loss(logp, target):
    """Mean negative log-likelihood of log-probabilities (N, C) at integer classes (N,)."""
    logp = _tensor(logp)
    if logp.ndim != 2:
        raise ValueError(f"nll_loss expects log-probabilities of shape (N, C), got {logp.shape}")
    return NLLLossFn.apply(logp, _class_targets(target, logp, "nll_loss"))


class MSELossFn(Function):
    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return K.mse_forward(a, b)

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved_tensors
        ga, gb = K.mse_backward(g, a, b)
        return (ga if ctx.needs_input_grad[0] else None), (gb if ctx.needs_input_grad[1] else None)


def mse_loss(input, target):
    """Mean squared error. Shapes must match exactly: PyTorch would broadcast (N, 1) against (N,) into an
    (N, N) loss with only a warning, a classic silent bug, so here it is an error."""
    input = _tensor(input)
    target = _like(target, input)
    if input.shape != target.shape:
        raise ValueError(f"mse_loss: input shape {input.shape} and target shape {target.shape} differ; "
                         f"reshape one of them (no broadcasting in losses)")
    if target.dtype != input.dtype:
        target = target.astype(input.dtype)
    return MSELossFn.apply(input, target)


__all__ = ["conv2d", "linear", "max_pool2d", "avg_pool2d", "adaptive_avg_pool2d", "relu", "sigmoid", "tanh",
           "dropout", "batch_norm", "softmax", "log_softmax", "logsumexp", "cross_entropy", "nll_loss",
           "mse_loss"]
