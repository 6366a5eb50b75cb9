"""Convolution and linear layers."""
import numpy as np

from .. import kernels as K
from ..kernels import gemm
from ..autograd import Function
from ._util import ShapeError, as_tensor, cast_back, half_as_float, pair, unbatched


class Conv2dFn(Function):
    @staticmethod
    def forward(ctx, x, w, b, stride, padding, dilation, groups):
        ctx.save_for_backward(x, w)  # version-checked: backward reads them (the kernel keeps no copy)
        (x, w, b), half = half_as_float(x, w, b)
        out, ctx.saved = K.conv2d_forward(x, w, b, stride, padding, dilation, groups)
        return cast_back(out, half)

    @staticmethod
    def backward(ctx, g):
        need_x, need_w, need_b = ctx.needs_input_grad[:3]
        return K.conv2d_backward(g, ctx.saved, need_x, need_w, need_b)


def conv2d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """input (N, Cin, H, W) or (Cin, H, W), weight (Cout, Cin/groups, kh, kw), bias (Cout,) -> (N, Cout, Ho, Wo).
    padding: int, pair, 'valid' or 'same'. Arguments are validated where the kernel reads them."""
    return unbatched(lambda x: Conv2dFn.apply(x, weight, bias, stride, padding, dilation, groups), as_tensor(input))


class ConvTranspose2dFn(Function):
    @staticmethod
    def forward(ctx, x, w, b, stride, padding, output_padding, groups, dilation):
        ctx.save_for_backward(x, w)
        (x, w, b), half = half_as_float(x, w, b)
        out, ctx.saved = K.conv_transpose2d_forward(x, w, b, stride, padding, output_padding, groups, dilation)
        return cast_back(out, half)

    @staticmethod
    def backward(ctx, g):
        need_x, need_w, need_b = ctx.needs_input_grad[:3]
        return K.conv_transpose2d_backward(g, ctx.saved, need_x, need_w, need_b)


def conv_transpose2d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1, dilation=1):
    """input (N, Cin, H, W) or (Cin, H, W), weight (Cin, Cout/groups, kh, kw) -> (N, Cout, Ho, Wo) with
    Ho = (H - 1)*stride - 2*padding + dilation*(kh - 1) + output_padding + 1: the adjoint of conv2d."""
    return unbatched(lambda x: ConvTranspose2dFn.apply(x, weight, bias, stride, padding, output_padding, groups,
                                                         dilation), as_tensor(input))


class LinearFn(Function):
    """y = x @ W.T + b over the last axis of x (any leading dims)."""

    @staticmethod
    def forward(ctx, x, w, b):
        ctx.save_for_backward(x, w)
        out = gemm.matmul_last_axis(x, w.T)
        if b is not None:
            out += b
        return out

    @staticmethod
    def backward(ctx, g):
        x, w = ctx.saved_tensors
        need_x, need_w, need_b = ctx.needs_input_grad
        g2 = g.reshape(-1, g.shape[-1])
        gx = gemm.matmul_last_axis(g2, w).reshape(x.shape) if need_x else None
        gw = gemm.matmul_last_axis(g2.T, x.reshape(-1, x.shape[-1])) if need_w else None
        gb = g2.sum(axis=0) if need_b else None
        return gx, gw, gb


def linear(x, weight, bias=None):
    """x (..., in) @ weight.T + bias, weight (out, in), bias (out,). A 1-D weight (in,)
    gives (...) as in torch (without a bias, which torch refuses there too)."""
    x = as_tensor(x)
    w_shape, b_shape = tuple(weight.shape), None if bias is None else tuple(bias.shape)
    if weight.ndim not in (1, 2) or x.ndim == 0:
        raise ShapeError(f"linear: expected a 1-D or 2-D weight (out_features, in_features) and an input with at "
                         f"least 1 dim, got input {tuple(x.shape)} and weight {w_shape}")
    if x.shape[-1] != w_shape[-1]:
        rows = int(np.prod(x.shape[:-1]))
        raise ShapeError(f"linear: mat1 and mat2 shapes cannot be multiplied ({rows}x{x.shape[-1]} and "
                         f"{'x'.join(map(str, w_shape[::-1]))}) (input {tuple(x.shape)}, weight {w_shape})")
    if weight.ndim == 1:
        if bias is not None:
            raise ShapeError(f"linear: a 1-D weight {w_shape} takes no bias, got bias {b_shape}")
        return LinearFn.apply(x, weight.reshape(1, -1), None).reshape(x.shape[:-1])
    if bias is not None and b_shape != (w_shape[0],):
        raise ShapeError(f"linear: bias of shape {b_shape} does not match the {w_shape[0]} output features of "
                         f"weight {w_shape} (expected ({w_shape[0]},))")
    return LinearFn.apply(x, weight, bias)


class UnfoldFn(Function):
    @staticmethod
    def forward(ctx, x, kernel_size, dilation, padding, stride):
        ctx.args = (x.shape[2:], kernel_size, dilation, padding, stride)
        (x,), half = half_as_float(x)
        return cast_back(K.unfold_forward(x, kernel_size, dilation, padding, stride), half)

    @staticmethod
    def backward(ctx, g):
        return K.fold_forward(half_as_float(g)[0][0], *ctx.args)


def unfold(input, kernel_size, dilation=1, padding=0, stride=1):
    """torch's im2col: (N, C, H, W) -> (N, C*kh*kw, L), each column one sliding block."""
    return unbatched(lambda x: UnfoldFn.apply(x, kernel_size, dilation, padding, stride), as_tensor(input))


class FoldFn(Function):
    @staticmethod
    def forward(ctx, cols, output_size, kernel_size, dilation, padding, stride):
        ctx.args = (kernel_size, dilation, padding, stride)
        (cols,), half = half_as_float(cols)
        return cast_back(K.fold_forward(cols, output_size, kernel_size, dilation, padding, stride), half)

    @staticmethod
    def backward(ctx, g):
        return K.unfold_forward(half_as_float(g)[0][0], *ctx.args)


def fold(input, output_size, kernel_size, dilation=1, padding=0, stride=1):
    """torch's col2im, unfold's adjoint: (N, C*kh*kw, L) -> (N, C, H, W), overlapping blocks summed."""
    x = as_tensor(input)
    if x.ndim == 2:  # unbatched (C*kh*kw, L)
        return fold(x.reshape((1,) + x.shape), output_size, kernel_size, dilation, padding, stride).reshape(
            (-1,) + tuple(pair(output_size, "output_size", "fold")))
    return FoldFn.apply(x, output_size, kernel_size, dilation, padding, stride)
