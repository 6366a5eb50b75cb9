"""Run folders of digitsum.train: run.json, --resume's checks, default names, and the seed-protocol summary.

A run folder holds run.json (the run's full config plus its seed list) and, per seed, last.npz, best.npz,
metrics.json, curves.png, confusion.png -- in the folder itself for one seed, in s<seed>/ for --seeds.
"""
import glob
import json
import os
import time

import numpy as np

from minigrad.serialization import atomic_write

from digitsum.engine import metrics
from digitsum.cli import UserError

# Flags that, given explicitly on --resume, must agree with the run's stored config.
TRAIN_FLAGS = ("epochs", "batch_size", "lr", "weight_decay", "schedule", "train_size", "fresh_composites",
               "init_from")
MODEL_FLAGS = ("stem", "adapter", "weights")  # stored in model_config


def write_json(path, obj):
    with atomic_write(path, "w") as f:
        json.dump(obj, f, indent=2)


# ---------------------------------------------------------------- run folders, resume, seeds
def read_run(out, a):
    """The stored run.json of a run folder for --resume; explicit flags that contradict it are errors."""
    path = os.path.join(out, "run.json")
    if not os.path.isfile(path):
        raise UserError(f"{out}: not a digitsum run folder (no run.json); cannot --resume")
    try:
        with open(path) as f:
            stored = json.load(f)
    except (OSError, ValueError, RecursionError) as e:
        raise UserError(f"{path}: unreadable run description ({' '.join(str(e).split())[:200]})") from None
    check_run_description(stored, path)
    given = {f: getattr(a, f) for f in TRAIN_FLAGS + ("model",)}
    given["init_from"] = os.path.abspath(a.init_from) if a.init_from else None
    given["data"] = os.path.abspath(a.data) if a.data else None
    given["seeds"] = a.seeds if a.seeds is not None else ([a.seed] if a.seed is not None else None)
    for flag in MODEL_FLAGS:
        value = getattr(a, flag, None)
        given[flag] = os.path.abspath(value) if flag == "weights" and value else value
    for flag, value in given.items():
        have = stored.get("model_config", {}).get(flag) if flag in MODEL_FLAGS else stored.get(flag)
        if value is not None and have != value:  # 0 and 0.0 are given values, not absent ones
            raise UserError(f"--{flag.replace('_', '-')} {value} contradicts the run in {out} "
                            f"({have}); --resume continues a run with its own settings")
    return stored


_NUMBER, _NONE = (int, float), type(None)
# The type of every entry of run.json (written by train from make_config, seeds, protocol and data).
RUN_TYPES = {"seeds": (list,), "model": (str,), "model_config": (dict,), "epochs": (int,), "batch_size": (int,),
             "lr": _NUMBER, "optimizer": (str,), "weight_decay": _NUMBER, "momentum": _NUMBER, "schedule": (str,),
             "warmup_fraction": _NUMBER, "val_fraction": _NUMBER, "split_seed": (int,), "train_size": (int, _NONE),
             "fresh_composites": (bool,), "init_from": (str, _NONE), "data": (str, _NONE), "protocol": (bool,)}


def check_run_description(stored, path):
    """Refuse a run.json with a missing entry, a value of the wrong type, or an impossible value."""
    if not isinstance(stored, dict):
        raise UserError(f"{path}: unreadable run description (a {type(stored).__name__}, not an object)")
    for key, types in RUN_TYPES.items():
        if key not in stored:
            raise UserError(f"{path}: unreadable run description (no '{key}')")
        value = stored[key]
        if (isinstance(value, bool) and bool not in types) or not isinstance(value, types):
            raise UserError(f"{path}: unreadable run description ('{key}' is a {type(value).__name__})")
    seeds = stored["seeds"]
    if not seeds or not all(isinstance(v, int) and not isinstance(v, bool) for v in seeds):
        raise UserError(f"{path}: unreadable run description ('seeds' must be a non-empty list of integers)")
    if stored["epochs"] < 1 or stored["batch_size"] < 1 or not stored["lr"] > 0:
        raise UserError(f"{path}: unreadable run description (epochs, batch_size and lr must be positive)")


def default_out(model, seeds, protocol):
    label = "seeds" if protocol else f"s{seeds[0]}"
    return os.path.join("runs", f"{model}-{label}-{time.strftime('%Y%m%d-%H%M%S')}")


def latest_run(model):
    found = glob.glob(os.path.join("runs", f"{model}-*", "run.json"))
    if not found:
        raise UserError(f"--resume: no run folder runs/{model}-*/ found; give --out")
    return os.path.dirname(max(found, key=os.path.getmtime))


def write_summary(out, model, results):
    """summary.json + summary.md: mean +- std test accuracy over seeds."""
    accs = [r["test"]["accuracy"] for r in results]
    maes = [r["test"]["mae"] for r in results]
    (am, asd), (mm, msd) = metrics.mean_std(accs), metrics.mean_std(maes)
    ips = [r["images_per_s"] for r in results if r["images_per_s"]]
    doc = {"model": model, "seeds": [r["seed"] for r in results], "epochs": results[0]["config"]["epochs"],
           "test_accuracy_mean": am, "test_accuracy_std": asd, "test_mae_mean": mm, "test_mae_std": msd,
           "train_seconds": [r["train_seconds"] for r in results],
           "images_per_s_mean": float(np.mean(ips)) if ips else None,
           "runs": [{"seed": r["seed"], "test_accuracy": r["test"]["accuracy"], "test_mae": r["test"]["mae"],
                     "train_seconds": r["train_seconds"], "images_per_s": r["images_per_s"]} for r in results]}
    write_json(os.path.join(out, "summary.json"), doc)
    rows = "\n".join(f"| {r['seed']} | {100 * r['test_accuracy']:.2f}% | {r['test_mae']:.3f} | "
                     f"{r['train_seconds']:.0f} s | {r['images_per_s'] or 0:.0f} |" for r in doc["runs"])
    md = (f"# {model}: {doc['epochs']} epochs, seeds {' '.join(map(str, doc['seeds']))}\n\n"
          f"Test accuracy **{100 * am:.2f}% ± {100 * asd:.2f}%** (mean ± sample std), "
          f"MAE {mm:.3f} ± {msd:.3f}.\n\n| seed | test accuracy | MAE | train time | images/s |\n"
          f"|---|---|---|---|---|\n{rows}\n")
    with atomic_write(os.path.join(out, "summary.md"), "w") as f:
        f.write(md)
    print(f"{model}: test accuracy {100 * am:.2f}% ± {100 * asd:.2f}% over seeds {doc['seeds']} -> {out}")
    return doc
