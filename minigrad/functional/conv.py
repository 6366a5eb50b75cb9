"""Convolution and linear layers."""
from .. import kernels as K
from ..autograd import Function
from ._util import as_tensor, pair


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
    x = as_tensor(x)
    if x.ndim != 4 or weight.ndim != 4:
        raise ValueError(f"conv2d expects x (N, C, H, W) and weight (Cout, Cin, kh, kw), got {x.shape} and {weight.shape}")
    if x.shape[1] != weight.shape[1]:
        raise ValueError(f"conv2d: input has {x.shape[1]} channels but weight {weight.shape} expects {weight.shape[1]}")
    if bias is not None and bias.shape != (weight.shape[0],):
        raise ValueError(f"conv2d: bias shape {bias.shape} does not match {weight.shape[0]} output channels")
    return Conv2dFn.apply(x, weight, bias, pair(stride, "stride"), pair(padding, "padding"))


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
    x = as_tensor(x)
    if x.shape[-1] != weight.shape[1]:
        raise ValueError(f"linear: input features {x.shape[-1]} do not match weight {weight.shape} (out, in)")
    return LinearFn.apply(x, weight, bias)
