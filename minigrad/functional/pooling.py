"""Max, average and adaptive pooling with torch's arguments; the kernels validate them."""
import numpy as np

from .. import kernels as K
from ..autograd import Function
from ..tensor import Tensor
from ._util import as_tensor, unbatched


class MaxPool2dFn(Function):
    """forward(x, kernel_size, stride, padding, dilation, ceil_mode), or forward(x, output_size) when
    adaptive=True. The int64 indices are left in `indices` (a list) for return_indices."""

    @staticmethod
    def forward(ctx, x, *args, adaptive=False, indices=None):
        out, ctx.argmax = (K.adaptive_max_pool2d_forward if adaptive else K.max_pool2d_forward)(x, *args)
        ctx.x_shape = x.shape
        if indices is not None:
            indices.append(ctx.argmax.astype(np.int64))
        return out

    @staticmethod
    def backward(ctx, g):
        return K.max_pool2d_backward(g, ctx.argmax, ctx.x_shape)


def _max_pool(x, args, adaptive, return_indices):
    def run(x):
        indices = [] if return_indices else None
        out = MaxPool2dFn.apply(x, *args, adaptive=adaptive, indices=indices)
        return (out, Tensor._wrap(indices[0])) if return_indices else out
    return unbatched(run, as_tensor(x))


def max_pool2d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False, return_indices=False):
    """Padding never wins; on ties the first maximum (row-major in the window) gets the gradient.
    return_indices=True also returns each maximum's flat int64 index into its H*W plane, as torch."""
    return _max_pool(input, (kernel_size, stride, padding, dilation, ceil_mode), False, return_indices)


def adaptive_max_pool2d(input, output_size, return_indices=False):
    return _max_pool(input, (output_size,), True, return_indices)


class AvgPool2dFn(Function):
    @staticmethod
    def forward(ctx, x, *args):
        ctx.args = (x.shape,) + args
        return K.avg_pool2d_forward(x, *args)

    @staticmethod
    def backward(ctx, g):
        return K.avg_pool2d_backward(g, *ctx.args)


def avg_pool2d(input, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True,
               divisor_override=None):
    """torch's divisor: divisor_override, else the window's size clipped to the padded input
    (count_include_pad=True, the default) or to the input."""
    return unbatched(lambda x: AvgPool2dFn.apply(x, kernel_size, stride, padding, ceil_mode, count_include_pad,
                                                 divisor_override), as_tensor(input))


class AdaptiveAvgPool2dFn(Function):
    @staticmethod
    def forward(ctx, x, output_size):
        ctx.args = (x.shape, output_size)
        return K.adaptive_avg_pool2d_forward(x, output_size)

    @staticmethod
    def backward(ctx, g):
        return K.adaptive_avg_pool2d_backward(g, *ctx.args)


def adaptive_avg_pool2d(input, output_size):
    """Window i covers floor(i*H/out) .. ceil((i+1)*H/out) - 1 (torch's windows); None keeps that size."""
    return unbatched(lambda x: AdaptiveAvgPool2dFn.apply(x, output_size), as_tensor(input))
