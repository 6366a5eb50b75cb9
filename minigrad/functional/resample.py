"""Resampling: interpolate (nearest, nearest-exact, linear, bilinear, trilinear) and pixel_shuffle/unshuffle.

interpolate is separable: along each spatial dim the output is a fixed (out, in) matrix times the input, so
forward and backward are matmuls, and each mode is defined once, by how it fills that matrix (torch's
source-index rules, including scale_factor's 1/scale when it is given).
"""
import math

import numpy as np

from ..tensor import Tensor
from ._util import as_tensor

_LINEAR = {"linear": 1, "bilinear": 2, "trilinear": 3}


def _matrix(n_in, n_out, mode, align_corners, scale):
    """(n_out, n_in) weights: output i reads input positions around its source coordinate."""
    i = np.arange(n_out, dtype=np.float64)
    m = np.zeros((n_out, n_in))
    if mode in ("nearest", "nearest-exact"):
        ratio = 1.0 / scale if scale else n_in / n_out
        src = np.floor((i + 0.5) * ratio) if mode == "nearest-exact" else np.floor(i * ratio)
        m[np.arange(n_out), np.minimum(src.astype(np.int64), n_in - 1)] = 1.0
        return m
    if align_corners:
        src = i * ((n_in - 1) / (n_out - 1)) if n_out > 1 else np.zeros(n_out)
    else:
        ratio = 1.0 / scale if scale else n_in / n_out
        src = np.maximum((i + 0.5) * ratio - 0.5, 0.0)
    lo = np.minimum(np.floor(src).astype(np.int64), n_in - 1)
    hi = np.minimum(lo + 1, n_in - 1)
    frac = src - lo
    np.add.at(m, (np.arange(n_out), lo), 1.0 - frac)
    np.add.at(m, (np.arange(n_out), hi), frac)
    return m


def interpolate(input, size=None, scale_factor=None, mode="nearest", align_corners=None,
                recompute_scale_factor=None, antialias=False):
    x = as_tensor(input)
    spatial = x.ndim - 2
    if spatial < 1:
        raise ValueError(f"interpolate: expected an input (N, C, ...) with spatial dims, got shape {tuple(x.shape)}")
    if mode not in ("nearest", "nearest-exact") and _LINEAR.get(mode) != spatial:
        raise NotImplementedError(f"interpolate: mode {mode!r} with a {x.ndim}-D input is not supported "
                                  f"(nearest, nearest-exact; linear 3-D, bilinear 4-D, trilinear 5-D)")
    if align_corners is not None and mode in ("nearest", "nearest-exact"):
        raise ValueError("align_corners option can only be set with the interpolating modes: "
                         "linear | bilinear | bicubic | trilinear")
    if antialias:
        raise NotImplementedError("interpolate: antialias is not supported")
    if (size is None) == (scale_factor is None):
        raise ValueError("interpolate: only one of size or scale_factor should be defined")
    in_sizes = x.shape[2:]
    if size is not None:
        sizes = (size,) * spatial if isinstance(size, int) else tuple(size)
        scales = (None,) * spatial
    else:
        scales = (scale_factor,) * spatial if not isinstance(scale_factor, (tuple, list)) else tuple(scale_factor)
        sizes = tuple(int(math.floor(n * s)) for n, s in zip(in_sizes, scales))
        if recompute_scale_factor:
            scales = (None,) * spatial
    if len(sizes) != spatial or len(scales) != spatial:
        raise ValueError(f"interpolate: size/scale_factor must have {spatial} entries for input {tuple(x.shape)}")
    for axis, (n_in, n_out, s) in enumerate(zip(in_sizes, sizes, scales), start=2):
        if n_out <= 0:
            raise ValueError(f"interpolate: output size {sizes} must be positive (input {tuple(x.shape)})")
        if n_out == n_in and s in (None, 1.0):
            continue
        m = Tensor._wrap(_matrix(n_in, n_out, mode, bool(align_corners), s).astype(x.dtype))
        x = (x.transpose(axis, -1) @ m.transpose(0, 1)).transpose(axis, -1)
    return x


def pixel_shuffle(input, upscale_factor):
    """(..., C * r^2, H, W) -> (..., C, H * r, W * r)."""
    x, r = as_tensor(input), int(upscale_factor)
    *lead, c, h, w = x.shape
    if c % (r * r):
        raise ValueError(f"pixel_shuffle expects its input's 'channel' dimension to be divisible by the square of "
                         f"upscale_factor, but input.size(-3)={c} is not divisible by {r * r}")
    n = len(lead)
    y = x.reshape(*lead, c // (r * r), r, r, h, w)
    y = y.permute(*range(n), n, n + 3, n + 1, n + 4, n + 2)
    return y.reshape(*lead, c // (r * r), h * r, w * r)


def pixel_unshuffle(input, downscale_factor):
    """(..., C, H * r, W * r) -> (..., C * r^2, H, W)."""
    x, r = as_tensor(input), int(downscale_factor)
    *lead, c, h, w = x.shape
    if h % r or w % r:
        raise ValueError(f"pixel_unshuffle expects height {h} and width {w} to be divisible by downscale_factor {r}")
    n = len(lead)
    y = x.reshape(*lead, c, h // r, r, w // r, r)
    y = y.permute(*range(n), n, n + 2, n + 4, n + 1, n + 3)
    return y.reshape(*lead, c * r * r, h // r, w // r)
