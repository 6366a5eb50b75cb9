"""Measure Winograd F(2x2,3x3) against im2col for 3x3/stride-1/padding-1 conv shapes and print the
rows of minigrad/kernels/conv_algorithms.py's MEASURED table, keyed (Cin, Cout, H, W, N).

    NUMBA_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1 python -m benchmarks.winograd_table

Process CPU time on one thread (other processes on the shared machine cannot inflate it), median of
--reps, the two algorithms alternating, forward + both backward passes, at batch 32 and 4.
"""
import argparse
import time

import numpy as np

from minigrad.kernels import conv, conv_algorithms

SHAPES = [  # (Cin, Cout, H, W): ResNet-18 (both stems), VGG16, the reference CNN, small layers
    (64, 64, 20, 84), (128, 128, 10, 42), (256, 256, 5, 21), (512, 512, 3, 11),
    (64, 64, 10, 42), (128, 128, 5, 21), (256, 256, 3, 11), (512, 512, 2, 6),
    (3, 64, 40, 168), (64, 64, 40, 168), (64, 128, 20, 84), (128, 128, 20, 84), (128, 256, 10, 42),
    (256, 256, 10, 42), (256, 512, 5, 21), (512, 512, 5, 21), (512, 512, 2, 10),
    (1, 32, 40, 168), (32, 64, 20, 84), (64, 128, 10, 42),
    (8, 16, 12, 12), (16, 32, 28, 28), (32, 32, 8, 8),
]


def measure(shape, batch, reps, seed=0):
    ci, co, h, w = shape
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((batch, ci, h, w)).astype(np.float32)
    wt = (rng.standard_normal((co, ci, 3, 3)) * 0.05).astype(np.float32)
    g = rng.standard_normal((batch, co, h, w)).astype(np.float32)

    def run(algorithm):
        conv_algorithms.forced = algorithm
        try:
            _, saved = conv.conv2d_forward(x, wt, None, 1, 1)
            conv.conv2d_backward(g, saved, True, True, False)
        finally:
            conv_algorithms.forced = None

    def im2col():
        run("im2col")

    def wino():
        run("winograd")
    times = {im2col: [], wino: []}
    for fn in times:
        fn()
    for _ in range(reps):
        for fn, ts in times.items():
            t0 = time.process_time()
            fn()
            ts.append(time.process_time() - t0)
    return 1e3 * np.median(times[im2col]), 1e3 * np.median(times[wino])


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--batch", type=int, nargs="+", default=[32, 4])
    ap.add_argument("--reps", type=int, default=3)
    args = ap.parse_args(argv)
    for batch in args.batch:
        for shape in SHAPES:
            t_im, t_wi = measure(shape, batch, args.reps)
            key = shape + (batch,)
            print(f"    {key!s:26}: ({t_im:7.1f}, {t_wi:7.1f}),  # ratio {t_wi / t_im:.2f}", flush=True)


if __name__ == "__main__":
    main()
