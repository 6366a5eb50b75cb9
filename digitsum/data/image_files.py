"""Image arrays from .npy files: checked before they are read, scanned in chunks, converted to uint8.

Images are (N, 40, 168) arrays of 0-255 pixel values. uint8 is taken as is. Other integer dtypes and
floats holding 0-255 are converted to uint8, floats rounded to the nearest integer. Floats whose largest
value is in (0, 1] are refused with a line saying how to convert them: they are almost surely 0..1
images, which rounding would turn into black ones. Negative, over-255 and non-finite values are refused.

open_images(path, mmap=True) gives a memory-mapped array (nothing read yet) whose header was checked;
check_pixels scans it chunk by chunk (bounded memory); to_uint8 converts one chunk.
"""
import os

import numpy as np

from minigrad.array_files import load_npy, max_array_bytes, release_pages

from digitsum.cli import UserError
from digitsum.data.shapes import H, W

CHUNK_IMAGES = 2048  # images scanned or converted at once: 14 MB of uint8, 55 MB as float32


def open_npy(path, mmap=False, what="a .npy file"):
    """The numeric array in the .npy file `path` (memory-mapped if mmap), its header checked against the
    file before anything is read; one UserError for anything else."""
    path = os.fspath(path)
    if os.path.isdir(path):
        raise UserError(f"{path}: is a folder, expected {what}")
    if not os.path.exists(path):
        raise UserError(f"{path}: missing file")
    if not os.path.isfile(path):
        raise UserError(f"{path}: not a regular file (a FIFO, socket or device); expected {what}")
    try:
        a = load_npy(path, mmap=mmap)
    except ValueError as e:
        raise UserError(str(e)) from None
    except OSError as e:
        raise UserError(f"{path}: cannot read it ({e.strerror or e})") from None
    if a.dtype.kind not in "uif":
        raise UserError(f"{path}: dtype {a.dtype} is not numeric")
    return a


def open_images(path, mmap=True):
    """The (N, 40, 168) numeric array in the .npy file `path`, header and size checked, not yet scanned."""
    a = open_npy(path, mmap, "an images .npy file")
    if a.ndim != 3 or a.shape[1:] != (H, W):
        raise UserError(f"{path}: images have shape {a.shape}, expected rank 3 (N, {H}, {W})")
    return a


def chunks(n, size=CHUNK_IMAGES):
    return [(i, min(i + size, n)) for i in range(0, n, size)]


def check_pixels(a, path):
    """Scan `a` chunk by chunk; refuse non-finite, negative, over-255 and 0..1-float pixels. Returns (min, max)."""
    if a.size == 0:
        return None, None
    lo, hi = np.inf, -np.inf
    for start, stop in chunks(len(a)):
        block = a[start:stop]
        if block.dtype.kind == "f" and not np.isfinite(block).all():
            bad = start + int(np.flatnonzero(~np.isfinite(block).reshape(len(block), -1).all(axis=1))[0])
            raise UserError(f"{path}: contains non-finite values (NaN or inf), first in image {bad}")
        lo, hi = min(lo, block.min()), max(hi, block.max())
        release_pages(a)
    if lo < 0 or hi > 255:
        raise UserError(f"{path}: pixel values outside 0-255 (min {lo}, max {hi})")
    if a.dtype.kind == "f" and 0 < hi <= 1:
        raise UserError(f"{path}: float pixels lie in 0..{hi:g}, but images are 0-255; convert them with "
                        f"np.rint(x * 255).astype(np.uint8) and save that")
    return lo, hi


def to_uint8(block):
    """One checked chunk as a uint8 copy in memory (floats rounded to the nearest integer)."""
    if block.dtype == np.uint8:
        return np.array(block)
    return np.rint(block).astype(np.uint8) if block.dtype.kind == "f" else block.astype(np.uint8)


def load_images(path, allow_empty=True):
    """All images of `path` as one in-memory uint8 array (header checked before anything is allocated)."""
    a = open_images(path, mmap=True)
    if not allow_empty and len(a) == 0:
        raise UserError(f"{path}: holds no images (shape {a.shape})")
    if a.size > max_array_bytes():
        raise UserError(f"{path}: {len(a)} images ({a.size} bytes as uint8) are over the in-memory limit of "
                        f"{max_array_bytes()} bytes (set MINIGRAD_MAX_ARRAY_BYTES to allow more)")
    check_pixels(a, path)
    if a.dtype == np.uint8:
        return np.array(a)
    out = np.empty(a.shape, np.uint8)
    for start, stop in chunks(len(a)):
        out[start:stop] = to_uint8(a[start:stop])
    release_pages(a)
    return out
