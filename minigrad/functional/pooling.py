"""Max, average and adaptive pooling with torch's arguments (the kernels validate them), and max_unpool2d."""
import numpy as np

from .. import kernels as K
from ..autograd import Function
from ..tensor import Tensor
from ._util import as_tensor, cast_back, half_as_float, pair, unbatched


class MaxPool2dFn(Function):
    """forward(x, kernel_size, stride, padding, dilation, ceil_mode), or forward(x, output_size) when
    adaptive=True. The int64 indices are left in `indices` (a list) for return_indices."""

    @staticmethod
    def forward(ctx, x, *args, adaptive=False, indices=None):
        (x,), half = half_as_float(x)
        out, ctx.argmax = (K.adaptive_max_pool2d_forward if adaptive else K.max_pool2d_forward)(x, *args)
        ctx.x_shape = x.shape
        if indices is not None:
            indices.append(ctx.argmax.astype(np.int64))
        return cast_back(out, half)

    @staticmethod
    def backward(ctx, g):
        return K.max_pool2d_backward(half_as_float(g)[0][0], ctx.argmax, ctx.x_shape)


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
        (x,), half = half_as_float(x)
        return cast_back(K.avg_pool2d_forward(x, *args), half)

    @staticmethod
    def backward(ctx, g):
        return K.avg_pool2d_backward(half_as_float(g)[0][0], *ctx.args)


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
        (x,), half = half_as_float(x)
        return cast_back(K.adaptive_avg_pool2d_forward(x, output_size), half)

    @staticmethod
    def backward(ctx, g):
        return K.adaptive_avg_pool2d_backward(half_as_float(g)[0][0], *ctx.args)


def adaptive_avg_pool2d(input, output_size):
    """Window i covers floor(i*H/out) .. ceil((i+1)*H/out) - 1 (torch's windows); None keeps that size."""
    return unbatched(lambda x: AdaptiveAvgPool2dFn.apply(x, output_size), as_tensor(input))


class MaxUnpool2dFn(Function):
    """Puts each value at its flat index in its (N, C) plane of zeros; backward gathers from there."""

    @staticmethod
    def forward(ctx, x, indices, out_hw):
        N, C = x.shape[:2]
        plane = out_hw[0] * out_hw[1]
        idx = np.asarray(indices).reshape(N * C, -1)
        if idx.size and (idx.min() < 0 or idx.max() >= plane):
            bad = idx.min() if idx.min() < 0 else idx.max()
            raise ValueError(f"max_unpool2d: found an invalid max index {bad} (output volumes are of size "
                             f"{out_hw[0]}x{out_hw[1]})")
        out = np.zeros((N * C, plane), dtype=x.dtype)
        np.put_along_axis(out, idx, x.reshape(N * C, -1), axis=1)
        ctx.idx, ctx.x_shape = idx, x.shape
        return out.reshape(N, C, *out_hw)

    @staticmethod
    def backward(ctx, g):
        gx = np.take_along_axis(g.reshape(ctx.idx.shape[0], -1), ctx.idx, axis=1)
        return gx.reshape(ctx.x_shape), None, None


def max_unpool2d(input, indices, kernel_size, stride=None, padding=0, output_size=None):
    """max_pool2d's partial inverse: values back at the indices it returned, zeros elsewhere. The default
    size is (H - 1)*stride - 2*padding + kernel_size; output_size may differ from it by less than stride."""
    x, op = as_tensor(input), "max_unpool2d"
    k = pair(kernel_size, "kernel_size", op)
    s = k if stride is None else pair(stride, "stride", op)
    p = pair(padding, "padding", op)
    idx = indices.data if isinstance(indices, Tensor) else np.asarray(indices)
    if not np.issubdtype(idx.dtype, np.integer):
        raise TypeError(f"{op}: elements in indices should be type int64 but got {idx.dtype}")
    if x.ndim not in (3, 4) or tuple(idx.shape) != tuple(x.shape):
        raise ValueError(f"{op}: expected a 3-D or 4-D input and indices of the same shape, got input of size "
                         f"{list(x.shape)} and indices of size {list(idx.shape)}")
    default = tuple((x.shape[-2 + d] - 1) * s[d] - 2 * p[d] + k[d] for d in (0, 1))
    out_hw = default if output_size is None else tuple(int(n) for n in tuple(output_size)[-2:])
    for d in (0, 1):
        if not default[d] - s[d] < out_hw[d] < default[d] + s[d]:
            raise ValueError(f"{op}: invalid output_size {tuple(output_size)} (dim {d} must be between "
                             f"{default[d] - s[d]} and {default[d] + s[d]})")
    return unbatched(lambda t: MaxUnpool2dFn.apply(t, idx.reshape(t.shape), out_hw), x)
