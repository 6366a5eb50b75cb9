"""The one validation layer of the convolution and pooling ops: argument normalisation and shape checks
(plain Python, runs once per call) with torch-like messages that name the op and the shapes.

minigrad.functional passes user arguments straight through; the kernels' entry points call these."""
from collections import namedtuple

import numpy as np

FLOAT_TYPES = (np.float32, np.float64)


def _is_int(v):
    return isinstance(v, (int, np.integer)) and not isinstance(v, (bool, np.bool_))


def pair(v, name, op=None):
    """int, (n,) or (h, w) -> (h, w) of Python ints, as torch reads them; anything else (floats, bools,
    3 values) is a TypeError."""
    if _is_int(v):
        return int(v), int(v)
    if isinstance(v, (tuple, list)) and len(v) in (1, 2) and all(_is_int(e) for e in v):
        return int(v[0]), int(v[-1])
    where = f"{op}(): " if op else ""
    raise TypeError(f"{where}argument '{name}' must be an int or a tuple of 2 ints, got {v!r}")


def triple(v, name, op=None):
    """int, (n,) or (d, h, w) -> (d, h, w) of Python ints, as torch's 3-D ops read them."""
    if _is_int(v):
        return int(v), int(v), int(v)
    if isinstance(v, (tuple, list)) and len(v) in (1, 3) and all(_is_int(e) for e in v):
        return (int(v[0]),) * 3 if len(v) == 1 else tuple(int(e) for e in v)
    where = f"{op}(): " if op else ""
    raise TypeError(f"{where}argument '{name}' must be an int or a tuple of 3 ints, got {v!r}")


def single(v, name, op=None):
    """int or (n,) -> n, as torch's 1-D ops read it (strings and None pass through)."""
    if v is None or isinstance(v, str):
        return v
    if isinstance(v, (tuple, list)) and len(v) != 1:
        where = f"{op}(): " if op else ""
        raise TypeError(f"{where}argument '{name}' must be an int or a tuple of 1 int, got {v!r}")
    return pair(v, name, op)[0]


def as_float(a, name, dtype=None):
    """C-contiguous float32/float64 array; `dtype` forces the dtype of a partner operand (a gradient)."""
    a = np.asarray(a)
    if dtype is None:
        if a.dtype.type not in FLOAT_TYPES:
            raise TypeError(f"{name} must be float32 or float64, got {a.dtype}")
        dtype = a.dtype
    return np.ascontiguousarray(a, dtype=dtype)


def same_float(op, x, **others):
    """x and the named partner operands (None allowed) as C-contiguous arrays of one float dtype."""
    x = np.asarray(x)
    if not np.issubdtype(x.dtype, np.floating):
        as_float(x, f"{op}: input")  # raises: not a float
    for name, a in others.items():  # a mix of float types (float16 with float32, say) is named as such
        if a is not None and np.asarray(a).dtype != x.dtype:
            raise TypeError(f"{op}: input type ({x.dtype}) and {name} type ({np.asarray(a).dtype}) should be "
                            f"the same")
    return [as_float(x, f"{op}: input")] + [None if a is None else as_float(a, f"{op}: {name}")
                                            for name, a in others.items()]


def shape_str(s):
    return "[" + ", ".join(str(d) for d in s) + "]"


class ConvGeometry(namedtuple("ConvGeometry", "N C H W Cout kh kw sh sw ph pw dh dw groups Ho Wo")):
    """A convolution x (N, C, H, W) * w (Cout, C/groups, kh, kw) -> (N, Cout, Ho, Wo).
    ph, pw are the leading (top, left) paddings; the trailing ones only show in Ho, Wo."""

    __slots__ = ()

    @property
    def w_shape(self):
        return (self.Cout, self.C // self.groups, self.kh, self.kw)


def check_positive(op, what, v):
    if min(v) <= 0:
        raise ValueError(f"{op}: non-positive {what} is not supported, got {what}={v}")


def check_groups(op, groups, w_shape):
    if not _is_int(groups):
        raise TypeError(f"{op}(): argument 'groups' must be an int, got {groups!r}")
    if groups <= 0:
        raise ValueError(f"{op}: non-positive groups is not supported, got groups={groups}")
    if w_shape[0] % groups:
        raise ValueError(f"{op}: given groups={groups}, expected weight to be divisible by {groups} at "
                         f"dimension 0, but got weight of size {shape_str(w_shape)} instead")


def _check_ranks(op, x_shape, w_shape, w_layout):
    if len(x_shape) != 4:
        raise ValueError(f"{op}: expected a 4-D input (N, C, H, W), got input of size {shape_str(x_shape)}")
    if len(w_shape) != 4:
        raise ValueError(f"{op}: expected a 4-D weight {w_layout}, got weight of size {shape_str(w_shape)}")


def check_weight_sizes(op, groups, w_shape):
    """torch's rule: at least one filter, and kernels of at least one tap per axis."""
    if w_shape[0] < 1:
        raise ValueError(f"{op}: given groups={groups}, expected weight to be at least 1 at dimension 0, but got "
                         f"weight of size {shape_str(w_shape)} instead")
    if min(w_shape[2:]) < 1:
        raise ValueError(f"{op}: kernel size should be greater than zero, but got weight of size {shape_str(w_shape)}")


def check_bias(op, w_shape, b_shape, n_out):
    if b_shape is not None and tuple(b_shape) != (n_out,):
        raise ValueError(f"{op}: given weight of size {shape_str(w_shape)}, expected bias to be 1-dimensional "
                         f"with {n_out} elements, but got bias of size {shape_str(b_shape)} instead")


def conv2d_geometry(x_shape, w_shape, b_shape, stride, padding, dilation, groups, op="conv2d"):
    """Validate conv2d's arguments as torch does -> ConvGeometry. padding: int, pair, 'valid' or 'same'
    ('same' pads d*(k-1) in total, the odd one at the bottom/right, as torch)."""
    _check_ranks(op, x_shape, w_shape, "(Cout, Cin/groups, kh, kw)")
    (sh, sw), (dh, dw) = pair(stride, "stride", op), pair(dilation, "dilation", op)
    check_positive(op, "stride", (sh, sw))
    check_positive(op, "dilation", (dh, dw))
    check_groups(op, groups, w_shape)
    check_weight_sizes(op, groups, w_shape)
    N, C, H, W = x_shape
    Cout, Cg, kh, kw = w_shape
    if C != Cg * groups:
        raise ValueError(f"{op}: given groups={groups}, weight of size {shape_str(w_shape)}, expected "
                         f"input{shape_str(x_shape)} to have {Cg * groups} channels, but got {C} channels instead")
    check_bias(op, w_shape, b_shape, Cout)
    ekh, ekw = dh * (kh - 1) + 1, dw * (kw - 1) + 1            # dilated (effective) kernel
    if isinstance(padding, str):
        if padding not in ("same", "valid"):
            raise ValueError(f"{op}: invalid padding string {padding!r}, should be 'same' or 'valid'")
        if padding == "same" and (sh, sw) != (1, 1):
            raise ValueError(f"{op}: padding='same' is not supported for strided convolutions")
        th, tw = (ekh - 1, ekw - 1) if padding == "same" else (0, 0)
        ph, pw = th // 2, tw // 2
    else:
        ph, pw = pair(padding, "padding", op)
        if min(ph, pw) < 0:
            raise ValueError(f"{op}: negative padding is not supported, got padding={(ph, pw)}")
        th, tw = 2 * ph, 2 * pw
    if H + th < ekh or W + tw < ekw:
        raise ValueError(f"{op}: calculated padded input size per channel: ({H + th} x {W + tw}). Kernel size: "
                         f"({ekh} x {ekw}). Kernel size can't be greater than actual input size "
                         f"(input {shape_str(x_shape)}, weight {shape_str(w_shape)})")
    Ho, Wo = (H + th - ekh) // sh + 1, (W + tw - ekw) // sw + 1
    return ConvGeometry(N, C, H, W, Cout, kh, kw, sh, sw, ph, pw, dh, dw, groups, Ho, Wo)


def conv_transpose2d_geometry(x_shape, w_shape, b_shape, stride, padding, output_padding, groups, dilation,
                              op="conv_transpose2d"):
    """Validate conv_transpose2d's arguments -> the ConvGeometry of the convolution it transposes: that conv
    maps the (N, Cout, Ho, Wo) output back to the (N, Cin, H, W) input with weight w (Cin, Cout/g, kh, kw)."""
    _check_ranks(op, x_shape, w_shape, "(Cin, Cout/groups, kh, kw)")
    (sh, sw), (dh, dw) = pair(stride, "stride", op), pair(dilation, "dilation", op)
    (ph, pw), (oph, opw) = pair(padding, "padding", op), pair(output_padding, "output_padding", op)
    check_positive(op, "stride", (sh, sw))
    check_positive(op, "dilation", (dh, dw))
    if min(ph, pw) < 0 or min(oph, opw) < 0:
        raise ValueError(f"{op}: negative padding is not supported, got padding={(ph, pw)}, "
                         f"output_padding={(oph, opw)}")
    if not (oph < sh or oph < dh) or not (opw < sw or opw < dw):
        raise ValueError(f"{op}: output padding must be smaller than either stride or dilation, but got "
                         f"output_padding={(oph, opw)}, stride={(sh, sw)}, dilation={(dh, dw)}")
    check_groups(op, groups, w_shape)
    check_weight_sizes(op, groups, w_shape)
    N, C, H, W = x_shape
    Cin, Cog, kh, kw = w_shape
    if C != Cin:
        raise ValueError(f"{op}: given transposed=1, weight of size {shape_str(w_shape)}, expected "
                         f"input{shape_str(x_shape)} to have {Cin} channels, but got {C} channels instead")
    check_bias(op, w_shape, b_shape, Cog * groups)
    Ho = (H - 1) * sh - 2 * ph + dh * (kh - 1) + oph + 1
    Wo = (W - 1) * sw - 2 * pw + dw * (kw - 1) + opw + 1
    if Ho < 1 or Wo < 1:
        raise ValueError(f"{op}: given input size per channel: ({H} x {W}). Calculated output size per "
                         f"channel: ({Ho} x {Wo}). Output size is too small")
    return ConvGeometry(N, Cog * groups, Ho, Wo, Cin, kh, kw, sh, sw, ph, pw, dh, dw, groups, H, W)


PoolGeometry = namedtuple("PoolGeometry", "N C H W kh kw sh sw ph pw dh dw Ho Wo")


def _pool_out(size, k, s, p, d, ceil_mode):
    """torch's pooling_output_shape: in ceil mode the last window must start inside the input or the
    leading padding."""
    o = (size + 2 * p - d * (k - 1) - 1 + (s - 1 if ceil_mode else 0)) // s + 1
    if ceil_mode and (o - 1) * s >= size + p:
        o -= 1
    return o


def check_4d(op, x_shape):
    if len(x_shape) != 4:
        raise ValueError(f"{op}: expected a 3-D (C, H, W) or 4-D (N, C, H, W) input, got input of size "
                         f"{shape_str(x_shape)}")


def pool2d_geometry(x_shape, kernel_size, stride, padding, dilation, ceil_mode, op):
    """Validate a max/avg pool's arguments as torch does -> PoolGeometry. stride None (or []) = kernel_size."""
    check_4d(op, x_shape)
    kh, kw = pair(kernel_size, "kernel_size", op)
    sh, sw = (kh, kw) if stride is None or (isinstance(stride, (tuple, list)) and not stride) else \
        pair(stride, "stride", op)
    (ph, pw), (dh, dw) = pair(padding, "padding", op), pair(dilation, "dilation", op)
    check_positive(op, "kernel_size", (kh, kw))
    check_positive(op, "stride", (sh, sw))
    check_positive(op, "dilation", (dh, dw))
    if min(ph, pw) < 0:
        raise ValueError(f"{op}: negative padding is not supported, got padding={(ph, pw)}")
    if ph > kh // 2 or pw > kw // 2:
        raise ValueError(f"{op}: pad should be at most half the kernel size, got padding={(ph, pw)} and "
                         f"kernel_size={(kh, kw)}")
    N, C, H, W = x_shape
    Ho, Wo = _pool_out(H, kh, sh, ph, dh, ceil_mode), _pool_out(W, kw, sw, pw, dw, ceil_mode)
    if Ho < 1 or Wo < 1:
        raise ValueError(f"{op}: given input size: ({C}x{H}x{W}). Calculated output size: ({C}x{Ho}x{Wo}). "
                         f"Output size is too small")
    return PoolGeometry(N, C, H, W, kh, kw, sh, sw, ph, pw, dh, dw, Ho, Wo)


def adaptive_output_size(x_shape, output_size, op):
    """Validate an adaptive pool's input and output_size (int, or pair with None = keep) -> (Ho, Wo)."""
    check_4d(op, x_shape)
    if 0 in x_shape[1:]:
        raise ValueError(f"{op}: expected input to have non-zero size for non-batch dimensions, but input "
                         f"has sizes {shape_str(x_shape)}")
    if _is_int(output_size) or output_size is None:
        output_size = (output_size, output_size)
    if not (isinstance(output_size, (tuple, list)) and len(output_size) == 2
            and all(o is None or _is_int(o) for o in output_size)):
        raise TypeError(f"{op}(): output_size must be an int or a pair of ints (or None), got {output_size!r}")
    out = tuple(int(x_shape[2 + i]) if o is None else int(o) for i, o in enumerate(output_size))
    if min(out) < 0:
        raise ValueError(f"{op}: output_size must not be negative, got {output_size!r}")
    return out
