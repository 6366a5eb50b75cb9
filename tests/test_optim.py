"""Optimizers and schedulers against torch 2.13.0's update rules, plus state_dict round trips."""
import math

import numpy as np
import pytest
import torch

import minigrad as mg
from minigrad import nn, optim


def _pair(rng, shapes=((3, 4), (5,))):
    """The same parameters in minigrad and torch (float32)."""
    arrays = [rng.standard_normal(s).astype(np.float32) for s in shapes]
    return [mg.Tensor(a.copy(), requires_grad=True) for a in arrays], \
           [torch.tensor(a.copy(), requires_grad=True) for a in arrays]


def _run(ours, theirs, mp, tp, rng, steps=5):
    for _ in range(steps):
        grads = [rng.standard_normal(p.shape).astype(np.float32) for p in mp]
        for p, g in zip(mp, grads):
            p.grad = g.copy()
        for p, g in zip(tp, grads):
            p.grad = torch.tensor(g)
        ours.step()
        theirs.step()
    for p, q in zip(mp, tp):
        assert p.dtype == np.float32
        np.testing.assert_allclose(p.data, q.detach().numpy(), atol=1e-6, rtol=1e-5)


SGD_CASES = [dict(), dict(momentum=0.9), dict(momentum=0.9, dampening=0.3), dict(momentum=0.9, nesterov=True),
             dict(weight_decay=0.1), dict(momentum=0.5, weight_decay=0.01, nesterov=True)]


@pytest.mark.parametrize("kw", SGD_CASES)
def test_sgd_matches_torch(rng, kw):
    mp, tp = _pair(rng)
    _run(optim.SGD(mp, lr=0.05, **kw), torch.optim.SGD(tp, lr=0.05, **kw), mp, tp, rng)


ADAM_CASES = [dict(), dict(betas=(0.8, 0.99), eps=1e-6), dict(weight_decay=0.1), dict(amsgrad=True),
              dict(lr=0.1, weight_decay=0.05, amsgrad=True)]


@pytest.mark.parametrize("kw", ADAM_CASES)
@pytest.mark.parametrize("cls", ["Adam", "AdamW"])
def test_adam_family_matches_torch(rng, cls, kw):
    mp, tp = _pair(rng)
    _run(getattr(optim, cls)(mp, **kw), getattr(torch.optim, cls)(tp, **kw), mp, tp, rng)


def test_defaults_match_torch():
    p = [mg.Tensor(np.zeros(1, np.float32), requires_grad=True)]
    tp = [torch.zeros(1, requires_grad=True)]
    for name in ("Adam", "AdamW"):
        ours, theirs = getattr(optim, name)(p).defaults, getattr(torch.optim, name)(tp).defaults
        for k in ("lr", "betas", "eps", "weight_decay", "amsgrad"):
            assert tuple(np.atleast_1d(ours[k])) == tuple(np.atleast_1d(theirs[k])), (name, k)
    assert optim.AdamW(p).defaults["weight_decay"] == 1e-2


def test_params_without_grad_are_skipped_and_get_no_state(rng):
    a = mg.Tensor(np.ones(3, np.float32), requires_grad=True)
    b = mg.Tensor(np.ones(3, np.float32), requires_grad=True)
    opt = optim.Adam([a, b], lr=0.1, weight_decay=0.1)
    a.grad = np.ones(3, np.float32)
    opt.step()
    assert np.all(b.data == 1) and id(b) not in opt.state and id(a) in opt.state
    assert list(opt.state_dict()["state"]) == ["0"]


def test_zero_grad():
    p = mg.Tensor(np.ones(2, np.float32), requires_grad=True)
    p.grad = np.ones(2, np.float32)
    opt = optim.SGD([p], lr=1.0)
    opt.zero_grad(set_to_none=False)
    assert not p.grad.any()
    opt.zero_grad()
    assert p.grad is None


def test_param_groups(rng):
    mp, tp = _pair(rng)
    ours = optim.SGD([{"params": [mp[0]], "lr": 0.5}, {"params": [mp[1]]}], lr=0.01, momentum=0.9)
    theirs = torch.optim.SGD([{"params": [tp[0]], "lr": 0.5}, {"params": [tp[1]]}], lr=0.01, momentum=0.9)
    _run(ours, theirs, mp, tp, rng)


@pytest.mark.parametrize("make", [lambda p: optim.Adam(p, lr=0.01, amsgrad=True),
                                  lambda p: optim.AdamW(p, lr=0.01),
                                  lambda p: optim.SGD(p, lr=0.1, momentum=0.9, nesterov=True)])
def test_restored_optimizer_takes_the_same_next_step(rng, make, tmp_path):
    mg.manual_seed(0)
    net = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2))
    opt = make(net.parameters())
    x = mg.Tensor(rng.standard_normal((6, 3)).astype(np.float32))
    y = rng.integers(0, 2, 6)

    def step(model, optimizer):
        optimizer.zero_grad()
        mg.functional.cross_entropy(model(x), y).backward()
        optimizer.step()

    for _ in range(3):
        step(net, opt)
    mg.save({"model": net.state_dict(), "optim": opt.state_dict()}, tmp_path / "ck.npz")
    ck = mg.load(tmp_path / "ck.npz")

    net2 = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2))
    net2.load_state_dict(ck["model"])
    opt2 = make(net2.parameters())
    opt2.load_state_dict(ck["optim"])
    step(net, opt)
    step(net2, opt2)
    for a, b in zip(net.parameters(), net2.parameters()):
        np.testing.assert_array_equal(a.data, b.data)


def test_load_state_dict_rejects_other_shapes():
    a = optim.SGD([mg.Tensor(np.ones(2), requires_grad=True)], lr=1.0)
    b = optim.SGD([mg.Tensor(np.ones(2), requires_grad=True)] * 2, lr=1.0)
    with pytest.raises(ValueError, match="parameter groups"):
        a.load_state_dict(b.state_dict())


def test_hyperparameters_restored():
    p = [mg.Tensor(np.ones(2, np.float32), requires_grad=True)]
    a = optim.Adam(p, lr=0.5, betas=(0.7, 0.8))
    b = optim.Adam(p)
    b.load_state_dict(a.state_dict())
    assert b.param_groups[0]["lr"] == 0.5 and b.param_groups[0]["betas"] == (0.7, 0.8)


def _lrs(sched, opt, n):
    out = []
    for _ in range(n):
        out.append(opt.param_groups[0]["lr"])
        opt.step()
        sched.step()
    return out


@pytest.mark.parametrize("name,kw", [("StepLR", dict(step_size=3, gamma=0.5)),
                                     ("CosineAnnealingLR", dict(T_max=7, eta_min=0.01))])
def test_schedulers_match_torch(name, kw):
    p = mg.Tensor(np.zeros(1, np.float32), requires_grad=True)
    tp = torch.zeros(1, requires_grad=True)
    ours_opt, their_opt = optim.SGD([p], lr=0.1), torch.optim.SGD([tp], lr=0.1)
    ours = _lrs(getattr(optim, name)(ours_opt, **kw), ours_opt, 12)
    theirs = _lrs(getattr(torch.optim.lr_scheduler, name)(their_opt, **kw), their_opt, 12)
    np.testing.assert_allclose(ours, theirs, rtol=1e-9, atol=1e-12)


def test_warmup_cosine():
    p = mg.Tensor(np.zeros(1, np.float32), requires_grad=True)
    opt = optim.SGD([p], lr=1.0)
    sched = optim.WarmupCosineLR(opt, warmup_steps=4, total_steps=12, eta_min=0.1)
    lrs = _lrs(sched, opt, 14)
    np.testing.assert_allclose(lrs[:4], [0.25, 0.5, 0.75, 1.0])
    np.testing.assert_allclose(lrs[8], 0.1 + 0.9 * (1 + math.cos(math.pi * 0.5)) / 2)
    assert all(a >= b for a, b in zip(lrs[3:], lrs[4:]))        # monotone after warm-up
    np.testing.assert_allclose(lrs[12:], [0.1, 0.1])
    assert sched.get_last_lr() == [opt.param_groups[0]["lr"]]
    with pytest.raises(ValueError):
        optim.WarmupCosineLR(opt, warmup_steps=5, total_steps=3)


def test_scheduler_state_dict_round_trip():
    p = mg.Tensor(np.zeros(1, np.float32), requires_grad=True)
    opt = optim.SGD([p], lr=1.0)
    s = optim.CosineAnnealingLR(opt, T_max=10)
    for _ in range(4):
        s.step()
    opt2 = optim.SGD([p], lr=1.0)
    s2 = optim.CosineAnnealingLR(opt2, T_max=10)
    s2.load_state_dict(s.state_dict())
    assert opt2.param_groups[0]["lr"] == opt.param_groups[0]["lr"]
    s.step(), s2.step()
    assert s.get_last_lr() == s2.get_last_lr()


@pytest.mark.parametrize("max_norm,norm_type", [(1.0, 2.0), (100.0, 2.0), (0.5, math.inf), (2.0, 1.0)])
def test_clip_grad_norm_matches_torch(rng, max_norm, norm_type):
    mp, tp = _pair(rng)
    for p, q in zip(mp, tp):
        g = rng.standard_normal(p.shape).astype(np.float32)
        p.grad, q.grad = g.copy(), torch.tensor(g)
    n_ours = optim.clip_grad_norm_(mp, max_norm, norm_type)
    n_theirs = torch.nn.utils.clip_grad_norm_(tp, max_norm, norm_type)
    assert abs(n_ours - n_theirs.item()) < 1e-4 * max(1.0, n_ours)
    for p, q in zip(mp, tp):
        np.testing.assert_allclose(p.grad, q.grad.numpy(), rtol=1e-5, atol=1e-7)
        assert p.grad.dtype == np.float32
