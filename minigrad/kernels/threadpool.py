"""The kernels' one pool of worker threads (one per core), each running serial `nogil` Numba kernels
and, for convolutions, a single-threaded BLAS.

Why: numpy's OpenBLAS and Numba's OpenMP layer each keep their own thread pool. Alternating them
chunk by chunk (Numba im2col, BLAS GEMM, Numba copy, ...) makes each pool's idle threads spin while
the other pool works; on 2 cores that cost 2-10x (measured), far worse when other processes shared
the cores. Here each worker pulls chunks (or blocks of planes) from a shared queue and runs each
start to finish: one parallel region per op, no hand-offs, each worker's data in its own core's
cache. Conv workers set BLAS to one thread for themselves only, via OpenBLAS's
`openblas_set_num_threads_local`.

If the loaded BLAS has no per-thread setter (not OpenBLAS >= 0.3.27), `run(..., needs_blas=True)`
runs the task inline on the caller's thread: serial kernels around multi-threaded BLAS calls. (Not
Numba-parallel kernels: their OpenMP threads spinning against OpenBLAS's made a conv 10-100x slower
on this loaded 2-core machine, see benchmarks/RESULTS.md.)
"""
import contextlib
import ctypes
import os
import queue
import threading
from concurrent.futures import ThreadPoolExecutor

import numba
import numpy as np

from ..profiler import state as _profiler

_lock = threading.Lock()
_state = {"setter": None, "searched": False, "pool": None, "size": 0, "pid": None}
enabled = True  # False: everything runs inline on the caller's thread (tests, ablations)


def _find_local_thread_setter():
    """openblas_set_num_threads_local from the OpenBLAS numpy has loaded (Linux: /proc/self/maps)."""
    try:  # numpy (imported above) has loaded its BLAS by now
        with open("/proc/self/maps") as f:
            paths = sorted({line.split()[-1] for line in f if "openblas" in line.lower() and ".so" in line})
    except OSError:
        return None
    for path in paths:
        try:
            fn = ctypes.CDLL(path).openblas_set_num_threads_local
        except (OSError, AttributeError):
            continue
        fn.argtypes, fn.restype = [ctypes.c_int], ctypes.c_int
        return fn
    return None


def blas_setter():
    with _lock:
        if not _state["searched"]:
            _state["setter"], _state["searched"] = _find_local_thread_setter(), True
        return _state["setter"]


def pool():
    """-> (executor, size) with size >= 2 workers, or None (one thread wanted, or disabled)."""
    size = numba.get_num_threads()
    if not enabled or size < 2:
        return None
    setter = blas_setter()
    with _lock:
        if _state["pid"] != os.getpid():  # a forked child inherits the pool object but not its threads
            _state["pool"] = None
        if _state["pool"] is None or _state["size"] != size:
            if _state["pool"] is not None and _state["pid"] == os.getpid():
                _state["pool"].shutdown(wait=False)
            init = (lambda: setter(1)) if setter is not None else None
            _state["pool"] = ThreadPoolExecutor(size, thread_name_prefix="minigrad-kernels", initializer=init)
            _state["size"], _state["pid"] = size, os.getpid()
        return _state["pool"], size


def pool_size(needs_blas=False):
    """Workers the next run() will use (1 = inline)."""
    got = pool()
    if got is None or (needs_blas and blas_setter() is None):
        return 1
    return got[1]


# Below this much work (flops, or elements touched) a hand-off to the workers costs more than it saves.
MIN_PARALLEL_WORK = 1 << 20


def run(task, items, needs_blas=False, work=None, ordered=False):
    """task(iterable of items) once per worker -> list of the tasks' results.

    Workers pull items from one shared queue until it is empty, so a worker that the OS
    deschedules (other processes on the cores) simply takes fewer items. Each task sets up its
    buffers once and loops over what it pulls. Without a usable pool, or for less than
    MIN_PARALLEL_WORK of `work`: one inline task(items).

    ordered=True deals the items out statically instead (worker k gets items[k::workers]), for
    tasks that return partial sums: the float32 reduction order, and so the result, is then the
    same bit for bit on every call, whatever the OS scheduling (runs are reproducible, resume
    equals an uninterrupted run)."""
    small = work is not None and work < MIN_PARALLEL_WORK
    got = pool() if len(items) > 1 and not small else None
    if got is None or (needs_blas and blas_setter() is None):
        return [task(items)]
    executor, size = got
    pending = queue.SimpleQueue()
    for item in items:
        pending.put(item)
    err = np.geterr()  # numpy's error state is per thread: give the workers the caller's

    def drain():
        while True:
            try:
                yield pending.get_nowait()
            except queue.Empty:
                return

    workers = min(size, len(items))
    prof = _profiler.current
    run_task = task if prof is None else prof.traced_worker_task(task)

    def work_one(k):
        with np.errstate(**err):
            return run_task(items[k::workers] if ordered else drain())
    # In numpy's OpenBLAS build the "local" thread count turned out to leak to the caller's thread
    # (numpy sgemm on the main thread fell from ~190 to ~100 GFLOP/s after one conv). So the caller
    # sets 1 for the parallel region itself and puts its own value back afterwards.
    with caller_blas_single_threaded() if needs_blas else contextlib.nullcontext():
        return list(executor.map(work_one, range(workers)))


@contextlib.contextmanager
def caller_blas_single_threaded():
    """BLAS calls inside this block run on the calling thread alone: OpenBLAS's own pool is not woken.
    (After a multi-threaded call its threads keep spinning for tens of ms, on the cores the kernel
    workers need next.) Without a per-thread setter, nothing changes."""
    setter = blas_setter()
    restore = setter(1) if setter is not None else None
    try:
        yield
    finally:
        if restore is not None and restore > 0:
            setter(restore)


def sum_partials(partials):
    """partials[0] + partials[1] + ... in that order, into partials[0], in blocks on the workers (the
    per-worker partial sums of a weight gradient: up to 16 MB each for a 512-channel 3x3 conv)."""
    total = partials[0]
    if len(partials) == 1:
        return total
    flat = [p.reshape(-1) for p in partials]

    def task(items):
        for lo, hi in items:
            for p in flat[1:]:
                np.add(flat[0][lo:hi], p[lo:hi], out=flat[0][lo:hi])
    run(task, blocks(flat[0].size, pool_size()), work=flat[0].size * len(flat))
    return total


def blocks(n, parts):
    """[lo, hi) ranges splitting range(n) into `parts` contiguous near-equal blocks."""
    parts = max(1, min(parts, n))
    edges = [n * k // parts for k in range(parts + 1)]
    return [(edges[k], edges[k + 1]) for k in range(parts)]
