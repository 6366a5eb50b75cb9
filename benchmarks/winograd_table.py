"""Measure Winograd F(2x2,3x3) against im2col for 3x3/stride-1/padding-1 conv shapes and print the
rows of minigrad/kernels/conv_algorithms.py's MEASURED table, keyed (Cin, Cout, H, W, N).

    NUMBA_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1 python -m benchmarks.winograd_table
    NUMBA_NUM_THREADS=2 OPENBLAS_NUM_THREADS=2 OMP_NUM_THREADS=2 python -m benchmarks.winograd_table --wall

One worker: process CPU time (other processes on a shared machine cannot inflate it). More workers
(--wall): wall time, which is what parallel work costs; run it on an idle machine. Median of --reps,
the two algorithms alternating, forward + both backward passes, at batch 32 and 4. The rows printed
go into conv_algorithms.MEASURED under the worker count they were measured with.
"""
import argparse
import time

import numpy as np

from minigrad.kernels import conv, conv_algorithms, threadpool

SHAPES = [  # (Cin, Cout, H, W): ResNet-18 (both stems), VGG16, the reference CNN, small layers
    (64, 64, 20, 84), (128, 128, 10, 42), (256, 256, 5, 21), (512, 512, 3, 11),
    (64, 64, 10, 42), (128, 128, 5, 21), (256, 256, 3, 11), (512, 512, 2, 6),
    (3, 64, 40, 168), (64, 64, 40, 168), (64, 128, 20, 84), (128, 128, 20, 84), (128, 256, 10, 42),
    (256, 256, 10, 42), (256, 512, 5, 21), (512, 512, 5, 21), (512, 512, 2, 10),
    (1, 32, 40, 168), (32, 64, 20, 84), (64, 128, 10, 42),
    (8, 16, 12, 12), (16, 32, 28, 28), (32, 32, 8, 8),
]


def measure(shape, batch, reps, seed=0, clock=time.process_time):
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
            t0 = clock()
            fn()
            ts.append(clock() - t0)
    return 1e3 * np.median(times[im2col]), 1e3 * np.median(times[wino])


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--batch", type=int, nargs="+", default=[32, 4])
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--wall", action="store_true", help="wall time (for more than one worker)")
    args = ap.parse_args(argv)
    clock = time.perf_counter if args.wall else time.process_time
    print(f"    {threadpool.pool_size(needs_blas=True)}: {{  # workers")
    for batch in args.batch:
        for shape in SHAPES:
            t_im, t_wi = measure(shape, batch, args.reps, clock=clock)
            key = shape + (batch,)
            print(f"    {key!s:26}: ({t_im:7.1f}, {t_wi:7.1f}),  # ratio {t_wi / t_im:.2f}", flush=True)


if __name__ == "__main__":
    main()
