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


def _set_mode(flag):
    _state.enabled = bool(flag)


class _GradMode(ContextDecorator):
    """Shared body of no_grad / enable_grad: usable as a context manager or a decorator."""

    mode = True

    def __enter__(self):
        self._prev = is_grad_enabled()
        _set_mode(self.mode)
        return self

    def __exit__(self, *exc):
        _set_mode(self._prev)
        return False


class no_grad(_GradMode):
    """Tensors made inside record no graph (inference, optimizer updates)."""

    mode = False


inference_mode = no_grad


class enable_grad(_GradMode):
    mode = True


class set_grad_enabled(_GradMode):
    """As torch: set_grad_enabled(False) switches grad mode at once, and `with set_grad_enabled(flag):`
    restores the previous mode on exit."""

    def __init__(self, mode):
        self._prev, self.mode = is_grad_enabled(), bool(mode)
        _set_mode(self.mode)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        _set_mode(self._prev)
        return False


class Context:
    """What forward leaves for backward (`ctx` in a Function), and the node's place in the graph.

    `edges` holds, per positional forward argument, where its gradient goes: the Context that made it
    (a non-leaf), the Tensor itself (a leaf that requires grad) or None. Edges point at Contexts rather
    than Tensors, so an in-place op that gives a Tensor a new history leaves earlier graphs intact.
    """

    def __init__(self, fn, parents, needs_input_grad, recording):
        self.fn = fn
        self.parents = parents                  # one Tensor or None per positional forward arg
        self.needs_input_grad = needs_input_grad
        self.recording = recording
        self.edges = ()
        self.saved_tensors = ()
        self.saved_versions = ()
        self.released = False

    def save_for_backward(self, *arrays):
        """Keep arrays for backward. Those that are an input's own data are remembered with that input's
        version, so backward can refuse them once an in-place op has changed them (torch's rule)."""
        self.saved_tensors = arrays
        if self.recording:
            saved = []
            for p in self.parents:
                if p is not None:
                    data = p.data
                    for a in arrays:
                        if a is data:
                            saved.append((p, (p if p._base is None else p._base)._vcount))
                            break
            self.saved_versions = tuple(saved)

    def release(self):
        """Drop everything forward saved (the big arrays) but keep the graph's shape."""
        keep = {k: self.__dict__[k] for k in ("fn", "parents", "needs_input_grad", "edges")}
        retained = self.__dict__.get("retained")
        self.__dict__.clear()
        self.__dict__.update(keep)
        if retained is not None:
            self.retained = retained
        self.saved_tensors = self.saved_versions = ()
        self.released = True


class Function:
    """Base class for differentiable ops, used exactly like torch.autograd.Function.

    forward(ctx, *args, **kwargs) receives each Tensor argument as its ndarray and returns an ndarray;
    backward(ctx, grad) returns one ndarray-or-None per positional forward argument. Arrays passed to
    ctx.save_for_backward that are inputs (or the output) are version-checked at backward time.
    A Function whose output may be a view of its first input sets `is_view = True` and gives `view(a, *args,
    **kwargs)` (the same view of any array): the output shares that input's version counter, and an in-place
    change through the view also rebases the base's history (ops.ViewScatter).
    """

    is_view = False

    @staticmethod
    def forward(ctx, *args, **kwargs):
        raise NotImplementedError

    @staticmethod
    def backward(ctx, grad):
        raise NotImplementedError

    @classmethod
    def apply(cls, *args, **kwargs):
        from .tensor import Tensor

        arrays, needs, parents = [], [], []
        for a in args:
            if isinstance(a, Tensor):
                if a._view_chain and a._base_ctx is not a._base._ctx:
                    _refresh_view(a)
                arrays.append(a.data)
                needs.append(a.requires_grad)
                parents.append(a)
            else:
                arrays.append(a)
                needs.append(False)
                parents.append(None)
        needs, parents = tuple(needs), tuple(parents)
        track = True in needs and is_grad_enabled()
        ctx = Context(cls, parents, needs, track)
        prof = _profiler.current
        try:
            out = cls.forward(ctx, *arrays, **kwargs) if prof is None else prof.forward(cls, ctx, arrays, kwargs)
        except ValueError as e:
            if "broadcast" not in str(e):
                raise
            shapes = " and ".join(str(list(a.shape)) for a in arrays if isinstance(a, np.ndarray))
            raise RuntimeError(f"{cls.__name__}: the shapes {shapes} cannot be broadcast together") from None
        if not isinstance(out, np.ndarray):
            out = np.asarray(out)
        result = Tensor._wrap(out)
        if cls.is_view and parents[0] is not None and np.may_share_memory(out, arrays[0]):
            base = parents[0]
            result._base = base if base._base is None else base._base
            # how to redo this view from the base (None below a detach(): no history to rebase)
            chain = () if base._base is None else base._view_chain
            result._view_chain = None if chain is None else chain + ((cls, arrays[1:], kwargs),)
            result._base_ctx = result._base._ctx
        if track:
            ctx.edges = tuple((a if a._ctx is None else a._ctx) if need else None for a, need in zip(args, needs))
            for saved in ctx.saved_tensors:
                if saved is out:
                    ctx.saved_versions += ((result, (result if result._base is None else result._base)._vcount),)
                    break
            result.requires_grad = True
            result._ctx = ctx
        return result


def _refresh_view(view):
    """A view whose base got a new history (an in-place change through another view) is replayed from the
    base, so its gradient follows the base's current history (torch regenerates views the same way)."""
    t = view._base
    if is_grad_enabled():
        for cls, args, kwargs in view._view_chain:
            t = cls.apply(t, *args, **kwargs)
        view._ctx, view.requires_grad = t._ctx, t.requires_grad
    view._base_ctx = view._base._ctx


def _check_versions(ctx):
    for t, version in ctx.saved_versions:
        if t._version != version:
            kind = t.dtype.name
            raise RuntimeError(
                f"one of the variables needed for gradient computation has been modified by an inplace "
                f"operation: [{kind} tensor of shape {list(t.shape)}], saved by {ctx.fn.__name__}, is at "
                f"version {t._version}; expected version {version} instead. Hint: the in-place change "
                f"happened between the forward pass and backward(); use an out-of-place op or clone() first.")


def _topological_order(root):
    """Graph nodes (Contexts and leaf Tensors) reachable from root, inputs before outputs (iterative DFS)."""
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
        if isinstance(node, Context):
            for edge in node.edges:
                if edge is not None and id(edge) not in visited:
                    stack.append((edge, False))
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


def _accumulate(t, g):
    """Add g to a Tensor's .grad (a new Tensor the first time, in place afterwards, as torch does)."""
    from .tensor import Tensor

    if t._grad is None:
        t._grad = Tensor._wrap(np.array(g, dtype=t.dtype, copy=True))
    else:
        t._grad.data += g


def run_backward(root, grad, retain_graph=False, capture=None):
    """Backpropagate grad from root. With `capture` (a dict id(graph node) -> None) the gradients reaching
    those nodes are stored there instead, and no .grad is touched (autograd.grad)."""
    start = root if root._ctx is None else root._ctx
    order = _topological_order(start)
    grads = {id(start): grad}
    for node in reversed(order):
        g = grads.pop(id(node), None)
        if capture is not None and id(node) in capture:
            capture[id(node)] = g
        if not isinstance(node, Context):        # a leaf: accumulate into .grad
            if g is not None and node.requires_grad and capture is None:
                _accumulate(node, g)
            continue
        if g is None:
            continue
        ctx = node
        if ctx.released:
            raise RuntimeError(
                "Trying to backward through the graph a second time: its saved arrays were freed. "
                "Pass retain_graph=True to the first backward() if you need this.")
        if ctx.saved_versions:
            _check_versions(ctx)
        retained = getattr(ctx, "retained", None)
        if retained is not None and capture is None:
            _accumulate(retained, g)
        prof = _profiler.current
        in_grads = ctx.fn.backward(ctx, g) if prof is None else prof.backward(ctx, g)
        if not isinstance(in_grads, tuple):
            in_grads = (in_grads,)
        if len(in_grads) < len(ctx.parents):
            in_grads = in_grads + (None,) * (len(ctx.parents) - len(in_grads))
        for parent, edge, pg in zip(ctx.parents, ctx.edges, in_grads):
            if edge is None or pg is None:
                continue
            pg = _as_grad(pg, parent.data, ctx.fn.__name__)
            key = id(edge)
            if key in grads:
                grads[key] = grads[key] + pg     # never in place: pg may alias another op's array
            else:
                grads[key] = pg
        if not retain_graph:
            ctx.release()


def grad(outputs, inputs, grad_outputs=None, retain_graph=None, create_graph=False, allow_unused=None,
         materialize_grads=False):
    """torch.autograd.grad: the gradients of outputs with respect to inputs, returned, not accumulated."""
    from .tensor import Tensor

    if create_graph:
        raise NotImplementedError("autograd.grad(create_graph=True): minigrad has no higher-order gradients")
    outputs = [outputs] if isinstance(outputs, Tensor) else list(outputs)
    single = isinstance(inputs, Tensor)
    inputs = [inputs] if single else list(inputs)
    if grad_outputs is None or isinstance(grad_outputs, Tensor):
        grad_outputs = [grad_outputs] * len(outputs)
    nodes = [t if t._ctx is None else t._ctx for t in inputs]
    total = {}
    for out, g in zip(outputs, grad_outputs):
        if not out.requires_grad:
            raise RuntimeError("element 0 of tensors does not require grad and does not have a grad_fn")
        if g is None:
            if out.data.size != 1:
                raise RuntimeError("grad can be implicitly created only for scalar outputs")
            g = np.ones(out.shape, dtype=out.dtype)
        capture = {id(n): None for n in nodes}
        run_backward(out, np.asarray(getattr(g, "data", g), dtype=out.dtype), bool(retain_graph), capture)
        for k, v in capture.items():
            if v is not None:
                total[k] = v if total.get(k) is None else total[k] + v
    result = []
    for t, n in zip(inputs, nodes):
        v = total.get(id(n))
        if v is None and not (allow_unused or materialize_grads):
            raise RuntimeError("One of the differentiated Tensors appears to not have been used in the graph. "
                               "Set allow_unused=True if this is the desired behavior.")
        if v is None:
            result.append(Tensor._wrap(np.zeros(t.shape, t.dtype)) if materialize_grads else None)
        else:
            result.append(Tensor._wrap(np.array(v, dtype=t.dtype)))
    return tuple(result)


def backward(tensors, grad_tensors=None, retain_graph=None):
    """torch.autograd.backward: backward() from each tensor, accumulating into the leaves' .grad."""
    from .tensor import Tensor

    tensors = [tensors] if isinstance(tensors, Tensor) else list(tensors)
    if grad_tensors is None or isinstance(grad_tensors, Tensor):
        grad_tensors = [grad_tensors] * len(tensors)
    for i, (t, g) in enumerate(zip(tensors, grad_tensors)):
        t.backward(g, retain_graph=retain_graph if retain_graph is not None else i < len(tensors) - 1)
