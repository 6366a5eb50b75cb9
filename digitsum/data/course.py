"""Folders in the course layout: read and validate them, generate them, find the one to train on.

Course layout (a folder): data{k}.npy / lab{k}.npy pairs (any subset of k, at most 10000 images each),
test_data.npy / test_label.npy; images (N, 40, 168) uint8, labels (N,) uint8 sums. Folders we generate
also hold manifest.json (generator settings, sha256 of every file) and digits.npz (per-image digit
records, see digitsum.data.compose; for analysis only, never for training).

Public API (every bad input raises digitsum.cli.UserError naming the file and the problem):
  load_course(path) -> CourseData(path, train_x, train_y, test_x, test_y, manifest, label_max) (attributes,
      or d["train_x"]); validated:
      ranks/shapes, finiteness, 0-255 pixels, labels in 0..label_max (36, or 9 x max digits from the
      manifest), matching lengths, no pickles, no data file without labels, manifest checksums.
  load_images(path) / load_labels(path, label_max=36): one validated .npy file (for predict/evaluate).
  load_records(path, data=None) -> {"train_digits", "train_index", "train_boxes", "test_*"} or None.
  make_course(out, mnist, preset, digits, n_train, n_test, seed, scale=None) writes a generated folder.
  ensure_data(path=None, seed=0, n_train=30000, n_test=10000) -> folder: `path`; else ./data if it exists;
      else the course preset generated once into $DIGITSUM_HOME/composites/<settings>/ (10000 test
      images: a full MNIST test set's worth of digit draws, so test accuracy has a +-0.5% standard error).
"""
import json
import os
import re
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from digitsum.data import compose as C
from digitsum.data import image_files
from digitsum.data import mnist as M
from digitsum.cli import UserError
from digitsum.data.shapes import MAX_SUM
from digitsum.home import home
from minigrad.array_files import read_npz
from minigrad.convert import sha256_file
from minigrad.serialization import atomic_write

FILE_SIZE = 10000  # images per data{k}.npy, as the course shipped them
DEFAULT_LABEL_MAX = MAX_SUM
RECORD_KEYS = ("digits", "index", "boxes")
COURSE_FILE = re.compile(r"(data|lab)(\d+)\.npy")  # data{k}.npy / lab{k}.npy


@dataclass
class CourseData:
    path: Path
    train_x: np.ndarray  # (N, 40, 168) uint8, all data{k} files in order of k
    train_y: np.ndarray  # (N,) int64
    test_x: np.ndarray
    test_y: np.ndarray
    manifest: dict = None  # manifest.json of generated folders, else None
    label_max: int = DEFAULT_LABEL_MAX

    def __getitem__(self, key):  # d["train_x"] works too, for callers that treat it as a dict
        return getattr(self, key)


# ---------------------------------------------------------------- reading and validation

def _read_npy(path):
    """A numeric, finite .npy array, its header checked against the file before it is read."""
    a = image_files.open_npy(path)
    if a.dtype.kind == "f" and not np.isfinite(a).all():
        raise UserError(f"{path}: contains non-finite values (NaN or inf)")
    return a


def read_images(path):
    """(N, 40, 168) images with values 0-255 -> uint8, under digitsum.data.image_files' rules."""
    return image_files.load_images(path)


def read_labels(path, label_max):
    """(N,) integral labels in 0..label_max -> int64."""
    a = _read_npy(path)
    if a.ndim != 1:
        raise UserError(f"{path}: labels have shape {a.shape}, expected rank 1 (N,)")
    if a.size and (a.min() < 0 or a.max() > label_max):
        raise UserError(f"{path}: labels outside the range 0-{label_max} (min {a.min()}, max {a.max()})")
    if a.dtype.kind == "f" and not (a == np.rint(a)).all():
        raise UserError(f"{path}: labels are not whole numbers")
    return a.astype(np.int64)


def load_images(path):
    """One images .npy file (e.g. for predict/evaluate), validated like a course file -> uint8 (N, 40, 168)."""
    return read_images(Path(path))


def load_labels(path, label_max=DEFAULT_LABEL_MAX):
    """One labels .npy file, validated like a course file -> int64 (N,)."""
    return read_labels(Path(path), label_max)


def course_file_indices(folder):
    """The sorted k of every data{k}.npy or lab{k}.npy in `folder`."""
    return sorted({int(m.group(2)) for p in folder.iterdir() if (m := COURSE_FILE.fullmatch(p.name))})


def _read_manifest(folder):
    p = folder / "manifest.json"
    if not p.exists():
        return None
    try:
        manifest = json.loads(p.read_text())
        files, digits = manifest["files"], manifest["generator"]["digits"]
        if (not isinstance(files, dict) or len(digits) != 2 or not all(type(d) is int for d in digits)
                or not all(isinstance(v, str) and os.path.basename(n) == n not in ("", ".", "..")
                           for n, v in files.items())):
            raise ValueError
    except (ValueError, KeyError, TypeError, OSError, RecursionError):
        raise UserError(f"{p}: not a valid digitsum manifest") from None
    return manifest


def _verify_checksums(folder, manifest):
    for name, digest in manifest["files"].items():
        p = folder / name
        if not p.is_file():
            raise UserError(f"{p}: missing file (listed in manifest.json)")
        if sha256_file(p) != digest:
            raise UserError(f"{p}: checksum mismatch with manifest.json (file changed or corrupt)")


def _pair(folder, data_name, label_name, label_max):
    data_p, lab_p = folder / data_name, folder / label_name
    if data_p.is_file() and not lab_p.is_file():
        raise UserError(f"{data_p}: data file without its labels ({label_name} is missing)")
    if lab_p.is_file() and not data_p.is_file():
        raise UserError(f"{lab_p}: label file without its data ({data_name} is missing)")
    x, y = read_images(data_p), read_labels(lab_p, label_max)
    if len(x) != len(y):
        raise UserError(f"{lab_p}: {len(y)} labels for {len(x)} images in {data_name}")
    return x, y


def load_course(path):
    """Read and validate a folder in the course layout -> CourseData."""
    folder = Path(path)
    if not folder.is_dir():
        raise UserError(f"{folder}: data folder does not exist")
    manifest = _read_manifest(folder)
    label_max = 9 * int(manifest["generator"]["digits"][1]) if manifest else DEFAULT_LABEL_MAX
    ks = course_file_indices(folder)
    if not ks:
        raise UserError(f"{folder}: no training files (data0.npy/lab0.npy ...) in the course layout")
    pairs = [_pair(folder, f"data{k}.npy", f"lab{k}.npy", label_max) for k in ks]
    test_x, test_y = _pair(folder, "test_data.npy", "test_label.npy", label_max)
    if manifest:
        _verify_checksums(folder, manifest)
    train_x = pairs[0][0] if len(pairs) == 1 else np.concatenate([p[0] for p in pairs])
    train_y = pairs[0][1] if len(pairs) == 1 else np.concatenate([p[1] for p in pairs])
    return CourseData(folder, train_x, train_y, test_x, test_y, manifest, label_max)


def stored_formats(folder):
    """{file name: 'dtype shape'} of the course .npy files in `folder`, read from their headers only, with
    what reading them does to the values (data check reports it, so no conversion goes unsaid)."""
    found = {}
    for p in sorted(Path(folder).glob("*.npy")):
        image = re.fullmatch(r"data\d+\.npy|test_data\.npy", p.name) is not None
        if not (image or re.fullmatch(r"lab\d+\.npy|test_label\.npy", p.name)):
            continue
        a = image_files.open_npy(p, mmap=True)
        target = np.uint8 if image else np.int64
        done = "" if a.dtype == target else (" (rounded to uint8)" if image and a.dtype.kind == "f" else
                                             f" (read as {np.dtype(target).name})")
        found[p.name] = f"{a.dtype} {a.shape}{done}"
    return found


def load_records(path, data=None):
    """digits.npz of a generated folder as a dict, checked against `data` (a CourseData) if given; None if absent."""
    p = Path(path) / "digits.npz"
    if not p.exists():
        return None
    arrays = read_npz(p, UserError, "digits.npz")
    try:
        rec = {f"{s}_{k}": arrays[f"{s}_{k}"] for s in ("train", "test") for k in RECORD_KEYS}
    except KeyError as e:
        raise UserError(f"{p}: missing array {e}") from None
    if data is not None:
        for split in ("train", "test"):
            d, y = rec[f"{split}_digits"], getattr(data, f"{split}_y")
            if d.ndim != 2 or len(d) != len(y) or rec[f"{split}_boxes"].shape != d.shape + (4,):
                raise UserError(f"{p}: {split} records do not match the {len(y)} {split} images")
            if not (np.where(d >= 0, d, 0).sum(axis=1) == y).all():
                raise UserError(f"{p}: {split} digit records do not add up to the labels")
    return rec


# ---------------------------------------------------------------- writing a generated folder

def course_file_names(n_train):
    k = -(-n_train // FILE_SIZE)
    return [f"{a}{i}.npy" for i in range(k) for a in ("data", "lab")] + \
        ["test_data.npy", "test_label.npy", "digits.npz", "manifest.json"]


def _write(path, write_fn, mode="wb"):
    """Write `path` atomically, never replacing anything there (not even a file that appeared meanwhile)."""
    try:
        with atomic_write(path, mode, replace=False) as f:
            write_fn(f)
    except FileExistsError:
        raise UserError(f"{path}: appeared while the folder was generated; refusing to overwrite") from None
    except OSError as e:
        raise UserError(f"{path}: cannot write it ({e.strerror or e})") from None


def make_course(out, mnist, preset="course", digits=(4, 4), n_train=30000, n_test=1000, seed=0, scale=None,
                log=print):
    """Generate a folder in the course layout (train/val from MNIST train digits, test from MNIST test digits).

    Refuses (UserError) if any file it would write already exists. manifest.json is written last, so a
    folder with a manifest is complete. Returns the manifest."""
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise UserError(f"{out}: exists and is not a folder")
    clash = [n for n in course_file_names(n_train) if os.path.lexists(out / n)]
    if clash or (out.is_dir() and course_file_indices(out)):
        raise UserError(f"{out / (clash[0] if clash else '')}: already exists; refusing to overwrite "
                        f"(choose an empty --out folder)")
    try:
        digits = C.check_digits(digits, preset)
        train_rng, test_rng = (np.random.default_rng(s) for s in np.random.SeedSequence(seed).spawn(2))
        xtr, ytr, rtr = C.compose(mnist.train_images, mnist.train_labels, n_train, train_rng, preset=preset,
                                  digits=digits, scale=scale)
        xte, yte, rte = C.compose(mnist.test_images, mnist.test_labels, n_test, test_rng, preset=preset,
                                  digits=digits, scale=scale)
    except ValueError as e:
        raise UserError(str(e)) from None
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise UserError(f"{out}: cannot create the folder ({e.strerror or e})") from None
    files = {}

    def save(name, fn):
        _write(out / name, fn)
        files[name] = sha256_file(out / name)

    for i, start in enumerate(range(0, n_train, FILE_SIZE)):
        sl = slice(start, start + FILE_SIZE)
        save(f"data{i}.npy", lambda f: np.save(f, xtr[sl]))
        save(f"lab{i}.npy", lambda f: np.save(f, ytr[sl].astype(np.uint8)))
    save("test_data.npy", lambda f: np.save(f, xte))
    save("test_label.npy", lambda f: np.save(f, yte.astype(np.uint8)))
    rec = {f"train_{k}": v for k, v in rtr.items()} | {f"test_{k}": v for k, v in rte.items()}
    save("digits.npz", lambda f: np.savez_compressed(f, **rec))
    manifest = {"format": "digitsum-course-layout/1", "canvas": [C.H, C.W],
                "generator": {"preset": preset, "digits": list(digits), "scale": list(scale) if scale else None,
                              "seed": seed, "n_train": n_train, "n_test": n_test,
                              "train_digits_from": "MNIST train", "test_digits_from": "MNIST test"},
                "files": files}
    _write(out / "manifest.json", lambda f: json.dump(manifest, f, indent=1), mode="w")
    log(f"wrote {n_train} train + {n_test} test composites ({preset}, digits {digits[0]}-{digits[1]}, "
        f"seed {seed}) to {out}")
    return manifest


def default_cache(seed=0, n_train=30000, n_test=10000):
    """Where the generated course preset lives in the cache ($DIGITSUM_HOME/composites/...)."""
    return home() / "composites" / f"course-d4-train{n_train}-test{n_test}-seed{seed}"


def ensure_data(path=None, seed=0, n_train=30000, n_test=10000, log=print):
    """The data folder to train on: `path`; else ./data; else the course preset generated once into the cache."""
    if path is not None:
        if not Path(path).is_dir():
            raise UserError(f"{path}: data folder does not exist")
        return Path(path)
    if Path("data").is_dir():
        if course_file_indices(Path("data")):
            log("using the course data in ./data")
            return Path("data")
        # e.g. ./data holds only folders written by `digitsum.data make --out data/...`
        log("./data holds no course files (data0.npy, lab0.npy ...), so it is not used")
    return generated_course(seed, n_train, n_test, log)


def generated_course(seed=0, n_train=30000, n_test=10000, log=print):
    """The course preset's cache folder, generated (deterministically, from `seed`) if it is not there."""
    cache = default_cache(seed, n_train, n_test)
    if (cache / "manifest.json").is_file():
        log(f"using generated data in {cache}")
        return cache
    log(f"no course data in ./data: generating the course preset ({n_train} train + {n_test} test) into {cache}")
    mnist = M.load(log=log)
    cache.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=cache.name + ".", suffix=".tmp", dir=cache.parent))
    try:
        make_course(tmp, mnist, "course", (4, 4), n_train, n_test, seed, log=lambda s: None)
        os.replace(tmp, cache)  # a whole folder appears at once, or not at all
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    log(f"generated {cache}")
    return cache
