"""Which algorithm computes a convolution, chosen from a committed table of measurements (never by
timing at run time, so the same shapes always take the same path and float32 training stays bitwise
reproducible for a seed).

Winograd F(2x2, 3x3) (winograd.py) applies to float32 3x3 convolutions with stride 1 and padding 1;
float64 (gradient checks) always takes the exact im2col path. For such a shape the nearest measured
row (in log Cin, log Cout, log H*W, log N) decides: Winograd where it measured faster than im2col.

The rows were measured with one kernel worker, and they hold only there: with two workers (2 cores, wall
time) im2col's chunks parallelise better and Winograd measured slower on every ResNet/reference-CNN shape
tried (64->128 on 10x42 at batch 64: 135 vs 93 ms; 128->128 on 5x21: 45 vs 35 ms; 256->256 on 3x11: 57 vs
47 ms). So the table decides only when the pool runs MEASURED_WORKERS workers; otherwise im2col.
"""
import math

import numpy as np

from . import threadpool

# (Cin, Cout, H, W, N): (im2col ms, Winograd ms) for forward + input grad + weight grad at batch N,
# process CPU time on one thread, median of 3, alternating (benchmarks/winograd_table.py regenerates
# these). Small batches on small maps lose: the transformed weights are read for few tiles.
MEASURED = {
    (64, 64, 20, 84, 32)  : (  160.9,   146.9),  # ratio 0.91
    (128, 128, 10, 42, 32) : (  162.1,   109.6),  # ratio 0.68
    (256, 256, 5, 21, 32) : (  150.8,   122.6),  # ratio 0.81
    (512, 512, 3, 11, 32) : (  240.8,   197.2),  # ratio 0.82
    (64, 64, 10, 42, 32)  : (   43.2,    40.2),  # ratio 0.93
    (128, 128, 5, 21, 32) : (   44.2,    40.9),  # ratio 0.93
    (256, 256, 3, 11, 32) : (   60.5,    49.3),  # ratio 0.81
    (512, 512, 2, 6, 32)  : (  103.9,    67.0),  # ratio 0.64
    (3, 64, 40, 168, 32)  : (   50.5,   181.7),  # ratio 3.60
    (64, 64, 40, 168, 32) : (  797.5,   579.4),  # ratio 0.73
    (64, 128, 20, 84, 32) : (  330.9,   286.8),  # ratio 0.87
    (128, 128, 20, 84, 32) : (  663.6,   466.0),  # ratio 0.70
    (128, 256, 10, 42, 32) : (  315.1,   212.0),  # ratio 0.67
    (256, 256, 10, 42, 32) : (  641.0,   403.6),  # ratio 0.63
    (256, 512, 5, 21, 32) : (  284.8,   244.1),  # ratio 0.86
    (512, 512, 5, 21, 32) : (  666.5,   570.4),  # ratio 0.86
    (512, 512, 2, 10, 32) : (  140.9,    87.6),  # ratio 0.62
    (1, 32, 40, 168, 32)  : (   16.5,    90.6),  # ratio 5.49
    (32, 64, 20, 84, 32)  : (   74.0,    85.3),  # ratio 1.15
    (64, 128, 10, 42, 32) : (   73.9,    65.9),  # ratio 0.89
    (8, 16, 12, 12, 32)   : (    1.0,     1.3),  # ratio 1.24
    (16, 32, 28, 28, 32)  : (   12.1,    14.9),  # ratio 1.23
    (32, 32, 8, 8, 32)    : (    2.9,     2.2),  # ratio 0.75
    (64, 64, 20, 84, 4)       : (   25.8,    37.1),  # ratio 1.44
    (128, 128, 10, 42, 4)     : (   23.4,    17.4),  # ratio 0.74
    (256, 256, 5, 21, 4)      : (   28.0,    26.8),  # ratio 0.96
    (512, 512, 3, 11, 4)      : (   41.1,    46.3),  # ratio 1.13
    (64, 64, 10, 42, 4)       : (    6.9,     6.3),  # ratio 0.92
    (128, 128, 5, 21, 4)      : (    7.2,     6.2),  # ratio 0.86
    (256, 256, 3, 11, 4)      : (    9.5,    10.7),  # ratio 1.13
    (512, 512, 2, 6, 4)       : (   27.4,    34.0),  # ratio 1.24
    (3, 64, 40, 168, 4)       : (    6.5,    27.6),  # ratio 4.27
    (64, 64, 40, 168, 4)      : (   99.6,    81.5),  # ratio 0.82
    (64, 128, 20, 84, 4)      : (   40.3,    32.6),  # ratio 0.81
    (128, 128, 20, 84, 4)     : (   77.9,    58.6),  # ratio 0.75
    (128, 256, 10, 42, 4)     : (   43.0,    28.0),  # ratio 0.65
    (256, 256, 10, 42, 4)     : (   82.2,    46.3),  # ratio 0.56
    (256, 512, 5, 21, 4)      : (   45.2,    35.8),  # ratio 0.79
    (512, 512, 5, 21, 4)      : (   90.7,    90.2),  # ratio 0.99
    (512, 512, 2, 10, 4)      : (   33.2,   108.6),  # ratio 3.27
    (1, 32, 40, 168, 4)       : (    2.3,    12.7),  # ratio 5.57
    (32, 64, 20, 84, 4)       : (   10.9,    12.4),  # ratio 1.14
    (64, 128, 10, 42, 4)      : (   11.0,     8.5),  # ratio 0.77
    (8, 16, 12, 12, 4)        : (    0.2,     0.4),  # ratio 1.96
    (16, 32, 28, 28, 4)       : (    1.9,     1.8),  # ratio 0.95
    (32, 32, 8, 8, 4)         : (    0.5,     0.5),  # ratio 0.91
}

MEASURED_WORKERS = 1  # the worker count the table was measured with
forced = None  # "im2col" | "winograd" | None: ablations and benchmarks only


def _nearest(cin, cout, hw, n):
    def distance(key):
        ci, co, h, w, nb = key
        return (math.log(ci / cin) ** 2 + math.log(co / cout) ** 2 + math.log(h * w / hw) ** 2
                + math.log(nb / n) ** 2, key)
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
    if threadpool.pool_size(needs_blas=True) != MEASURED_WORKERS:
        return False
    t_im2col, t_winograd = _nearest(geo.C, geo.Cout, geo.H * geo.W, geo.N)
    return t_winograd < t_im2col
