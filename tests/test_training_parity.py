"""A small CNN trained a few steps from identical weights ends with the same weights as in torch 2.13.0."""
import numpy as np
import pytest
import torch

import minigrad as mg
import minigrad.functional as F
from minigrad import nn
from conftest import record_parity

torch.set_num_threads(1)


# no conv bias before batch norm: its true gradient is exactly 0, so Adam would amplify rounding noise
# (1e-9 gradients -> +-lr steps) and the comparison would test noise, not the update rule
def _ours():
    return nn.Sequential(nn.Conv2d(1, 4, 3, padding=1, bias=False), nn.BatchNorm2d(4), nn.ReLU(), nn.MaxPool2d(2),
                         nn.Conv2d(4, 6, 3, stride=2, padding=1), nn.ReLU(), nn.AdaptiveAvgPool2d(1),
                         nn.Flatten(), nn.Dropout(0.0), nn.Linear(6, 5))


def _theirs():
    tnn = torch.nn
    return tnn.Sequential(tnn.Conv2d(1, 4, 3, padding=1, bias=False), tnn.BatchNorm2d(4), tnn.ReLU(), tnn.MaxPool2d(2),
                          tnn.Conv2d(4, 6, 3, stride=2, padding=1), tnn.ReLU(), tnn.AdaptiveAvgPool2d(1),
                          tnn.Flatten(), tnn.Dropout(0.0), tnn.Linear(6, 5))


OPTIMIZERS = {
    "adam": (lambda p: mg.optim.Adam(p, lr=1e-2), lambda p: torch.optim.Adam(p, lr=1e-2)),
    "adamw": (lambda p: mg.optim.AdamW(p, lr=1e-2), lambda p: torch.optim.AdamW(p, lr=1e-2)),
    "sgd_momentum": (lambda p: mg.optim.SGD(p, lr=0.1, momentum=0.9, weight_decay=1e-3),
                     lambda p: torch.optim.SGD(p, lr=0.1, momentum=0.9, weight_decay=1e-3)),
    "sgd_nesterov": (lambda p: mg.optim.SGD(p, lr=0.1, momentum=0.9, nesterov=True),
                     lambda p: torch.optim.SGD(p, lr=0.1, momentum=0.9, nesterov=True)),
}


@pytest.mark.parametrize("name", list(OPTIMIZERS))
def test_cnn_training_matches_torch(name):
    torch.manual_seed(0)
    theirs = _theirs()
    ours = _ours()
    # identical starting weights: torch's state_dict keys load directly (same names, same shapes)
    ours.load_state_dict({k: v.numpy() for k, v in theirs.state_dict().items()})
    make_ours, make_theirs = OPTIMIZERS[name]
    opt_m, opt_t = make_ours(ours.parameters()), make_theirs(theirs.parameters())
    rng = np.random.default_rng(5)
    for step in range(3):
        x = rng.standard_normal((8, 1, 12, 12)).astype(np.float32)
        y = rng.integers(0, 5, 8)
        opt_m.zero_grad()
        loss_m = F.cross_entropy(ours(mg.Tensor(x)), y)
        loss_m.backward()
        opt_m.step()
        opt_t.zero_grad()
        loss_t = torch.nn.functional.cross_entropy(theirs(torch.tensor(x)), torch.tensor(y))
        loss_t.backward()
        opt_t.step()
        assert abs(loss_m.item() - loss_t.item()) < 1e-4, f"step {step}: loss {loss_m.item()} vs {loss_t.item()}"
    worst = 0.0
    for key, value in theirs.state_dict().items():
        mine = ours.state_dict()[key]
        err = float(np.max(np.abs(mine.astype(np.float64) - value.numpy()))) if mine.size else 0.0
        worst = max(worst, err)
        assert err < 1e-4, f"{key}: max abs difference {err:.3g} after 3 {name} steps"
    record_parity(f"3-step CNN training ({name})", "float32 weights after training, absolute", worst)
    # eval mode (running statistics) gives the same predictions too
    xe = rng.standard_normal((4, 1, 12, 12)).astype(np.float32)
    with mg.no_grad():
        pm = ours.eval()(mg.Tensor(xe)).data
    with torch.no_grad():
        pt = theirs.eval()(torch.tensor(xe)).numpy()
    np.testing.assert_allclose(pm, pt, atol=1e-4)
