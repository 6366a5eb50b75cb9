"""Checking a saved optimizer or scheduler state against the live object before loading it, so a
crafted or foreign checkpoint is refused with one ValueError instead of failing later inside step()."""
import numpy as np


def _kind(v):
    if isinstance(v, bool) or v is None or isinstance(v, str):
        return type(v).__name__
    if isinstance(v, (int, float, np.integer, np.floating)):
        return "number"
    if isinstance(v, (list, tuple)):
        return "list"
    return type(v).__name__


def check_like(saved, mine, what, allow_new_scalars=False):
    """Every entry of the dict `saved` must exist in `mine` with a value of the same kind (numbers for
    numbers, lists of as many numbers for lists of numbers). allow_new_scalars admits keys `mine` lacks
    when their value is a number, bool, string or None."""
    if not isinstance(saved, dict):
        raise ValueError(f"{what}: expected a dict, got {type(saved).__name__}")
    for key, value in saved.items():
        if key not in mine:
            if allow_new_scalars and _kind(value) in ("number", "bool", "str", "NoneType"):
                continue
            raise ValueError(f"{what}: unexpected entry {key!r}")
        have = mine[key]
        if _kind(value) != _kind(have):
            raise ValueError(f"{what}: {key!r} is a {_kind(value)}, expected a {_kind(have)}")
        if _kind(have) == "list" and have and all(_kind(x) == "number" for x in have) and (
                len(value) != len(have) or not all(_kind(x) == "number" for x in value)):
            raise ValueError(f"{what}: {key!r} must be a list of {len(have)} numbers")


def check_param_state(saved, shape, what):
    """A saved per-parameter state (e.g. Adam's step, exp_avg, exp_avg_sq): numbers and arrays of the
    parameter's shape only."""
    if not isinstance(saved, dict):
        raise ValueError(f"{what}: expected a dict, got {type(saved).__name__}")
    for key, value in saved.items():
        if isinstance(value, np.ndarray):
            if value.shape != tuple(shape) or value.dtype.kind not in "fiu":
                raise ValueError(f"{what}: {key!r} is {value.dtype} {value.shape}, expected numbers of shape {tuple(shape)}")
        elif _kind(value) != "number":
            raise ValueError(f"{what}: {key!r} is a {_kind(value)}, expected a number or an array")
