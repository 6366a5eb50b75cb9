"""Losses: cross-entropy, negative log-likelihood, mean squared error."""
import numpy as np

from .. import kernels as K
from ..autograd import Function
from ..tensor import Tensor
from ._util import as_tensor, like


def _class_targets(target, logits, name):
    t = target.data if isinstance(target, Tensor) else np.asarray(target)
    n, c = logits.shape
    if t.shape != (n,):
        raise ValueError(f"{name}: target shape {t.shape} does not match input shape {logits.shape} (expected ({n},))")
    if not np.issubdtype(t.dtype, np.integer):
        if not np.all(t == np.round(t)):
            raise ValueError(f"{name}: targets must be integer class indices")
    t = t.astype(np.int64, copy=False)
    if n and (t.min() < 0 or t.max() >= c):
        raise ValueError(f"{name}: target classes must be in [0, {c}), got range [{t.min()}, {t.max()}]")
    return t


class CrossEntropyFn(Function):
    @staticmethod
    def forward(ctx, logits, target):
        loss, ctx.saved = K.cross_entropy_forward(logits, target)
        return loss

    @staticmethod
    def backward(ctx, g):
        return K.cross_entropy_backward(g, ctx.saved), None


def cross_entropy(logits, target):
    """Mean cross-entropy of logits (N, C) against integer classes (N,) (ndarray or Tensor)."""
    logits = as_tensor(logits)
    if logits.ndim != 2:
        raise ValueError(f"cross_entropy expects logits of shape (N, C), got {logits.shape}")
    return CrossEntropyFn.apply(logits, _class_targets(target, logits, "cross_entropy"))


class NLLLossFn(Function):
    @staticmethod
    def forward(ctx, logp, target):
        ctx.shape, ctx.target = logp.shape, target
        return np.asarray(-logp[np.arange(len(target)), target].mean(), dtype=logp.dtype)

    @staticmethod
    def backward(ctx, g):
        out = np.zeros(ctx.shape, dtype=g.dtype)
        n = len(ctx.target)
        out[np.arange(n), ctx.target] = -g / n
        return out, None


def nll_loss(logp, target):
    """Mean negative log-likelihood of log-probabilities (N, C) at integer classes (N,)."""
    logp = as_tensor(logp)
    if logp.ndim != 2:
        raise ValueError(f"nll_loss expects log-probabilities of shape (N, C), got {logp.shape}")
    return NLLLossFn.apply(logp, _class_targets(target, logp, "nll_loss"))


class MSELossFn(Function):
    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return K.mse_forward(a, b)

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved_tensors
        ga, gb = K.mse_backward(g, a, b)
        return (ga if ctx.needs_input_grad[0] else None), (gb if ctx.needs_input_grad[1] else None)


def mse_loss(input, target):
    """Mean squared error. Shapes must match exactly: PyTorch would broadcast (N, 1) against (N,) into an
    (N, N) loss with only a warning, a classic silent bug, so here it is an error."""
    input = as_tensor(input)
    target = like(target, input)
    if input.shape != target.shape:
        raise ValueError(f"mse_loss: input shape {input.shape} and target shape {target.shape} differ; "
                         f"reshape one of them (no broadcasting in losses)")
    if target.dtype != input.dtype:
        target = target.astype(input.dtype)
    return MSELossFn.apply(input, target)
