"""minigrad: a small PyTorch-shaped deep learning library on NumPy, with Numba kernels for the hot ops."""
__version__ = "0.1.0"

from numpy import float32, float64  # noqa: F401  (dtype aliases, like torch.float32)

from .autograd import Function, enable_grad, is_grad_enabled, no_grad, set_grad_enabled
from .rng import manual_seed
from .tensor import Tensor, cat, ones, ones_like, rand, randn, stack, tensor, zeros, zeros_like
from .gradcheck import GradcheckError, gradcheck
from .serialization import CheckpointError, load, save
from . import functional, init, nn, optim, profiler  # noqa: E402

__all__ = ["Tensor", "Function", "tensor", "zeros", "ones", "randn", "rand", "zeros_like", "ones_like", "cat",
           "stack", "no_grad", "enable_grad", "is_grad_enabled", "set_grad_enabled", "manual_seed", "gradcheck",
           "GradcheckError", "save", "load", "CheckpointError", "functional", "init", "nn", "optim", "profiler",
           "float32", "float64"]
