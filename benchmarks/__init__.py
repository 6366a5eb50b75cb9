"""minigrad beside PyTorch: kernel, layer and training-step benchmarks (`python -m benchmarks`).

Nothing here imports numpy at package import time: run.py must set the BLAS/Numba thread counts
in the environment before numpy, numba or torch load.
"""

import os

THREAD_VARS = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMBA_NUM_THREADS")


def set_thread_env(threads):
    """Pin BLAS, OpenMP and Numba thread pools to `threads` (before numpy/numba/torch import)."""
    for var in THREAD_VARS:
        os.environ[var] = str(threads)


def threads_from_argv(argv, default=2):
    """Read `--threads N` from argv without importing argparse's consumers first."""
    for i, arg in enumerate(argv):
        if arg == "--threads" and i + 1 < len(argv):
            return int(argv[i + 1])
        if arg.startswith("--threads="):
            return int(arg.split("=", 1)[1])
    return default
