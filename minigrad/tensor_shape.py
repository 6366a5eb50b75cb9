"""Shape and indexing methods with torch's semantics: reshape/view, permute, transpose(d0, d1), .T/.mT,
squeeze/unsqueeze, flatten/unflatten, expand, flip, repeat, chunk/split, indexing, gather/scatter,
index_select, masked_fill."""
import numpy as np

from . import ops


def _sizes(args):
    """f(2, 3) and f((2, 3)) both mean the sizes (2, 3)."""
    if len(args) == 1 and isinstance(args[0], (tuple, list)):
        return tuple(args[0])
    return tuple(args)


class ShapeMixin:
    def reshape(self, *shape):
        shape = tuple(int(s) for s in _sizes(shape))
        if shape.count(-1) > 1:
            raise RuntimeError("reshape: only one dimension can be inferred")
        known = int(np.prod([s for s in shape if s != -1]))
        if (-1 in shape and (known == 0 or self.numel() % known)) or (-1 not in shape and known != self.numel()):
            raise RuntimeError(f"shape '{list(shape)}' is invalid for input of size {self.numel()}")
        return ops.Reshape.apply(self, shape)

    view = reshape

    def view_as(self, other):
        return self.reshape(other.shape)

    reshape_as = view_as

    def contiguous(self):
        return self

    def flatten(self, start_dim=0, end_dim=-1):
        if self.ndim == 0:
            return self.reshape(1)
        s, e = self._dim(start_dim, "flatten"), self._dim(end_dim, "flatten")
        if s > e:
            raise RuntimeError("flatten() has invalid args: start_dim cannot come after end_dim")
        shape = self.shape[:s] + (int(np.prod(self.shape[s:e + 1])),) + self.shape[e + 1:]
        return self.reshape(shape)

    def unflatten(self, dim, sizes):
        d = self._dim(dim, "unflatten")
        sizes = tuple(sizes)
        if -1 in sizes:
            known = int(np.prod([s for s in sizes if s != -1]))
            sizes = tuple(self.shape[d] // known if s == -1 else s for s in sizes)
        return self.reshape(self.shape[:d] + sizes + self.shape[d + 1:])

    def permute(self, *dims):
        dims = _sizes(dims)
        if len(dims) != self.ndim:
            raise RuntimeError(f"permute(sparse_coo): number of dimensions in the tensor input does not match the "
                               f"length of the desired ordering of dimensions i.e. input.dim() = {self.ndim} is "
                               f"not equal to len(dims) = {len(dims)}")
        dims = tuple(self._dim(d, "permute") for d in dims)
        if len(set(dims)) != len(dims):
            raise RuntimeError(f"permute(): duplicate dims are not allowed: {dims}")
        return ops.Transpose.apply(self, dims)

    def transpose(self, *dims):
        """transpose(d0, d1) swaps two dims (torch). Kept for minigrad's numpy habits: no argument reverses
        every dim, and a full permutation of three or more dims is numpy's transpose(axes)."""
        dims = _sizes(dims)
        if not dims:
            return self.permute(tuple(reversed(range(self.ndim))))
        if len(dims) != 2:
            return self.permute(dims)
        if self.ndim == 0:
            self._dim(dims[0], "transpose"), self._dim(dims[1], "transpose")
            return self
        perm = list(range(self.ndim))
        i, j = self._dim(dims[0], "transpose"), self._dim(dims[1], "transpose")
        perm[i], perm[j] = perm[j], perm[i]
        return self.permute(perm)

    swapaxes = swapdims = transpose

    def t(self):
        if self.ndim > 2:
            raise RuntimeError(f"t() expects a tensor with <= 2 dimensions, but self is {self.ndim}D")
        return self.transpose(0, 1) if self.ndim == 2 else self

    @property
    def T(self):
        return self.permute(tuple(reversed(range(self.ndim))))

    @property
    def mT(self):
        if self.ndim < 2:
            raise RuntimeError(f"tensor.mT is only supported on matrices or batches of matrices. Got {self.ndim}-D")
        return self.transpose(-2, -1)

    def movedim(self, source, destination):
        src = [self._dim(int(d), "movedim") for d in np.atleast_1d(source)]
        dst = [self._dim(int(d), "movedim") for d in np.atleast_1d(destination)]
        if len(src) != len(dst):
            raise RuntimeError(f"movedim: Invalid source or destination dims: source ({src}) and destination "
                               f"({dst}) must have the same number of elements")
        if self.ndim == 0:
            return self
        perm = [None] * self.ndim
        for s, d in zip(src, dst):
            perm[d] = s
        rest = iter(d for d in range(self.ndim) if d not in src)
        return self.permute([next(rest) if p is None else p for p in perm])

    moveaxis = movedim

    def unsqueeze(self, dim):
        n = self.ndim + 1
        if not -n <= dim < n:
            raise IndexError(f"unsqueeze: Dimension out of range (expected to be in range of [{-n}, {n - 1}], "
                             f"but got {dim})")
        d = dim % n
        return self.reshape(self.shape[:d] + (1,) + self.shape[d:])

    def squeeze(self, dim=None, *, axis=None):
        dim = dim if axis is None else axis
        if dim is None:
            return self.reshape(tuple(n for n in self.shape if n != 1))
        dims = {self._dim(d, "squeeze") for d in (dim if isinstance(dim, (tuple, list)) else (dim,))}
        if self.ndim == 0:
            return self
        return self.reshape(tuple(n for i, n in enumerate(self.shape) if not (i in dims and n == 1)))

    def expand(self, *sizes):
        sizes = _sizes(sizes)
        if len(sizes) < self.ndim:
            raise RuntimeError(f"expand: the number of sizes provided ({len(sizes)}) must be greater or equal to "
                               f"the number of dimensions in the tensor ({self.ndim})")
        own = (None,) * (len(sizes) - self.ndim) + self.shape
        shape = tuple(o if s == -1 else s for s, o in zip(sizes, own))
        for s, o in zip(shape, own):
            if s is None or (o is not None and o != 1 and o != s):
                raise RuntimeError(f"expand: the expanded size of the tensor ({s}) must match the existing size "
                                   f"({o}) at a non-singleton dimension; target sizes {list(sizes)}, tensor "
                                   f"shape {list(self.shape)}")
        return self if shape == self.shape else ops.Expand.apply(self, shape)

    def expand_as(self, other):
        return self.expand(other.shape)

    broadcast_to = expand

    def flip(self, *dims):
        dims = tuple(self._dim(d, "flip") for d in _sizes(dims))
        return self.clone() if self.ndim == 0 else ops.Flip.apply(self, dims)

    def fliplr(self):
        return self.flip(1)

    def flipud(self):
        return self.flip(0)

    def repeat(self, *sizes):
        sizes = _sizes(sizes)
        if len(sizes) < self.ndim:
            raise RuntimeError("repeat: number of dimensions of repeat dims can not be smaller than number of "
                               "dimensions of tensor")
        return ops.Repeat.apply(self, tuple(int(s) for s in sizes))

    def repeat_interleave(self, repeats, dim=None):
        x = self.flatten() if dim is None else self
        d = 0 if dim is None else x._dim(dim, "repeat_interleave")
        reps = ops.as_index(repeats)
        return x.index_select(d, np.repeat(np.arange(x.shape[d]), reps))

    def tile(self, *dims):
        dims = _sizes(dims)
        return self.repeat((1,) * (self.ndim - len(dims)) + tuple(dims))

    def roll(self, shifts, dims=None):
        from .creation import cat
        if dims is None:
            return self.flatten().roll(shifts, 0).reshape(self.shape)
        out = self
        for s, d in zip(np.atleast_1d(shifts), np.atleast_1d(dims)):
            d = self._dim(int(d), "roll")
            n = self.shape[d]
            s = int(s) % n if n else 0
            if s:
                out = cat([out.narrow(d, n - s, s), out.narrow(d, 0, n - s)], d)
        return out

    def unfold(self, dimension, size, step):
        """Every window of `size` elements along `dimension`, `step` apart, as a new last dim (torch.unfold)."""
        d = self._dim(dimension, "unfold")
        n = self.shape[d] if self.ndim else 1
        if size < 0 or size > n:
            raise RuntimeError(f"unfold: maximum size for tensor at dimension {d} is {n} but size is {size}")
        if step <= 0:
            raise RuntimeError(f"unfold: step is {step} but must be > 0")
        x = self if self.ndim else self.reshape(1)
        windows = (n - size) // step + 1
        index = (np.arange(windows)[:, None] * step + np.arange(size)).reshape(-1)
        out = x.index_select(d, index).reshape(x.shape[:d] + (windows, size) + x.shape[d + 1:])
        out = out.movedim(d + 1, -1)
        return out if self.ndim else out.reshape(size)

    def diagonal(self, offset=0, dim1=0, dim2=1):
        d1, d2 = self._dim(dim1, "diagonal"), self._dim(dim2, "diagonal")
        if d1 == d2:
            raise RuntimeError(f"diagonal dimensions cannot be identical {dim1}, {dim2}")
        x = self.movedim((d1, d2), (-2, -1))
        rows, cols = x.shape[-2:]
        n = max(0, min(rows - max(-offset, 0), cols - max(offset, 0)))
        i = np.arange(n)
        return x[..., i + max(-offset, 0), i + max(offset, 0)]

    def diag(self, diagonal=0):
        """A 1-D tensor becomes a square matrix with it on the given diagonal; a 2-D matrix gives its diagonal."""
        from .tensor import Tensor
        if self.ndim == 2:
            return self.diagonal(diagonal)
        if self.ndim != 1:
            raise RuntimeError(f"diag(): Supports 1D or 2D tensors. Got {self.ndim}D")
        n, k = self.shape[0], abs(diagonal)
        i = np.arange(n)
        index = (i + max(-diagonal, 0), i + max(diagonal, 0))
        return ops.SetItem.apply(Tensor._wrap(np.zeros((n + k, n + k), self.dtype)), self, index=index)

    # ------------------------------------------------------------ splitting
    def narrow(self, dim, start, length):
        d = self._dim(dim, "narrow")
        return self[(slice(None),) * d + (slice(start, start + length),)]

    def split(self, split_size_or_sections, dim=0):
        d = self._dim(dim, "split")
        n = self.shape[d]
        if isinstance(split_size_or_sections, int):
            step = split_size_or_sections
            sizes = [min(step, n - i) for i in range(0, n, step)] if n else [0]
        else:
            sizes = list(split_size_or_sections)
            if sum(sizes) != n:
                raise RuntimeError(f"split_with_sizes expects split_sizes to sum exactly to {n} (input tensor's "
                                   f"size at dimension {d}), but got split_sizes={sizes}")
        starts = np.cumsum([0] + sizes[:-1])
        return tuple(self.narrow(d, int(s), int(k)) for s, k in zip(starts, sizes))

    def chunk(self, chunks, dim=0):
        n = self.shape[self._dim(dim, "chunk")]
        return self.split(max(-(-n // chunks), 1), dim)

    def unbind(self, dim=0):
        if self.ndim == 0:
            raise IndexError(f"Dimension specified as {dim} but tensor has no dimensions")
        d = self._dim(dim, "unbind")
        return tuple(self[(slice(None),) * d + (i,)] for i in range(self.shape[d]))

    # ------------------------------------------------------------ indexing
    def __getitem__(self, index):
        index = ops.as_index(index)
        items = index if isinstance(index, tuple) else (index,)
        for i in items:
            if isinstance(i, np.ndarray) and i.dtype.kind == "f":
                raise IndexError("tensors used as indices must be long, int, byte or bool tensors")
        try:
            return ops.GetItem.apply(self, index)
        except IndexError as e:
            raise IndexError(f"index {index} is out of bounds for a tensor of shape {list(self.shape)}: {e}") from None

    def gather(self, dim, index):
        index = ops.as_index(index)
        if index.dtype.kind not in "iu":
            raise RuntimeError(f"gather(): Expected dtype int64 for index, got {index.dtype}")
        if index.ndim != self.ndim:
            raise RuntimeError("Index tensor must have the same number of dimensions as input tensor")
        if self.ndim == 0:
            return self.reshape(1).gather(dim, index.reshape(1)).reshape(())
        return ops.Gather.apply(self, self._dim(dim, "gather"), index)

    def _scatter(self, dim, index, src, add, op):
        from .tensor import Tensor
        index = ops.as_index(index)
        if not isinstance(src, Tensor):
            src = Tensor._wrap(np.full(index.shape, src, dtype=self.dtype))
        return ops.Scatter.apply(self, src._as(self.dtype), self._dim(dim, op), index, add=add)

    def scatter(self, dim, index, src=None, value=None, reduce=None):
        src = value if src is None else src
        return self._scatter(dim, index, src, reduce == "add", "scatter")

    def scatter_add(self, dim, index, src):
        return self._scatter(dim, index, src, True, "scatter_add")

    def scatter_(self, dim, index, src=None, value=None, reduce=None):
        return self._inplace("scatter_", lambda s: s.scatter(dim, index, src, value, reduce), src)

    def scatter_add_(self, dim, index, src):
        return self._inplace("scatter_add_", lambda s: s.scatter_add(dim, index, src), src)

    def index_select(self, dim, index):
        index = ops.as_index(index)
        if index.ndim > 1 or index.dtype.kind not in "iu":
            raise IndexError("index_select(): Index is supposed to be a vector of int64")
        return self[(slice(None),) * self._dim(dim, "index_select") + (index,)]

    def _along(self, dim, index, shape, op):
        """An index array of `shape` holding index[i] at position i of `dim` (for index_add/index_copy)."""
        d = self._dim(dim, op)
        index = ops.as_index(index)
        if index.ndim > 1 or index.dtype.kind not in "iu":
            raise IndexError(f"{op}(): Index is supposed to be a vector of int64")
        view = [1] * len(shape)
        view[d] = -1
        return d, np.broadcast_to(index.reshape(view), shape)

    def index_add(self, dim, index, source, alpha=1):
        d, full = self._along(dim, index, source.shape, "index_add")
        return self._scatter(d, full, source if alpha == 1 else source * alpha, True, "index_add")

    def index_copy(self, dim, index, source):
        d, full = self._along(dim, index, source.shape, "index_copy")
        return self._scatter(d, full, source, False, "index_copy")

    def index_fill(self, dim, index, value):
        d = self._dim(dim, "index_fill")
        mask = np.zeros(self.shape[d] if self.ndim else 1, dtype=bool)
        mask[ops.as_index(index)] = True
        return self.masked_fill(mask.reshape((-1,) + (1,) * (self.ndim - d - 1)) if self.ndim else mask[0], value)

    def index_add_(self, dim, index, source, alpha=1):
        return self._inplace("index_add_", lambda s: s.index_add(dim, index, source, alpha), source)

    def index_copy_(self, dim, index, source):
        return self._inplace("index_copy_", lambda s: s.index_copy(dim, index, source), source)

    def index_fill_(self, dim, index, value):
        return self._inplace("index_fill_", lambda s: s.index_fill(dim, index, value), value)

    def masked_fill(self, mask, value):
        from .tensor import Tensor
        mask = ops.as_index(mask)
        if mask.dtype != np.bool_:
            raise RuntimeError(f"masked_fill only supports boolean masks, but got mask with dtype {mask.dtype}")
        if not isinstance(value, Tensor):
            value = Tensor._wrap(np.asarray(value, dtype=self.dtype))
        return ops.Where.apply(mask, value._as(self.dtype), self)

    def masked_select(self, mask):
        mask = ops.as_index(mask)
        shape = np.broadcast_shapes(self.shape, mask.shape)
        return self.expand(shape)[np.broadcast_to(mask, shape)]

    def nonzero(self, as_tuple=False):
        from .tensor import Tensor
        idx = np.nonzero(np.atleast_1d(self.data))
        if as_tuple:
            return tuple(Tensor._wrap(i.astype(np.int64)) for i in idx)
        if self.ndim == 0:
            return Tensor._wrap(np.zeros((len(idx[0]), 0), np.int64))
        return Tensor._wrap(np.stack(idx, axis=1).astype(np.int64))

    def tril(self, diagonal=0):
        keep = np.tri(*self.shape[-2:], k=diagonal, dtype=bool)
        return self.masked_fill(~keep, 0)

    def triu(self, diagonal=0):
        keep = ~np.tri(*self.shape[-2:], k=diagonal - 1, dtype=bool)
        return self.masked_fill(~keep, 0)
