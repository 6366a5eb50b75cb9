"""Alternating timer: minigrad and torch take turns, after a warm-up, so drift and load hit both.

Before every timed call the process is quiesced: we wait until no thread of ours but the caller is
runnable. After a parallel region, numpy's OpenBLAS workers busy-wait for new work (measured: still runnable
60-90 ms after a 2048 sgemm returned) and torch's OpenMP workers spin likewise (up to ~80 ms after a training
step). Timed right after the other library (or the sgemm roofline), a call shared the 2 cores with those
spinning threads, which fits torch being 1.5-2x slower inside this harness than alone. Quiescing puts each
call in the state it has when its library runs alone; the isolation check (isolation.py) verifies that.
"""
import gc
import os
import threading
import time
from dataclasses import asdict, dataclass

import numpy as np


SETTLE_MAX_S = 0.5          # give up waiting after this long (another process's load can keep one runnable)
_POLL_S = 0.005


def _other_threads_runnable():
    """True when a thread of this process other than the caller is running or runnable (Linux /proc)."""
    me = str(threading.get_native_id())
    try:
        tids = os.listdir("/proc/self/task")
    except OSError:
        return False
    for tid in tids:
        if tid == me:
            continue
        try:
            with open(f"/proc/self/task/{tid}/stat") as f:
                stat = f.read()
        except OSError:             # the thread exited meanwhile
            continue
        if stat[stat.rindex(")") + 2] == "R":
            return True
    return False


def quiesce(max_wait=None):
    """Wait until our other threads have stopped spinning (two quiet polls in a row) -> seconds waited."""
    max_wait = SETTLE_MAX_S if max_wait is None else max_wait
    t0 = time.perf_counter()
    quiet = 0
    while quiet < 2 and time.perf_counter() - t0 < max_wait:
        quiet = 0 if _other_threads_runnable() else quiet + 1
        time.sleep(_POLL_S)
    return time.perf_counter() - t0


@dataclass
class Stat:
    """Milliseconds over the timed repetitions."""
    median: float
    min: float
    max: float
    reps: int

    @classmethod
    def of(cls, seconds):
        ms = np.asarray(seconds) * 1e3
        return cls(float(np.median(ms)), float(ms.min()), float(ms.max()), len(ms))

    def as_dict(self):
        return asdict(self)


def compare(mg_fn, torch_fn, reps, warmup=2, clock=time.perf_counter):
    """Time mg_fn and torch_fn (None when torch is absent) alternately -> (Stat, Stat | None).
    clock=time.process_time measures this process's CPU time instead of wall time: with one thread
    that is the work done, whatever else runs on the machine."""
    fns = [mg_fn] if torch_fn is None else [mg_fn, torch_fn]
    stats = compare_many(fns, reps, warmup, clock)
    return stats[0], (stats[1] if torch_fn is not None else None)


def ratio(mg, tt):
    """minigrad / torch of the medians (None without torch)."""
    return None if tt is None else mg.median / tt.median


def compare_many(fns, reps, warmup=1, clock=time.perf_counter):
    """Time several callables round-robin, each after quiesce() -> list of Stat."""
    for _ in range(warmup):
        for fn in fns:
            fn()
    gc.collect()
    times = [[] for _ in fns]
    for _ in range(reps):
        for fn, ts in zip(fns, times):
            quiesce()
            t0 = clock()
            fn()
            ts.append(clock() - t0)
    return [Stat.of(ts) for ts in times]
