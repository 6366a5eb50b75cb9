"""minigrad.functional (import as F): neural-network ops with torch's names and signatures, each a Function
with its backward beside it.

Convolution, pooling and the two hot losses call the Numba kernels in minigrad.kernels; the rest is
vectorized NumPy. Gradients are only computed for inputs that need them (ctx.needs_input_grad): a frozen conv
weight costs no weight gradient, and a first-layer conv computes no input gradient.
"""
from .conv import conv2d, conv_transpose2d, fold, linear, unfold
from .conv_pool_1d import (adaptive_avg_pool1d, adaptive_max_pool1d, avg_pool1d, conv1d, conv_transpose1d,
                           max_pool1d, max_unpool1d)
from .conv_pool_3d import (adaptive_avg_pool3d, adaptive_max_pool3d, avg_pool3d, conv3d, conv_transpose3d,
                           max_pool3d)
from .lp_pool import lp_pool1d, lp_pool2d, lp_pool3d
from .pooling import adaptive_avg_pool2d, adaptive_max_pool2d, avg_pool2d, max_pool2d, max_unpool2d

from .activation import (celu, elu, gelu, glu, hardshrink, hardsigmoid, hardswish, hardtanh, leaky_relu,
                         logsigmoid, mish, prelu, relu, relu6, selu, sigmoid, silu, softplus, softshrink, softsign,
                         tanh, tanhshrink, threshold)
from .attention import scaled_dot_product_attention
from .bilinear import bilinear
from .dropout import alpha_dropout, dropout, dropout1d, dropout2d, dropout3d
from .local_response_norm import local_response_norm
from .loss import cross_entropy, nll_loss
from .loss_margin import (cosine_embedding_loss, gaussian_nll_loss, hinge_embedding_loss, margin_ranking_loss,
                          multi_margin_loss, multilabel_soft_margin_loss, pairwise_distance, poisson_nll_loss,
                          triplet_margin_loss)
from .loss_pointwise import (binary_cross_entropy, binary_cross_entropy_with_logits, huber_loss, kl_div, l1_loss,
                             mse_loss, smooth_l1_loss, soft_margin_loss)
from .normalization import (batch_norm, cosine_similarity, group_norm, instance_norm, layer_norm, normalize,
                            rms_norm)
from .padding import pad
from .resample import interpolate, pixel_shuffle, pixel_unshuffle
from .softmax import log_softmax, logsumexp, softmax, softmin
from .sparse import embedding, one_hot

__all__ = ["conv1d", "conv2d", "conv3d", "conv_transpose1d", "conv_transpose2d", "conv_transpose3d", "unfold",
           "fold", "linear", "max_pool1d", "max_pool2d", "max_pool3d", "avg_pool1d", "avg_pool2d", "avg_pool3d",
           "adaptive_avg_pool1d", "adaptive_avg_pool2d", "adaptive_avg_pool3d", "adaptive_max_pool1d",
           "adaptive_max_pool2d", "adaptive_max_pool3d", "max_unpool1d", "max_unpool2d", "lp_pool1d", "lp_pool2d",
           "lp_pool3d",
           "relu", "relu6", "sigmoid", "tanh", "threshold", "hardtanh", "leaky_relu", "elu", "selu", "celu", "gelu",
           "silu", "mish", "softplus", "softsign", "hardsigmoid", "hardswish", "logsigmoid", "tanhshrink",
           "hardshrink", "softshrink", "prelu", "glu",
           "dropout", "dropout1d", "dropout2d", "dropout3d", "alpha_dropout", "batch_norm", "layer_norm", "rms_norm", "group_norm",
           "instance_norm", "normalize", "cosine_similarity", "pad", "embedding", "one_hot", "interpolate",
           "pixel_shuffle", "pixel_unshuffle", "scaled_dot_product_attention", "bilinear", "local_response_norm",
           "softmax", "softmin", "log_softmax", "logsumexp",
           "cross_entropy", "nll_loss", "mse_loss", "l1_loss", "smooth_l1_loss", "huber_loss",
           "binary_cross_entropy", "binary_cross_entropy_with_logits", "kl_div", "soft_margin_loss",
           "margin_ranking_loss", "hinge_embedding_loss", "cosine_embedding_loss", "pairwise_distance",
           "triplet_margin_loss", "multilabel_soft_margin_loss", "multi_margin_loss", "poisson_nll_loss",
           "gaussian_nll_loss"]
