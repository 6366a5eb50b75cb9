"""Shape ops: reshape, transpose, indexing, cat, stack, expand, flip, repeat, gather and scatter."""
import numpy as np

from ..autograd import Function
from .broadcast import unbroadcast


def as_index(index):
    """A torch-style index as numpy wants it: Tensors become their arrays, lists become integer arrays."""
    from ..tensor import Tensor

    if isinstance(index, Tensor):
        return index.data
    if isinstance(index, list):
        return np.asarray([i.data if isinstance(i, Tensor) else i for i in index])
    if isinstance(index, tuple):
        return tuple(as_index(i) if isinstance(i, (Tensor, list)) else i for i in index)
    return index


class Reshape(Function):
    is_view = True
    view = staticmethod(lambda a, shape: a.reshape(shape))

    @staticmethod
    def forward(ctx, a, shape):
        ctx.shape = a.shape
        return a.reshape(shape)

    @staticmethod
    def backward(ctx, g):
        return g.reshape(ctx.shape)


class Transpose(Function):
    is_view = True
    view = staticmethod(lambda a, axes: a.transpose(axes))

    @staticmethod
    def forward(ctx, a, axes):
        ctx.inverse = tuple(np.argsort(axes))
        return a.transpose(axes)

    @staticmethod
    def backward(ctx, g):
        return g.transpose(ctx.inverse)


def _is_basic_index(idx):
    """True for slices/ints/None/Ellipsis only: those never repeat an element, so backward can assign."""
    items = idx if isinstance(idx, tuple) else (idx,)
    return all(isinstance(i, (slice, int, np.integer, type(None), type(Ellipsis))) for i in items)


class GetItem(Function):
    is_view = True
    view = staticmethod(lambda a, index: a[index])

    @staticmethod
    def forward(ctx, a, index):
        ctx.shape, ctx.index = a.shape, index
        return np.asarray(a[index])

    @staticmethod
    def backward(ctx, g):
        out = np.zeros(ctx.shape, dtype=g.dtype)
        if _is_basic_index(ctx.index):
            out[ctx.index] = g
        else:
            np.add.at(out, ctx.index, g)          # repeated integer indices accumulate
        return out


class Cat(Function):
    @staticmethod
    def forward(ctx, *arrays, axis=0):
        ctx.axis = axis
        ctx.splits = np.cumsum([a.shape[axis] for a in arrays])[:-1]
        return np.concatenate(arrays, axis=axis)

    @staticmethod
    def backward(ctx, g):
        return tuple(np.split(g, ctx.splits, axis=ctx.axis))


class Stack(Function):
    @staticmethod
    def forward(ctx, *arrays, axis=0):
        ctx.axis = axis
        return np.stack(arrays, axis=axis)

    @staticmethod
    def backward(ctx, g):
        return tuple(np.moveaxis(g, ctx.axis, 0))


class SetItem(Function):
    """out = a with out[index] = v (what x[index] = v computes when a graph is recorded)."""

    @staticmethod
    def forward(ctx, a, v, index=None):
        ctx.index, ctx.v_shape = index, v.shape
        out = a.copy()
        out[index] = v
        return out

    @staticmethod
    def backward(ctx, g):
        ga = g.copy()
        ga[ctx.index] = 0
        gv = np.asarray(g[ctx.index])
        return ga, unbroadcast(gv, ctx.v_shape) if gv.shape != ctx.v_shape else gv


class Expand(Function):
    is_view = True
    view = staticmethod(lambda a, shape: np.broadcast_to(a, shape))

    @staticmethod
    def forward(ctx, a, shape):
        ctx.shape = a.shape
        return np.broadcast_to(a, shape)

    @staticmethod
    def backward(ctx, g):
        return unbroadcast(g, ctx.shape)


class Flip(Function):
    @staticmethod
    def forward(ctx, a, dims):
        ctx.dims = dims
        return np.flip(a, dims).copy()

    @staticmethod
    def backward(ctx, g):
        return np.flip(g, ctx.dims)


class Repeat(Function):
    """torch's repeat: tile the tensor `reps` times along each dim (leading dims may be added)."""

    @staticmethod
    def forward(ctx, a, reps):
        ctx.shape = a.shape
        return np.tile(a.reshape((1,) * (len(reps) - a.ndim) + a.shape), reps)

    @staticmethod
    def backward(ctx, g):
        reps = g.ndim - len(ctx.shape)
        base = (1,) * reps + ctx.shape
        split = []
        for n, r in zip(base, (gs // n if n else 1 for gs, n in zip(g.shape, base))):
            split += [r, n]
        return g.reshape(split).sum(axis=tuple(range(0, 2 * len(base), 2))).reshape(ctx.shape)


class Gather(Function):
    @staticmethod
    def forward(ctx, a, dim, index):
        ctx.shape, ctx.dim, ctx.index = a.shape, dim, index
        return np.take_along_axis(a, index, axis=dim)

    @staticmethod
    def backward(ctx, g):
        out = np.zeros(ctx.shape, dtype=g.dtype)
        idx = np.indices(ctx.index.shape, sparse=True)
        full = tuple(ctx.index if d == ctx.dim else idx[d] for d in range(len(ctx.shape)))
        np.add.at(out, full, g)
        return out


class Scatter(Function):
    """out = a with out[index along dim] = src (torch.scatter; add=True accumulates like scatter_add).
    src has a's rank and at least index's size in every dim; only its leading index.shape block is used."""

    @staticmethod
    def forward(ctx, a, src, dim, index, add=False):
        idx = np.indices(index.shape, sparse=True)
        ctx.full = tuple(index if d == dim else idx[d] for d in range(a.ndim))
        ctx.region = tuple(slice(0, n) for n in index.shape)
        ctx.add, ctx.src_shape = add, src.shape
        out = a.copy()
        if add:
            np.add.at(out, ctx.full, src[ctx.region])
        else:
            out[ctx.full] = src[ctx.region]
        return out

    @staticmethod
    def backward(ctx, g):
        ga = g.copy()
        if not ctx.add:
            ga[ctx.full] = 0
        gs = np.zeros(ctx.src_shape, dtype=g.dtype)
        gs[ctx.region] = g[ctx.full]
        return ga, gs


def through_views(array, chain):
    """Apply a view chain (the (view Function, args, kwargs) steps that made a view from its base) to an array."""
    for cls, args, kwargs in chain:
        array = cls.view(array, *args, **kwargs)
    return array


class ViewScatter(Function):
    """A base tensor after an in-place change made through one of its views (torch's CopySlices). Its array
    already holds the new values; the gradient of the region the view sees goes to the view's new value and
    the rest to the base's old history."""

    @staticmethod
    def forward(ctx, base, view_value, chain=()):
        ctx.chain = chain
        return base

    @staticmethod
    def backward(ctx, g):
        g_base = g.copy()
        through_views(g_base, ctx.chain)[...] = 0
        return g_base, np.array(through_views(g, ctx.chain))
