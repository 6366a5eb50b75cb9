"""Reading .npy and .npz files that may be hostile: every header and declared size is checked before
any array is allocated.

A file is refused (with one line naming it and the problem) when
- an array's header declares more than the byte limit, or the arrays of one .npz together do;
- the sizes disagree: the .npy header against the bytes the file (or the zip entry) actually holds;
- a compressed .npz entry declares more than MAX_COMPRESSION_RATIO times its compressed size (a
  compression bomb; np.savez writes uncompressed entries, np.savez_compressed of real data compresses
  far less than that);
- it holds object arrays (those need pickle, which is never used).

The byte limit is `max_bytes` where given, else the environment variable MINIGRAD_MAX_ARRAY_BYTES, else
DEFAULT_MAX_ARRAY_BYTES (2 GiB). Memory-mapped .npy arrays are not held in memory, so the limit does not
apply to them; their size must still match the file's.
"""
import math
import mmap
import os
import zipfile

import numpy as np
from numpy.lib import format as npy_format

DEFAULT_MAX_ARRAY_BYTES = 2 * 1024 ** 3
MAX_COMPRESSION_RATIO = 100
# Entries smaller than this are never called bombs, whatever their ratio (a small zero array compresses ~1000x).
COMPRESSION_CHECK_FLOOR = 1024 ** 2


def max_array_bytes(max_bytes=None):
    """The byte limit in force: `max_bytes`, else $MINIGRAD_MAX_ARRAY_BYTES, else DEFAULT_MAX_ARRAY_BYTES."""
    if max_bytes is not None:
        return int(max_bytes)
    env = os.environ.get("MINIGRAD_MAX_ARRAY_BYTES")
    if env:
        try:
            return int(float(env))
        except ValueError:
            raise ValueError(f"MINIGRAD_MAX_ARRAY_BYTES={env!r} is not a number of bytes") from None
    return DEFAULT_MAX_ARRAY_BYTES


def _size_text(n):
    for unit, size in (("TiB", 1024 ** 4), ("GiB", 1024 ** 3), ("MiB", 1024 ** 2), ("KiB", 1024)):
        if n >= size:
            return f"{n / size:.1f} {unit}"
    return f"{n} bytes"


def _too_big(nbytes, limit):
    return (f"{_size_text(nbytes)} of array data, over the limit of {_size_text(limit)} "
            f"(set MINIGRAD_MAX_ARRAY_BYTES to allow more)")


class PickledArrayError(ValueError):
    """The file holds an object array or a pickle, which is never unpickled."""


def read_npy_header(f):
    """(shape, dtype, fortran_order, data_offset) of the .npy stream `f`, positioned at its start.
    Raises ValueError for anything that is not a plain, pickle-free .npy header."""
    start = f.tell() if hasattr(f, "tell") else 0
    version = npy_format.read_magic(f)
    if version == (1, 0):
        shape, fortran, dtype = npy_format.read_array_header_1_0(f)
    elif version == (2, 0):
        shape, fortran, dtype = npy_format.read_array_header_2_0(f)
    else:
        raise ValueError(f"unsupported .npy format version {version[0]}.{version[1]}")
    if dtype.hasobject:
        raise PickledArrayError("holds an object or pickled array (refused: reading it would need pickle)")
    if not all(isinstance(n, int) and n >= 0 for n in shape):
        raise ValueError(f"has an invalid shape {shape}")
    offset = (f.tell() if hasattr(f, "tell") else 0) - start
    return shape, dtype, fortran, offset


def declared_nbytes(shape, dtype):
    """Bytes an array of this shape and dtype holds (exact Python integer, no overflow)."""
    return math.prod(shape) * dtype.itemsize


def load_npy(path, mmap=False, max_bytes=None):
    """The array in the .npy file `path`, after checking its header against the file's size.

    mmap=True returns a read-only np.memmap (nothing is read until used; empty arrays come back as plain
    arrays). Raises ValueError with one line for a file that is truncated, padded, pickled, foreign, or
    (without mmap) over the byte limit; OSError if it cannot be opened.
    """
    path = os.fspath(path)
    with open(path, "rb") as f:
        start = f.read(4)
        if start == b"PK\x03\x04":
            raise ValueError(f"{path}: is an .npz archive, expected a single .npy array")
        if start[:1] == b"\x80":
            raise PickledArrayError(f"{path}: holds an object or pickled array (refused: a pickle, not .npy)")
        f.seek(0)
        try:
            shape, dtype, fortran, offset = read_npy_header(f)
        except PickledArrayError as e:
            raise PickledArrayError(f"{path}: {e}") from None
        except (ValueError, EOFError) as e:
            raise ValueError(f"{path}: truncated or not a valid .npy file ({' '.join(str(e).split())})") from None
        nbytes = declared_nbytes(shape, dtype)
        held = os.fstat(f.fileno()).st_size - offset
        if held != nbytes:
            raise ValueError(f"{path}: header declares shape {shape} of {dtype} ({_size_text(nbytes)}) but the "
                             f"file holds {_size_text(held)} of data ({'truncated' if held < nbytes else 'trailing bytes'})")
        if not mmap or nbytes == 0:
            limit = max_array_bytes(max_bytes)
            if nbytes > limit:
                raise ValueError(f"{path}: declares {_too_big(nbytes, limit)}")
            f.seek(0)
            return npy_format.read_array(f, allow_pickle=False)
    return np.load(path, mmap_mode="r", allow_pickle=False)


def _check_npz_entries(zf, limit, entry_limits):
    """Check every entry's declared sizes and .npy header before reading any data; returns the entries."""
    total = 0
    for info in zf.infolist():
        where = f"entry {info.filename!r}"
        if (info.compress_type != zipfile.ZIP_STORED and info.file_size > COMPRESSION_CHECK_FLOOR
                and info.file_size > MAX_COMPRESSION_RATIO * max(info.compress_size, 1)):
            raise ValueError(f"{where} declares {_size_text(info.file_size)} from {_size_text(info.compress_size)} "
                             f"compressed (more than {MAX_COMPRESSION_RATIO}x: a compression bomb)")
        if not info.filename.endswith(".npy"):
            raise ValueError(f"{where} is not an .npy array")
        with zf.open(info) as member:
            try:
                shape, dtype, _, offset = read_npy_header(member)
            except EOFError:
                raise ValueError(f"{where} has a truncated .npy header") from None
            except ValueError as e:
                raise ValueError(f"{where} {' '.join(str(e).split())}") from None
        nbytes = declared_nbytes(shape, dtype)
        entry_limit = min(limit, entry_limits.get(info.filename[:-len(".npy")], limit))
        if nbytes > entry_limit:
            raise ValueError(f"{where} declares {_too_big(nbytes, entry_limit)}")
        if offset + nbytes != info.file_size:
            raise ValueError(f"{where}: its header declares shape {shape} of {dtype} ({_size_text(nbytes)}) "
                             f"but the archive declares {_size_text(info.file_size - offset)} for it")
        total += nbytes
        if total > limit:
            raise ValueError(f"its arrays together declare {_too_big(total, limit)}")
    return zf.infolist()


def read_npz(path, error, what, max_bytes=None, entry_limits=None):
    """{name: array} of the .npz at `path`, every entry checked before any is read (see the module doc).
    `entry_limits` ({name: bytes}) sets tighter limits for named entries.

    Any way the file is unusable (missing, a bare .npy, truncated, corrupt, pickled, too large, a
    compression bomb) raises `error` (an exception class) with one line naming the file and `what` it
    should have been.
    """
    path = os.fspath(path)
    if not os.path.isfile(path):
        if os.path.exists(path):
            raise error(f"{path} is not a regular file (a folder, FIFO, socket or device), not a {what}")
        raise error(f"{what} not found: {path}")
    limit = max_array_bytes(max_bytes)
    try:
        with open(path, "rb") as f:
            if f.read(len(npy_format.MAGIC_PREFIX)) == npy_format.MAGIC_PREFIX:
                raise error(f"{path} is not a {what} (a bare .npy array)")
        with zipfile.ZipFile(path) as zf:
            try:
                entries = _check_npz_entries(zf, limit, entry_limits or {})
            except ValueError as e:
                raise error(f"{path} is not a usable {what}: {e}") from None
            arrays = {}
            for info in entries:
                with zf.open(info) as member:
                    arrays[info.filename[:-len(".npy")]] = npy_format.read_array(member, allow_pickle=False)
            return arrays
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, OSError, EOFError, KeyError,
            NotImplementedError, RuntimeError) as e:
        if isinstance(e, error):
            raise
        raise error(f"{path} is not a readable {what} (truncated or corrupt: {' '.join(str(e).split())})") from None


def release_pages(a):
    """Drop the pages of the memory-mapped array `a` from this process's resident memory; the OS page
    cache keeps them, so reading them again is cheap. Lets a loop over a large mapped file run in bounded
    memory. Does nothing for in-memory arrays."""
    base = a
    while base is not None and not isinstance(base, mmap.mmap):
        base = getattr(base, "base", None)
    if base is not None and hasattr(mmap, "MADV_DONTNEED"):
        base.madvise(mmap.MADV_DONTNEED)


def nonfinite_arrays(arrays):
    """Names of the floating-point arrays in {name: array} that hold NaN or inf."""
    return [name for name, a in arrays.items()
            if isinstance(a, np.ndarray) and a.dtype.kind in "fc" and not np.isfinite(a).all()]
