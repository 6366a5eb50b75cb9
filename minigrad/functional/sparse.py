"""Lookups by integer index: embedding and one_hot."""
import numpy as np

from ..autograd import Function, no_grad
from ..tensor import Tensor
from ._util import array_of, as_tensor


def _indices(name, idx, what="indices"):
    a = array_of(idx)
    if not np.issubdtype(a.dtype, np.integer) or a.dtype == np.bool_:
        raise TypeError(f"{name}: expected {what} of an integer dtype (int64 or int32), got {a.dtype}")
    return a


class EmbeddingFn(Function):
    @staticmethod
    def forward(ctx, weight, idx, padding_idx):
        ctx.shape, ctx.idx, ctx.padding_idx = weight.shape, idx, padding_idx
        return weight[idx]

    @staticmethod
    def backward(ctx, g):
        gw = np.zeros(ctx.shape, dtype=g.dtype)
        np.add.at(gw, ctx.idx.reshape(-1), g.reshape(-1, ctx.shape[1]))
        if ctx.padding_idx is not None:
            gw[ctx.padding_idx] = 0
        return gw, None, None


def embedding(input, weight, padding_idx=None, max_norm=None, norm_type=2.0, scale_grad_by_freq=False,
              sparse=False):
    """Rows of weight (num_embeddings, dim) at integer indices of any shape -> (*input.shape, dim). The row at
    padding_idx gets no gradient. With max_norm, looked-up rows longer than max_norm are rescaled in place."""
    idx = _indices("embedding", input)
    weight = as_tensor(weight)
    if weight.ndim != 2:
        raise ValueError(f"embedding: weight must be 2-D (num_embeddings, embedding_dim), got shape {weight.shape}")
    n = weight.shape[0]
    if idx.size and (idx.min() < 0 or idx.max() >= n):
        raise IndexError(f"embedding: index out of range in self (indices must be in [0, {n}), "
                         f"got range [{idx.min()}, {idx.max()}])")
    if scale_grad_by_freq or sparse:
        raise NotImplementedError("embedding: scale_grad_by_freq and sparse gradients are not supported")
    if padding_idx is not None:
        if not -n <= padding_idx < n:
            raise ValueError(f"embedding: padding_idx {padding_idx} must be within num_embeddings {n}")
        padding_idx %= n
    if max_norm is not None:
        with no_grad():
            rows = np.unique(idx)
            norms = np.linalg.norm(weight.data[rows], ord=norm_type, axis=1, keepdims=True)
            scale = np.where(norms > max_norm, max_norm / (norms + 1e-7), 1.0)
            weight.data[rows] = (weight.data[rows] * scale).astype(weight.dtype)
    return EmbeddingFn.apply(weight, idx, padding_idx)


def one_hot(tensor, num_classes=-1):
    """int64 one-hot encoding with a new last dim of num_classes (default: max + 1)."""
    idx = _indices("one_hot", tensor, "class values")
    if idx.size and idx.min() < 0:
        raise ValueError("one_hot: Class values must be non-negative.")
    if num_classes == -1:
        if not idx.size:
            raise ValueError("one_hot: can not infer total number of classes from an empty tensor.")
        num_classes = int(idx.max()) + 1
    elif idx.size and idx.max() >= num_classes:
        raise ValueError(f"one_hot: Class values must be smaller than num_classes ({num_classes}), "
                         f"got {int(idx.max())}.")
    out = np.zeros(idx.shape + (int(num_classes),), dtype=np.int64)
    np.put_along_axis(out, idx[..., None].astype(np.int64), 1, axis=-1)
    return Tensor._wrap(out)
