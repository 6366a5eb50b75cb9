"""python -m digitsum.predict --checkpoint PATH --images X.npy [--out preds.csv]

Writes one CSV row per image: its index, then (for models that can say what they read) the reading, and
the predicted sum in the last column. Without --out the CSV goes to stdout.
"""
import csv
import io
import os
import sys

from digitsum.data import course as datasets
from digitsum.engine import checkpoints as checkpoint
from digitsum.cli import ArgumentParser, UserError, run
from digitsum.engine.inference import EVAL_BATCH, readouts, run_batches

# The checkpoint used when --checkpoint is not given: the shipped `--model digits` weights (issue 6).
DEFAULT_CHECKPOINT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "pretrained", "digits.npz")


def predictions_csv(spec, pred, outputs):
    """The CSV text: header, then `index[,reading],sum` per image."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    readings = readouts(spec, outputs)
    w.writerow(["index"] + (["reading"] if readings is not None else []) + ["sum"])
    for i, s in enumerate(pred):
        w.writerow([i] + ([readings[i]] if readings is not None else []) + [int(s)])
    return buf.getvalue()


def main(argv=None):
    p = ArgumentParser(prog="python -m digitsum.predict", description=__doc__.split("\n\n")[0])
    p.add_argument("--checkpoint", default=DEFAULT_CHECKPOINT, required=DEFAULT_CHECKPOINT is None)
    p.add_argument("--images", required=True, help="X.npy, uint8 (N, 40, 168)")
    p.add_argument("--out", help="CSV file to write (default: stdout)")
    p.add_argument("--batch-size", type=int, default=EVAL_BATCH)
    a = p.parse_args(argv)
    if a.batch_size < 1:
        raise UserError("--batch-size must be at least 1")
    if a.out is not None and os.path.isdir(a.out):
        raise UserError(f"{a.out}: is a folder; --out takes a CSV file name")
    obj = checkpoint.load(a.checkpoint)
    spec, model = checkpoint.rebuild(obj, a.checkpoint)
    x = datasets.load_images(a.images)
    pred, _, outputs = run_batches(spec, model, x, obj["model_config"], batch_size=a.batch_size)
    text = predictions_csv(spec, pred, outputs)
    if a.out is None:
        sys.stdout.write(text)
    else:
        from minigrad.serialization import atomic_write
        with atomic_write(a.out, "w") as f:
            f.write(text)
        print(f"wrote {len(pred)} predictions to {a.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    run(main)
