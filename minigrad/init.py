"""Weight initialisation, in place, with PyTorch's names and formulas (torch.nn.init; also minigrad.nn.init).
Accepts Tensors or ndarrays; generator= takes an mg.Generator."""
import math

import numpy as np

from .rng import get_rng
from .tensor import Tensor


def _array(t):
    return t.data if isinstance(t, Tensor) else t


def _fill(t, values):
    a = _array(t)
    a[...] = values
    return t


_LINEAR = ("linear", "conv1d", "conv2d", "conv3d", "conv_transpose1d", "conv_transpose2d", "conv_transpose3d",
           "sigmoid")


def calculate_gain(nonlinearity, param=None):
    if nonlinearity in _LINEAR:
        return 1.0
    if nonlinearity == "tanh":
        return 5.0 / 3
    if nonlinearity == "relu":
        return math.sqrt(2.0)
    if nonlinearity == "leaky_relu":
        slope = 0.01 if param is None else param
        return math.sqrt(2.0 / (1 + slope ** 2))
    if nonlinearity == "selu":
        return 3.0 / 4
    raise ValueError(f"unsupported nonlinearity {nonlinearity!r}")


def calculate_fan_in_and_fan_out(t):
    """fan_in = shape[1] * receptive field, fan_out = shape[0] * receptive field (torch's convention)."""
    shape = _array(t).shape
    if len(shape) < 2:
        raise ValueError("fan in and fan out need a tensor with at least 2 dimensions")
    receptive = int(np.prod(shape[2:])) if len(shape) > 2 else 1
    return shape[1] * receptive, shape[0] * receptive


def _fan(t, mode):
    fan_in, fan_out = calculate_fan_in_and_fan_out(t)
    if mode not in ("fan_in", "fan_out"):
        raise ValueError(f"mode must be 'fan_in' or 'fan_out', got {mode!r}")
    return fan_in if mode == "fan_in" else fan_out


_calculate_fan_in_and_fan_out = calculate_fan_in_and_fan_out     # the private name torch code imports


def uniform_(t, a=0.0, b=1.0, generator=None):
    return _fill(t, get_rng(generator).uniform(a, b, size=_array(t).shape))


def normal_(t, mean=0.0, std=1.0, generator=None):
    return _fill(t, get_rng(generator).normal(mean, std, size=_array(t).shape))


def trunc_normal_(t, mean=0.0, std=1.0, a=-2.0, b=2.0, generator=None):
    """N(mean, std) restricted to [a, b], by redrawing the values that fall outside."""
    rng, shape = get_rng(generator), _array(t).shape
    v = rng.normal(mean, std, size=shape)
    bad = (v < a) | (v > b)
    while bad.any():
        v[bad] = rng.normal(mean, std, size=int(bad.sum()))
        bad = (v < a) | (v > b)
    return _fill(t, v)


def eye_(t):
    a = _array(t)
    if a.ndim != 2:
        raise ValueError(f"eye_: only 2-D tensors are supported, got shape {a.shape}")
    return _fill(t, np.eye(*a.shape))


def dirac_(t, groups=1):
    """Conv weights (out, in, k...) that pass each of the first min(out/groups, in) channels through unchanged."""
    a = _array(t)
    if a.ndim not in (3, 4, 5) or a.shape[0] % groups:
        raise ValueError(f"dirac_: needs a 3-, 4- or 5-D tensor with dim 0 divisible by groups, got {a.shape}")
    out_per = a.shape[0] // groups
    v = np.zeros(a.shape)
    centre = tuple(k // 2 for k in a.shape[2:])
    for g in range(groups):
        for d in range(min(out_per, a.shape[1])):
            v[(g * out_per + d, d) + centre] = 1
    return _fill(t, v)


def orthogonal_(t, gain=1.0, generator=None):
    """A (semi-)orthogonal matrix over (shape[0], prod(shape[1:])), from the QR of a Gaussian one, as torch does."""
    a = _array(t)
    if a.ndim < 2:
        raise ValueError(f"orthogonal_: only tensors with 2 or more dimensions are supported, got shape {a.shape}")
    rows, cols = a.shape[0], a.size // a.shape[0]
    flat = get_rng(generator).normal(0.0, 1.0, size=(rows, cols))
    if rows < cols:
        flat = flat.T
    q, r = np.linalg.qr(flat)
    q *= np.sign(np.diag(r))
    if rows < cols:
        q = q.T
    return _fill(t, (gain * q).reshape(a.shape))


def constant_(t, val):
    return _fill(t, val)


def zeros_(t):
    return _fill(t, 0)


def ones_(t):
    return _fill(t, 1)


def xavier_uniform_(t, gain=1.0, generator=None):
    fan_in, fan_out = calculate_fan_in_and_fan_out(t)
    bound = gain * math.sqrt(6.0 / (fan_in + fan_out))
    return uniform_(t, -bound, bound, generator)


def xavier_normal_(t, gain=1.0, generator=None):
    fan_in, fan_out = calculate_fan_in_and_fan_out(t)
    return normal_(t, 0.0, gain * math.sqrt(2.0 / (fan_in + fan_out)), generator)


def kaiming_uniform_(t, a=0.0, mode="fan_in", nonlinearity="leaky_relu", generator=None):
    bound = math.sqrt(3.0) * calculate_gain(nonlinearity, a) / math.sqrt(_fan(t, mode))
    return uniform_(t, -bound, bound, generator)


def kaiming_normal_(t, a=0.0, mode="fan_in", nonlinearity="leaky_relu", generator=None):
    return normal_(t, 0.0, calculate_gain(nonlinearity, a) / math.sqrt(_fan(t, mode)), generator)
