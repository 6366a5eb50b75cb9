"""Self-describing digitsum checkpoints on top of minigrad.save/load.

A checkpoint holds the model's name and config (so `build(model_config)` rebuilds it with no other flags),
the minigrad version that wrote it, the model's state_dict and, for `last.npz`, everything --resume needs
(optimizer, scheduler, epoch, RNG state, history). Every way a file can be unusable -- missing, truncated,
not a checkpoint, an unknown model, weights of another architecture -- becomes one UserError.
"""
import os

import numpy as np

import minigrad
from minigrad.array_files import nonfinite_arrays
from minigrad.serialization import CheckpointError

from digitsum import models
from digitsum.cli import UserError

FORMAT = "digitsum-checkpoint"
# The digit reader shipped with the package: evaluate's and predict's default, digitsum.read's too.
SHIPPED = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "pretrained", "digits.npz")
FORMAT_VERSION = 1


def save(path, spec, model, model_config, **extra):
    """Write a checkpoint atomically. `extra` holds JSON-able metadata and nested dicts of arrays."""
    obj = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "model": spec.name,
        "model_config": model_config,
        "minigrad_version": minigrad.__version__,
        "state_dict": model.state_dict(),
        **extra,
    }
    minigrad.save(obj, path)


def load(path):
    """Read and validate a checkpoint; return its dict."""
    path = os.fspath(path)
    if not os.path.exists(path):
        raise UserError(f"{path}: checkpoint not found")
    if os.path.isdir(path):
        raise UserError(f"{path}: is a folder, not a checkpoint file")
    try:
        obj = minigrad.load(path)
    except (CheckpointError, ValueError, OSError, KeyError, EOFError) as e:
        raise UserError(f"{path}: not a readable checkpoint ({' '.join(str(e).split())})") from None
    if not isinstance(obj, dict) or obj.get("format") != FORMAT:
        raise UserError(f"{path}: not a digitsum checkpoint (no '{FORMAT}' marker)")
    if obj.get("format_version") != FORMAT_VERSION:
        raise UserError(f"{path}: checkpoint format version {obj.get('format_version')} is not supported "
                        f"(this digitsum reads {FORMAT_VERSION})")
    for key, kind in (("model", str), ("model_config", dict), ("state_dict", dict)):
        if key not in obj:
            raise UserError(f"{path}: checkpoint lacks '{key}'")
        if not isinstance(obj[key], kind):
            raise UserError(f"{path}: checkpoint's '{key}' is a {type(obj[key]).__name__}, not a {kind.__name__}")
    not_arrays = [k for k, v in obj["state_dict"].items() if not isinstance(v, np.ndarray)]
    if not_arrays:
        raise UserError(f"{path}: checkpoint's state_dict holds non-arrays at {_some(not_arrays)}")
    nonfinite = nonfinite_arrays(obj["state_dict"])
    if nonfinite:
        raise UserError(f"{path}: weights hold NaN or inf in {_some(nonfinite)}; refusing the checkpoint")
    return obj


def _some(names, limit=5):
    return ", ".join(names[:limit]) + (f" and {len(names) - limit} more" if len(names) > limit else "")


def rebuild(obj, path="checkpoint"):
    """(spec, model) rebuilt from a loaded checkpoint, weights loaded strictly, in eval mode."""
    name = obj["model"]
    if name not in models.names():
        raise UserError(f"{path}: built for model {name!r}, which this digitsum does not know "
                        f"(known: {', '.join(models.names())})")
    spec = models.get(name)
    try:
        model = spec.build(obj["model_config"])
    except (KeyError, TypeError, ValueError, MemoryError, OverflowError) as e:
        raise UserError(f"{path}: model config {str(obj['model_config'])[:200]} does not build a {name}: "
                        f"{type(e).__name__ if isinstance(e, MemoryError) else e}") from None
    load_state(model, obj["state_dict"], f"{path}: weights do not fit a {name} built from its config")
    model.eval()
    return spec, model


def load_state(model, state, message):
    """model.load_state_dict(state, strict=True); a mismatch becomes one UserError line starting with `message`."""
    if not isinstance(state, dict):
        raise UserError(f"{message} (no state_dict)")
    try:
        model.load_state_dict(state, strict=True)
    except (KeyError, ValueError, RuntimeError, TypeError) as e:
        text = " ".join(str(e).split())
        raise UserError(f"{message}: {text[:400]}{'...' if len(text) > 400 else ''}") from None
