"""Which algorithm computes a convolution, chosen from a committed table of measurements (never by
timing at run time, so the same shapes always take the same path and float32 training stays bitwise
reproducible for a seed).

Winograd F(2x2, 3x3) (winograd.py) applies to float32 3x3 convolutions with stride 1 and padding 1;
float64 (gradient checks) always takes the exact im2col path. For such a shape the nearest measured
row (in log Cin, log Cout, log H*W) decides: Winograd where it measured faster than im2col.
"""
import math

import numpy as np

# (Cin, Cout, H, W): (im2col ms, Winograd ms) for forward + input grad + weight grad, batch 32, process
# CPU time on one thread, median of 3, alternating (benchmarks/winograd_table.py regenerates these).
MEASURED = {
    (64, 64, 20, 84)      : (  160.9,   146.9),  # ratio 0.91
    (128, 128, 10, 42)    : (  162.1,   109.6),  # ratio 0.68
    (256, 256, 5, 21)     : (  150.8,   122.6),  # ratio 0.81
    (512, 512, 3, 11)     : (  240.8,   197.2),  # ratio 0.82
    (64, 64, 10, 42)      : (   43.2,    40.2),  # ratio 0.93
    (128, 128, 5, 21)     : (   44.2,    40.9),  # ratio 0.93
    (256, 256, 3, 11)     : (   60.5,    49.3),  # ratio 0.81
    (512, 512, 2, 6)      : (  103.9,    67.0),  # ratio 0.64
    (3, 64, 40, 168)      : (   50.5,   181.7),  # ratio 3.60
    (64, 64, 40, 168)     : (  797.5,   579.4),  # ratio 0.73
    (64, 128, 20, 84)     : (  330.9,   286.8),  # ratio 0.87
    (128, 128, 20, 84)    : (  663.6,   466.0),  # ratio 0.70
    (128, 256, 10, 42)    : (  315.1,   212.0),  # ratio 0.67
    (256, 256, 10, 42)    : (  641.0,   403.6),  # ratio 0.63
    (256, 512, 5, 21)     : (  284.8,   244.1),  # ratio 0.86
    (512, 512, 5, 21)     : (  666.5,   570.4),  # ratio 0.86
    (512, 512, 2, 10)     : (  140.9,    87.6),  # ratio 0.62
    (1, 32, 40, 168)      : (   16.5,    90.6),  # ratio 5.49
    (32, 64, 20, 84)      : (   74.0,    85.3),  # ratio 1.15
    (64, 128, 10, 42)     : (   73.9,    65.9),  # ratio 0.89
    (8, 16, 12, 12)       : (    1.0,     1.3),  # ratio 1.24
    (16, 32, 28, 28)      : (   12.1,    14.9),  # ratio 1.23
    (32, 32, 8, 8)        : (    2.9,     2.2),  # ratio 0.75
}

forced = None  # "im2col" | "winograd" | None: ablations and benchmarks only


def _nearest(cin, cout, hw):
    def distance(key):
        ci, co, h, w = key
        return (math.log(ci / cin) ** 2 + math.log(co / cout) ** 2 + math.log(h * w / hw) ** 2, key)
    return MEASURED[min(MEASURED, key=distance)]


def use_winograd(dtype, geo):
    """True when the conv2d of this dtype and ConvGeometry (kernels/_checks.py) goes to winograd.py."""
    if forced is not None:
        eligible = forced == "winograd"
    else:
        eligible = True
    if not (eligible and np.dtype(dtype) == np.float32 and geo.groups == 1
            and (geo.kh, geo.kw, geo.sh, geo.sw, geo.ph, geo.pw, geo.dh, geo.dw) == (3, 3, 1, 1, 1, 1, 1, 1)):
        return False
    if forced is not None:
        return True
    t_im2col, t_winograd = _nearest(geo.C, geo.Cout, geo.H * geo.W)
    return t_winograd < t_im2col
