"""The autograd engine: grad mode, torch-style custom Functions, and the backward pass.

A Function's output Tensor keeps a `_ctx` (a Context) that records the Function class, the input
Tensors and whatever forward saved. `backward` walks that graph in reverse topological order with
an explicit stack (no recursion, so 100k-op chains work) and frees every saved array as soon as it
has been used, unless retain_graph=True.
"""
import threading
from contextlib import ContextDecorator

import numpy as np

from .profiler import state as _profiler

_state = threading.local()


def is_grad_enabled():
    return getattr(_state, "enabled", True)


def set_grad_enabled(flag):
    _state.enabled = bool(flag)


class _GradMode(ContextDecorator):
    """Shared body of no_grad / enable_grad: usable as a context manager or a decorator."""

    mode = True

    def __enter__(self):
        self._prev = is_grad_enabled()
        set_grad_enabled(self.mode)
        return self

    def __exit__(self, *exc):
        set_grad_enabled(self._prev)
        return False


class no_grad(_GradMode):
    """Tensors made inside record no graph (inference, optimizer updates)."""

    mode = False


class enable_grad(_GradMode):
    mode = True


class Context:
    """What forward leaves for backward (`ctx` in a Function)."""

    def __init__(self, fn, parents, needs_input_grad):
        self.fn = fn
        self.parents = parents                  # one Tensor or None per positional forward arg
        self.needs_input_grad = needs_input_grad
        self.saved_tensors = ()
        self.released = False

    def save_for_backward(self, *arrays):
        self.saved_tensors = arrays

    def release(self):
        """Drop everything forward saved (the big arrays) but keep the graph's shape."""
        keep = {k: self.__dict__[k] for k in ("fn", "parents", "needs_input_grad")}
        self.__dict__.clear()
        self.__dict__.update(keep)
        self.saved_tensors = ()
        self.released = True


class Function:
    """Base class for differentiable ops, used exactly like torch.autograd.Function.

    forward(ctx, *args, **kwargs) receives each Tensor argument as its ndarray and returns an ndarray;
    backward(ctx, grad) returns one ndarray-or-None per positional forward argument.
    """

    @staticmethod
    def forward(ctx, *args, **kwargs):
        raise NotImplementedError

    @staticmethod
    def backward(ctx, grad):
        raise NotImplementedError

    @classmethod
    def apply(cls, *args, **kwargs):
        from .tensor import Tensor

        arrays = tuple(a.data if isinstance(a, Tensor) else a for a in args)
        needs = tuple(isinstance(a, Tensor) and a.requires_grad for a in args)
        track = is_grad_enabled() and any(needs)
        parents = tuple(a if isinstance(a, Tensor) else None for a in args)
        ctx = Context(cls, parents, needs)
        prof = _profiler.current
        out = cls.forward(ctx, *arrays, **kwargs) if prof is None else prof.forward(cls, ctx, arrays, kwargs)
        if not isinstance(out, np.ndarray):
            out = np.asarray(out)
        result = Tensor._wrap(out)
        if track:
            result.requires_grad = True
            result._ctx = ctx
        return result


def _topological_order(root):
    """Tensors reachable from root through grad-requiring edges, parents before children (iterative DFS)."""
    order, visited = [], set()
    stack = [(root, False)]
    while stack:
        node, expanded = stack.pop()
        if expanded:
            order.append(node)
            continue
        if id(node) in visited:
            continue
        visited.add(id(node))
        stack.append((node, True))
        ctx = node._ctx
        if ctx is not None:
            for parent, need in zip(ctx.parents, ctx.needs_input_grad):
                if need and id(parent) not in visited:
                    stack.append((parent, False))
    return order


def _as_grad(g, like, fn_name):
    """Check a backward result against its input's shape and cast it to the input's dtype."""
    g = np.asarray(g)
    if g.shape != like.shape:
        raise RuntimeError(
            f"{fn_name}.backward returned a gradient of shape {g.shape} for an input of shape {like.shape}")
    if g.dtype != like.dtype:
        g = g.astype(like.dtype)
    return g


def run_backward(root, grad, retain_graph=False):
    order = _topological_order(root)
    grads = {id(root): grad}
    for node in reversed(order):
        g = grads.pop(id(node), None)
        ctx = node._ctx
        if ctx is None:                          # a leaf: accumulate into .grad
            if g is not None and node.requires_grad:
                if node.grad is None:
                    node.grad = np.array(g, dtype=node.dtype, copy=True)
                else:
                    node.grad += g
            continue
        if g is None:
            continue
        if ctx.released:
            raise RuntimeError(
                "Trying to backward through the graph a second time: its saved arrays were freed. "
                "Pass retain_graph=True to the first backward() if you need this.")
        prof = _profiler.current
        in_grads = ctx.fn.backward(ctx, g) if prof is None else prof.backward(ctx, g)
        if not isinstance(in_grads, tuple):
            in_grads = (in_grads,)
        if len(in_grads) < len(ctx.parents):
            in_grads = in_grads + (None,) * (len(ctx.parents) - len(in_grads))
        for parent, need, pg in zip(ctx.parents, ctx.needs_input_grad, in_grads):
            if not need or pg is None:
                continue
            pg = _as_grad(pg, parent.data, ctx.fn.__name__)
            key = id(parent)
            if key in grads:
                grads[key] = grads[key] + pg     # never in place: pg may alias another op's array
            else:
                grads[key] = pg
        if not retain_graph:
            ctx.release()
