"""minigrad.memory: with the thresholds raised, arrays freed and allocated again in a step-like loop reuse
the heap's pages (no minor page faults); without, every round faults its pages in again."""
import json
import os
import subprocess
import sys

import minigrad
from minigrad import memory

PROBE = r"""
import json, resource, sys
import numpy as np
import minigrad
def faults():
    return resource.getrusage(resource.RUSAGE_SELF).ru_minflt
for _ in range(2):                      # warm: the heap grows once
    a = [np.ones(3 << 20, np.float32) for _ in range(4)]   # 12 MB each, above glibc's default thresholds
    del a
f0 = faults()
for _ in range(5):
    a = [np.ones(3 << 20, np.float32) for _ in range(4)]
    del a
print(json.dumps({"faults": faults() - f0, "on": minigrad.memory.keeps_freed_memory()}))
"""


def _probe(setting):
    env = dict(os.environ, MINIGRAD_KEEP_FREED_MEMORY=setting)
    out = subprocess.run([sys.executable, "-c", PROBE], env=env, capture_output=True, text=True, check=True)
    return json.loads(out.stdout)


def test_freed_arrays_are_reused_without_page_faults():
    assert memory._mallopt() is not None  # CI and this machine run glibc
    on, off = _probe("1"), _probe("0")
    assert on["on"] and not off["on"]
    pages = 5 * 4 * (12 << 20) // 4096     # what five rounds touch: 61440 pages
    assert on["faults"] < 0.002 * pages    # measured: 0
    assert off["faults"] > 0.05 * pages    # measured: ~10000 (glibc's dynamic threshold keeps some blocks)


def test_keep_freed_memory_can_be_turned_off_and_on():
    assert minigrad.memory is memory
    try:
        assert memory.keep_freed_memory(False) is True and not memory.keeps_freed_memory()
        assert memory.keep_freed_memory(True) is True and memory.keeps_freed_memory()
    finally:
        memory.keep_freed_memory(True)


def test_other_c_libraries_are_left_alone(monkeypatch):
    monkeypatch.setattr(memory, "_mallopt", lambda: None)
    assert memory.keep_freed_memory(True) is False
