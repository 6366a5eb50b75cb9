"""python -m digitsum.predict [--checkpoint PATH] --images X.npy | FILE... | FOLDER [--out preds.csv]

Writes one CSV row per image: `image,reading,sum` -- the image (its index in a .npy file, else its file
name), the digits read (models that read digits; e.g. "7 2 5 1") and the predicted sum in the last column.
Without --out the CSV goes to stdout. Image files (PNG, JPEG, ...) of any size and either polarity are
converted to the course format first (digitsum.data.pictures). The default checkpoint is the shipped
digit reader. A bad file stops the command with one `error:` line naming it; nothing is written.
"""
import csv
import io
import os
import sys

from digitsum.cli import ArgumentParser, UserError, run
from digitsum.engine import checkpoints as checkpoint
from digitsum.engine.inference import EVAL_BATCH, run_batches
from digitsum.reading import load_inputs

DEFAULT_CHECKPOINT = checkpoint.SHIPPED


def predictions_csv(spec, names, pred, outputs):
    """The CSV text: header, then `image[,reading],sum` per image."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    digits = spec.read_digits(outputs) if spec.read_digits is not None else None
    w.writerow(["image"] + (["reading"] if digits is not None else []) + ["sum"])
    for i, (name, s) in enumerate(zip(names, pred)):
        w.writerow([name] + ([" ".join(str(d) for d in digits[i])] if digits is not None else []) + [int(s)])
    return buf.getvalue()


def main(argv=None):
    p = ArgumentParser(prog="python -m digitsum.predict", description=__doc__.split("\n\n")[0])
    p.add_argument("--checkpoint", default=DEFAULT_CHECKPOINT, help="default: the shipped digit reader")
    p.add_argument("--images", required=True, nargs="+",
                   help="X.npy (uint8 (N, 40, 168)), or image files (PNG, JPEG, ...) and/or folders of them")
    p.add_argument("--out", help="CSV file to write (default: stdout)")
    p.add_argument("--batch-size", type=int, default=EVAL_BATCH)
    a = p.parse_args(argv)
    if a.batch_size < 1:
        raise UserError("--batch-size must be at least 1")
    if a.out is not None and os.path.isdir(a.out):
        raise UserError(f"{a.out}: is a folder; --out takes a CSV file name")
    obj = checkpoint.load(a.checkpoint)
    spec, model = checkpoint.rebuild(obj, a.checkpoint)
    names, x = load_inputs(a.images)
    pred, _, outputs = run_batches(spec, model, x, obj["model_config"], batch_size=a.batch_size)
    text = predictions_csv(spec, names, pred, outputs)
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
