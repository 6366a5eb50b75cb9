"""What training reads: the course folder split into train/validation/test, normalisation, fresh composites.

  load_splits(data, val_fraction, split_seed, train_size=None) -> {"folder", "train", "val", "test", "generator"}: the
      folder digitsum.data.course.ensure_data picks, validated and split; each split (uint8 images, int64 sums).
  split_indices(n, val_fraction=0.1, seed=0) / train_val_split(x, y, val_fraction=0.1, seed=0): a
      deterministic partition of a training folder into train and validation images.
  normalize(x_uint8) -> float32 (N, 1, 40, 168) = (x / 255 - MEAN) / STD, MEAN = 0.0610 and STD = 0.2205
      being the pixel mean/std of 30000 course-preset composites (seed 0). Normalise per batch: the whole
      30000-image set as float32 would take 800 MB.
  FreshComposites(seed, n, preset="course", digits=(4, 4)).epoch(k) -> (x uint8, y int64): n new
      composites from MNIST training digits for epoch k (augmentation; deterministic in (seed, k)).
"""
import os

import numpy as np

from digitsum.cli import UserError
from digitsum.data import compose as C
from digitsum.data import course
from digitsum.data import mnist as M

MEAN, STD = 0.0610, 0.2205


def split_indices(n, val_fraction=0.1, seed=0):
    """(train_idx, val_idx), both sorted, a deterministic partition of range(n)."""
    if not 0 <= val_fraction < 1:
        raise ValueError(f"val_fraction must be in [0, 1), got {val_fraction}")
    perm = np.random.default_rng(seed).permutation(n)
    n_val = int(round(n * val_fraction))
    return np.sort(perm[n_val:]), np.sort(perm[:n_val])


def train_val_split(x, y, val_fraction=0.1, seed=0):
    tr, va = split_indices(len(x), val_fraction, seed)
    return x[tr], y[tr], x[va], y[va]


def load_splits(data, val_fraction, split_seed, train_size=None):
    """Train/val/test arrays (uint8 images, int64 sums) of the training folder; see the module docstring."""
    folder = course.ensure_data(data)
    d = course.load_course(folder)
    tx, ty, vx, vy = train_val_split(d["train_x"], d["train_y"], val_fraction, seed=split_seed)
    if train_size:
        if train_size > len(tx):
            raise UserError(f"--train-size {train_size} exceeds the {len(tx)} training images "
                            f"left after the validation split of {folder}")
        tx, ty = tx[:train_size], ty[:train_size]
    if len(tx) == 0 or len(vx) == 0:
        raise UserError(f"{folder}: {len(d['train_x'])} training images are too few for a train/validation split")
    as_int = lambda v: np.asarray(v, np.int64)
    return {"folder": os.path.abspath(folder), "train": (tx, as_int(ty)), "val": (vx, as_int(vy)),
            "test": (d["test_x"], as_int(d["test_y"])),
            "generator": d.manifest["generator"] if d.manifest else None}


def normalize(x):
    """uint8 (N, 40, 168) or (N, 1, 40, 168) -> float32 (N, 1, 40, 168), standardised with MEAN/STD."""
    x = np.asarray(x)
    if x.ndim == 3:
        x = x[:, None]
    out = x.astype(np.float32)
    out *= np.float32(1.0 / (255.0 * STD))
    out -= np.float32(MEAN / STD)
    return out


class FreshComposites:
    """New composites from MNIST training digits every epoch (augmentation); never touches MNIST test digits."""

    def __init__(self, seed=0, n=30000, preset="course", digits=(4, 4), scale=None, mnist=None, log=print):
        self.seed, self.n, self.preset, self.scale = seed, n, preset, scale
        self.digits = C.check_digits(digits, preset)
        self._mnist, self._log = mnist, log

    def epoch(self, k):
        if self._mnist is None:
            self._mnist = M.load(log=self._log)
        rng = np.random.default_rng([self.seed, k, 0xF5E5])  # own stream: differs from make_course's seeds
        x, y, _ = C.compose(self._mnist.train_images, self._mnist.train_labels, self.n, rng,
                            preset=self.preset, digits=self.digits, scale=self.scale)
        return x, y
