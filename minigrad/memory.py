"""Keeping freed memory in the process for reuse (glibc's malloc), on by default.

glibc hands a large block back to the operating system when it is freed: blocks above its mmap threshold
are unmapped, and free memory at the top of the heap beyond its trim threshold is trimmed. A training step
allocates the same activation- and gradient-sized arrays every step, so each step maps them afresh and the
kernel zero-fills every page on first touch: ~10000 minor page faults a ResNet-18 step at batch 32 (40 MB),
~6800 for the reference CNN, 40-60 ms of system time a step. With both thresholds raised, a freed block stays
in the heap and the next step's arrays reuse it: 3 faults a step, about the same peak RSS (ResNet-18 533 MB
either way, reference CNN 598 instead of 577 MB).

It is a setting of the whole process (torch or anything else in the same process gets it too), made once when
minigrad is imported. MINIGRAD_KEEP_FREED_MEMORY=0 in the environment leaves the C library as it was, and
keep_freed_memory(False) restores glibc's initial thresholds. Other C libraries (macOS, musl): no effect.
"""
import ctypes
import os

_M_TRIM_THRESHOLD = -1
_M_MMAP_THRESHOLD = -3
# glibc's initial values; once set explicitly, its dynamic mmap threshold stays off
_GLIBC_DEFAULT = 128 * 1024
_MMAP_THRESHOLDS = (256 << 20, 32 << 20)   # 32 MiB is the most older glibc accepts
_TRIM_THRESHOLD = 1 << 30

_state = {"enabled": False}


def _mallopt():
    """glibc's mallopt, or None under another C library."""
    try:
        libc = ctypes.CDLL(None)  # the process's own symbols, libc's among them (no library search at import)
        libc.gnu_get_libc_version  # noqa: B018  (only glibc has it)
        return libc.mallopt
    except (OSError, AttributeError):
        return None


def keep_freed_memory(enable=True):
    """Raise (enable=True) or restore glibc's mmap and trim thresholds -> True if the setting took effect."""
    mallopt = _mallopt()
    if mallopt is None:
        return False
    if not enable:
        ok = mallopt(_M_MMAP_THRESHOLD, _GLIBC_DEFAULT) and mallopt(_M_TRIM_THRESHOLD, _GLIBC_DEFAULT)
        _state["enabled"] = False
        return bool(ok)
    ok = any(mallopt(_M_MMAP_THRESHOLD, t) for t in _MMAP_THRESHOLDS) and mallopt(_M_TRIM_THRESHOLD, _TRIM_THRESHOLD)
    _state["enabled"] = bool(ok)
    return bool(ok)


def keeps_freed_memory():
    """Whether minigrad raised the thresholds (and has not restored them)."""
    return _state["enabled"]


def _at_import():
    if os.environ.get("MINIGRAD_KEEP_FREED_MEMORY", "1").strip() not in ("0", "false", "False", "no"):
        keep_freed_memory(True)
