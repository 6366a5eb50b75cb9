"""Alternating timer: minigrad and torch take turns, after a warm-up, so drift and load hit both."""
import gc
import time
from dataclasses import asdict, dataclass

import numpy as np


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
    for _ in range(warmup):
        mg_fn()
        if torch_fn is not None:
            torch_fn()
    gc.collect()
    mg, tt = [], []
    for _ in range(reps):
        t0 = clock()
        mg_fn()
        mg.append(clock() - t0)
        if torch_fn is not None:
            t0 = clock()
            torch_fn()
            tt.append(clock() - t0)
    return Stat.of(mg), (Stat.of(tt) if tt else None)


def ratio(mg, tt):
    """minigrad / torch of the medians (None without torch)."""
    return None if tt is None else mg.median / tt.median


def compare_many(fns, reps, warmup=1):
    """Time several callables round-robin -> list of Stat (for ablations of one library)."""
    for _ in range(warmup):
        for fn in fns:
            fn()
    gc.collect()
    times = [[] for _ in fns]
    for _ in range(reps):
        for fn, ts in zip(fns, times):
            t0 = time.perf_counter()
            fn()
            ts.append(time.perf_counter() - t0)
    return [Stat.of(ts) for ts in times]
