"""On-disk cache of features from a frozen network, keyed by weights, data and preprocessing.

When nothing before the head trains (VGG transfer with the `repeat` adapter), the features of a dataset
never change, so they are computed once, with a progress bar, and stored as
$DIGITSUM_HOME/features/<key>.npz. The key is a sha256 over
  - the weights file's bytes (other weights -> other features),
  - the images' bytes, shape and dtype (other or changed data -> other features),
  - the preprocessing description (adapter, normalisation, pooling, FEATURES_VERSION),
so any change to one of them misses the cache and recomputes; stale entries are simply never read again.
"""
import hashlib
import json
import os
import sys
import time

import numpy as np
from tqdm import tqdm

from minigrad.array_files import read_npz
from minigrad.convert import sha256_file
from minigrad.serialization import atomic_write

from digitsum.home import home as digitsum_home

FEATURES_VERSION = 1  # bump when the extraction code changes what it computes


def feature_key(weights_path, images, preprocessing):
    """Hex key naming the features of `images` under `weights_path` and `preprocessing` (a JSON-able dict)."""
    images = np.ascontiguousarray(images)
    header = {"version": FEATURES_VERSION, "weights": sha256_file(weights_path), "preprocessing": preprocessing,
              "shape": list(images.shape), "dtype": str(images.dtype)}
    digest = hashlib.sha256(json.dumps(header, sort_keys=True).encode())
    digest.update(memoryview(images).cast("B"))
    return digest.hexdigest()


def feature_path(key, home=None):
    return os.path.join(home or digitsum_home(), "features", f"{key}.npz")


def _read(path, n):
    """Read a cache entry; None if it is missing or unusable (then it is simply recomputed)."""
    try:
        features = read_npz(path, ValueError, "features cache")["features"]
    except (ValueError, KeyError):
        return None
    return features if features.shape[0] == n else None


def cached_features(extract, images, weights_path, preprocessing, batch_size=32, home=None, desc="features"):
    """Features of `images` from `extract(batch) -> ndarray (b, ...)`, read from the cache when present,
    else computed batch by batch under a progress bar and cached. Returns (features, hit: bool)."""
    path = feature_path(feature_key(weights_path, images, preprocessing), home)
    features = _read(path, len(images)) if os.path.isfile(path) else None
    if features is not None:
        return features, True
    chunks, start = [], time.perf_counter()
    with tqdm(total=len(images), desc=desc, unit="img", leave=False, file=sys.stderr, disable=None) as bar:
        for i in range(0, len(images), batch_size):
            chunks.append(np.asarray(extract(images[i:i + batch_size]), dtype=np.float32))
            bar.update(len(chunks[-1]))
    features = np.concatenate(chunks) if chunks else np.zeros((0,), np.float32)
    rate = len(images) / max(time.perf_counter() - start, 1e-9)
    print(f"{desc}: {len(images)} images at {rate:.1f} img/s, cached in {path}")
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with atomic_write(path, "wb") as f:
        np.savez(f, features=features, preprocessing=np.array(json.dumps(preprocessing, sort_keys=True)))
    return features, False
