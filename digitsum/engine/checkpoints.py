"""Self-describing digitsum checkpoints on top of minigrad.save/load.

A checkpoint holds the model's name and config (so `build(model_config)` rebuilds it with no other flags),
the versions that wrote it, the model's state_dict and, for `last.npz`, everything --resume needs
(optimizer, scheduler, epoch, RNG state, history). Every way a file can be unusable -- missing, truncated,
not a checkpoint, an unknown model, weights of another architecture -- becomes one UserError.
"""
import os

import minigrad
from minigrad.serialization import CheckpointError

import digitsum
from digitsum import models
from digitsum.cli import UserError

FORMAT = "digitsum-checkpoint"
FORMAT_VERSION = 1


def save(path, spec, model, model_config, **extra):
    """Write a checkpoint atomically. `extra` holds JSON-able metadata and nested dicts of arrays."""
    obj = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "model": spec.name,
        "model_config": model_config,
        "minigrad_version": getattr(minigrad, "__version__", "unknown"),
        "digitsum_version": getattr(digitsum, "__version__", "unknown"),
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
    for key in ("model", "model_config", "state_dict"):
        if key not in obj:
            raise UserError(f"{path}: checkpoint lacks '{key}'")
    return obj


def rebuild(obj, path="checkpoint"):
    """(spec, model) rebuilt from a loaded checkpoint, weights loaded strictly, in eval mode."""
    name = obj["model"]
    if name not in models.names():
        raise UserError(f"{path}: built for model {name!r}, which this digitsum does not know "
                        f"(known: {', '.join(models.names())})")
    spec = models.get(name)
    try:
        model = spec.build(obj["model_config"])
    except (KeyError, TypeError, ValueError) as e:
        raise UserError(f"{path}: model config {obj['model_config']!r} does not build a {name}: {e}") from None
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
