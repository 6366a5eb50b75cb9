"""Power-average pooling, torch's formula: (sum over the window of x**p) ** (1/p), computed as the average
pool of x**p times the window size (torch's sign * relu(abs) guard included, so the gradients match)."""
import math

from ..kernels._checks import pair, single, triple
from ._util import as_tensor
from .activation import relu
from .conv_pool_1d import avg_pool1d
from .conv_pool_3d import avg_pool3d
from .pooling import avg_pool2d


def _lp_pool(avg_pool, to_tuple, op, input, norm_type, kernel_size, stride, ceil_mode):
    k = to_tuple(kernel_size, "kernel_size", op)
    k = k if isinstance(k, tuple) else (k,)
    out = avg_pool(as_tensor(input) ** norm_type, kernel_size, stride, 0, ceil_mode)
    return (out.sign() * relu(out.abs()) * math.prod(k)) ** (1.0 / norm_type)


def lp_pool1d(input, norm_type, kernel_size, stride=None, ceil_mode=False):
    return _lp_pool(avg_pool1d, single, "lp_pool1d", input, norm_type, kernel_size, stride, ceil_mode)


def lp_pool2d(input, norm_type, kernel_size, stride=None, ceil_mode=False):
    return _lp_pool(avg_pool2d, pair, "lp_pool2d", input, norm_type, kernel_size, stride, ceil_mode)


def lp_pool3d(input, norm_type, kernel_size, stride=None, ceil_mode=False):
    return _lp_pool(avg_pool3d, triple, "lp_pool3d", input, norm_type, kernel_size, stride, ceil_mode)
