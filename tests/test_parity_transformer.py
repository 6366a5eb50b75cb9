"""Transformer layers against torch 2.13.0 with torch's weights (state_dict keys must match): outputs, input
gradients and every parameter gradient, float32 and float64, with dropout 0 so both are deterministic."""
import numpy as np
import pytest
import torch

import minigrad as mg
from minigrad import nn
from layer_helper import compare_param_grads, twin_layers
from op_helper import compare

torch.set_num_threads(1)


def _parity(make, shapes, call_kw=None, seed=0):
    rng = np.random.default_rng(seed)
    call_kw = call_kw or {}
    for dtype in (np.float32, np.float64):
        tl, ml = twin_layers(lambda: make(torch.nn), lambda: make(nn), dtype, seed)
        vals = [rng.standard_normal(s).astype(dtype) for s in shapes]
        ts = [torch.tensor(v, requires_grad=True) for v in vals]
        ms = [mg.tensor(v, requires_grad=True) for v in vals]
        tkw = {k: torch.tensor(v) if isinstance(v, np.ndarray) else v for k, v in call_kw.items()}
        out_t, out_m = tl(*ts, **tkw), ml(*ms, **call_kw)
        name = type(ml).__name__
        compare(f"{name} output", out_m, out_t, dtype)
        g = rng.standard_normal(tuple(out_t.shape)).astype(dtype)
        (out_t * torch.tensor(g)).sum().backward()
        (out_m * mg.tensor(g)).sum().backward()
        for i, (m, t) in enumerate(zip(ms, ts)):
            compare(f"{name} input {i} grad", m.grad, t.grad, dtype)
        compare_param_grads(tl, ml, dtype)


CAUSAL = np.triu(np.ones((5, 5), bool), 1)


@pytest.mark.parametrize("kw,call_kw", [(dict(), {}), (dict(norm_first=True, activation="gelu"), {}),
                                        (dict(batch_first=True), dict(src_mask=CAUSAL))])
def test_encoder_layer(kw, call_kw):
    shape = (2, 5, 8) if kw.get("batch_first") else (5, 2, 8)
    _parity(lambda m: m.TransformerEncoderLayer(8, 2, dim_feedforward=16, dropout=0.0, **kw), [shape], call_kw)


@pytest.mark.parametrize("kw", [dict(), dict(norm_first=True)])
def test_decoder_layer(kw):
    _parity(lambda m: m.TransformerDecoderLayer(8, 2, dim_feedforward=12, dropout=0.0, **kw), [(5, 2, 8), (4, 2, 8)],
            dict(tgt_mask=CAUSAL))


def test_encoder_and_decoder_stacks():
    _parity(lambda m: m.TransformerEncoder(m.TransformerEncoderLayer(8, 2, 16, dropout=0.0), 2, norm=m.LayerNorm(8),
                                                 enable_nested_tensor=False),
            [(5, 2, 8)])
    _parity(lambda m: m.TransformerDecoder(m.TransformerDecoderLayer(8, 4, 16, dropout=0.0), 2), [(5, 2, 8), (3, 2, 8)])
