"""Saving and loading: atomic writes, and (below) the .npz + JSON checkpoint format."""
import json
import os
import tempfile
import zipfile
from contextlib import contextmanager

import numpy as np

FORMAT = "minigrad-checkpoint"
VERSION = 1
_META_KEY = "__minigrad_meta__"


class CheckpointError(ValueError):
    """A checkpoint file is missing, truncated/corrupt, or not a minigrad checkpoint."""


@contextmanager
def atomic_write(path, mode="wb"):
    """Open a temporary file beside `path`; on success fsync it and rename it over `path`.

    On any exception the temporary file is removed and `path` is left untouched, so a crash
    (even kill -9 between write and rename) never leaves a half-written file under the real name.
    """
    path = os.fspath(path)
    directory = os.path.dirname(os.path.abspath(path))
    os.makedirs(directory, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix="." + os.path.basename(path) + ".", suffix=".tmp", dir=directory)
    # mkstemp creates 0600 files; give the result the permissions a plain open() would (0666 & ~umask).
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(tmp, 0o666 & ~umask)
    try:
        with os.fdopen(fd, mode) as f:
            yield f
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
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


def _decode(obj, arrays):
    if isinstance(obj, dict):
        if set(obj) == {"__ndarray__"}:
            return arrays[obj["__ndarray__"]]
        return {k: _decode(v, arrays) for k, v in obj.items()}
    if isinstance(obj, list):
        return [_decode(v, arrays) for v in obj]
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


def read_npz(path, error, what):
    """{name: array} of the .npz at `path`, read eagerly with allow_pickle=False (so truncation shows here).
    Any way the file is unusable (missing, a bare .npy, truncated, corrupt, pickled objects) raises
    `error` (an exception class) with one line naming the file and `what` it should have been."""
    path = os.fspath(path)
    if not os.path.isfile(path):
        raise error(f"{what} not found: {path}")
    unreadable = (zipfile.BadZipFile, ValueError, OSError, EOFError, KeyError)
    try:
        npz = np.load(path, allow_pickle=False)
    except unreadable as e:
        raise error(f"{path} is not a readable {what} (truncated or corrupt: {e})") from None
    if not isinstance(npz, np.lib.npyio.NpzFile):
        raise error(f"{path} is not a {what} (a bare .npy array)")
    try:
        with npz:
            return {k: npz[k] for k in npz.files}
    except unreadable as e:
        raise error(f"{path} is not a readable {what} (truncated or corrupt: {e})") from None


def load(path):
    """Read a file written by save(). Raises CheckpointError if it is missing, truncated or foreign."""
    arrays = read_npz(path, CheckpointError, "minigrad checkpoint")
    if _META_KEY not in arrays:
        raise CheckpointError(f"{path} is not a minigrad checkpoint (no metadata entry)")
    try:
        meta = json.loads(arrays.pop(_META_KEY).tobytes().decode("utf-8"))
    except (ValueError, UnicodeDecodeError) as e:
        raise CheckpointError(f"{path} has unreadable metadata: {e}") from None
    if not isinstance(meta, dict) or meta.get("format") != FORMAT:
        raise CheckpointError(f"{path} is not a minigrad checkpoint")
    if meta.get("version") != VERSION:
        raise CheckpointError(f"{path} has checkpoint version {meta.get('version')}; this minigrad reads {VERSION}")
    try:
        return _decode(meta["tree"], arrays)
    except KeyError as e:
        raise CheckpointError(f"{path} is corrupt: missing array {e}") from None
