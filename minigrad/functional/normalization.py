"""Batch normalization."""
import numpy as np

from ..autograd import Function
from .. import kernels as K
from ..tensor import Tensor
from ._util import as_tensor


def _channel_view(c, ndim):
    return (1, c) + (1,) * (ndim - 2)


class BatchNormTrainFn(Function):
    """Normalise with the batch statistics (backward accounts for their dependence on x); the Numba
    kernel computes the statistics and puts them in `stats` for the running averages."""

    @staticmethod
    def forward(ctx, x, w, b, eps, stats, relu):
        out, stats["mean"], stats["var"], ctx.saved = K.batch_norm_train_forward(
            np.ascontiguousarray(x), w, b, eps, relu)
        return out

    @staticmethod
    def backward(ctx, g):
        need_x, need_w, need_b = ctx.needs_input_grad[:3]
        gx, gw, gb = K.batch_norm_train_backward(np.ascontiguousarray(g), ctx.saved, need_x)
        return gx, (gw if need_w else None), (gb if need_b else None)


def batch_norm(x, running_mean, running_var, weight=None, bias=None, training=False, momentum=0.1, eps=1e-5,
               relu=False):
    """Batch norm over axis 1 of (N, C), (N, C, L) or (N, C, H, W). In training the batch statistics
    are used and running_mean/running_var (ndarrays, updated in place) get momentum-averaged with the
    unbiased batch variance, as PyTorch does. In eval the running statistics are used.
    relu=True returns relu(batch_norm(...)), fused into the training kernel (one pass less each way)."""
    x = as_tensor(x)
    if x.ndim < 2:
        raise ValueError(f"batch_norm expects (N, C, ...), got {x.shape}")
    running_mean = running_mean.data if isinstance(running_mean, Tensor) else running_mean
    running_var = running_var.data if isinstance(running_var, Tensor) else running_var
    view = _channel_view(x.shape[1], x.ndim)
    if training:
        n = x.numel() // x.shape[1]
        if n <= 1:
            raise ValueError(f"batch_norm: expected more than 1 value per channel when training, got input {x.shape}")
        stats = {}
        out = BatchNormTrainFn.apply(x, weight, bias, eps, stats, relu)
        mean, var = stats["mean"], stats["var"]
        if running_mean is not None:
            running_mean *= 1 - momentum
            running_mean += momentum * mean
        if running_var is not None:
            running_var *= 1 - momentum
            running_var += (momentum * n / (n - 1)) * var
        return out
    if running_mean is None or running_var is None:
        raise ValueError("batch_norm in eval mode needs running_mean and running_var")
    invstd = (1.0 / np.sqrt(running_var + eps)).astype(x.dtype)
    scale = Tensor._wrap(invstd) if weight is None else weight * invstd
    shift = -Tensor._wrap(running_mean.astype(x.dtype)) * scale
    if bias is not None:
        shift = shift + bias
    out = x * scale.reshape(view) + shift.reshape(view)
    return out.relu() if relu else out
