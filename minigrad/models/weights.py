"""The converted-weights file: an .npz of NumPy arrays named like the model's state_dict, plus a JSON manifest.

Layout: one array per state_dict key (`0.weight`, `layer1.0.conv1.weight`, ...) and, optionally, the key
`__manifest__` holding a JSON string (architecture, layer names and where each came from, the input
normalisation the weights expect). Plain .npz files without a manifest load too. Everything is read with
allow_pickle=False, so a weights file can never run code.
"""
import json

import numpy as np

from ..array_files import nonfinite_arrays
from ..serialization import atomic_write, read_npz

MANIFEST_KEY = "__manifest__"


class WeightsError(ValueError):
    """A weights file is missing, unreadable, or does not fit the architecture it is loaded into."""


def write_weights(path, arrays, manifest=None, replace=True):
    """Write {name: ndarray} (+ manifest dict) to `path` atomically (replace=False: never over an existing file)."""
    payload = {name: np.asarray(a, order="C") for name, a in arrays.items()}  # keeps 0-d arrays 0-d
    if manifest is not None:
        payload[MANIFEST_KEY] = np.array(json.dumps(manifest, sort_keys=True))
    with atomic_write(path, "wb", replace=replace) as f:
        np.savez(f, **payload)


def read_weights(path):
    """Read a weights .npz -> ({name: ndarray}, manifest dict or None). Clear WeightsError on any bad file."""
    arrays = read_npz(path, WeightsError, "weights file")
    if not arrays:
        raise WeightsError(f"{path} holds no arrays")
    manifest = None
    if MANIFEST_KEY in arrays:
        try:
            manifest = json.loads(str(arrays.pop(MANIFEST_KEY)))
        except (ValueError, RecursionError):
            raise WeightsError(f"{path} has a corrupt manifest") from None
        if not isinstance(manifest, dict):
            raise WeightsError(f"{path} has a corrupt manifest (a {type(manifest).__name__}, not an object)")
    return arrays, manifest


def check_architecture(manifest, architecture, source):
    """Refuse a file whose manifest names another architecture (clearer than a list of key mismatches)."""
    found = (manifest or {}).get("architecture")
    if found is not None and found != architecture:
        raise WeightsError(f"{source} holds {found} weights, not {architecture}")


def _some(items, sep=", ", limit=6):
    """At most `limit` items, so an error about a whole foreign file stays one readable line."""
    text = sep.join(items[:limit])
    return text + (f"{sep}... ({len(items) - limit} more)" if len(items) > limit else "")


def fit_state_dict(model, arrays, what, source):
    """Check `arrays` against `model.state_dict()` (names, every shape, finite values) and return them cast
    to the model's dtypes. Raises one WeightsError listing every missing, unexpected, mis-shaped and
    non-finite entry."""
    expected = {k: np.asarray(getattr(v, "data", v)) for k, v in model.state_dict().items()}
    missing = [k for k in expected if k not in arrays]
    unexpected = [k for k in arrays if k not in expected]
    wrong = [f"{k} is {tuple(arrays[k].shape)}, expected {v.shape}"
             for k, v in expected.items() if k in arrays and tuple(arrays[k].shape) != v.shape]
    problems = []
    if wrong:
        problems.append("shape mismatch: " + _some(wrong, "; "))
    if missing:
        problems.append("missing: " + _some(missing))
    if unexpected:
        problems.append("unexpected: " + _some(unexpected))
    nonfinite = nonfinite_arrays({k: arrays[k] for k in expected if k in arrays})
    if nonfinite:
        problems.append("NaN or inf in: " + _some(nonfinite))
    if problems:
        raise WeightsError(f"{source} does not fit {what}: " + " | ".join(problems))
    return {k: np.asarray(arrays[k]).astype(v.dtype, copy=False) for k, v in expected.items()}
