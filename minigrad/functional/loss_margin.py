"""Margin, embedding and likelihood losses, composed from differentiable tensor ops with torch's formulas:
margin_ranking_loss, hinge_embedding_loss, cosine_embedding_loss, triplet_margin_loss (and pairwise_distance),
multilabel_soft_margin_loss, multi_margin_loss, poisson_nll_loss, gaussian_nll_loss."""
import math

import numpy as np

from .. import functions as mgf
from ..autograd import no_grad
from ..tensor import Tensor
from ._reduction import check_reduction
from ._util import as_tensor, like
from .activation import logsigmoid


def _reduce(loss, reduction, name):
    check_reduction(reduction, name)
    return loss if reduction == "none" else loss.sum() if reduction == "sum" else loss.mean()


def _where(cond, a, b):
    return mgf.where(cond, a, b)


def margin_ranking_loss(input1, input2, target, margin=0.0, size_average=None, reduce=None, reduction="mean"):
    x1 = as_tensor(input1)
    x2, y = like(input2, x1), like(target, x1)
    return _reduce((-y * (x1 - x2) + margin).clamp(min=0), reduction, "margin_ranking_loss")


def hinge_embedding_loss(input, target, margin=1.0, size_average=None, reduce=None, reduction="mean"):
    x = as_tensor(input)
    y = like(target, x)
    zero = x * 0
    loss = _where(y != 1, (margin - x).clamp(min=0), zero) + _where(y != -1, x, zero)
    return _reduce(loss, reduction, "hinge_embedding_loss")


def cosine_embedding_loss(input1, input2, target, margin=0.0, size_average=None, reduce=None, reduction="mean"):
    x1 = as_tensor(input1)
    x2, y = like(input2, x1), like(target, x1)
    eps = 1e-12
    cos = (x1 * x2).sum(-1) / (((x1 * x1).sum(-1) + eps) * ((x2 * x2).sum(-1) + eps)).sqrt()
    zero = cos * 0
    loss = _where(y == 1, 1 - cos, zero) + _where(y == -1, (cos - margin).clamp(min=0), zero)
    return _reduce(loss, reduction, "cosine_embedding_loss")


def pairwise_distance(x1, x2, p=2.0, eps=1e-6, keepdim=False):
    """||x1 - x2 + eps||_p over the last dim."""
    a = as_tensor(x1)
    return (a - like(x2, a) + eps).norm(p=p, dim=-1, keepdim=keepdim)


def triplet_margin_loss(anchor, positive, negative, margin=1.0, p=2, eps=1e-6, swap=False, size_average=None,
                        reduce=None, reduction="mean"):
    a = as_tensor(anchor)
    pos, neg = like(positive, a), like(negative, a)
    d_pos, d_neg = pairwise_distance(a, pos, p, eps), pairwise_distance(a, neg, p, eps)
    if swap:
        d_neg = mgf.minimum(d_neg, pairwise_distance(pos, neg, p, eps))
    return _reduce((margin + d_pos - d_neg).clamp(min=0), reduction, "triplet_margin_loss")


def multilabel_soft_margin_loss(input, target, weight=None, size_average=None, reduce=None, reduction="mean"):
    x = as_tensor(input)
    y = like(target, x)
    loss = -(y * logsigmoid(x) + (1 - y) * logsigmoid(-x))
    if weight is not None:
        loss = loss * like(weight, x)
    return _reduce(loss.sum(-1) / x.shape[-1], reduction, "multilabel_soft_margin_loss")


def poisson_nll_loss(input, target, log_input=True, full=False, size_average=None, eps=1e-8, reduce=None,
                     reduction="mean"):
    x = as_tensor(input)
    y = like(target, x)
    loss = x.exp() - y * x if log_input else x - y * (x + eps).log()
    if full:
        t = y.data
        stirling = np.where(t > 1, t * np.log(np.where(t > 1, t, 1)) - t + 0.5 * np.log(2 * math.pi * np.where(
            t > 1, t, 1)), 0).astype(x.dtype)
        loss = loss + like(stirling, x)
    return _reduce(loss, reduction, "poisson_nll_loss")


def gaussian_nll_loss(input, target, var, full=False, eps=1e-6, reduction="mean"):
    """0.5 * (log(var) + (input - target)^2 / var); var is clamped to eps without stopping its gradient, as
    torch does. var may lack the last dim or have size 1 there (one variance per sample)."""
    x = as_tensor(input)
    y, v = like(target, x), like(var, x)
    if v.shape != x.shape:
        if v.shape == x.shape[:-1] or (v.ndim == x.ndim and v.shape[-1] == 1 and v.shape[:-1] == x.shape[:-1]):
            v = v.unsqueeze(-1) if v.shape == x.shape[:-1] else v
        else:
            raise ValueError(f"gaussian_nll_loss: var of shape {tuple(v.shape)} does not fit input "
                             f"{tuple(x.shape)}")
    if np.any(v.data < 0):
        raise ValueError("gaussian_nll_loss: var has negative entry/entries")
    v = v.clone()
    with no_grad():
        v.clamp_(min=eps)
    loss = 0.5 * (v.log() + (x - y) ** 2 / v)
    if full:
        loss = loss + 0.5 * math.log(2 * math.pi)
    return _reduce(loss, reduction, "gaussian_nll_loss")


def multi_margin_loss(input, target, p=1, margin=1.0, weight=None, size_average=None, reduce=None,
                      reduction="mean"):
    """Per sample, sum over the wrong classes j of max(0, margin - x[y] + x[j])^p (times weight[y]) over C."""
    x = as_tensor(input)
    if p not in (1, 2):
        raise ValueError("multi_margin_loss: only p == 1 and p == 2 supported")
    t = np.asarray(target.data if hasattr(target, "data") else target)
    if x.ndim not in (1, 2) or t.shape != x.shape[:-1] or t.dtype.kind not in "iu":
        raise ValueError(f"multi_margin_loss: expected input (N, C) or (C,) and integer target (N,) or (), got "
                         f"{tuple(x.shape)} and {t.shape} {t.dtype}")
    c = x.shape[-1]
    if t.size and (t.min() < 0 or t.max() >= c):
        raise IndexError(f"multi_margin_loss: target out of range [0, {c}) for input {tuple(x.shape)}")
    idx = t[..., None].astype(np.int64)
    wrong = np.ones(x.shape, dtype=x.dtype)
    np.put_along_axis(wrong, idx, 0, axis=-1)
    picked = x.gather(-1, Tensor._wrap(idx))
    loss = (margin - picked + x).clamp(min=0)
    loss = (loss if p == 1 else loss * loss) * like(wrong, x)
    if weight is not None:
        w = np.asarray(weight.data if hasattr(weight, "data") else weight)[idx].astype(x.dtype)
        loss = loss * like(w, x)
    return _reduce(loss.sum(-1) / c, reduction, "multi_margin_loss")
