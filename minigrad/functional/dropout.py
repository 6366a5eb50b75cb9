"""Inverted dropout: elementwise (dropout) and whole channels (dropout1d/2d/3d)."""
import numpy as np

from ..rng import get_rng
from ..tensor import Tensor
from ._util import as_tensor


def _dropout(x, p, training, mask_shape, name):
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"{name}: dropout probability has to be between 0 and 1, but got {p}")
    x = as_tensor(x)
    if not training or p == 0.0:
        return x
    if p == 1.0:
        return x * 0.0
    keep = get_rng().random(mask_shape(x), dtype=np.float32) >= p
    mask = keep.astype(x.dtype) * x.dtype.type(1.0 / (1.0 - p))
    return x * Tensor._wrap(mask)


def dropout(input, p=0.5, training=True, inplace=False):
    """Zero each element with probability p and scale survivors by 1/(1-p). `inplace` computes out of place."""
    return _dropout(input, p, training, lambda x: x.shape, "dropout")


def _channel_mask(spatial, name):
    def shape(x):
        if x.ndim not in (spatial + 1, spatial + 2):
            raise ValueError(f"{name}: expected {spatial + 1}-D or {spatial + 2}-D input, got shape {x.shape}")
        return x.shape[:x.ndim - spatial] + (1,) * spatial
    return shape


def dropout1d(input, p=0.5, training=True, inplace=False):
    """Zero whole channels of (N, C, L) or (C, L)."""
    return _dropout(input, p, training, _channel_mask(1, "dropout1d"), "dropout1d")


def dropout2d(input, p=0.5, training=True, inplace=False):
    """Zero whole channels of (N, C, H, W) or (C, H, W)."""
    return _dropout(input, p, training, _channel_mask(2, "dropout2d"), "dropout2d")


def dropout3d(input, p=0.5, training=True, inplace=False):
    return _dropout(input, p, training, _channel_mask(3, "dropout3d"), "dropout3d")


_SELU_NEG_SATURATION = -1.7580993408473766          # -scale * alpha of SELU


def alpha_dropout(input, p=0.5, training=False, inplace=False):
    """Dropout that keeps SELU's self-normalisation: dropped elements take SELU's negative saturation value and
    an affine map restores zero mean and unit variance (torch's formula)."""
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"alpha_dropout: dropout probability has to be between 0 and 1, but got {p}")
    x = as_tensor(input)
    if not training or p == 0.0:
        return x
    if p == 1.0:
        return x * 0.0
    keep = (get_rng().random(x.shape, dtype=np.float32) >= p).astype(x.dtype)
    a = ((1 - p) * (1 + p * _SELU_NEG_SATURATION ** 2)) ** -0.5
    b = -a * _SELU_NEG_SATURATION * p
    drop_value = (1 - keep) * (_SELU_NEG_SATURATION * a + b) + keep * b
    return x * Tensor._wrap(keep * x.dtype.type(a)) + Tensor._wrap(drop_value.astype(x.dtype))
