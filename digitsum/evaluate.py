"""python -m digitsum.evaluate --checkpoint PATH [--data DIR | --images X.npy --labels Y.npy] [--json]

Rebuilds the model from the checkpoint alone and prints accuracy, MAE and accuracy per true sum.
"""
import json
import os

import numpy as np

from minigrad.array_files import read_npz

from digitsum.cli import ArgumentParser, UserError, run
from digitsum.data import course as datasets
from digitsum.engine import metrics
from digitsum.models import checkpoints as checkpoint
from digitsum.engine.inference import EVAL_BATCH, readouts, run_batches
from digitsum.engine.metrics import digit_accuracy
from digitsum.engine.plots import draw_predictions
from digitsum.output_files import check_output_file, write_output_file

def load_images_labels(data=None, images=None, labels=None, label_max=datasets.DEFAULT_LABEL_MAX):
    """(x uint8 (N,40,168), y int64, description) from a course folder's test split or from .npy files;
    label_max: the largest sum the model can predict (labels above it are refused)."""
    if images is not None or labels is not None:
        if data is not None:
            raise UserError("give either --data or --images/--labels, not both")
        if images is None or labels is None:
            raise UserError("--images and --labels go together")
        x = datasets.load_images(images)
        y = datasets.load_labels(labels, label_max)
        if len(x) != len(y):
            raise UserError(f"{images} holds {len(x)} images but {labels} holds {len(y)} labels")
        return x, y.astype(np.int64), f"{images}"
    folder = datasets.ensure_data(data)
    d = datasets.load_course(folder)
    return d["test_x"], np.asarray(d["test_y"], np.int64), f"test split of {folder}"


def format_report(m):
    lines = [f"accuracy: {100 * m['accuracy']:.2f}%  ({round(m['accuracy'] * m['n'])}/{m['n']})",
             f"MAE: {m['mae']:.3f}",
             "accuracy per true sum:",
             "  sum      n   accuracy"]
    for s, v in m["per_sum"].items():
        lines.append(f"  {int(s):3d}  {v['n']:5d}   {100 * v['accuracy']:6.2f}%")
    return "\n".join(lines)


def show_readings(spec, x, y, pred, outputs, a, true=None):
    """--show / --grid / --digit-labels (`true`: the recorded digits): what a digit-reading model read."""
    readings = readouts(spec, outputs, pred)
    for i in range(min(a.show, len(pred))):
        print(f"  image {i}: {readings[i] if readings else pred[i]}   (true sum {int(y[i])})")
    if a.grid:
        k = min(24, len(x))
        write_output_file(a.grid, "--grid", lambda f: draw_predictions(
            x[:k], readings[:k] if readings else None, pred[:k], y[:k], f), a.force, _inputs(a), mode="wb")
        print(f"wrote {a.grid}")
    if true is not None:
        read = spec.read_digits(outputs, pred)
        count_ok = np.mean([len(r) == int((t >= 0).sum()) for r, t in zip(read, true)])
        print(f"digit accuracy: {100 * digit_accuracy(read, true):.2f}% of {int((true >= 0).sum())} recorded "
              f"digits; digit count right: {100 * count_ok:.2f}%")


def _recorded_digits(path):
    """The 'test_digits' array of a digits.npz (read with the checks of minigrad.array_files)."""
    if os.path.isdir(path):
        raise UserError(f"--digit-labels {path}: is a folder, expected a digits.npz file")
    arrays = read_npz(path, UserError, "digits.npz (from digitsum.data make)")
    true = arrays.get("test_digits")
    if true is None or true.ndim != 2 or true.dtype.kind not in "iu":
        raise UserError(f"{path}: not a digits.npz with an integer (N, digits) 'test_digits' array")
    return true


def _inputs(a):
    """Every file this command reads: an output must never replace one of them."""
    folder = [os.path.join(a.data, f) for f in os.listdir(a.data)] if a.data and os.path.isdir(a.data) else []
    return [a.checkpoint, a.images, a.labels, a.digit_labels] + folder


def main(argv=None):
    p = ArgumentParser(prog="python -m digitsum.evaluate", description=__doc__.split("\n\n")[0])
    p.add_argument("--checkpoint", default=checkpoint.SHIPPED,
                   help="a best.npz/last.npz written by digitsum.train (default: the shipped digit reader)")
    p.add_argument("--data", help="course-layout folder; its test split is evaluated (default ./data or cache)")
    p.add_argument("--images", help="X.npy, uint8 (N, 40, 168)")
    p.add_argument("--labels", help="Y.npy, the true sums (N,)")
    p.add_argument("--batch-size", type=int, default=EVAL_BATCH)
    p.add_argument("--json", action="store_true", help='last line: {"accuracy": ..., "mae": ..., "n": ...}')
    p.add_argument("--show", type=int, default=0, metavar="N",
                   help="print the first N images' readings (e.g. '7 2 5 1 -> 15') and true sums")
    p.add_argument("--grid", metavar="PNG", help="draw the first 24 images with reading, prediction, truth "
                   "(an existing file needs --force)")
    p.add_argument("--digit-labels", metavar="NPZ",
                   help="digits.npz from `digitsum.data make`: also report digit accuracy (models that read digits)")
    p.add_argument("--force", action="store_true", help="replace an existing --grid file (never an input)")
    a = p.parse_args(argv)
    if a.batch_size < 1:
        raise UserError("--batch-size must be at least 1")
    if a.grid:
        check_output_file(a.grid, "--grid", a.force, _inputs(a), suffix=".png")
    obj = checkpoint.load(a.checkpoint)
    spec, model = checkpoint.rebuild(obj, a.checkpoint)
    true = None
    if a.digit_labels:  # checked before the model runs, so a bad file never cuts a report short
        if spec.read_digits is None:
            raise UserError(f"--digit-labels: model {spec.name} does not read digits")
        true = _recorded_digits(a.digit_labels)
    x, y, source = load_images_labels(a.data, a.images, a.labels, max(datasets.DEFAULT_LABEL_MAX, spec.max_sum))
    if len(x) == 0:
        raise UserError(f"{source}: holds no images to evaluate")
    if true is not None and len(true) != len(x):
        raise UserError(f"{a.digit_labels} records {len(true)} images' digits but {len(x)} images are evaluated")
    pred, _, outputs = run_batches(spec, model, x, obj["model_config"], batch_size=a.batch_size)
    m = metrics.summarize(pred, y)
    print(f"checkpoint: {a.checkpoint} (model {spec.name}, epoch {obj.get('epoch', '?')})")
    print(f"images: {m['n']} from {source}")
    print(format_report(m))
    show_readings(spec, x, y, pred, outputs, a, true)
    if a.json:
        print(json.dumps({"accuracy": m["accuracy"], "mae": m["mae"], "n": m["n"]}))
    return 0


if __name__ == "__main__":
    run(main)
