"""Crafted optimizer/scheduler states are refused by load_state_dict with one ValueError, before any
change, instead of failing later inside step()."""
import copy

import numpy as np
import pytest

import minigrad as mg
from minigrad import optim


def adam_with_state():
    p = [mg.Tensor(np.ones((2, 3), np.float32), requires_grad=True), mg.Tensor(np.ones(3, np.float32), requires_grad=True)]
    opt = optim.Adam(p, lr=0.1)
    for q in p:
        q.grad = np.full(q.data.shape, 0.5, np.float32)
    opt.step()
    return p, opt


def mutate(sd, path, value):
    sd = copy.deepcopy(sd)
    node = sd
    for k in path[:-1]:
        node = node[k]
    node[path[-1]] = value
    return sd


@pytest.mark.parametrize("path, value, message", [
    (("state", "0", "exp_avg"), np.ones((3, 2), np.float32), "expected numbers of shape \\(2, 3\\)"),
    (("state", "0", "exp_avg"), "abc", "is a str, expected a number or an array"),
    (("state", "0"), [1, 2], "expected a dict, got list"),
    (("state", "7"), {"step": 1}, "state for parameter '7', but there are 2"),
    (("state", "x"), {"step": 1}, "state for parameter 'x'"),
    (("param_groups", 0, "lr"), "fast", "'lr' is a str, expected a number"),
    (("param_groups", 0, "betas"), [0.9], "'betas' must be a list of 2 numbers"),
    (("param_groups", 0, "lr"), {"a": 1}, "'lr' is a dict"),
    (("param_groups", 0, "params"), "0", "parameter groups"),
    (("param_groups",), {"a": 1}, "'param_groups' is a dict, expected a list"),
])
def test_crafted_optimizer_state_is_refused_and_nothing_changes(path, value, message):
    p, opt = adam_with_state()
    fresh = optim.Adam(p, lr=0.5)
    bad = mutate(opt.state_dict(), path, value)
    with pytest.raises(ValueError, match=message):
        fresh.load_state_dict(bad)
    assert fresh.state == {} and fresh.param_groups[0]["lr"] == 0.5


def test_unknown_scalar_hyperparameters_load_but_not_containers():
    p, opt = adam_with_state()
    sd = opt.state_dict()
    optim.Adam(p).load_state_dict(mutate(sd, ("param_groups", 0, "initial_lr"), 0.1))   # set by a scheduler
    with pytest.raises(ValueError, match="unexpected entry 'extra'"):
        optim.Adam(p).load_state_dict(mutate(sd, ("param_groups", 0, "extra"), [1, 2]))


def test_crafted_scheduler_state_is_refused():
    p, opt = adam_with_state()
    sched = optim.CosineAnnealingLR(opt, T_max=10)
    sd = sched.state_dict()
    for bad, message in ((mutate(sd, ("optimizer",), 5), "unexpected entry 'optimizer'"),
                         (mutate(sd, ("last_epoch",), "3"), "'last_epoch' is a str"),
                         (mutate(sd, ("base_lrs",), [0.1, 0.2]), "'base_lrs' must be a list of 1 numbers"),
                         ([1], "expected a dict, got list")):
        with pytest.raises(ValueError, match=message):
            optim.CosineAnnealingLR(opt, T_max=10).load_state_dict(bad)
    again = optim.CosineAnnealingLR(opt, T_max=10)
    again.load_state_dict(mutate(sd, ("last_epoch",), 4))
    assert again.last_epoch == 4
