"""1-D convolutions and pools, torch's signatures: each is its 2-D version on a height-1 image
(N, C, L) -> (N, C, 1, L), kernel (1, k), so they share the 2-D kernels, checks and gradients."""
from ..kernels._checks import single as _one
from ._util import as_tensor
from .conv import conv2d, conv_transpose2d
from .pooling import adaptive_avg_pool2d, adaptive_max_pool2d, avg_pool2d, max_pool2d, max_unpool2d


def _as_2d(op, input):
    x = as_tensor(input)
    if x.ndim not in (2, 3):
        raise ValueError(f"{op}: expected a 2-D (C, L) or 3-D (N, C, L) input, got input of size {list(x.shape)}")
    return x.unsqueeze(-2)


def _weight_2d(op, weight):
    w = as_tensor(weight)
    if w.ndim != 3:
        raise ValueError(f"{op}: expected a 3-D weight, got weight of size {list(w.shape)}")
    return w.unsqueeze(-2)


def _back(out):
    if isinstance(out, tuple):  # (values, indices)
        return tuple(_back(o) for o in out)
    return out.squeeze(-2)


def conv1d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    x, w = _as_2d("conv1d", input), _weight_2d("conv1d", weight)
    p = _one(padding, "padding", "conv1d")
    return _back(conv2d(x, w, bias, (1, _one(stride, "stride", "conv1d")),
                        p if isinstance(p, str) else (0, p), (1, _one(dilation, "dilation", "conv1d")), groups))


def conv_transpose1d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1, dilation=1):
    op = "conv_transpose1d"
    x, w = _as_2d(op, input), _weight_2d(op, weight)
    return _back(conv_transpose2d(x, w, bias, (1, _one(stride, "stride", op)),
                                  (0, _one(padding, "padding", op)), (0, _one(output_padding, "output_padding", op)),
                                  groups, (1, _one(dilation, "dilation", op))))


def max_pool1d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False, return_indices=False):
    op = "max_pool1d"
    s = _one(stride, "stride", op) if stride is not None and stride != () else None
    return _back(max_pool2d(_as_2d(op, input), (1, _one(kernel_size, "kernel_size", op)),
                            None if s is None else (1, s), (0, _one(padding, "padding", op)),
                            (1, _one(dilation, "dilation", op)), ceil_mode, return_indices))


def avg_pool1d(input, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True):
    op = "avg_pool1d"
    s = _one(stride, "stride", op) if stride is not None and stride != () else None
    return _back(avg_pool2d(_as_2d(op, input), (1, _one(kernel_size, "kernel_size", op)),
                            None if s is None else (1, s), (0, _one(padding, "padding", op)), ceil_mode,
                            count_include_pad))


def adaptive_avg_pool1d(input, output_size):
    return _back(adaptive_avg_pool2d(_as_2d("adaptive_avg_pool1d", input),
                                     (1, _one(output_size, "output_size", "adaptive_avg_pool1d"))))


def adaptive_max_pool1d(input, output_size, return_indices=False):
    return _back(adaptive_max_pool2d(_as_2d("adaptive_max_pool1d", input),
                                     (1, _one(output_size, "output_size", "adaptive_max_pool1d")), return_indices))


def max_unpool1d(input, indices, kernel_size, stride=None, padding=0, output_size=None):
    op = "max_unpool1d"
    s = _one(stride, "stride", op) if stride is not None and stride != () else None
    out = None if output_size is None else (1, tuple(output_size)[-1])
    return _back(max_unpool2d(_as_2d(op, input), _as_2d(op, indices), (1, _one(kernel_size, "kernel_size", op)),
                              None if s is None else (1, s), (0, _one(padding, "padding", op)), out))
