"""One pool of worker threads, each running whole conv chunks with a single-threaded BLAS.

Why: numpy's OpenBLAS and Numba each keep their own thread pool. Alternating them chunk by chunk
(Numba im2col, BLAS GEMM, Numba copy, ...) makes each pool's idle threads spin while the other pool
works; on 2 cores that cost 2-10x (measured) and got far worse when other processes shared the cores.
Instead each worker takes every T-th chunk and runs im2col -> GEMM -> scatter itself (Numba kernels
compiled `nogil`, BLAS set to one thread for that worker only via OpenBLAS's
`openblas_set_num_threads_local`), so the layer is one parallel region with no hand-offs, and each
worker's chunk stays in its own core's cache.

If the loaded BLAS has no per-thread setter (not OpenBLAS >= 0.3.27), `pool()` returns None and
callers fall back to Numba-parallel kernels around multi-threaded BLAS calls.
"""
import ctypes
import threading
from concurrent.futures import ThreadPoolExecutor

import numba

_lock = threading.Lock()
_state = {"setter": None, "searched": False, "pool": None, "size": 0}
enabled = True  # tests switch the fallback path on by setting this to False


def _find_local_thread_setter():
    """openblas_set_num_threads_local from the OpenBLAS numpy has loaded (Linux: /proc/self/maps)."""
    import numpy  # noqa: F401  (make sure numpy's BLAS is loaded before looking for it)
    try:
        with open("/proc/self/maps") as f:
            paths = sorted({line.split()[-1] for line in f if "openblas" in line.lower() and ".so" in line})
    except OSError:
        return None
    for path in paths:
        try:
            lib = ctypes.CDLL(path)
            fn = lib.openblas_set_num_threads_local
        except (OSError, AttributeError):
            continue
        fn.argtypes, fn.restype = [ctypes.c_int], ctypes.c_int
        return fn
    return None


def pool():
    """-> (executor, size) with size >= 2 workers, or None to use the fallback path."""
    if not enabled:
        return None
    size = numba.get_num_threads()
    if size < 2:
        return None
    with _lock:
        if not _state["searched"]:
            _state["setter"], _state["searched"] = _find_local_thread_setter(), True
        setter = _state["setter"]
        if setter is None:
            return None
        if _state["pool"] is None or _state["size"] != size:
            if _state["pool"] is not None:
                _state["pool"].shutdown(wait=False)
            _state["pool"] = ThreadPoolExecutor(size, thread_name_prefix="minigrad-conv",
                                                initializer=lambda: setter(1))
            _state["size"] = size
        return _state["pool"], size


def pool_size():
    """Workers the next run() will use (1 = the fallback path)."""
    got = pool()
    return got[1] if got else 1


def run(task, starts):
    """Run task(chunk_starts, serial) over a batch's chunk starts -> list of the tasks' results.

    With a pool: one task per worker, worker k taking chunks k, k+T, k+2T, ... (chunks are equal, so
    static round-robin balances) with serial kernels. Without: one task inline, parallel kernels."""
    got = pool() if len(starts) > 1 else None
    if got is None:
        return [task(starts, False)]
    executor, size = got
    groups = [starts[k::size] for k in range(min(size, len(starts)))]
    return list(executor.map(lambda g: task(g, True), groups))
