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
