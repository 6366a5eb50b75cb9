"""Batch normalization."""
import numpy as np

from ..autograd import Function
from ..tensor import Tensor
from ._util import as_tensor


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
    x = as_tensor(x)
    if x.ndim < 2:
        raise ValueError(f"batch_norm expects (N, C, ...), got {x.shape}")
    running_mean = running_mean.data if isinstance(running_mean, Tensor) else running_mean
    running_var = running_var.data if isinstance(running_var, Tensor) else running_var
    view = _channel_view(x.shape[1], x.ndim)
    if training:
        axes = (0,) + tuple(range(2, x.ndim))
        n = x.numel() // x.shape[1]
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


class StandardizeFn(Function):
    """(x - mean) / sqrt(var + eps) over `axes` (biased variance): the core of layer, group and instance norm."""

    @staticmethod
    def forward(ctx, x, axes, eps):
        mean = x.mean(axis=axes, keepdims=True)
        var = x.var(axis=axes, keepdims=True)
        invstd = (1.0 / np.sqrt(var + eps)).astype(x.dtype)
        xhat = (x - mean) * invstd
        ctx.save_for_backward(xhat, invstd)
        ctx.axes = axes
        return xhat

    @staticmethod
    def backward(ctx, g):
        xhat, invstd = ctx.saved_tensors
        a = ctx.axes
        return invstd * (g - g.mean(axis=a, keepdims=True) - xhat * (g * xhat).mean(axis=a, keepdims=True)), None, None


def _affine(y, weight, bias, view):
    if weight is not None:
        y = y * (weight if view is None else weight.reshape(view))
    if bias is not None:
        y = y + (bias if view is None else bias.reshape(view))
    return y


def layer_norm(input, normalized_shape, weight=None, bias=None, eps=1e-5):
    """Normalise over the trailing dims given by normalized_shape, then scale and shift elementwise."""
    x = as_tensor(input)
    y = StandardizeFn.apply(x, _trailing("layer_norm", x, normalized_shape, weight, bias), eps)
    return _affine(y, weight, bias, None)


class RMSNormalizeFn(Function):
    """x / sqrt(mean(x^2) + eps) over `axes`."""

    @staticmethod
    def forward(ctx, x, axes, eps):
        inv = (1.0 / np.sqrt((x * x).mean(axis=axes, keepdims=True) + eps)).astype(x.dtype)
        y = x * inv
        ctx.save_for_backward(y, inv)
        ctx.axes = axes
        return y

    @staticmethod
    def backward(ctx, g):
        y, inv = ctx.saved_tensors
        return inv * (g - y * (g * y).mean(axis=ctx.axes, keepdims=True)), None, None


def _trailing(name, x, normalized_shape, *params):
    shape = (normalized_shape,) if isinstance(normalized_shape, int) else tuple(normalized_shape)
    k = len(shape)
    if k == 0 or x.shape[x.ndim - k:] != shape:
        raise ValueError(f"{name}: input of shape {x.shape} does not end with normalized_shape {shape}")
    for pname, p in zip(("weight", "bias"), params):
        if p is not None and p.shape != shape:
            raise ValueError(f"{name}: {pname} of shape {p.shape} does not match normalized_shape {shape}")
    return tuple(range(x.ndim - k, x.ndim))


def rms_norm(input, normalized_shape, weight=None, eps=None):
    """x / sqrt(mean(x^2) + eps) over the trailing normalized_shape, times weight; eps defaults to the dtype's
    machine epsilon, as in torch."""
    x = as_tensor(input)
    axes = _trailing("rms_norm", x, normalized_shape, weight)
    eps = float(np.finfo(x.dtype).eps) if eps is None else eps
    return _affine(RMSNormalizeFn.apply(x, axes, eps), weight, None, None)


def group_norm(input, num_groups, weight=None, bias=None, eps=1e-5):
    """Normalise each of num_groups channel groups of (N, C, ...) per sample, then a per-channel affine."""
    x = as_tensor(input)
    if x.ndim < 2 or x.shape[1] % num_groups:
        raise ValueError(f"group_norm: expected input (N, C, ...) with C divisible by num_groups={num_groups}, "
                         f"got shape {x.shape}")
    y = StandardizeFn.apply(x.reshape(x.shape[0], num_groups, -1), (2,), eps).reshape(x.shape)
    return _affine(y, weight, bias, _channel_view(x.shape[1], x.ndim))


def instance_norm(input, running_mean=None, running_var=None, weight=None, bias=None, use_input_stats=True,
                  momentum=0.1, eps=1e-5):
    """Normalise every channel of every sample over its spatial dims (running statistics are not supported)."""
    if not use_input_stats or running_mean is not None or running_var is not None:
        raise NotImplementedError("instance_norm: running statistics are not supported (use_input_stats=True)")
    x = as_tensor(input)
    if x.ndim < 3:
        raise ValueError(f"instance_norm: expected input (N, C, ...) with spatial dims, got shape {x.shape}")
    y = StandardizeFn.apply(x, tuple(range(2, x.ndim)), eps)
    return _affine(y, weight, bias, _channel_view(x.shape[1], x.ndim))


class NormalizeFn(Function):
    """x / max(||x||_p, eps) over one dim."""

    @staticmethod
    def forward(ctx, x, p, dim, eps):
        ax = np.abs(x)
        n = ax.max(axis=dim, keepdims=True) if p == np.inf else (ax ** p).sum(axis=dim, keepdims=True) ** (1.0 / p)
        d = np.maximum(n, eps).astype(x.dtype)
        ctx.save_for_backward(x, n, d)
        ctx.p, ctx.dim, ctx.eps = p, dim, eps
        return x / d

    @staticmethod
    def backward(ctx, g):
        x, n, d = ctx.saved_tensors
        p, dim = ctx.p, ctx.dim
        gd = -(g * x).sum(axis=dim, keepdims=True) / (d * d)          # dL/dd
        if p == np.inf:       # the norm's gradient is shared among the elements that reach the maximum
            at_max = np.abs(x) == n
            dn = np.sign(x) * at_max / np.maximum(at_max.sum(axis=dim, keepdims=True), 1)
        else:
            with np.errstate(divide="ignore", invalid="ignore"):
                dn = np.sign(x) * np.abs(x) ** (p - 1) / n ** (p - 1)
        dn = np.where(n >= ctx.eps, dn, 0)
        return g / d + gd * dn, None, None, None


def normalize(input, p=2.0, dim=1, eps=1e-12, out=None):
    """torch.nn.functional.normalize: x / max(||x||_p, eps) along dim."""
    x = as_tensor(input)
    if out is not None:
        raise NotImplementedError("normalize: out= is not supported")
    if not p > 0:
        raise ValueError(f"normalize: p must be positive, got {p}")
    if x.ndim == 0 or not -x.ndim <= dim < x.ndim:
        raise IndexError(f"normalize: dim {dim} is out of range for input of shape {x.shape}")
    return NormalizeFn.apply(x, float(p), dim, eps)


def cosine_similarity(x1, x2, dim=1, eps=1e-8):
    """sum(x1 * x2) / (max(||x1||, eps) * max(||x2||, eps)) along dim (inputs broadcast)."""
    return (normalize(x1, 2.0, dim, eps) * normalize(x2, 2.0, dim, eps)).sum(dim)
