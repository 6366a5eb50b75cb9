"""F.pad with torch's pad tuple (last dim first) and modes constant, reflect, replicate and circular.

Constant padding works on any number of dims and negative pads crop, as in torch. The other modes pick, for
every output position of a padded dim, the input position it copies (an index map per dim); backward adds
the gradient back through the same maps, so each mode is defined once, by its map.
"""
import numpy as np

from ..autograd import Function
from ._util import ShapeError, as_tensor

_MODES = ("constant", "reflect", "replicate", "circular")



class ConstantPadFn(Function):
    @staticmethod
    def forward(ctx, x, widths, value):
        ctx.in_shape, ctx.widths = x.shape, widths
        crop = tuple(slice(max(-lo, 0), n - max(-hi, 0)) for n, (lo, hi) in zip(x.shape, widths))
        grow = [(max(lo, 0), max(hi, 0)) for lo, hi in widths]
        return np.pad(x[crop], grow, mode="constant", constant_values=value)

    @staticmethod
    def backward(ctx, g):
        inner = tuple(slice(max(lo, 0), n - max(hi, 0)) for n, (lo, hi) in zip(g.shape, ctx.widths))
        back = [(max(-lo, 0), max(-hi, 0)) for lo, hi in ctx.widths]
        return np.pad(g[inner], back, mode="constant"), None, None


def _index_map(n, lo, hi, mode):
    """Input position copied to each output position of one dim of length n padded by (lo, hi)."""
    i = np.arange(-lo, n + hi)
    if mode == "reflect":
        i = np.abs(i)
        return np.where(i >= n, 2 * (n - 1) - i, i)
    if mode == "replicate":
        return np.clip(i, 0, n - 1)
    start, stop = max(-lo, 0), n - max(-hi, 0)            # circular: crop negative pads, then wrap what is left
    return start + np.arange(-max(lo, 0), stop - start + max(hi, 0)) % (stop - start)


class IndexPadFn(Function):
    @staticmethod
    def forward(ctx, x, maps):
        ctx.in_shape, ctx.maps = x.shape, maps
        for axis, idx in maps:
            x = np.take(x, idx, axis=axis)
        return x

    @staticmethod
    def backward(ctx, g):
        for axis, idx in reversed(ctx.maps):
            moved = np.moveaxis(g, axis, 0)
            acc = np.zeros((ctx.in_shape[axis],) + moved.shape[1:], dtype=g.dtype)
            np.add.at(acc, idx, moved)
            g = np.moveaxis(acc, 0, axis)
        return g, None


def pad(input, pad, mode="constant", value=None):
    """torch.nn.functional.pad: pad = (last_lo, last_hi, second_last_lo, second_last_hi, ...)."""
    x = as_tensor(input)
    pad = tuple(int(p) for p in pad)
    if mode not in _MODES:
        raise NotImplementedError(f"pad: unsupported mode {mode!r} (use one of {', '.join(_MODES)})")
    if len(pad) % 2:
        raise ShapeError(f"pad: padding length must be divisible by 2, got {len(pad)}")
    k = len(pad) // 2
    if k > x.ndim:
        raise ShapeError(f"pad: padding length {len(pad)} is too large for a {x.ndim}-D input of shape {x.shape}")
    widths = [(0, 0)] * (x.ndim - k) + [(pad[2 * j], pad[2 * j + 1]) for j in reversed(range(k))]
    for n, (lo, hi) in zip(x.shape, widths):
        if n + lo + hi < 0:
            raise ShapeError(f"pad: padding {pad} gives a negative size for input shape {x.shape}")
    if mode == "constant":
        return ConstantPadFn.apply(x, widths, 0 if value is None else value)
    if value not in (None, 0):
        raise ShapeError(f"pad: padding mode {mode!r} does not take a value")
    if not 1 <= k <= 3 or x.ndim not in (k + 1, k + 2):
        raise NotImplementedError(f"pad: {mode} padding of the last {k} dims needs a {k + 1}-D or {k + 2}-D "
                                  f"input, got shape {x.shape} (pad {pad})")
    maps = []
    for axis, (n, (lo, hi)) in enumerate(zip(x.shape, widths)):
        if lo == hi == 0:
            continue
        if mode == "reflect" and (lo >= n or hi >= n):
            raise ShapeError(f"pad: padding size should be less than the corresponding input dimension, "
                             f"but got padding {(lo, hi)} at dim {axis} of input {x.shape}")
        if mode == "circular" and (lo > n or hi > n or n + min(lo, 0) + min(hi, 0) <= 0):
            raise ShapeError(f"pad: circular padding {(lo, hi)} exceeds dim {axis} of input {x.shape}")
        if mode == "replicate" and n == 0:
            raise ShapeError(f"pad: replicate padding of an empty dim {axis} of input {x.shape}")
        maps.append((axis, _index_map(n, lo, hi, mode)))
    return IndexPadFn.apply(x, tuple(maps))
