"""minigrad: a small PyTorch-shaped deep learning library on NumPy, with Numba kernels for the hot ops."""
__version__ = "0.1.0"

from .autograd import Function, enable_grad, is_grad_enabled, no_grad, set_grad_enabled
from .rng import manual_seed
from .tensor import Tensor, cat, ones, ones_like, rand, randn, stack, tensor, zeros, zeros_like
from .gradcheck import GradcheckError, gradcheck

from numpy import float32, float64  # noqa: E402  (dtype aliases, as torch.float32)
