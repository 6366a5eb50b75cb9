"""micrograd-style engine checks written as torch code, run unchanged with torch and with minigrad."""
import numpy as np
import pytest
import torch

import minigrad as mg


def sanity(lib):
    x = lib.Tensor([-4.0]).double()
    x.requires_grad = True
    z = 2 * x + 2 + x
    q = z.relu() + z * x
    h = (z * z).relu()
    y = h + q + q * x
    y.backward()
    return y.data.item(), x.grad.item()


def more_ops(lib):
    a = lib.Tensor([-4.0]).double()
    b = lib.Tensor([2.0]).double()
    a.requires_grad = True
    b.requires_grad = True
    c = a + b
    d = a * b + b ** 3
    c = c + c + 1
    c += 1 + c + (-a)          # in place on a non-leaf, recorded in the graph
    d = d + d * 2 + (b + a).relu()
    d += 3 * d + (b - a).relu()
    e = c - d
    f = e ** 2
    g = f / 2.0
    g += 10.0 / f
    g.backward()
    return g.data.item(), a.grad.item(), b.grad.item()


@pytest.mark.parametrize("case", [sanity, more_ops])
def test_engine_matches_torch(case):
    np.testing.assert_allclose(case(mg), case(torch), rtol=1e-12)
