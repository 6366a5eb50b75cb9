"""python -m digitsum.predict [--checkpoint PATH] --images X.npy | FILE... | FOLDER... [--out preds.csv]

Writes one CSV row per image: `image,reading,sum` -- the image (its index in a .npy file, else its file
name), the digits read (models that read digits; e.g. "7 2 5 1") and the predicted sum in the last column.
Without --out the CSV goes to stdout. A .npy file is read memory-mapped in chunks, so memory stays bounded
however many images it holds. Image files (PNG, JPEG, ...) of any size and either polarity are converted to
the course format first (digitsum.data.pictures). The default checkpoint is the shipped digit reader. A bad
file stops the command with one `error:` line naming it before anything is written.
"""
import csv
import sys

from tqdm import tqdm

from minigrad.array_files import release_pages

from digitsum.cli import ArgumentParser, UserError, run
from digitsum.data import image_files
from digitsum.models import checkpoints as checkpoint
from digitsum.engine.inference import EVAL_BATCH, run_batches
from digitsum.output_files import check_output_file, write_output_file
from digitsum.engine.reading import load_inputs

DEFAULT_CHECKPOINT = checkpoint.SHIPPED


def csv_header(spec):
    return ["image"] + (["reading"] if spec.read_digits is not None else []) + ["sum"]


def csv_rows(spec, names, pred, outputs):
    """`image[,reading],sum` rows for one chunk of images."""
    digits = spec.read_digits(outputs, pred) if spec.read_digits is not None else None
    return [[name] + ([" ".join(str(d) for d in digits[i])] if digits is not None else []) + [int(s)]
            for i, (name, s) in enumerate(zip(names, pred))]


def write_predictions(f, spec, model, model_config, x, batch_size, names=None):
    """Stream the CSV for the images `x` (memory-mapped or in memory) into `f`, one chunk at a time
    (bounded memory), with a progress bar on stderr when it is a terminal. names: default the indices."""
    w = csv.writer(f, lineterminator="\n")
    w.writerow(csv_header(spec))
    with tqdm(total=len(x), unit="img", file=sys.stderr, disable=not sys.stderr.isatty(),
              desc="predicting") as bar:
        for start, stop in image_files.chunks(len(x)):
            block = image_files.to_uint8(x[start:stop])
            release_pages(x)  # the chunk is copied; drop its mapped pages from this process's memory
            pred, _, outputs = run_batches(spec, model, block, model_config, batch_size=batch_size)
            chunk_names = range(start, stop) if names is None else names[start:stop]
            w.writerows(csv_rows(spec, chunk_names, pred, outputs))
            bar.update(stop - start)


def main(argv=None):
    p = ArgumentParser(prog="python -m digitsum.predict", description=__doc__.split("\n\n")[0])
    p.add_argument("--checkpoint", default=DEFAULT_CHECKPOINT,
                   help="a best.npz/last.npz written by digitsum.train (default: the shipped digit reader)")
    p.add_argument("--images", required=True, nargs="+",
                   help="X.npy, (N, 40, 168) pixels 0-255 (uint8, or integers/floats holding 0-255; floats in "
                   "0..1 are refused); or image files (PNG, JPEG, ...) and/or folders of them")
    p.add_argument("--out", help="CSV file to write (default: stdout); an existing file needs --force")
    p.add_argument("--force", action="store_true", help="replace an existing --out file (never an input)")
    p.add_argument("--batch-size", type=int, default=EVAL_BATCH)
    a = p.parse_args(argv)
    if a.batch_size < 1:
        raise UserError("--batch-size must be at least 1")
    if a.out is not None:
        check_output_file(a.out, "--out", a.force, inputs=[a.checkpoint, *a.images])
    names = None
    if len(a.images) == 1 and a.images[0].lower().endswith(".npy"):
        x = image_files.open_images(a.images[0])
        if len(x) == 0:
            raise UserError(f"{a.images[0]}: holds no images (shape {x.shape})")
    else:
        names, x = load_inputs(a.images)   # every file read and converted before anything is written
    obj = checkpoint.load(a.checkpoint)
    spec, model = checkpoint.rebuild(obj, a.checkpoint)
    if names is None:
        image_files.check_pixels(x, a.images[0])  # the whole file, before any output

    def write(f):
        write_predictions(f, spec, model, obj["model_config"], x, a.batch_size, names)
    if a.out is None:
        write(sys.stdout)
    else:
        write_output_file(a.out, "--out", write, a.force, inputs=[a.checkpoint, *a.images])
        print(f"wrote {len(x)} predictions to {a.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    run(main)
