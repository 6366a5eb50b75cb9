"""MultiheadAttention with torch's parameters (in_proj_weight, in_proj_bias, out_proj), masks and outputs."""
import math

import numpy as np

from .. import functional as F
from .. import init
from ..tensor import Tensor
from .layers import Linear
from .module import Module, Parameter


def _mask_array(mask):
    return mask.data if isinstance(mask, Tensor) else np.asarray(mask)


class MultiheadAttention(Module):
    """Attention over num_heads heads of embed_dim // num_heads; inputs (L, N, E), or (N, L, E) with
    batch_first, or unbatched (L, E). A bool attn_mask or key_padding_mask marks positions NOT to attend to
    (torch's convention for this layer); a float mask is added to the scores."""

    def __init__(self, embed_dim, num_heads, dropout=0.0, bias=True, add_bias_kv=False, add_zero_attn=False,
                 kdim=None, vdim=None, batch_first=False):
        super().__init__()
        if embed_dim % num_heads:
            raise ValueError(f"MultiheadAttention: embed_dim {embed_dim} must be divisible by num_heads {num_heads}")
        if add_bias_kv or add_zero_attn or (kdim not in (None, embed_dim)) or (vdim not in (None, embed_dim)):
            raise NotImplementedError("MultiheadAttention: add_bias_kv, add_zero_attn and kdim/vdim != embed_dim "
                                      "are not supported")
        self.embed_dim, self.num_heads, self.dropout, self.batch_first = embed_dim, num_heads, dropout, batch_first
        self.head_dim = embed_dim // num_heads
        self.in_proj_weight = Parameter(np.empty((3 * embed_dim, embed_dim), np.float32))
        self.register_parameter("in_proj_bias", Parameter(np.zeros(3 * embed_dim, np.float32)) if bias else None)
        self.out_proj = Linear(embed_dim, embed_dim, bias=bias)
        init.xavier_uniform_(self.in_proj_weight)
        if bias:
            init.zeros_(self.out_proj.bias)

    def forward(self, query, key, value, key_padding_mask=None, need_weights=True, attn_mask=None,
                average_attn_weights=True, is_causal=False):
        unbatched = query.ndim == 2
        if unbatched:
            query, key, value = query.unsqueeze(1), key.unsqueeze(1), value.unsqueeze(1)
            key_padding_mask = None if key_padding_mask is None else _mask_array(key_padding_mask)[None]
        elif self.batch_first:
            query, key, value = query.transpose(0, 1), key.transpose(0, 1), value.transpose(0, 1)
        L, N, E = query.shape
        S = key.shape[0]
        if E != self.embed_dim or key.shape[2] != E or value.shape[2] != E or value.shape[0] != S:
            raise ValueError(f"MultiheadAttention({self.embed_dim}): got query {tuple(query.shape)}, key "
                             f"{tuple(key.shape)}, value {tuple(value.shape)} (sequence, batch, embedding)")
        w, b = self.in_proj_weight, self.in_proj_bias
        proj = [F.linear(x, w[i * E:(i + 1) * E], None if b is None else b[i * E:(i + 1) * E])
                for i, x in enumerate((query, key, value))]
        H, D = self.num_heads, self.head_dim
        q, k, v = (p.reshape(p.shape[0], N * H, D).transpose(0, 1) for p in proj)      # (N*H, len, D)
        scores = (q @ k.transpose(1, 2)) * (1.0 / math.sqrt(D))                        # (N*H, L, S)
        if is_causal and attn_mask is None:
            attn_mask = np.triu(np.ones((L, S), dtype=np.bool_), 1)
        scores = self._masked(scores, attn_mask, key_padding_mask, N, L, S)
        attn = F.softmax(scores, dim=-1)
        if self.training and self.dropout > 0:
            attn = F.dropout(attn, self.dropout)
        out = (attn @ v).transpose(0, 1).reshape(L, N, E)
        out = self.out_proj(out)
        weights = None
        if need_weights:
            weights = attn.reshape(N, H, L, S)
            weights = weights.mean(1) if average_attn_weights else weights
            weights = weights.squeeze(0) if unbatched else weights
        if unbatched:
            return out.squeeze(1), weights
        return (out.transpose(0, 1) if self.batch_first else out), weights

    def _masked(self, scores, attn_mask, key_padding_mask, N, L, S):
        H = self.num_heads
        if attn_mask is not None:
            m = _mask_array(attn_mask)
            if m.shape not in ((L, S), (N * H, L, S)):
                raise ValueError(f"MultiheadAttention: attn_mask of shape {m.shape}, expected {(L, S)} or "
                                 f"{(N * H, L, S)}")
            if m.dtype == np.bool_:
                scores = scores.masked_fill(Tensor._wrap(np.broadcast_to(m, scores.shape)), float("-inf"))
            else:
                scores = scores + Tensor._wrap(m.astype(scores.dtype))
        if key_padding_mask is not None:
            m = _mask_array(key_padding_mask)
            if m.shape != (N, S):
                raise ValueError(f"MultiheadAttention: key_padding_mask of shape {m.shape}, expected {(N, S)}")
            full = np.broadcast_to(m[:, None, None, :], (N, H, L, S)).reshape(N * H, L, S)
            if m.dtype == np.bool_:
                scores = scores.masked_fill(Tensor._wrap(full), float("-inf"))
            else:
                scores = scores + Tensor._wrap(full.astype(scores.dtype))
        return scores

    def extra_repr(self):
        return ""
