"""Which algorithm computes a convolution, chosen from a committed table of measurements (never by
timing at run time, so the same shapes always take the same path and float32 training stays bitwise
reproducible for a seed and a worker count).

Winograd F(2x2, 3x3) (winograd.py) applies to float32 3x3 convolutions with stride 1 and padding 1;
float64 (gradient checks) always takes the exact im2col path. For such a shape the nearest measured
row (in log Cin, log Cout, log H*W, log N) of the table for the pool's worker count decides: Winograd
where it measured faster than im2col. The tables differ: one worker was measured in process CPU time,
two in wall time on the idle 2-core machine; more workers use the two-worker table.
"""
import math

import numpy as np

from . import threadpool

# workers: {(Cin, Cout, H, W, N): (im2col ms, Winograd ms)} for forward + input grad + weight grad at
# batch N, the two alternating (benchmarks/winograd_table.py regenerates these). Small batches on small
# maps lose: the transformed weights are read for few tiles.
MEASURED = {
    1: {  # one worker: process CPU time, median of 3
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
    },
    2: {  # two workers: wall time on the idle 2-core machine, median of 5
        (64, 64, 20, 84, 32)      : (   86.0,    85.1),  # ratio 0.99
        (128, 128, 10, 42, 32)    : (   87.6,    54.2),  # ratio 0.62
        (256, 256, 5, 21, 32)     : (   81.9,    57.3),  # ratio 0.70
        (512, 512, 3, 11, 32)     : (  126.2,    98.3),  # ratio 0.78
        (64, 64, 10, 42, 32)      : (   24.3,    21.3),  # ratio 0.88
        (128, 128, 5, 21, 32)     : (   22.8,    19.6),  # ratio 0.86
        (256, 256, 3, 11, 32)     : (   29.0,    24.3),  # ratio 0.84
        (512, 512, 2, 6, 32)      : (   64.9,    42.9),  # ratio 0.66
        (3, 64, 40, 168, 32)      : (   26.0,    72.9),  # ratio 2.81
        (64, 64, 40, 168, 32)     : (  399.6,   301.7),  # ratio 0.76
        (64, 128, 20, 84, 32)     : (  164.6,   140.1),  # ratio 0.85
        (128, 128, 20, 84, 32)    : (  345.2,   251.6),  # ratio 0.73
        (128, 256, 10, 42, 32)    : (  174.8,   115.0),  # ratio 0.66
        (256, 256, 10, 42, 32)    : (  343.5,   185.2),  # ratio 0.54
        (256, 512, 5, 21, 32)     : (  162.3,   111.5),  # ratio 0.69
        (512, 512, 5, 21, 32)     : (  336.8,   218.8),  # ratio 0.65
        (512, 512, 2, 10, 32)     : (   95.3,    57.8),  # ratio 0.61
        (1, 32, 40, 168, 32)      : (   12.0,    55.6),  # ratio 4.64
        (32, 64, 20, 84, 32)      : (   45.7,    58.3),  # ratio 1.28
        (64, 128, 10, 42, 32)     : (   45.8,    42.3),  # ratio 0.92
        (8, 16, 12, 12, 32)       : (    1.4,     1.9),  # ratio 1.35
        (16, 32, 28, 28, 32)      : (   11.2,    14.3),  # ratio 1.27
        (32, 32, 8, 8, 32)        : (    2.6,     2.3),  # ratio 0.89
        (64, 64, 20, 84, 4)       : (   12.6,    12.5),  # ratio 0.99
        (128, 128, 10, 42, 4)     : (   11.5,     9.9),  # ratio 0.86
        (256, 256, 5, 21, 4)      : (   12.5,    11.9),  # ratio 0.95
        (512, 512, 3, 11, 4)      : (   33.5,    38.5),  # ratio 1.15
        (64, 64, 10, 42, 4)       : (    4.0,     4.2),  # ratio 1.06
        (128, 128, 5, 21, 4)      : (    3.9,     5.1),  # ratio 1.30
        (256, 256, 3, 11, 4)      : (    7.0,     9.3),  # ratio 1.32
        (512, 512, 2, 6, 4)       : (   26.5,    29.2),  # ratio 1.10
        (3, 64, 40, 168, 4)       : (    4.0,    11.4),  # ratio 2.83
        (64, 64, 40, 168, 4)      : (   50.3,    39.5),  # ratio 0.78
        (64, 128, 20, 84, 4)      : (   23.1,    21.8),  # ratio 0.94
        (128, 128, 20, 84, 4)     : (   43.9,    29.9),  # ratio 0.68
        (128, 256, 10, 42, 4)     : (   21.7,    16.8),  # ratio 0.77
        (256, 256, 10, 42, 4)     : (   45.0,    29.1),  # ratio 0.65
        (256, 512, 5, 21, 4)      : (   28.1,    25.3),  # ratio 0.90
        (512, 512, 5, 21, 4)      : (   59.5,    52.8),  # ratio 0.89
        (512, 512, 2, 10, 4)      : (   30.0,    37.0),  # ratio 1.23
        (1, 32, 40, 168, 4)       : (    2.6,    11.7),  # ratio 4.44
        (32, 64, 20, 84, 4)       : (    6.9,     9.3),  # ratio 1.36
        (64, 128, 10, 42, 4)      : (    6.2,     5.9),  # ratio 0.94
        (8, 16, 12, 12, 4)        : (    0.6,     0.4),  # ratio 0.62
        (16, 32, 28, 28, 4)       : (    1.2,     1.7),  # ratio 1.42
        (32, 32, 8, 8, 4)         : (    0.7,     1.1),  # ratio 1.50
        (64, 64, 20, 84, 64)      : (  189.4,   179.7),  # ratio 0.95
        (128, 128, 10, 42, 64)    : (  182.8,   117.1),  # ratio 0.64
        (256, 256, 5, 21, 64)     : (  184.9,   114.4),  # ratio 0.62
        (512, 512, 3, 11, 64)     : (  244.4,   176.6),  # ratio 0.72
        (64, 64, 10, 42, 64)      : (   46.6,    38.2),  # ratio 0.82
        (128, 128, 5, 21, 64)     : (   43.3,    36.8),  # ratio 0.85
        (256, 256, 3, 11, 64)     : (   60.3,    48.1),  # ratio 0.80
        (512, 512, 2, 6, 64)      : (  112.1,    62.9),  # ratio 0.56
        (3, 64, 40, 168, 64)      : (   59.2,   168.7),  # ratio 2.85
        (64, 64, 40, 168, 64)     : (  848.0,   693.6),  # ratio 0.82
        (64, 128, 20, 84, 64)     : (  325.9,   298.3),  # ratio 0.92
        (128, 128, 20, 84, 64)    : (  706.3,   477.9),  # ratio 0.68
        (128, 256, 10, 42, 64)    : (  335.8,   215.8),  # ratio 0.64
        (256, 256, 10, 42, 64)    : (  694.1,   427.5),  # ratio 0.62
        (256, 512, 5, 21, 64)     : (  366.1,   261.3),  # ratio 0.71
        (512, 512, 5, 21, 64)     : (  653.7,   477.3),  # ratio 0.73
        (512, 512, 2, 10, 64)     : (  154.9,    84.9),  # ratio 0.55
        (1, 32, 40, 168, 64)      : (   26.0,   105.0),  # ratio 4.04
        (32, 64, 20, 84, 64)      : (   82.7,    93.1),  # ratio 1.13
        (64, 128, 10, 42, 64)     : (   87.6,    78.7),  # ratio 0.90
        (8, 16, 12, 12, 64)       : (    1.7,     2.0),  # ratio 1.17
        (16, 32, 28, 28, 64)      : (   22.2,    27.8),  # ratio 1.25
        (32, 32, 8, 8, 64)        : (    6.2,     4.7),  # ratio 0.75
    },
}
forced = None  # "im2col" | "winograd" | None: ablations and benchmarks only


def table_for(workers):
    """The measured table for this many kernel workers: the largest count measured that is <= workers."""
    return MEASURED[max([k for k in MEASURED if k <= workers] or [min(MEASURED)])]


def _nearest(table, cin, cout, hw, n):
    def distance(key):
        ci, co, h, w, nb = key
        return (math.log(ci / cin) ** 2 + math.log(co / cout) ** 2 + math.log(h * w / hw) ** 2
                + math.log(nb / n) ** 2, key)
    return table[min(table, key=distance)]


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
    table = table_for(threadpool.pool_size(needs_blas=True))
    t_im2col, t_winograd = _nearest(table, geo.C, geo.Cout, geo.H * geo.W, geo.N)
    return t_winograd < t_im2col
