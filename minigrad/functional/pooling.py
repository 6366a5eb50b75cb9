"""Max, average and adaptive average pooling."""
import numpy as np

from .. import kernels as K
from ..autograd import Function
from ._util import as_tensor, pair


def _pool_args(kernel_size, stride, padding):
    k = pair(kernel_size, "kernel_size")
    s = k if stride is None else pair(stride, "stride")
    p = pair(padding, "padding")
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
    return MaxPool2dFn.apply(as_tensor(x), *_pool_args(kernel_size, stride, padding))


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
    return AvgPool2dFn.apply(as_tensor(x), *_pool_args(kernel_size, stride, padding))


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
    x = as_tensor(x)
    if x.ndim != 4:
        raise ValueError(f"adaptive_avg_pool2d expects (N, C, H, W), got {x.shape}")
    oh, ow = (output_size, output_size) if isinstance(output_size, (int, np.integer)) else output_size
    out_hw = (x.shape[2] if oh is None else int(oh), x.shape[3] if ow is None else int(ow))
    return AdaptiveAvgPool2dFn.apply(x, out_hw)
