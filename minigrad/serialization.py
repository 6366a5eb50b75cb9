"""Saving and loading: atomic writes, and (below) the .npz + JSON checkpoint format."""
import fcntl
import glob
import json
import os
import stat
import tempfile
import time
from contextlib import contextmanager

import numpy as np

from .array_files import read_npz  # noqa: F401  (read_npz is part of this module's public API)

FORMAT = "minigrad-checkpoint"
VERSION = 1
_META_KEY = "__minigrad_meta__"
# Metadata limits: JSON nested deeper than this, or longer than this many bytes, is refused unread.
MAX_METADATA_DEPTH = 64
MAX_METADATA_BYTES = 64 * 1024 ** 2
# A temp file younger than this may belong to a writer that has not locked it yet (see atomic_write).
_TEMP_GRACE_SECONDS = 2.0


class CheckpointError(ValueError):
    """A checkpoint file is missing, truncated/corrupt, or not a minigrad checkpoint."""


def _temp_pattern(path):
    return os.path.join(glob.escape(os.path.dirname(os.path.abspath(path))),
                        "." + glob.escape(os.path.basename(path)) + ".*.tmp")


def remove_stale_temp_files(path):
    """Remove the temp files a killed atomic_write of `path` left beside it; return their paths.

    A live writer holds an flock on its temp file until the rename, and the OS drops that lock when the
    process dies, so a temp file whose lock we can take is stale. Files younger than a grace period are
    left alone (a writer locks its file just after creating it).
    """
    removed = []
    for tmp in glob.glob(_temp_pattern(path)):
        try:
            st = os.lstat(tmp)
            if not stat.S_ISREG(st.st_mode) or time.time() - st.st_mtime < _TEMP_GRACE_SECONDS:
                continue
            fd = os.open(tmp, os.O_RDONLY | os.O_NOFOLLOW)
        except OSError:
            continue
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            if os.path.samestat(os.fstat(fd), os.lstat(tmp)):
                os.unlink(tmp)
                removed.append(tmp)
        except OSError:      # locked by a live writer, or already gone
            pass
        finally:
            os.close(fd)
    return removed


@contextmanager
def atomic_write(path, mode="wb", replace=True):
    """Open a temporary file beside `path`; on success fsync it and rename it over `path`.

    On any exception the temporary file is removed and `path` is left untouched, so a crash
    (even kill -9 between write and rename) never leaves a half-written file under the real name.
    replace=False never replaces an existing `path` (not even one created while writing): the temp file
    is hard-linked to `path`, which raises FileExistsError if anything is there.
    The temp file is flock-ed until it is renamed, so the temp files of killed writers can be told from
    live ones: the next atomic_write of the same path removes them (remove_stale_temp_files).
    """
    path = os.fspath(path)
    directory = os.path.dirname(os.path.abspath(path))
    os.makedirs(directory, exist_ok=True)
    remove_stale_temp_files(path)
    fd, tmp = tempfile.mkstemp(prefix="." + os.path.basename(path) + ".", suffix=".tmp", dir=directory)
    try:
        with os.fdopen(fd, mode) as f:
            fcntl.flock(f.fileno(), fcntl.LOCK_EX)
            # mkstemp creates 0600 files; give the result the permissions a plain open() would (0666 & ~umask).
            umask = os.umask(0)
            os.umask(umask)
            os.chmod(tmp, 0o666 & ~umask)
            yield f
            f.flush()
            os.fsync(f.fileno())
            if replace:
                os.replace(tmp, path)    # before close: the lock is held until the temp name is gone
            else:
                os.link(tmp, path)
                os.unlink(tmp)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise


def _encode(obj, arrays, where):
    """Replace every ndarray in a nested dict/list by a reference into `arrays`; the rest must be JSON-able."""
    from .tensor import Tensor

    if isinstance(obj, Tensor):
        obj = obj.data
    if isinstance(obj, np.ndarray):
        if obj.dtype == object:
            raise TypeError(f"save: object array at {where} cannot be stored without pickle")
        key = f"a{len(arrays)}"
        arrays[key] = obj
        return {"__ndarray__": key}
    if isinstance(obj, np.generic):
        return obj.item()
    if isinstance(obj, dict):
        for k in obj:
            if not isinstance(k, str):
                raise TypeError(f"save: dict keys must be strings, got {k!r} at {where}")
            if k == "__ndarray__":
                raise TypeError(f"save: the key '__ndarray__' is reserved (at {where})")
        return {k: _encode(v, arrays, f"{where}/{k}") for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_encode(v, arrays, f"{where}[{i}]") for i, v in enumerate(obj)]
    if obj is None or isinstance(obj, (bool, int, float, str)):
        return obj
    raise TypeError(f"save: cannot store {type(obj).__name__} at {where} (only arrays, dicts, lists and JSON values)")


def _depth(tree):
    """Nesting depth of a JSON value, measured without recursion."""
    deepest, stack = 0, [(tree, 1)]
    while stack:
        node, depth = stack.pop()
        if isinstance(node, (dict, list)):
            deepest = max(deepest, depth)
            if depth <= MAX_METADATA_DEPTH:
                stack.extend((child, depth + 1) for child in (node.values() if isinstance(node, dict) else node))
    return deepest


def _decode(obj, arrays, where):
    """Put the arrays back in place of their references; a malformed reference raises ValueError."""
    if isinstance(obj, dict):
        if "__ndarray__" in obj:
            key = obj["__ndarray__"]
            if len(obj) != 1 or not isinstance(key, str) or key not in arrays:
                raise ValueError(f"malformed array reference {json.dumps(obj)[:80]} at {where or '/'}")
            return arrays[key]
        return {k: _decode(v, arrays, f"{where}/{k}") for k, v in obj.items()}
    if isinstance(obj, list):
        return [_decode(v, arrays, f"{where}[{i}]") for i, v in enumerate(obj)]
    return obj


def save(obj, path):
    """Store a (nested) dict of ndarrays and JSON-able metadata as one .npz file, atomically, without pickle.

    Tuples come back as lists and numpy scalars as python numbers; arrays keep dtype and shape.
    """
    if not isinstance(obj, dict):
        raise TypeError(f"save expects a dict, got {type(obj).__name__}")
    arrays = {}
    tree = _encode(obj, arrays, "")
    meta = json.dumps({"format": FORMAT, "version": VERSION, "tree": tree})
    arrays[_META_KEY] = np.frombuffer(meta.encode("utf-8"), dtype=np.uint8)
    with atomic_write(path, "wb") as f:
        np.savez(f, **arrays)


def load(path, max_bytes=None):
    """Read a file written by save(). Raises CheckpointError (one line) if it is missing, truncated, foreign,
    over the array byte limit (see minigrad.array_files), or its metadata is malformed or too deep."""
    arrays = read_npz(path, CheckpointError, "minigrad checkpoint", max_bytes=max_bytes,
                      entry_limits={_META_KEY: MAX_METADATA_BYTES})
    meta = arrays.pop(_META_KEY, None)
    if meta is None:
        raise CheckpointError(f"{path} is not a minigrad checkpoint (no metadata entry)")
    if meta.dtype != np.uint8 or meta.ndim != 1:
        raise CheckpointError(f"{path} has a malformed metadata entry ({meta.dtype} {meta.shape}, expected uint8 bytes)")
    try:
        meta = json.loads(meta.tobytes().decode("utf-8"))
    except RecursionError:
        raise CheckpointError(f"{path}: metadata nested deeper than {MAX_METADATA_DEPTH} levels (refused)") from None
    except (ValueError, UnicodeDecodeError) as e:
        raise CheckpointError(f"{path} has unreadable metadata: {e}") from None
    if not isinstance(meta, dict) or meta.get("format") != FORMAT:
        raise CheckpointError(f"{path} is not a minigrad checkpoint")
    if meta.get("version") != VERSION:
        raise CheckpointError(f"{path} has checkpoint version {str(meta.get('version'))[:40]}; "
                              f"this minigrad reads {VERSION}")
    tree = meta.get("tree")
    if not isinstance(tree, dict):
        raise CheckpointError(f"{path} has malformed metadata: its tree is {type(tree).__name__}, not a dict")
    if _depth(tree) > MAX_METADATA_DEPTH:
        raise CheckpointError(f"{path}: metadata nested deeper than {MAX_METADATA_DEPTH} levels (refused)")
    try:
        return _decode(tree, arrays, "")
    except ValueError as e:
        raise CheckpointError(f"{path} is corrupt: {e}") from None
