"""Numba kernels: arrays in, arrays out. Used by minigrad.functional only."""
from .batchnorm import batch_norm_train_backward, batch_norm_train_forward
from .conv import conv2d_backward, conv2d_forward, conv_transpose2d_backward, conv_transpose2d_forward
from .elementwise import add_relu_forward, relu_backward, relu_forward
from .losses import cross_entropy_backward, cross_entropy_forward, mse_backward, mse_forward
from .pooling import (adaptive_avg_pool2d_backward, adaptive_avg_pool2d_forward, adaptive_max_pool2d_forward,
                      avg_pool2d_backward, avg_pool2d_forward, max_pool2d_backward, max_pool2d_forward)
from .unfold import fold_forward, unfold_forward

__all__ = [
    "batch_norm_train_forward", "batch_norm_train_backward",
    "conv2d_forward", "conv2d_backward", "conv_transpose2d_forward", "conv_transpose2d_backward",
    "max_pool2d_forward", "max_pool2d_backward",
    "avg_pool2d_forward", "avg_pool2d_backward", "adaptive_max_pool2d_forward",
    "adaptive_avg_pool2d_forward", "adaptive_avg_pool2d_backward",
    "cross_entropy_forward", "cross_entropy_backward",
    "mse_forward", "mse_backward", "unfold_forward", "fold_forward",
    "relu_forward", "relu_backward", "add_relu_forward",
]
