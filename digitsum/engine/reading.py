"""Read digit rows from Python: `digitsum.read(images_or_paths)` -> each image's digits and sum.

    >>> import digitsum
    >>> digitsum.read(["scan1.png", "scan2.jpg"])            # files, folders of images, or .npy files
    [{'image': 'scan1.png', 'digits': [7, 2, 5, 1], 'sum': 15}, ...]
    >>> digitsum.read(x)                                      # a (N, 40, 168) uint8 array, or 2-D arrays

Course-format arrays ((N, 40, 168) uint8, bright ink on black) are read as they are; image files and 2-D
arrays of any other size go through digitsum.data.pictures.to_course_format first (polarity, paper and
noise removed, crop, digits scaled to 20 px). `checkpoint` defaults to the shipped digit reader.
"""
import os

import numpy as np

from digitsum.cli import UserError
from digitsum.data import course
from digitsum.data.pictures import H, W, load_pictures, to_course_format
from digitsum.engine.inference import run_batches
from digitsum.models import checkpoints as ckpt


def load_inputs(items):
    """(names, (N, 40, 168) uint8) from .npy files, image files, folders of images, or arrays.

    Names: the file name for image files, the row index for a single .npy file or array, `file.npy[i]`
    when several sources are given."""
    if isinstance(items, (str, os.PathLike, np.ndarray)):
        items = [items]
    items = list(items)
    if not items:
        raise UserError("no images given")
    if all(isinstance(v, np.ndarray) and v.ndim == 2 for v in items):      # a list of 2-D images
        return [str(i) for i in range(len(items))], np.stack([_as_course(v, to_course_format) for v in items])
    names, parts = [], []
    for v in items:
        if isinstance(v, np.ndarray):
            x = v if v.shape[1:] == (H, W) and v.dtype == np.uint8 else np.stack([to_course_format(a) for a in v])
            label = "array"
        elif os.fspath(v).lower().endswith(".npy"):
            x, label = course.load_images(v), os.path.basename(os.fspath(v))
        else:
            n, x = load_pictures([v])
            names += n
            parts.append(x)
            continue
        names += [str(i) for i in range(len(x))] if len(items) == 1 else [f"{label}[{i}]" for i in range(len(x))]
        parts.append(x)
    return names, np.concatenate(parts)


def _as_course(a, to_course_format):
    return a if a.shape == (H, W) and a.dtype == np.uint8 else to_course_format(a)


def read(images_or_paths, checkpoint=None, batch_size=256):
    """[{"image": name, "digits": [...], "sum": int}] for every image; see the module docstring."""
    path = checkpoint or ckpt.SHIPPED
    obj = ckpt.load(path)
    spec, model = ckpt.rebuild(obj, path)
    if spec.read_digits is None:
        raise UserError(f"{path}: model {spec.name} does not read digits")
    names, x = load_inputs(images_or_paths)
    pred, _, outputs = run_batches(spec, model, x, obj["model_config"], batch_size=batch_size)
    return [{"image": n, "digits": [int(d) for d in digits], "sum": int(s)}
            for n, digits, s in zip(names, spec.read_digits(outputs, pred), pred)]
