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


def leave_malloc_alone():
    """Keep glibc's malloc as torch users have it in every process of a run (the harness and the isolated
    ones): minigrad's import-time setting (minigrad/memory.py) is process-wide, so in the harness it would
    change torch's figures too, and isolation must compare like with like. minigrad's figures are therefore
    without it (pessimistic: a ResNet-18 step, torchvision stem, batch 32, took 417-467 ms with it and 474-506
    ms without, medians of three runs of alternating fresh processes; minor page faults 2 vs ~10000 a step).
    Call it before minigrad is imported."""
    os.environ["MINIGRAD_KEEP_FREED_MEMORY"] = "0"


def threads_from_argv(argv, default=2):
    """Read `--threads N` from argv without importing argparse's consumers first."""
    for i, arg in enumerate(argv):
        if arg == "--threads" and i + 1 < len(argv):
            return int(argv[i + 1])
        if arg.startswith("--threads="):
            return int(arg.split("=", 1)[1])
    return default
