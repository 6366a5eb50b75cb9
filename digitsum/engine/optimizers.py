"""The optimiser and learning-rate schedule a training config names (see digitsum.models.spec.DEFAULT_TRAINING)."""
from minigrad import optim

from digitsum.cli import UserError


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
