"""Recurrent layers against torch 2.13.0 with torch's weights: outputs, final states, the input gradient and
every parameter gradient, in float32 and float64; a float64 gradcheck per cell type."""
import numpy as np
import pytest
import torch

import minigrad as mg
from minigrad import nn
from layer_helper import compare_param_grads, twin_layers
from op_helper import compare

torch.set_num_threads(1)


def _to_mg(v, dtype):
    return mg.tensor(v.detach().numpy().astype(dtype), requires_grad=True)


def _flat(out):
    if isinstance(out, (tuple, list)):
        return [t for o in out for t in _flat(o)]
    return [out]


def rnn_parity(make, x_shape, hx_shapes=None, seed=0):
    rng = np.random.default_rng(seed)
    for dtype in (np.float32, np.float64):
        tl, ml = twin_layers(lambda: make(torch.nn), lambda: make(nn), dtype, seed)
        xt = torch.tensor(rng.standard_normal(x_shape).astype(dtype), requires_grad=True)
        xm = _to_mg(xt, dtype)
        args_t, args_m = [xt], [xm]
        if hx_shapes is not None:
            hts = [torch.tensor(rng.standard_normal(s).astype(dtype), requires_grad=True) for s in hx_shapes]
            hms = [_to_mg(h, dtype) for h in hts]
            args_t.append(tuple(hts) if len(hts) > 1 else hts[0])
            args_m.append(tuple(hms) if len(hms) > 1 else hms[0])
        outs_t, outs_m = _flat(tl(*args_t)), _flat(ml(*args_m))
        name = type(ml).__name__
        loss_t, loss_m = 0, 0
        for i, (om, ot) in enumerate(zip(outs_m, outs_t)):
            compare(f"{name} output {i}", om, ot, dtype)
            g = rng.standard_normal(tuple(ot.shape)).astype(dtype)
            loss_t, loss_m = loss_t + (ot * torch.tensor(g)).sum(), loss_m + (om * mg.tensor(g)).sum()
        loss_t.backward()
        loss_m.backward()
        compare(f"{name} input grad", xm.grad, xt.grad, dtype)
        if hx_shapes is not None:
            for i, (hm, ht) in enumerate(zip(hms, hts)):
                compare(f"{name} hx[{i}] grad", hm.grad, ht.grad, dtype)
        compare_param_grads(tl, ml, dtype)


@pytest.mark.parametrize("cell,hx", [("RNNCell", [(3, 5)]), ("LSTMCell", [(3, 5), (3, 5)]), ("GRUCell", [(3, 5)]),
                                     ("LSTMCell", None), ("GRUCell", None)])
def test_cells(cell, hx):
    rnn_parity(lambda m: getattr(m, cell)(4, 5), (3, 4), hx)


def test_cell_options_and_unbatched():
    rnn_parity(lambda m: m.RNNCell(4, 5, nonlinearity="relu", bias=False), (3, 4), [(3, 5)])
    rnn_parity(lambda m: m.LSTMCell(4, 5), (4,), [(5,), (5,)])


@pytest.mark.parametrize("kind,kw,x_shape,hx", [
    ("RNN", dict(), (6, 2, 4), None),
    ("LSTM", dict(num_layers=2), (5, 2, 4), [(2, 2, 3), (2, 2, 3)]),
    ("GRU", dict(batch_first=True, bidirectional=True), (2, 5, 4), None),
    ("LSTM", dict(bidirectional=True, num_layers=2, batch_first=True), (2, 4, 4), None),
    ("RNN", dict(nonlinearity="relu", bias=False, num_layers=2), (4, 3, 4), [(2, 3, 3)]),
    ("GRU", dict(), (5, 4), [(1, 3)]),
])
def test_sequence_layers(kind, kw, x_shape, hx):
    rnn_parity(lambda m: getattr(m, kind)(4, 3, **kw), x_shape, hx, seed=1)
    assert repr(getattr(nn, kind)(4, 3, **kw)) == repr(getattr(torch.nn, kind)(4, 3, **kw))


@pytest.mark.parametrize("cell", ["RNNCell", "LSTMCell", "GRUCell"])
def test_cells_gradcheck(cell):
    mg.manual_seed(0)
    m = getattr(nn, cell)(3, 2).double()
    x = mg.tensor(np.random.default_rng(2).standard_normal((2, 3)), requires_grad=True)
    assert mg.gradcheck(lambda a, *ps: mg.stack(_flat(m(a))).sum(0), [x, *m.parameters()])


def test_lstm_gradcheck_and_default_init():
    mg.manual_seed(0)
    m = nn.LSTM(2, 2, bidirectional=True).double()
    x = mg.tensor(np.random.default_rng(3).standard_normal((3, 1, 2)), requires_grad=True)
    assert mg.gradcheck(lambda a, *ps: m(a)[0], [x, *m.parameters()])
    big = nn.GRU(10, 100)
    w = big.weight_hh_l0.numpy()
    assert np.abs(w).max() <= 0.1 and w.std() > 0.05                 # U(-1/sqrt(H), 1/sqrt(H)) as torch
