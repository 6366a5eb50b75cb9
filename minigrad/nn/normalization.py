"""Batch normalization layers with PyTorch's buffers: running_mean, running_var, num_batches_tracked."""
import numpy as np

from .. import functional as F
from .module import Module, Parameter


class _BatchNorm(Module):
    _ndims = ()

    def __init__(self, num_features, eps=1e-5, momentum=0.1, affine=True, track_running_stats=True):
        super().__init__()
        self.num_features, self.eps, self.momentum = num_features, eps, momentum
        self.affine, self.track_running_stats = affine, track_running_stats
        if affine:
            self.weight = Parameter(np.ones(num_features, np.float32))
            self.bias = Parameter(np.zeros(num_features, np.float32))
        else:
            self.register_parameter("weight", None)
            self.register_parameter("bias", None)
        if track_running_stats:
            self.register_buffer("running_mean", np.zeros(num_features, np.float32))
            self.register_buffer("running_var", np.ones(num_features, np.float32))
            self.register_buffer("num_batches_tracked", np.array(0, dtype=np.int64))
        else:
            for name in ("running_mean", "running_var", "num_batches_tracked"):
                self.register_buffer(name, None)

    def forward(self, x, relu=False):
        """relu=True: relu(bn(x)) with the ReLU fused into the batch-norm kernel (same result)."""
        if x.ndim not in self._ndims or x.shape[1] != self.num_features:
            raise ValueError(f"{type(self).__name__}({self.num_features}) expects input of "
                             f"{' or '.join(f'{d}-D' for d in self._ndims)} with {self.num_features} channels "
                             f"on axis 1, got shape {x.shape}")
        use_batch_stats = self.training or not self.track_running_stats
        momentum = self.momentum
        if self.training and self.track_running_stats:
            self.num_batches_tracked += 1          # 0-d ndarray, updated in place
            if momentum is None:                   # cumulative moving average, as in PyTorch
                momentum = 1.0 / float(self.num_batches_tracked)
        rm = self.running_mean if (self.training or not use_batch_stats) else None
        rv = self.running_var if (self.training or not use_batch_stats) else None
        return F.batch_norm(x, rm, rv, self.weight, self.bias, use_batch_stats, momentum, self.eps, relu=relu)

    def extra_repr(self):
        return f"{self.num_features}, eps={self.eps}, momentum={self.momentum}, affine={self.affine}"


class BatchNorm1d(_BatchNorm):
    """Over (N, C) or (N, C, L)."""
    _ndims = (2, 3)


class BatchNorm2d(_BatchNorm):
    """Over (N, C, H, W)."""
    _ndims = (4,)
