"""unfold (torch's name for im2col) and fold (col2im, its adjoint), on the convolution's own kernels.

unfold: x (N, C, H, W) -> (N, C*kh*kw, L), rows in weight.reshape(Cout, -1) order, L = Ho*Wo row-major.
im2col writes the whole batch as (K, N*L); one transposing copy gives torch's (N, K, L).
"""
import numpy as np

from ._checks import ConvGeometry, as_float, pair
from .im2col import col2im, im2col


def _blocks(spatial, kernel_size, dilation, padding, stride, op):
    """-> (kh, kw, sh, sw, ph, pw, dh, dw, Ho, Wo) with torch's checks and message."""
    (kh, kw), (dh, dw) = pair(kernel_size, "kernel_size", op), pair(dilation, "dilation", op)
    (ph, pw), (sh, sw) = pair(padding, "padding", op), pair(stride, "stride", op)
    H, W = spatial
    Ho = (H + 2 * ph - dh * (kh - 1) - 1) // sh + 1 if min(kh, dh, sh) > 0 and ph >= 0 else 0
    Wo = (W + 2 * pw - dw * (kw - 1) - 1) // sw + 1 if min(kw, dw, sw) > 0 and pw >= 0 else 0
    if Ho < 1 or Wo < 1 or min(kh, kw, dh, dw, sh, sw) <= 0 or min(ph, pw) < 0:
        raise ValueError(f"{op}: given input with spatial size {(H, W)}, kernel_size={(kh, kw)}, dilation={(dh, dw)}, "
                         f"padding={(ph, pw)}, stride={(sh, sw)}: calculated shape of the array of sliding blocks "
                         f"as {(Ho, Wo)}, but its components must be at least one")
    return kh, kw, sh, sw, ph, pw, dh, dw, Ho, Wo


def _geometry(N, C, H, W, blocks):
    kh, kw, sh, sw, ph, pw, dh, dw, Ho, Wo = blocks
    return ConvGeometry(N, C, H, W, 1, kh, kw, sh, sw, ph, pw, dh, dw, 1, Ho, Wo)


def unfold_forward(x, kernel_size, dilation=1, padding=0, stride=1):
    """x (N, C, H, W) -> (N, C*kh*kw, L)."""
    x = as_float(x, "unfold: input")
    if x.ndim != 4:
        raise ValueError(f"unfold: expected a 3-D (C, H, W) or 4-D (N, C, H, W) input, got input of size "
                         f"{list(x.shape)}")
    N, C, H, W = x.shape
    g = _geometry(N, C, H, W, _blocks((H, W), kernel_size, dilation, padding, stride, "unfold"))
    K, L = C * g.kh * g.kw, g.Ho * g.Wo
    cols = np.empty((K, N * L), dtype=x.dtype)
    im2col(x, g.kh, g.kw, g.sh, g.sw, g.ph, g.pw, g.dh, g.dw, g.Ho, g.Wo, cols)
    return np.ascontiguousarray(cols.reshape(K, N, L).transpose(1, 0, 2))


def fold_forward(cols, output_size, kernel_size, dilation=1, padding=0, stride=1):
    """cols (N, C*kh*kw, L) -> (N, C, H, W) = output_size, summing overlapping blocks (unfold's adjoint)."""
    cols = as_float(cols, "fold: input")
    if cols.ndim != 3:
        raise ValueError(f"fold: expected a 2-D (C*kh*kw, L) or 3-D (N, C*kh*kw, L) input, got input of size "
                         f"{list(cols.shape)}")
    H, W = pair(output_size, "output_size", "fold")
    blocks = _blocks((H, W), kernel_size, dilation, padding, stride, "fold")
    N, K, L = cols.shape
    kh, kw, Ho, Wo = blocks[0], blocks[1], blocks[8], blocks[9]
    if K % (kh * kw):
        raise ValueError(f"fold: expected size of input's dimension 1 to be divisible by the product of "
                         f"kernel_size, but got input.size(1)={K} and kernel_size={(kh, kw)}")
    if L != Ho * Wo:
        raise ValueError(f"fold: given output_size={(H, W)}, kernel_size={(kh, kw)}, expected size of input's "
                         f"dimension 2 to match the calculated number of sliding blocks {Ho} * {Wo} = {Ho * Wo}, "
                         f"but got input.size(2)={L}")
    g = _geometry(N, K // (kh * kw), H, W, blocks)
    out = np.empty((N, g.C, H, W), dtype=cols.dtype)
    col2im(np.ascontiguousarray(cols.transpose(1, 0, 2)).reshape(K, N * L),
           g.kh, g.kw, g.sh, g.sw, g.ph, g.pw, g.dh, g.dw, g.Ho, g.Wo, out)
    return out
