"""3-D convolution and pools built from the 2-D kernels.

conv3d: one conv2d per kernel depth offset k, over the depth-strided slice of the (depth-padded) input that
offset reads, all output depths at once as a batch of (N*Do) images; the kd results are summed. The loop runs
over kernel offsets (a handful), never over pixels. Pools are separable: a box's max (average) is the max
(average) over depth of the (H, W) maxima (averages), and torch's 3-D divisors are products of the per-axis
ones; so each pool is its 2-D version over (H, W) and then over (D, 1). Max ties keep torch's rule: the first
maximum in (d, h, w) order wins.
"""
import numpy as np

from ..kernels._checks import check_bias, check_groups, check_positive, check_weight_sizes, shape_str, triple
from ..creation import cat
from ..tensor import Tensor
from ._util import as_tensor
from .conv import conv2d, conv_transpose2d
from .pooling import adaptive_avg_pool2d, adaptive_max_pool2d, avg_pool2d, max_pool2d


def _batched(op, input, fn):
    """fn on a 5-D (N, C, D, H, W) input; torch's unbatched (C, D, H, W) runs as a batch of one."""
    x = as_tensor(input)
    if x.ndim not in (4, 5):
        raise ValueError(f"{op}: expected a 4-D (C, D, H, W) or 5-D (N, C, D, H, W) input, got input of size "
                         f"{shape_str(x.shape)}")
    if x.ndim == 5:
        return fn(x)
    out = fn(x.reshape((1,) + x.shape))
    return tuple(o.reshape(o.shape[1:]) for o in out) if isinstance(out, tuple) else out.reshape(out.shape[1:])


def _depth_padding(padding, k, d, s, op):
    """-> ((lo, hi) along depth, the (H, W) padding conv2d gets)."""
    if isinstance(padding, str):
        if padding == "same" and s != (1, 1, 1):
            raise ValueError(f"{op}: padding='same' is not supported for strided convolutions")
        if padding not in ("same", "valid"):
            raise ValueError(f"{op}: invalid padding string {padding!r}, should be 'same' or 'valid'")
        total = d * (k - 1) if padding == "same" else 0
        return (total // 2, total - total // 2), padding
    p = triple(padding, "padding", op)
    if min(p) < 0:
        raise ValueError(f"{op}: negative padding is not supported, got padding={p}")
    return (p[0], p[0]), p[1:]


def conv3d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    op = "conv3d"
    w = as_tensor(weight)
    if w.ndim != 5:
        raise ValueError(f"{op}: expected a 5-D weight (Cout, Cin/groups, kd, kh, kw), got weight of size "
                         f"{shape_str(w.shape)}")
    s, dil = triple(stride, "stride", op), triple(dilation, "dilation", op)
    check_positive(op, "stride", s)
    check_positive(op, "dilation", dil)
    check_groups(op, groups, w.shape)
    check_weight_sizes(op, groups, w.shape)
    check_bias(op, w.shape, None if bias is None else bias.shape, w.shape[0])
    (lo, hi), pad_hw = _depth_padding(padding, w.shape[2], dil[0], s, op)

    def run(x):
        N, C, D, H, W = x.shape
        if C != w.shape[1] * groups:
            raise ValueError(f"{op}: given groups={groups}, weight of size {shape_str(w.shape)}, expected "
                             f"input{shape_str(x.shape)} to have {w.shape[1] * groups} channels, but got {C} "
                             f"channels instead")
        Do = (D + lo + hi - dil[0] * (w.shape[2] - 1) - 1) // s[0] + 1
        if Do < 1:
            raise ValueError(f"{op}: calculated padded input depth {D + lo + hi} is smaller than the dilated "
                             f"kernel depth {dil[0] * (w.shape[2] - 1) + 1} (input {shape_str(x.shape)})")
        if lo or hi:  # zero depth padding; (H, W) padding is conv2d's
            zeros = [Tensor._wrap(np.zeros((N, C, n, H, W), x.dtype)) for n in (lo, hi)]
            x = cat([zeros[0], x, zeros[1]], 2)
        out = None
        for k in range(w.shape[2]):
            start = k * dil[0]
            xs = x[:, :, start:start + (Do - 1) * s[0] + 1:s[0]].permute(0, 2, 1, 3, 4).reshape(N * Do, C, H, W)
            y = conv2d(xs, w[:, :, k], None, s[1:], pad_hw, dil[1:], groups)
            out = y if out is None else out + y
        out = out.reshape((N, Do) + out.shape[1:]).permute(0, 2, 1, 3, 4)
        return out if bias is None else out + as_tensor(bias).reshape(1, -1, 1, 1, 1)
    return _batched(op, input, run)


def _over_depth(op, y, N, C, D, stage, *args):
    """The depth stage of a separable pool: y (N, C*D, Ho, Wo) -> stage on (N, C, D, Ho*Wo) with the given
    (depth, 1) window -> (N, C, Do, Ho, Wo)."""
    Ho, Wo = y.shape[2:]
    out = stage(y.reshape(N, C, D, Ho * Wo), *args)
    if isinstance(out, tuple):
        return tuple(o.reshape(N, C, o.shape[2], Ho, Wo) for o in out)
    return out.reshape(N, C, out.shape[2], Ho, Wo)


def _args3(op, kernel_size, stride, padding, dilation):
    """torch's 3-D pool argument rules, checked here so that errors name the 3-D op."""
    k = triple(kernel_size, "kernel_size", op)
    s = k if stride is None or (isinstance(stride, (tuple, list)) and not stride) else triple(stride, "stride", op)
    p, d = triple(padding, "padding", op), triple(dilation, "dilation", op)
    for what, v in (("kernel_size", k), ("stride", s), ("dilation", d)):
        check_positive(op, what, v)
    if min(p) < 0 or any(pi > ki // 2 for pi, ki in zip(p, k)):
        raise ValueError(f"{op}: pad should be at most half the kernel size, got padding={p} and kernel_size={k}")
    return k, s, p, d


def _indices_3d(idx_hw, idx_d, D, H, W):
    """Flat (d, h, w) indices from the two stages: idx_d picks a depth row (flat in (D, Ho*Wo)), idx_hw
    (N, C, D, Ho, Wo) holds the (h, w) winner of every depth row."""
    N, C, Do, Ho, Wo = idx_d.shape
    d = idx_d.reshape(N, C, Do, Ho * Wo) // (Ho * Wo)
    hw = np.take_along_axis(idx_hw.reshape(N, C, D, Ho * Wo), d, axis=2)
    return Tensor._wrap((d * (H * W) + hw).reshape(N, C, Do, Ho, Wo))


def _max_3d(op, input, pool_hw, pool_d, return_indices):
    def run(x):
        N, C, D, H, W = x.shape
        y, idx_hw = pool_hw(x.reshape(N, C * D, H, W))
        out, idx_d = _over_depth(op, y, N, C, D, pool_d)
        if not return_indices:
            return out
        return out, _indices_3d(idx_hw.numpy().reshape(N, C, D, *y.shape[2:]), idx_d.numpy(), D, H, W)
    return _batched(op, input, run)


def max_pool3d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False, return_indices=False):
    k, s, p, d = _args3("max_pool3d", kernel_size, stride, padding, dilation)
    return _max_3d("max_pool3d", input,
                   lambda t: max_pool2d(t, k[1:], s[1:], p[1:], d[1:], ceil_mode, True),
                   lambda t: max_pool2d(t, (k[0], 1), (s[0], 1), (p[0], 0), (d[0], 1), ceil_mode, True),
                   return_indices)


def adaptive_max_pool3d(input, output_size, return_indices=False):
    o = output_size if isinstance(output_size, (tuple, list)) else (output_size,) * 3
    return _max_3d("adaptive_max_pool3d", input, lambda t: adaptive_max_pool2d(t, tuple(o[1:]), True),
                   lambda t: adaptive_max_pool2d(t, (o[0], None), True), return_indices)


def avg_pool3d(input, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True,
               divisor_override=None):
    """With divisor_override the (H, W) stage only sums and the depth stage divides."""
    k, s, p, _ = _args3("avg_pool3d", kernel_size, stride, padding, 1)
    hw_div = None if divisor_override is None else 1

    def run(x):
        N, C, D, H, W = x.shape
        y = avg_pool2d(x.reshape(N, C * D, H, W), k[1:], s[1:], p[1:], ceil_mode, count_include_pad, hw_div)
        return _over_depth("avg_pool3d", y, N, C, D, avg_pool2d, (k[0], 1), (s[0], 1), (p[0], 0), ceil_mode,
                           count_include_pad, divisor_override)
    return _batched("avg_pool3d", input, run)


def adaptive_avg_pool3d(input, output_size):
    o = output_size if isinstance(output_size, (tuple, list)) else (output_size,) * 3

    def run(x):
        N, C, D, H, W = x.shape
        y = adaptive_avg_pool2d(x.reshape(N, C * D, H, W), tuple(o[1:]))
        return _over_depth("adaptive_avg_pool3d", y, N, C, D, adaptive_avg_pool2d, (o[0], None))
    return _batched("adaptive_avg_pool3d", input, run)


def conv_transpose3d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1, dilation=1):
    """Per kernel depth offset k, conv_transpose2d of every input depth slice; slice i lands at output depth
    i*stride - padding + k*dilation: zero-inserted by the stride, shifted by k*dilation, summed, cropped."""
    op = "conv_transpose3d"
    w = as_tensor(weight)
    if w.ndim != 5:
        raise ValueError(f"{op}: expected a 5-D weight (Cin, Cout/groups, kd, kh, kw), got weight of size "
                         f"{shape_str(w.shape)}")
    s, dil = triple(stride, "stride", op), triple(dilation, "dilation", op)
    p, opad = triple(padding, "padding", op), triple(output_padding, "output_padding", op)
    check_positive(op, "stride", s)
    check_positive(op, "dilation", dil)
    check_groups(op, groups, w.shape)
    check_weight_sizes(op, groups, w.shape)
    check_bias(op, w.shape, None if bias is None else bias.shape, w.shape[1] * groups)
    if min(p) < 0 or min(opad) < 0 or any(o >= si and o >= di for o, si, di in zip(opad, s, dil)):
        raise ValueError(f"{op}: padding must be >= 0 and output padding smaller than either stride or dilation, "
                         f"got padding={p}, output_padding={opad}, stride={s}, dilation={dil}")
    kd = w.shape[2]

    def run(x):
        N, C, D, H, W = x.shape
        if C != w.shape[0]:
            raise ValueError(f"{op}: given transposed=1, weight of size {shape_str(w.shape)}, expected "
                             f"input{shape_str(x.shape)} to have {w.shape[0]} channels, but got {C} channels instead")
        Do = (D - 1) * s[0] - 2 * p[0] + dil[0] * (kd - 1) + opad[0] + 1
        if Do < 1:
            raise ValueError(f"{op}: given input depth {D}, calculated output depth {Do}: output size is too small")
        planes = x.permute(0, 2, 1, 3, 4).reshape(N * D, C, H, W)
        full = max((D - 1) * s[0] + dil[0] * (kd - 1) + 1, p[0] + Do)   # depth before cropping the padding
        out = None
        for k in range(kd):
            y = conv_transpose2d(planes, w[:, :, k], None, s[1:], p[1:], opad[1:], groups, dil[1:])
            y = y.reshape((N, D) + y.shape[1:])
            rest = y.shape[2:]
            if s[0] > 1:  # slice i to depth i*stride: interleave stride-1 zero slices, drop the trailing ones
                z = Tensor._wrap(np.zeros((N, D, s[0] - 1) + rest, y.dtype))
                y = cat([y.unsqueeze(2), z], 2).reshape((N, D * s[0]) + rest)[:, :(D - 1) * s[0] + 1]
            before, after = k * dil[0], full - k * dil[0] - y.shape[1]
            parts = [Tensor._wrap(np.zeros((N, n) + rest, y.dtype)) for n in (before, after)]
            y = cat([parts[0], y, parts[1]], 1)
            out = y if out is None else out + y
        out = out[:, p[0]:p[0] + Do].permute(0, 2, 1, 3, 4)
        return out if bias is None else out + as_tensor(bias).reshape(1, -1, 1, 1, 1)
    return _batched(op, input, run)
