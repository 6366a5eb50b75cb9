"""A held-out bench of picture files: rows of 4 MNIST *test* digits rendered as a person would hand them over.

    python -m digitsum.data.picture_bench make --out DIR [--n 100] [--seed 1] [--conditions clean,noisy]
    python -m digitsum.predict --images DIR --out preds.csv
    python -m digitsum.data.picture_bench score DIR/labels.csv preds.csv

`make` writes <condition>_<i>.png/.jpg files and labels.csv (image,digits,sum; digits like "7 2 5 1").
`score` prints, per condition and overall, the exact-sum accuracy and the digit accuracy: digits compared
position by position, over the label's digits or the reading's if it has more (a digit read too many
counts as wrong, and a digit inserted or dropped shifts, so usually spoils, the rest of the reading).
Conditions (CONDITIONS, in units of MNIST's ~20 px digit height):
  clean     dark ink on white, digits 2-4x and upsampled smoothly, margins
  thin      a thin pen: the strokes' centre lines 1-3 px wide on digits 3-5x
  paper     off-white or grey paper with a gradient and texture, grey ink (half of them JPEG, quality 85-95)
  noisy     paper with sensor noise (sigma 10-30) and dust specks
  jpeg      low JPEG quality (8-25), RGB
  layout    uneven baseline (+-25%), digit sizes +-15%, gaps 0-1.5 digits, margins 1-4 digits
  inverted  white ink on a black or dark grey page
  rgba      black or coloured ink on a transparent background (PNG with alpha)
  small     a tiny image: digits 10-14 px
  mixed     digits of different sizes in one row (0.6-1.4x), bottoms on one baseline
Deterministic per seed: each condition draws from its own generator (seed, condition index), so a subset
of conditions gives the same files as the full bench. The default seed 1 is used by no training set; the
digits come from MNIST's test split, which no training run reads.
"""
import csv
import os
from collections import defaultdict

import numpy as np
from PIL import Image

from digitsum.cli import ArgumentParser, UserError, run
from digitsum.data import mnist as M
from digitsum.data import picture_draw as D

CONDITIONS = ("clean", "thin", "paper", "noisy", "jpeg", "layout", "inverted", "rgba", "small", "mixed")
DIGITS = 4


def _dark_on_white(ink, rng):
    return D.on_paper(ink, rng.uniform(235, 255), rng.uniform(0, 40))


def render(condition, digits, rng):
    """One picture of `digits` (k, 28, 28) uint8 for `condition` -> (PIL image, JPEG quality or None for PNG)."""
    jpeg_quality = None
    if condition == "clean":
        page = _dark_on_white(D.draw_row(digits, rng, rng.uniform(2, 4)), rng)
    elif condition == "thin":
        page = _dark_on_white(D.thin_pen(D.draw_row(digits, rng, rng.uniform(3, 5)), rng), rng)
    elif condition == "paper":
        ink = D.draw_row(digits, rng, rng.uniform(2, 4))
        paper = rng.uniform(190, 245) + D.gradient(rng, ink.shape, rng.uniform(8, 25)) + \
            D.smooth_field(rng, ink.shape, 6, rng.uniform(2, 8))
        page = D.on_paper(ink, paper, rng.uniform(20, 90)) + rng.normal(0, 2, ink.shape)
        jpeg_quality = int(rng.integers(85, 96)) if rng.random() < 0.5 else None
    elif condition == "noisy":
        ink = D.draw_row(digits, rng, rng.uniform(2, 4))
        paper = rng.uniform(180, 240) + D.smooth_field(rng, ink.shape, 6, rng.uniform(2, 8))
        page = D.on_paper(ink, paper, rng.uniform(20, 70)) + rng.normal(0, rng.uniform(10, 30), ink.shape)
        page = D.speckle(page, rng, rng.uniform(0.001, 0.006))
    elif condition == "jpeg":
        page = _dark_on_white(D.draw_row(digits, rng, rng.uniform(1.5, 3)), rng)
        jpeg_quality = int(rng.integers(8, 26))
    elif condition == "layout":
        ink = D.draw_row(digits, rng, rng.uniform(2, 4), sizes=rng.uniform(0.85, 1.15, len(digits)),
                         baseline=0.25, gap=(0.0, 1.5), margin=(1.0, 4.0))
        page = _dark_on_white(ink, rng)
    elif condition == "inverted":
        ink = D.draw_row(digits, rng, rng.uniform(2, 4))
        page = D.on_paper(ink, rng.uniform(0, 40), rng.uniform(200, 255))
    elif condition == "rgba":
        ink = D.draw_row(digits, rng, rng.uniform(2, 4))
        colour = [0, 0, 0] if rng.random() < 0.5 else list(rng.integers(0, 120, 3))
        rgba = np.zeros(ink.shape + (4,), np.uint8)
        rgba[..., :3] = colour
        rgba[..., 3] = D.to_uint8(ink * 255)
        return Image.fromarray(rgba, "RGBA"), None
    elif condition == "small":
        page = _dark_on_white(D.draw_row(digits, rng, rng.uniform(0.5, 0.7), margin=(0.2, 0.6)), rng)
    elif condition == "mixed":
        ink = D.draw_row(digits, rng, rng.uniform(2, 3.5), sizes=rng.uniform(0.6, 1.4, len(digits)),
                         baseline=0.03)
        page = _dark_on_white(ink, rng)
    else:
        raise UserError(f"unknown condition {condition!r}; choose from {', '.join(CONDITIONS)}")
    img = Image.fromarray(D.to_uint8(page))
    return (img.convert("RGB") if condition == "jpeg" else img), jpeg_quality


def _check_out(out):
    if os.path.exists(out) and (not os.path.isdir(out) or os.listdir(out)):
        raise UserError(f"--out {out}: exists and is not an empty folder (the bench never overwrites)")


def make(out, mnist, n=100, seed=1, conditions=CONDITIONS):
    """Write the bench into the folder `out` (new or empty); returns the labels rows."""
    _check_out(out)
    os.makedirs(out, exist_ok=True)
    images, labels = mnist.test_images, mnist.test_labels
    rows = []
    for condition in conditions:
        rng = np.random.default_rng([seed, CONDITIONS.index(condition)])
        for i in range(n):
            pick = rng.integers(0, len(images), DIGITS)
            img, quality = render(condition, images[pick], rng)
            name = f"{condition}_{i:04d}" + (".png" if quality is None else ".jpg")
            if quality is None:
                img.save(os.path.join(out, name))
            else:
                img.save(os.path.join(out, name), quality=quality)
            digits = [int(d) for d in labels[pick]]
            rows.append([name, " ".join(map(str, digits)), sum(digits)])
    with open(os.path.join(out, "labels.csv"), "w", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["image", "digits", "sum"])
        w.writerows(rows)
    return rows


def _read_csv(path, columns):
    try:
        with open(path, newline="") as f:
            rows = list(csv.DictReader(f))
    except OSError as e:
        raise UserError(f"{path}: cannot read it ({e.strerror or e})") from None
    if rows and not set(columns) <= set(rows[0]):
        raise UserError(f"{path}: expected columns {', '.join(columns)}, got {', '.join(rows[0])}")
    return rows


def score(labels_csv, predictions_csv):
    """{condition: [images, exact sums, digits right, digits compared]} plus "all"; an image without a
    prediction counts as wrong."""
    truth = _read_csv(labels_csv, ("image", "digits", "sum"))
    pred = {r["image"]: r for r in _read_csv(predictions_csv, ("image", "reading", "sum"))}
    table = defaultdict(lambda: [0, 0, 0, 0])
    for r in truth:
        want = r["digits"].split()
        p = pred.get(r["image"])
        got = p["reading"].split() if p else []
        exact = p is not None and p["sum"].strip() == r["sum"].strip()
        right = sum(a == b for a, b in zip(want, got))
        for key in (r["image"].split("_")[0], "all"):
            t = table[key]
            t[0] += 1
            t[1] += exact
            t[2] += right
            t[3] += max(len(want), len(got))
    return dict(table)


def format_score(table):
    lines = [f"{'condition':<10} {'images':>6} {'exact sums':>10} {'digits':>8}"]
    order = [c for c in CONDITIONS if c in table] + sorted(set(table) - set(CONDITIONS) - {"all"}) + ["all"]
    for c in order:
        if c in table:
            n, exact, right, total = table[c]
            lines.append(f"{c:<10} {n:>6} {100 * exact / n:>9.1f}% {100 * right / max(1, total):>7.1f}%")
    return "\n".join(lines)


def _conditions(text):
    names = [c.strip() for c in text.split(",") if c.strip()]
    bad = [c for c in names if c not in CONDITIONS]
    if bad or not names:
        raise UserError(f"--conditions: unknown {', '.join(bad) or '(none given)'}; "
                        f"choose from {', '.join(CONDITIONS)}")
    return tuple(names)


def main(argv=None):
    p = ArgumentParser(prog="python -m digitsum.data.picture_bench", description=__doc__.split("\n\n")[0])
    sub = p.add_subparsers(dest="command", required=True)
    m = sub.add_parser("make", help="write the bench's picture files and labels.csv")
    m.add_argument("--out", required=True, help="a new or empty folder")
    m.add_argument("--n", type=int, default=100, help="images per condition")
    m.add_argument("--seed", type=int, default=1)
    m.add_argument("--conditions", default=",".join(CONDITIONS),
                   help="comma-separated subset of: " + ", ".join(CONDITIONS))
    m.add_argument("--mnist", help="MNIST source path (default: the cache)")
    s = sub.add_parser("score", help="exact sums and digit accuracy per condition")
    s.add_argument("labels", help="the bench's labels.csv")
    s.add_argument("predictions", help="python -m digitsum.predict's CSV for the bench folder")
    a = p.parse_args(argv)
    if a.command == "make":
        if a.n < 1:
            raise UserError("--n must be at least 1")
        conditions = _conditions(a.conditions)
        _check_out(a.out)                       # both before MNIST is loaded
        rows = make(a.out, M.load(a.mnist), a.n, a.seed, conditions)
        print(f"wrote {len(rows)} pictures and labels.csv to {a.out}")
    else:
        print(format_score(score(a.labels, a.predictions)))
    return 0


if __name__ == "__main__":
    run(main)
