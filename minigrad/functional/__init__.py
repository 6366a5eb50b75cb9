"""minigrad.functional (import as F): neural-network ops, each a Function with its backward beside it.

Convolution, pooling and the two losses call the Numba kernels in minigrad.kernels; the rest is vectorized
NumPy. Gradients are only computed for inputs that need them (ctx.needs_input_grad): a frozen conv weight
costs no weight gradient, and a first-layer conv computes no input gradient.
"""
from .activation import add_relu, dropout, log_softmax, logsumexp, relu, sigmoid, softmax, tanh
from .conv import conv2d, conv_transpose2d, fold, linear, unfold
from .conv_pool_1d import (adaptive_avg_pool1d, adaptive_max_pool1d, avg_pool1d, conv1d, conv_transpose1d,
                           max_pool1d, max_unpool1d)
from .conv_pool_3d import (adaptive_avg_pool3d, adaptive_max_pool3d, avg_pool3d, conv3d, conv_transpose3d,
                           max_pool3d)
from .loss import cross_entropy, mse_loss, nll_loss
from .lp_pool import lp_pool1d, lp_pool2d, lp_pool3d
from .normalization import batch_norm
from .pooling import adaptive_avg_pool2d, adaptive_max_pool2d, avg_pool2d, max_pool2d, max_unpool2d

__all__ = ["add_relu", "conv1d", "conv2d", "conv3d", "conv_transpose1d", "conv_transpose2d", "conv_transpose3d", "unfold",
           "fold", "linear", "max_pool1d", "max_pool2d", "max_pool3d", "avg_pool1d", "avg_pool2d", "avg_pool3d",
           "adaptive_avg_pool1d", "adaptive_avg_pool2d", "adaptive_avg_pool3d", "adaptive_max_pool1d",
           "adaptive_max_pool2d", "adaptive_max_pool3d", "max_unpool1d", "max_unpool2d", "lp_pool1d", "lp_pool2d",
           "lp_pool3d", "relu", "sigmoid", "tanh", "dropout", "batch_norm", "softmax", "log_softmax", "logsumexp",
           "cross_entropy", "nll_loss", "mse_loss"]
