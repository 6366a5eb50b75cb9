"""Weight initialisation, in place, with PyTorch's formulas (torch.nn.init). Accepts Tensors or ndarrays."""
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


def calculate_gain(nonlinearity, param=None):
    if nonlinearity in ("linear", "conv1d", "conv2d", "conv3d", "sigmoid", "conv_transpose2d"):
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


def uniform_(t, a=0.0, b=1.0):
    return _fill(t, get_rng().uniform(a, b, size=_array(t).shape))


def normal_(t, mean=0.0, std=1.0):
    return _fill(t, get_rng().normal(mean, std, size=_array(t).shape))


def constant_(t, val):
    return _fill(t, val)


def zeros_(t):
    return _fill(t, 0)


def ones_(t):
    return _fill(t, 1)


def xavier_uniform_(t, gain=1.0):
    fan_in, fan_out = calculate_fan_in_and_fan_out(t)
    bound = gain * math.sqrt(6.0 / (fan_in + fan_out))
    return uniform_(t, -bound, bound)


def xavier_normal_(t, gain=1.0):
    fan_in, fan_out = calculate_fan_in_and_fan_out(t)
    return normal_(t, 0.0, gain * math.sqrt(2.0 / (fan_in + fan_out)))


def kaiming_uniform_(t, a=0.0, mode="fan_in", nonlinearity="leaky_relu"):
    bound = math.sqrt(3.0) * calculate_gain(nonlinearity, a) / math.sqrt(_fan(t, mode))
    return uniform_(t, -bound, bound)


def kaiming_normal_(t, a=0.0, mode="fan_in", nonlinearity="leaky_relu"):
    return normal_(t, 0.0, calculate_gain(nonlinearity, a) / math.sqrt(_fan(t, mode)))
