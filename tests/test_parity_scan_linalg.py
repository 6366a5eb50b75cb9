"""Torch-parity lines for orderings and scans (sort, topk, cummax, cumprod, logcumsumexp...), einsum,
diagonal/diag/unfold/meshgrid and the inverse hyperbolic functions."""
import numpy as np
import pytest
import torch

import minigrad as mg
from op_helper import helper_test_op


def L(x):
    return torch if isinstance(x, torch.Tensor) else mg


OPS = {
    "sort": ([(3, 5)], lambda x: x.sort()), "sort dim 0 descending": ([(3, 5)], lambda x: x.sort(0, descending=True)),
    "argsort": ([(3, 5)], lambda x: x.argsort(dim=1)), "torch.sort": ([(6,)], lambda x: L(x).sort(x).values),
    "topk": ([(3, 5)], lambda x: x.topk(2)), "topk smallest dim 0": ([(3, 5)], lambda x: x.topk(2, dim=0, largest=False)),
    "kthvalue": ([(3, 5)], lambda x: x.kthvalue(2, 1)), "median": ([(3, 5)], lambda x: x.median()),
    "median dim": ([(4, 5)], lambda x: x.median(0)), "msort": ([(4, 3)], lambda x: x.msort()),
    "cumsum": ([(3, 4)], lambda x: L(x).cumsum(x, dim=0)), "cumprod": ([(3, 4)], lambda x: x.cumprod(1)),
    "cummax": ([(3, 5)], lambda x: x.cummax(1)), "cummin dim 0": ([(4, 3)], lambda x: L(x).cummin(x, 0)),
    "logcumsumexp": ([(3, 4)], lambda x: x.logcumsumexp(1)),
    "einsum matmul": ([(3, 4), (4, 5)], lambda x, y: L(x).einsum("ij,jk->ik", x, y)),
    "einsum implicit": ([(3, 4), (4, 5)], lambda x, y: L(x).einsum("ij,jk", x, y)),
    "einsum batch": ([(2, 3, 4), (2, 4, 5)], lambda x, y: L(x).einsum("bij,bjk->bik", x, y)),
    "einsum outer": ([(3,), (4,)], lambda x, y: L(x).einsum("i,j->ij", x, y)),
    "einsum trace": ([(4, 4)], lambda x: L(x).einsum("ii->", x)), "einsum diag": ([(4, 4)], lambda x: L(x).einsum("ii->i", x)),
    "einsum sum out": ([(3, 4), (4,)], lambda x, y: L(x).einsum("ij,j->", x, y)),
    "einsum ellipsis": ([(2, 3, 4), (4, 2)], lambda x, y: L(x).einsum("...ij,jk->...ik", x, y)),
    "einsum three operands": ([(2, 3), (3, 4), (4, 2)], lambda x, y, z: L(x).einsum("ab,bc,cd->ad", x, y, z)),
    "einsum list": ([(3, 4), (3, 4)], lambda x, y: L(x).einsum("ij,ij->i", [x, y])),
    "diagonal": ([(4, 5)], lambda x: x.diagonal()), "diagonal offset": ([(4, 5)], lambda x: x.diagonal(1)),
    "diagonal negative offset": ([(4, 5)], lambda x: x.diagonal(offset=-2)),
    "diagonal dims": ([(2, 3, 4)], lambda x: x.diagonal(dim1=-2, dim2=-1)), "diag 2d": ([(4, 4)], lambda x: x.diag()),
    "diag 1d": ([(3,)], lambda x: x.diag()), "diag 1d offset": ([(3,)], lambda x: x.diag(-1)),
    "unfold": ([(8,)], lambda x: x.unfold(0, 3, 2)), "unfold 3d": ([(2, 5, 3)], lambda x: x.unfold(1, 2, 1)),
    "asinh": ([(3, 4)], lambda x: x.asinh()), "atanh": ([(3, 4)], lambda x: (x * 0.4).atanh()),
    "acosh": ([(3, 4)], lambda x: (x.abs() + 1.2).acosh()), "exp2": ([(3, 4)], lambda x: x.exp2()),
    "meshgrid ij": ([(3,), (4,)], lambda x, y: L(x).meshgrid(x, y, indexing="ij")),
    "meshgrid xy": ([(3,), (4,)], lambda x, y: L(x).meshgrid(x, y, indexing="xy")),
    "std_mean": ([(3, 4)], lambda x: L(x).std_mean(x, dim=1)), "var_mean": ([(3, 4)], lambda x: L(x).var_mean(x, 0)),
}


@pytest.mark.parametrize("name", sorted(OPS))
def test_op(name):
    shapes, fn = OPS[name]
    helper_test_op(shapes, fn, name=name)


def test_sort_and_cummax_ties_like_torch():
    """Stable sorts and torch's last-index rule for cummax/cummin. (topk's order among ties is unspecified in
    torch and not compared.)"""
    ties = [np.array([2.0, 1.0, 2.0, 1.0, 3.0, 3.0])]
    for fn in [lambda x: x.sort(), lambda x: x.sort(descending=True), lambda x: x.cummax(0),
               lambda x: x.cummin(0), lambda x: x.argsort(descending=True)]:
        helper_test_op(None, fn, vals=ties, name="ties")


def test_cumprod_with_zeros():
    helper_test_op(None, lambda x: x.cumprod(0), vals=[np.array([2.0, 0.0, 3.0, 0.0, 1.5])], name="cumprod zeros")


def test_logcumsumexp_far_apart():
    helper_test_op(None, lambda x: x.logcumsumexp(0), vals=[np.array([0.0, 100.0, -50.0])], name="logcumsumexp far")


def test_integer_pow_like_torch():
    helper_test_op(None, lambda x, y: x ** y, vals=[np.array([1, 2, -1, -2, 0, 3]), np.array([-2, -3, -3, 2, 2, 0])],
                   name="integer pow")
    for lib in (torch, mg):
        with pytest.raises(RuntimeError, match="Integers to negative integer powers are not allowed"):
            lib.tensor([2, 3]) ** -1


def test_bitwise_shifts():
    helper_test_op(None, lambda x, y: (x << 2, x >> 1, x.bitwise_and(y), x.bitwise_xor(y), ~x),
                   vals=[np.array([1, 5, -8]), np.array([3, 3, 3])], name="bitwise")
