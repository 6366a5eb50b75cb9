"""The training loop of one run: restore, then per epoch train and end the epoch, then finish.

Every epoch ends with an atomic `last.npz` (model, optimizer, scheduler and the TrainState), so `--resume`
continues a run killed at any moment from its last completed epoch and finishes with the same weights as an
uninterrupted run: all randomness after initialisation is drawn from generators seeded by (seed, epoch), so
the epoch counter in last.npz is the whole RNG state.
"""
import dataclasses
import functools
import json
import math
import os
import sys
import time
import warnings
from dataclasses import dataclass, field
from typing import Optional

import numpy as np
from tqdm import tqdm

import minigrad
from minigrad import nn, optim

from digitsum import models
from digitsum.cli import UserError
from digitsum.data.loading import FreshComposites
from digitsum.engine import metrics, plots
from digitsum.models import checkpoints
from digitsum.engine.inference import run_batches
from digitsum.engine.optimizers import make_optimizer, make_scheduler
from digitsum.engine.runs import write_json
from digitsum.models.spec import ModelSpec


@dataclass
class TrainState:
    """What a run carries from one epoch to the next; stored in last.npz beside the model and optimiser."""
    epoch: int = 0  # epochs completed
    history: list = field(default_factory=list)  # one dict per epoch: losses, accuracies, lr, seconds
    best_val_acc: float = -1.0
    best_epoch: Optional[int] = None
    train_seconds: float = 0.0
    train_images: int = 0
    started: float = field(default_factory=time.time)  # wall-clock start of the run, kept across resumes

    @classmethod
    def from_checkpoint(cls, obj, path):
        """The state saved in a last.npz; a checkpoint without one (best.npz, or not written by train) is refused."""
        missing = [f.name for f in dataclasses.fields(cls) if f.name not in obj]
        if missing:
            raise UserError(f"{path}: holds no training state (no {', '.join(missing)}), so the run cannot be "
                            f"resumed from it")
        try:
            state = cls(epoch=int(obj["epoch"]), history=list(obj["history"]),
                        best_val_acc=float(obj["best_val_acc"]),
                        best_epoch=None if obj["best_epoch"] is None else int(obj["best_epoch"]),
                        train_seconds=float(obj["train_seconds"]), train_images=int(obj["train_images"]),
                        started=float(obj["started"]))
        except (TypeError, ValueError) as e:
            raise UserError(f"{path}: unreadable training state ({e})") from None
        if state.epoch < 0 or not isinstance(obj["history"], list) or not all(isinstance(h, dict) for h in state.history):
            raise UserError(f"{path}: unreadable training state (a negative epoch, or a history that is not a "
                            "list of records)")
        return state

    def to_checkpoint(self, cfg, opt, sched):
        """The extra entries of last.npz: this state, the run's config, optimizer and scheduler state."""
        return {"optimizer": opt.state_dict(), "scheduler": sched.state_dict() if sched is not None else {},
                "rng": {"scheme": "numpy default_rng([seed, epoch]) per epoch", "seed": cfg["seed"],
                        "next_epoch": self.epoch},
                "config": cfg, **dataclasses.asdict(self)}


@dataclass
class Run:
    """One seed's training run in folder `out`: its model, optimiser, schedule, data and state."""
    spec: ModelSpec
    model: nn.Module
    opt: optim.Optimizer
    sched: Optional[optim.LRScheduler]  # None: constant learning rate
    cfg: dict
    data: dict
    out: str
    state: TrainState = field(default_factory=TrainState)

    @property
    def last_path(self):
        return os.path.join(self.out, "last.npz")

    @property
    def best_path(self):
        return os.path.join(self.out, "best.npz")


def seed_everything(seed, epoch=None):
    """Seed every generator minigrad and numpy's legacy API may draw from (init, dropout)."""
    s = seed if epoch is None else (seed * 1_000_003 + epoch + 1) % 2**32
    np.random.seed(s)
    minigrad.manual_seed(s)


class Diverged(UserError):
    """The loss became non-finite: the run stops with one line naming the last good checkpoint."""


def quiet_overflow(fn):
    """Silence numpy's overflow/invalid warnings (also from minigrad's worker threads): divergence is
    detected from the loss and reported as one clear line instead."""
    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        with warnings.catch_warnings(), np.errstate(over="ignore", invalid="ignore"):
            warnings.filterwarnings("ignore", r"(overflow|invalid value) encountered", RuntimeWarning)
            return fn(*args, **kwargs)
    return wrapper


# ---------------------------------------------------------------- the steps
def start(cfg, data, out):
    """A new Run: seeded model (with --init-from weights if asked), optimiser and per-step schedule."""
    spec = models.get(cfg["model"])
    seed_everything(cfg["seed"])
    model = spec.build(cfg["model_config"])
    if cfg["init_from"]:
        print(spec.init_from(model, cfg["init_from"]))
    opt = make_optimizer(cfg, [p for p in model.parameters() if p.requires_grad])
    steps = math.ceil(len(data["train"][0]) / cfg["batch_size"]) * cfg["epochs"]
    return Run(spec, model, opt, make_scheduler(cfg, opt, steps), cfg, data, out)


def restore(run):
    """Continue from the run folder's last.npz when there is one: weights, optimiser, schedule and state."""
    if not os.path.exists(run.last_path):
        return
    obj = checkpoints.load(run.last_path)
    state = TrainState.from_checkpoint(obj, run.last_path)
    checkpoints.load_state(run.model, obj["state_dict"], f"{run.last_path}: weights do not fit")
    try:
        run.opt.load_state_dict(obj["optimizer"])
        if run.sched is not None:
            run.sched.load_state_dict(obj["scheduler"])
    except (KeyError, ValueError, TypeError, IndexError) as e:
        raise UserError(f"{run.last_path}: optimizer/scheduler state does not fit this run ({e})") from None
    run.state = state
    print(f"resuming {run.out} after epoch {state.epoch}/{run.cfg['epochs']}")


@quiet_overflow
def train_epoch(spec, model, opt, sched, x, y, cfg, epoch, on_step=None):
    """One pass over (x, y) in an order drawn from (seed, epoch). Returns (loss, acc, seconds).
    on_step() runs after every optimiser step."""
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
            xb = minigrad.Tensor(spec.augment(spec.encode_batch(x[idx], mc), rng))
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
            if on_step is not None:
                on_step()
            loss_sum += value * len(idx)
            correct += int((spec.predict(out.data) == y[idx]).sum())
            seen += len(idx)
            bar.update(len(idx))
            bar.set_postfix(loss=f"{loss_sum / seen:.4g}", refresh=False)
    finally:
        bar.close()
    return loss_sum / seen, correct / seen, time.perf_counter() - t0


def end_of_epoch(run, epoch, trained, n_images, val_enc):
    """Validate, record the epoch, keep best.npz, write last.npz, metrics.json and curves.png."""
    spec, cfg, state, mc = run.spec, run.cfg, run.state, run.cfg["model_config"]
    tr_loss, tr_acc, secs = trained
    val_y = run.data["val"][1]
    vpred, vloss, _ = quiet_overflow(run_batches)(spec, run.model, val_enc, mc, y=val_y, encoded=True)
    if not math.isfinite(vloss):
        raise Diverged(f"validation loss became {vloss} after epoch {epoch + 1}: stopping; "
                       f"{_last_good(run)}. Try a lower --lr.")
    vacc, vmae = metrics.accuracy(vpred, val_y), metrics.mae(vpred, val_y)
    state.train_seconds += secs
    state.train_images += n_images
    state.history.append({"epoch": epoch + 1, "train_loss": tr_loss, "train_acc": tr_acc,
                          "val_loss": vloss, "val_acc": vacc, "val_mae": vmae,
                          "lr": run.opt.param_groups[0]["lr"], "seconds": secs,
                          "images_per_s": n_images / secs})
    state.epoch = epoch + 1
    print(f"epoch {epoch + 1}/{cfg['epochs']}  train loss {tr_loss:.4f} acc {100 * tr_acc:.2f}%  "
          f"val loss {vloss:.4f} acc {100 * vacc:.2f}% mae {vmae:.3f}  "
          f"{secs:.1f}s ({n_images / secs:.0f} img/s)", flush=True)
    if vacc > state.best_val_acc:
        state.best_val_acc, state.best_epoch = vacc, epoch + 1
        checkpoints.save(run.best_path, spec, run.model, mc, epoch=epoch + 1, config=cfg, val_accuracy=vacc)
    checkpoints.save(run.last_path, spec, run.model, mc, **state.to_checkpoint(cfg, run.opt, run.sched))
    write_json(os.path.join(run.out, "metrics.json"), metrics_doc(run, finished=False))
    _plot(plots.plot_curves, state.history, os.path.join(run.out, "curves.png"))


def run_one(cfg, data, out, on_step=None):
    """Train (or continue) the run in folder `out`; return its final metrics dict. on_step() runs after
    every optimiser step. A folder without last.npz whose metrics.json says the same run finished is returned
    as it is, so a seed protocol resumes from its small result files alone (checkpoints are not kept with
    results)."""
    done = finished_metrics(cfg, out)
    if done is not None:
        print(f"seed {cfg['seed']}: finished earlier, test accuracy {100 * done['test']['accuracy']:.2f}% -> {out}")
        return done
    run = start(cfg, data, out)
    restore(run)
    spec, mc = run.spec, cfg["model_config"]
    tx, ty = data["train"]
    fresh = None
    if cfg["fresh_composites"]:
        # the same generator settings as the folder's own composites (course preset for course files)
        gen = data.get("generator") or {}
        fresh = FreshComposites(seed=cfg["seed"], n=len(tx), preset=gen.get("preset", "course"),
                                digits=tuple(gen.get("digits", (4, 4))), scale=gen.get("scale"))
    train_enc = None if fresh else spec.encode_dataset(tx, mc)
    val_enc = spec.encode_dataset(data["val"][0], mc)
    for epoch in range(run.state.epoch, cfg["epochs"]):
        if fresh is not None:
            ex, ey = fresh.epoch(epoch)
            train_enc, ty = spec.encode_dataset(ex, mc), np.asarray(ey, np.int64)
        try:
            trained = train_epoch(spec, run.model, run.opt, run.sched, train_enc, ty, cfg, epoch, on_step=on_step)
        except Diverged as e:
            raise Diverged(f"{e}: stopping; {_last_good(run)}. Try a lower --lr.") from None
        end_of_epoch(run, epoch, trained, len(ty), val_enc)
    return finish(run)


def finished_metrics(cfg, out):
    """The metrics.json of a finished run of exactly this config in `out` whose checkpoints are gone, else None."""
    path = os.path.join(out, "metrics.json")
    if os.path.exists(os.path.join(out, "last.npz")) or not os.path.isfile(path):
        return None  # a checkpoint is there: restore() resumes (and checks) it as usual
    try:
        with open(path) as f:
            doc = json.load(f)
    except (OSError, ValueError):
        return None
    if not (isinstance(doc, dict) and doc.get("finished") and doc.get("config") == cfg):
        return None
    return doc


def finish(run):
    """Test the best-validation weights (and the last ones, if they differ), write metrics.json and plots."""
    spec, model, state, mc = run.spec, run.model, run.state, run.cfg["model_config"]
    test_x, test_y = run.data["test"]
    pred, test_loss, _ = run_batches(spec, model, test_x, mc, y=test_y)
    test_last = {k: v for k, v in metrics.summarize(pred, test_y).items() if k != "per_sum"}
    if state.best_epoch != state.epoch and os.path.exists(run.best_path):
        _, model = checkpoints.rebuild(checkpoints.load(run.best_path), run.best_path)
        pred, test_loss, _ = run_batches(spec, model, test_x, mc, y=test_y)
    test = {**metrics.summarize(pred, test_y), "loss": test_loss, "epoch": state.best_epoch}
    doc = metrics_doc(run, finished=True, test=test, test_last=test_last)
    write_json(os.path.join(run.out, "metrics.json"), doc)
    _plot(plots.plot_curves, state.history, os.path.join(run.out, "curves.png"))
    _plot(plots.plot_confusion, metrics.confusion(pred, test_y), os.path.join(run.out, "confusion.png"))
    print(f"test accuracy: {100 * test['accuracy']:.2f}% (MAE {test['mae']:.3f}, n={test['n']}, best-val epoch "
          f"{state.best_epoch}); last epoch: {100 * test_last['accuracy']:.2f}%  -> {run.out}")
    return doc


def metrics_doc(run, finished, test=None, test_last=None):
    """metrics.json: the run's config, data sizes, history and (when finished) test metrics."""
    cfg, data, state = run.cfg, run.data, run.state
    secs = state.train_seconds
    return {"model": cfg["model"], "seed": cfg["seed"], "config": cfg, "data": data["folder"],
            "n_train": len(data["train"][0]), "n_val": len(data["val"][0]), "n_test": len(data["test"][0]),
            "history": state.history, "best_epoch": state.best_epoch, "test": test, "test_last": test_last,
            "train_seconds": secs, "images_per_s": state.train_images / secs if secs else None,
            "wall_seconds": time.time() - state.started, "finished": finished,
            "minigrad_version": minigrad.__version__}


def _last_good(run):
    if run.state.epoch == 0:
        return "no epoch completed, so no checkpoint was written"
    return f"the last good checkpoint is {run.last_path} (epoch {run.state.epoch})"


def _plot(fn, *args):
    try:
        fn(*args)
    except Exception as e:  # a broken plot must not lose a finished training run
        print(f"warning: could not draw {args[-1]}: {e}", file=sys.stderr)
