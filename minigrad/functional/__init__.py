"""minigrad.functional (import as F): neural-network ops, each a Function with its backward beside it.

Convolution, pooling and the two losses call the Numba kernels in minigrad.kernels; the rest is vectorized
NumPy. Gradients are only computed for inputs that need them (ctx.needs_input_grad): a frozen conv weight
costs no weight gradient, and a first-layer conv computes no input gradient.
"""
from .activation import add_relu, dropout, log_softmax, logsumexp, relu, sigmoid, softmax, tanh
from .conv import conv2d, conv_transpose2d, linear
from .loss import cross_entropy, mse_loss, nll_loss
from .normalization import batch_norm
from .pooling import adaptive_avg_pool2d, avg_pool2d, max_pool2d

__all__ = ["add_relu", "conv2d", "conv_transpose2d", "linear", "max_pool2d", "avg_pool2d", "adaptive_avg_pool2d",
           "relu", "sigmoid", "tanh", "dropout", "batch_norm", "softmax", "log_softmax", "logsumexp",
           "cross_entropy", "nll_loss", "mse_loss"]
