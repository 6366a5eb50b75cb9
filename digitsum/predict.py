"""python -m digitsum.predict --checkpoint PATH --images X.npy [--out preds.csv]

Writes one CSV row per image: its index, then (for models that can say what they read) the reading, and
the predicted sum in the last column. Without --out the CSV goes to stdout. The images are read from a
memory-mapped file in chunks, so memory stays bounded however many there are.
"""
import csv
import os
import sys

from tqdm import tqdm

from minigrad.array_files import release_pages

from digitsum.cli import ArgumentParser, UserError, run
from digitsum.data import image_files
from digitsum.engine import checkpoints as checkpoint
from digitsum.engine.inference import EVAL_BATCH, readouts, run_batches
from digitsum.output_files import check_output_file, write_output_file

# The checkpoint used when --checkpoint is not given: the shipped `--model digits` weights.
DEFAULT_CHECKPOINT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "pretrained", "digits.npz")


def csv_header(spec):
    return ["index"] + (["reading"] if spec.read_digits is not None else []) + ["sum"]


def csv_rows(spec, first_index, pred, outputs):
    """`index[,reading],sum` rows for one chunk of images starting at image `first_index`."""
    readings = readouts(spec, outputs)
    return [[first_index + i] + ([readings[i]] if readings is not None else []) + [int(s)]
            for i, s in enumerate(pred)]


def write_predictions(f, spec, model, model_config, x, batch_size):
    """Stream the CSV for the memory-mapped images `x` into `f`, one chunk at a time (bounded memory),
    with a progress bar on stderr when it is a terminal."""
    w = csv.writer(f, lineterminator="\n")
    w.writerow(csv_header(spec))
    with tqdm(total=len(x), unit="img", file=sys.stderr, disable=not sys.stderr.isatty(),
              desc="predicting") as bar:
        for start, stop in image_files.chunks(len(x)):
            block = image_files.to_uint8(x[start:stop])
            release_pages(x)  # the chunk is copied; drop its mapped pages from this process's memory
            pred, _, outputs = run_batches(spec, model, block, model_config, batch_size=batch_size)
            w.writerows(csv_rows(spec, start, pred, outputs))
            bar.update(stop - start)


def main(argv=None):
    p = ArgumentParser(prog="python -m digitsum.predict", description=__doc__.split("\n\n")[0])
    p.add_argument("--checkpoint", default=DEFAULT_CHECKPOINT,
                   help="a best.npz/last.npz written by digitsum.train (default: the shipped digit reader)")
    p.add_argument("--images", required=True, help="X.npy, (N, 40, 168) pixels 0-255 (uint8, or integers/floats "
                   "holding 0-255; floats in 0..1 are refused)")
    p.add_argument("--out", help="CSV file to write (default: stdout); an existing file needs --force")
    p.add_argument("--force", action="store_true", help="replace an existing --out file (never an input)")
    p.add_argument("--batch-size", type=int, default=EVAL_BATCH)
    a = p.parse_args(argv)
    if a.batch_size < 1:
        raise UserError("--batch-size must be at least 1")
    if a.out is not None:
        check_output_file(a.out, "--out", a.force, inputs=[a.checkpoint, a.images])
    x = image_files.open_images(a.images)
    if len(x) == 0:
        raise UserError(f"{a.images}: holds no images (shape {x.shape})")
    obj = checkpoint.load(a.checkpoint)
    spec, model = checkpoint.rebuild(obj, a.checkpoint)
    image_files.check_pixels(x, a.images)  # the whole file, before any output
    def write(f):
        write_predictions(f, spec, model, obj["model_config"], x, a.batch_size)
    if a.out is None:
        write(sys.stdout)
    else:
        write_output_file(a.out, "--out", write, a.force, inputs=[a.checkpoint, a.images])
        print(f"wrote {len(x)} predictions to {a.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    run(main)
