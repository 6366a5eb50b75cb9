"""scaled_dot_product_attention, composed from differentiable tensor ops (matmul, masked_fill, softmax)."""
import math

import numpy as np

from ..tensor import Tensor
from ._util import ShapeError, array_of, as_tensor, like
from .dropout import dropout
from .softmax import softmax


def scaled_dot_product_attention(query, key, value, attn_mask=None, dropout_p=0.0, is_causal=False, scale=None,
                                 enable_gqa=False):
    """softmax(q @ k^T * scale + mask) @ v over (..., L, E) queries, (..., S, E) keys and (..., S, Ev) values.
    A bool mask keeps the True positions; a float mask is added to the scores. dropout_p applies always, as in
    torch's functional form. enable_gqa repeats each key/value head for its group of query heads."""
    q, k, v = as_tensor(query), as_tensor(key), as_tensor(value)
    if q.ndim < 2 or k.ndim < 2 or v.ndim < 2 or q.shape[-1] != k.shape[-1] or k.shape[-2] != v.shape[-2]:
        raise ShapeError(f"scaled_dot_product_attention: expected query (..., L, E), key (..., S, E) and value "
                         f"(..., S, Ev), got {tuple(q.shape)}, {tuple(k.shape)} and {tuple(v.shape)}")
    if enable_gqa and q.ndim >= 3 and k.shape[-3] != q.shape[-3]:
        hq, hk = q.shape[-3], k.shape[-3]
        if hk == 0 or hq % hk or v.shape[-3] != hk:
            raise ShapeError(f"scaled_dot_product_attention: number of heads in key and value ({hk}, "
                             f"{v.shape[-3]}) must divide the number of heads in query ({hq})")
        k, v = k.repeat_interleave(hq // hk, dim=-3), v.repeat_interleave(hq // hk, dim=-3)
    L, S = q.shape[-2], k.shape[-2]
    scale = 1.0 / math.sqrt(q.shape[-1]) if scale is None else scale
    scores = (q @ k.transpose(-2, -1)) * scale
    if is_causal:
        if attn_mask is not None:
            raise ShapeError("scaled_dot_product_attention: _scaled_dot_product_attention: explicit attn_mask "
                             "should not be set when is_causal=True")
        attn_mask = Tensor._wrap(np.tril(np.ones((L, S), dtype=np.bool_)))
    if attn_mask is not None:
        mask = array_of(attn_mask)
        if mask.dtype == np.bool_:
            scores = scores.masked_fill(Tensor._wrap(~mask), float("-inf"))
        else:
            scores = scores + like(attn_mask, scores)
    attn = softmax(scores, dim=-1)
    if dropout_p > 0.0:
        attn = dropout(attn, dropout_p)
    return attn @ v
