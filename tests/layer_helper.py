"""Twin layers for parity tests: torch's layer and minigrad's, torch's weights copied into minigrad (so their
state_dict keys must match), and the comparison of every parameter gradient."""
import numpy as np
import torch

from op_helper import compare


def twin_layers(make_torch, make_mg, dtype, seed=0):
    torch.manual_seed(seed)
    tl, ml = make_torch(), make_mg()
    tl, ml = (tl.double(), ml.double()) if dtype == np.float64 else (tl.float(), ml.float())
    tsd = tl.state_dict()
    assert list(ml.state_dict()) == list(tsd), f"state_dict keys {list(ml.state_dict())} vs torch {list(tsd)}"
    ml.load_state_dict({k: v.numpy() for k, v in tsd.items()})
    return tl, ml


def compare_param_grads(tl, ml, dtype, rtol=None):
    mp = dict(ml.named_parameters())
    for k, p in tl.named_parameters():
        compare(f"{type(ml).__name__} {k} grad", mp[k].grad, p.grad, dtype, rtol)
