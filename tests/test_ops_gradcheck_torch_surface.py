"""float64 gradient checks of the torch-surface tensor ops: maths, reductions with dims, shape and indexing ops,
and ops recorded through in-place changes."""
import numpy as np
import pytest

import minigrad as mg
from conftest import leaf, unique_values


def _distinct(rng, *shape):
    return mg.Tensor(unique_values(rng, *shape), requires_grad=True)


def _i(data):
    return mg.tensor(np.asarray(data, dtype=np.int64))


UNARY = {   # name: (fn, low) with low keeping inputs inside the domain
    "sin": (lambda x: x.sin(), None), "cos": (lambda x: x.cos(), None), "tan": (lambda x: (x * 0.3).tan(), None),
    "asin": (lambda x: (x * 0.3).tanh().asin(), None), "acos": (lambda x: (x * 0.3).tanh().acos(), None),
    "atan": (lambda x: x.atan(), None), "sinh": (lambda x: x.sinh(), None), "cosh": (lambda x: x.cosh(), None),
    "log2": (lambda x: x.log2(), 0.2), "log10": (lambda x: x.log10(), 0.2), "log1p": (lambda x: x.log1p(), 0.1),
    "expm1": (lambda x: x.expm1(), None), "square": (lambda x: x.square(), None), "rsqrt": (lambda x: x.rsqrt(), 0.3),
    "reciprocal": (lambda x: x.reciprocal(), 0.3), "frac": (lambda x: (x * 0.3 + 0.5).frac(), None),
    "softmax": (lambda x: x.softmax(1), None), "log_softmax": (lambda x: x.log_softmax(0), None),
    "clone": (lambda x: x.clone(), None), "mod": (lambda x: (x * 0.4 + 2) % 1.7, None),
    "fmod": (lambda x: (x * 0.4 - 2).fmod(1.7), None), "lerp": (lambda x: x.lerp(x * x, 0.3), None),
    "addcmul": (lambda x: x.addcmul(x, x.exp(), value=0.5), None),
    "addcdiv": (lambda x: x.addcdiv(x, x.exp(), value=2.0), None),
    "norm": (lambda x: x.norm(), None), "norm dim": (lambda x: x.norm(dim=1), None),
    "floor (zero gradient)": (lambda x: (x * 0.5 + 0.25).floor() * x, None),
}


@pytest.mark.parametrize("name", sorted(UNARY))
def test_unary(rng, name):
    fn, low = UNARY[name]
    assert mg.gradcheck(fn, [leaf(rng, 3, 4, low=low)])


def test_remainder_both_inputs(rng):
    assert mg.gradcheck(lambda a, b: (a * 0.3 + 3) % b, [leaf(rng, 3, 4), leaf(rng, 4, low=1.0)])


def test_maximum_minimum_where(rng):
    a, b = _distinct(rng, 3, 4), leaf(rng, 4)
    assert mg.gradcheck(lambda x, y: mg.maximum(x, y) * mg.minimum(x, y), [a, b])
    assert mg.gradcheck(lambda x, y: mg.where(x > 0.05, x, y * 2), [a, b])
    assert mg.gradcheck(lambda x, y: x.clamp(min=y), [a, b])
    assert mg.gradcheck(lambda x: x.masked_fill(x > 0.25, 2.0) * x, [a])


@pytest.mark.parametrize("name", ["sum dims", "mean keepdim", "prod", "prod dim", "var", "var dim", "std dim",
                                  "std all", "amax", "amin", "max dim", "min dim", "max all", "logsumexp",
                                  "cumsum"])
def test_reductions(rng, name):
    fn = {"sum dims": lambda x: x.sum((0, 2)), "mean keepdim": lambda x: x.mean(1, keepdim=True),
          "prod": lambda x: x.prod(), "prod dim": lambda x: x.prod(2), "var": lambda x: x.var(),
          "var dim": lambda x: x.var(dim=1, keepdim=True), "std dim": lambda x: x.std(0, unbiased=False),
          "std all": lambda x: x.std(), "amax": lambda x: x.amax((1, 2)), "amin": lambda x: x.amin(0),
          "max dim": lambda x: x.max(1).values, "min dim": lambda x: x.min(-1, keepdim=True)[0],
          "max all": lambda x: x.max(), "logsumexp": lambda x: x.logsumexp(dim=1), "cumsum": lambda x: x.cumsum(2)}[name]
    assert mg.gradcheck(fn, [_distinct(rng, 2, 3, 4)])


def test_prod_with_zeros(rng):
    x = mg.Tensor(np.array([[0.0, 2.0, 3.0], [0.0, 0.0, 1.5], [1.0, -2.0, 0.5]]), requires_grad=True)
    assert mg.gradcheck(lambda t: t.prod(1), [x])


@pytest.mark.parametrize("name", ["expand", "flip", "repeat", "tile", "roll", "gather", "scatter", "scatter_add",
                                  "index_select", "tril", "triu", "movedim", "repeat_interleave", "masked_select",
                                  "split", "chunk", "unbind", "narrow", "cat dim", "stack dim", "transpose", "mT",
                                  "unflatten", "getitem int tensor", "getitem bool", "index_add", "index_copy",
                                  "index_fill"])
def test_shape_ops(rng, name):
    fn = {"expand": lambda x: x[:, :1].expand(2, 5, 4), "flip": lambda x: x.flip(0, 2),
          "repeat": lambda x: x.repeat(2, 1, 2), "tile": lambda x: x.tile(2, 1), "roll": lambda x: x.roll(2, -1),
          "gather": lambda x: x.gather(1, _i([[[0, 2, 2, 1]], [[1, 1, 0, 0]]])),
          "scatter": lambda x: x.scatter(2, _i([[[1, 0]] * 3] * 2), x[:, :, 2:] * 2),
          "scatter_add": lambda x: x.scatter_add(1, _i([[[0, 0, 1, 2]]] * 2), x[:, :1] * 3),
          "index_select": lambda x: x.index_select(2, _i([3, 0, 3])), "tril": lambda x: x.tril(),
          "triu": lambda x: x.triu(-1), "movedim": lambda x: x.movedim(2, 0),
          "repeat_interleave": lambda x: x.repeat_interleave(3, 1), "masked_select": lambda x: x.masked_select(x > 0),
          "split": lambda x: x.split([1, 3], 2)[1] * 2, "chunk": lambda x: x.chunk(2, 2)[0],
          "unbind": lambda x: x.unbind(1)[2], "narrow": lambda x: x.narrow(2, 1, 2),
          "cat dim": lambda x: mg.cat([x, x * 2], dim=-1), "stack dim": lambda x: mg.stack([x, x.exp()], dim=1),
          "transpose": lambda x: x.transpose(0, 2), "mT": lambda x: x.mT, "unflatten": lambda x: x.unflatten(2, (2, 2)),
          "getitem int tensor": lambda x: x[_i([1, 1, 0])], "getitem bool": lambda x: x[x > 0.1],
          "index_add": lambda x: x.index_add(1, _i([2, 2]), x[:, :2] * 3),
          "index_copy": lambda x: x.index_copy(2, _i([0, 3]), x[:, :, 1:3] * 2),
          "index_fill": lambda x: x.index_fill(0, _i([1]), 2.0) * x}[name]
    assert mg.gradcheck(fn, [leaf(rng, 2, 3, 4)])


def _setitem(x, y):
    z = x * 1
    z[:, 1] = y
    z[0] *= 3
    return z


def _inplace_chain(x, y):
    z = x * 2
    z.add_(y, alpha=0.5).mul_(y)
    z += 1
    return z.clamp_(-1.0, 1.5)


def test_through_inplace_ops(rng):
    x, y = leaf(rng, 3, 4), leaf(rng, 3)
    assert mg.gradcheck(_setitem, [x, y])
    assert mg.gradcheck(_inplace_chain, [leaf(rng, 3, 4), leaf(rng, 3, 4)])
    assert mg.gradcheck(lambda a, b: (a * 1).copy_(b) * a, [leaf(rng, 3, 4), leaf(rng, 4)])
    assert mg.gradcheck(_through_views, [leaf(rng, 3, 4), leaf(rng, 3, 4)])


def _through_views(x, y):
    z = x * 1
    v = z.t()[1:]
    v.mul_(y.t()[1:])
    z[0][::2] = y[0, ::2] * 3
    return z * z


@pytest.mark.parametrize("name", ["sort", "topk", "kthvalue", "median", "cumprod", "cummax", "cummin",
                                  "logcumsumexp", "diagonal", "diag", "unfold", "asinh", "atanh", "acosh", "exp2"])
def test_scans_orderings_and_more(rng, name):
    fn = {"sort": lambda x: x.sort(1, descending=True).values, "topk": lambda x: x.topk(2, dim=0).values,
          "kthvalue": lambda x: x.kthvalue(2, 1).values, "median": lambda x: x.median(1).values,
          "cumprod": lambda x: x.cumprod(1), "cummax": lambda x: x.cummax(1).values,
          "cummin": lambda x: x.cummin(0).values, "logcumsumexp": lambda x: x.logcumsumexp(1),
          "diagonal": lambda x: x.diagonal(1), "diag": lambda x: x.diag(), "unfold": lambda x: x.unfold(1, 2, 1),
          "asinh": lambda x: x.asinh(), "atanh": lambda x: (x * 0.05).atanh(), "acosh": lambda x: (x.abs() + 1.5).acosh(),
          "exp2": lambda x: x.exp2()}[name]
    assert mg.gradcheck(fn, [_distinct(rng, 4, 4)])


@pytest.mark.parametrize("equation, shapes", [("ij,jk->ik", [(2, 3), (3, 4)]), ("ii->", [(3, 3)]), ("ii->i", [(3, 3)]),
                                              ("i,j->ij", [(2,), (3,)]), ("bij,bjk", [(2, 2, 3), (2, 3, 2)]),
                                              ("...i,i->...", [(2, 3, 4), (4,)]), ("ij,ij,j->i", [(2, 3), (2, 3), (3,)]),
                                              ("iij->j", [(2, 2, 3)]), ("ij->", [(2, 3)])])
def test_einsum(rng, equation, shapes):
    assert mg.gradcheck(lambda *xs: mg.einsum(equation, *xs), [leaf(rng, *s) for s in shapes])
