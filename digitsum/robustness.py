"""python -m digitsum.robustness [--checkpoint PATH] [--n 1000] [--json OUT] [--figure docs/robustness.png]

How a digit-reading checkpoint holds up when one property of the composites changes at a time: held-out
composites of MNIST *test* digits (seeds 9100+, never used for training), each set varying one thing:
- height: one set per 2-px bin from 14 to 32 px, every digit's ink height inside the bin (native MNIST
  shape otherwise: no aspect/slant/stroke/ink changes, the course preset's gaps);
- gap: every gap between neighbouring ink boxes equal to g, for g in -4..25 px, native size;
- count: 3, 4 or 5 digits, the course preset; plus `tight` (gaps -3..3) and `broad` (the training preset);
- stress: two or more properties at once or at their extremes: digits of 15-30 px mixed in one row, faint
  ink, thin or thick strokes, strong slant, large digits placed anywhere up to the edges.
Prints a Markdown table of exact-sum and digit accuracy per set (models that predict only the sum, such as the
classifier or the ResNet, get exact sums alone), optionally writes it as JSON, and draws accuracy against
height and gap.
"""
import dataclasses
import json
import sys

import numpy as np

from digitsum.data import compose as C
from digitsum.engine import metrics
from digitsum.models import checkpoints as checkpoint
from digitsum.cli import ArgumentParser, UserError, run
from digitsum.engine.inference import run_batches

HEIGHT_BINS = tuple(range(14, 32, 2))            # bins [lo, lo + 2)
GAPS = (-4, -2, 0, 2, 5, 10, 15, 20, 25)
SEED = 9100


def test_sets():
    """[(group, label, preset, digits)] of every robustness set, in table order."""
    course, broad = C.PRESETS["course"], C.PRESETS["broad"]
    plain = dataclasses.replace(course, fit_gaps=True)
    sets = [("native", "course preset, 4 digits", course, 4)]
    sets += [("height", f"{lo}-{lo + 2} px", dataclasses.replace(plain, height=(lo, lo + 2)), 4)
             for lo in HEIGHT_BINS]
    sets += [("gap", f"{g} px", dataclasses.replace(course, gap=(g, g), fit_gaps=True), 4) for g in GAPS]
    sets += [("count", f"{k} digits", course, k) for k in (3, 5)]
    sets += [("tight", "tight preset (gaps -3..3)", C.PRESETS["tight"], 4),
             ("broad", "broad preset, 3-5 digits", broad, (3, 5))]
    native = dataclasses.replace(plain, height=(19, 21), styled=1.0)  # restyled digits at MNIST's size
    sets += [("stress", label, preset, 4) for label, preset in (
        ("mixed heights 15-30 px in a row", dataclasses.replace(plain, height=(15, 30), height_jitter=0.5)),
        ("faint ink (35-60%)", dataclasses.replace(native, ink=(0.35, 0.6))),
        ("thin strokes", dataclasses.replace(native, stroke=(1.0, 0.0, 0.0))),
        ("thicker strokes", dataclasses.replace(native, stroke=(0.0, 0.0, 1.0))),
        ("slant 0.25-0.4, leaning right", dataclasses.replace(native, slant=(0.25, 0.4))),
        ("26-29 px, no vertical margin", dataclasses.replace(course, vmargin=0, scale=(1.3, 1.45))))]
    return sets


def evaluate_set(spec, model, model_config, mnist, preset, digits, n, seed):
    """(exact-sum accuracy, digit accuracy or None for a model that reads no digits) on n fresh composites of
    MNIST test digits."""
    x, y, rec = C.compose(mnist.test_images, mnist.test_labels, n, seed=seed, preset=preset, digits=digits)
    pred, _, outputs = run_batches(spec, model, x, model_config)
    if spec.read_digits is None:
        return metrics.accuracy(pred, y), None
    return metrics.accuracy(pred, y), metrics.digit_accuracy(spec.read_digits(outputs, pred), rec["digits"])


def measure(path, n, log=print):
    """Every set of test_sets() -> list of row dicts."""
    from digitsum.data import mnist as M
    obj = checkpoint.load(path)
    spec, model = checkpoint.rebuild(obj, path)
    mnist = M.load(log=lambda s: None)
    rows = []
    for i, (group, label, preset, digits) in enumerate(test_sets()):
        acc, dig = evaluate_set(spec, model, obj["model_config"], mnist, preset, digits, n, SEED + i)
        rows.append({"group": group, "set": label, "n": n, "seed": SEED + i, "exact_sum": acc, "digits": dig})
        log(f"{group:7s} {label:28s} exact sums {100 * acc:6.2f}%  digits {_percent(dig)}")
    return rows


def _percent(value):
    return "—" if value is None else f"{100 * value:.2f}%"


def markdown(rows):
    lines = ["| test set | images | exact sums | digits |", "|---|---|---|---|"]
    for r in rows:
        name = r["set"] if r["group"] in ("native", "tight", "broad", "count", "stress") else f"{r['group']} {r['set']}"
        lines.append(f"| {name} | {r['n']} | {100 * r['exact_sum']:.2f}% | {_percent(r['digits'])} |")
    return "\n".join(lines)


def draw(rows, path, baseline=None, baseline_label="before", label="exact sum"):
    """Accuracy against height and gap; baseline: another checkpoint's rows, drawn grey for comparison."""
    from digitsum.engine.plots import _new_figure, save_figure
    fig = _new_figure(10, 3.6)
    for k, (group, xs, xlabel) in enumerate((("height", [lo + 1 for lo in HEIGHT_BINS], "digit ink height, px"),
                                             ("gap", list(GAPS), "gap between digits, px"))):
        ax = fig.add_subplot(1, 2, k + 1)
        sel = [r for r in rows if r["group"] == group]
        ax.plot(xs, [100 * r["exact_sum"] for r in sel], "o-", label=label)
        reads_digits = all(r["digits"] is not None for r in sel)
        if reads_digits:
            ax.plot(xs, [100 * r["digits"] for r in sel], "s--", label="digits")
            ax.axhline(97, color="grey", lw=0.8, ls=":")
        if baseline is not None:
            ax.plot(xs, [100 * r["exact_sum"] for r in baseline if r["group"] == group], "o:", color="grey",
                    label=f"exact sum, {baseline_label}")
        ax.set_xlabel(xlabel)
        ax.set_ylabel("accuracy, %")
        low = [100 * r["exact_sum"] for r in sel + [b for b in baseline or [] if b["group"] == group]]
        ax.set_ylim(max(0, min(90, min(low) - 1)), 100.2)
        ax.grid(alpha=0.3)
        ax.legend(loc="lower right" if reads_digits else "best")
    fig.tight_layout()
    save_figure(fig, path)


def main(argv=None):
    p = ArgumentParser(prog="python -m digitsum.robustness", description=__doc__.split("\n\n")[0])
    p.add_argument("--checkpoint", default=checkpoint.SHIPPED, help="default: the shipped digits reader")
    p.add_argument("--n", type=int, default=1000, help="images per test set (default 1000)")
    p.add_argument("--json", metavar="OUT", help="also write the rows as JSON")
    p.add_argument("--figure", metavar="PNG", help="draw accuracy against height and gap")
    p.add_argument("--baseline", metavar="JSON", help="rows of another checkpoint (--json) to draw in grey")
    a = p.parse_args(argv)
    if a.n < 1:
        raise UserError("--n must be at least 1")
    rows = measure(a.checkpoint, a.n, log=lambda s: print(s, file=sys.stderr, flush=True))
    print(markdown(rows))
    if a.json:
        from digitsum.engine.runs import write_json
        write_json(a.json, rows)
    if a.figure:
        baseline = None
        if a.baseline:
            try:
                with open(a.baseline) as f:
                    baseline = json.load(f)
            except (OSError, ValueError) as e:
                raise UserError(f"{a.baseline}: not a robustness JSON file ({e})") from None
        draw(rows, a.figure, baseline)
    return 0


if __name__ == "__main__":
    run(main)
