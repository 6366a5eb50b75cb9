"""minigrad: a small PyTorch-shaped deep learning library on NumPy, with Numba kernels for the hot ops."""
__version__ = "0.1.0"

from . import memory
memory._at_import()  # freed arrays stay in the heap for the next step (see memory.py)

from .dtypes import (bool_ as bool, double, float16, float32, float64, half, int8, int16, int32,  # noqa: F401
                     int64, long, short, uint8)
from .dtypes import float32 as float  # noqa: F401  (torch.float is float32)
from .dtypes import int32 as int  # noqa: F401  (torch.int is int32)
from .autograd import Function, enable_grad, inference_mode, is_grad_enabled, no_grad, set_grad_enabled
from .device import cuda, device
from .rng import Generator, manual_seed
from .tensor import Tensor
from .creation import (arange, as_tensor, cat, concat, concatenate, empty, empty_like, eye, from_numpy,  # noqa: F401
                       full, full_like, linspace, ones, ones_like, rand, rand_like, randint, randn, randn_like,
                       randperm, stack, tensor, zeros, zeros_like)
from .functions import *  # noqa: F401,F403,E402  (torch.exp(x), torch.sum(x, dim), torch.where, ...)
from .functions import __all__ as _function_names
from .gradcheck import GradcheckError, gradcheck
from .serialization import CheckpointError, load, save
from . import functional, init, nn, optim, profiler, utils  # noqa: E402

# torch.<op> spellings of torch.nn.functional ops whose positional arguments are the same in both places
_FUNCTIONAL_ALIASES = ("adaptive_avg_pool1d", "adaptive_max_pool1d", "avg_pool1d", "bilinear", "celu", "conv1d",
                       "conv2d", "conv3d", "conv_transpose1d", "conv_transpose2d", "conv_transpose3d",
                       "cosine_similarity", "dropout", "hardshrink", "max_pool1d", "max_pool2d", "max_pool3d",
                       "pairwise_distance", "pixel_shuffle", "pixel_unshuffle", "prelu", "selu", "threshold")
globals().update({_name: getattr(functional, _name) for _name in _FUNCTIONAL_ALIASES})


def is_tensor(obj):
    return isinstance(obj, Tensor)


__all__ = ["Tensor", "Function", "tensor", "as_tensor", "from_numpy", "zeros", "ones", "empty", "full", "eye",
           "arange", "linspace", "randn", "rand", "randint", "randperm", "zeros_like", "ones_like", "empty_like",
           "full_like", "rand_like", "randn_like", "cat", "concat", "concatenate", "stack", "is_tensor",
           "no_grad", "inference_mode", "enable_grad", "is_grad_enabled", "set_grad_enabled", "manual_seed",
           "Generator", "device", "cuda", "gradcheck", "GradcheckError", "save", "load", "CheckpointError",
           "functional", "init", "nn", "optim", "utils", "profiler", "memory",
           "float16", "half", "float32", "float", "float64", "double", "uint8", "int8", "int16", "short",
           "int32", "int", "int64", "long", "bool"] + list(_function_names) + list(_FUNCTIONAL_ALIASES)
