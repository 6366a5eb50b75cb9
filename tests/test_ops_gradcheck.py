"""float64 gradient checks of every Tensor op, including broadcasting and indexing."""
import numpy as np
import pytest

import minigrad as mg
from conftest import leaf, unique_values

BROADCAST_SHAPES = [((3, 4), (3, 4)), ((3, 4), (4,)), ((3, 1), (1, 4)), ((2, 3, 4), (3, 1)), ((4,), (2, 3, 4)),
                    ((), (2, 3))]


@pytest.mark.parametrize("sa,sb", BROADCAST_SHAPES)
@pytest.mark.parametrize("op", ["add", "sub", "mul", "div"])
def test_binary_broadcasting(rng, op, sa, sb):
    a = leaf(rng, *sa)
    b = leaf(rng, *sb, low=0.5)       # keep divisors away from 0
    fn = {"add": lambda x, y: x + y, "sub": lambda x, y: x - y,
          "mul": lambda x, y: x * y, "div": lambda x, y: x / y}[op]
    assert mg.gradcheck(fn, [a, b])


@pytest.mark.parametrize("p", [2, 3, 0.5, -1.5])
def test_pow_scalar(rng, p):
    assert mg.gradcheck(lambda x: x ** p, [leaf(rng, 3, 4, low=0.3)])


def test_pow_tensor_exponent(rng):
    assert mg.gradcheck(lambda x, y: x ** y, [leaf(rng, 3, 4, low=0.3), leaf(rng, 4)])


def test_rpow(rng):
    assert mg.gradcheck(lambda x: 2.5 ** x, [leaf(rng, 5)])


def test_neg(rng):
    assert mg.gradcheck(lambda x: -x, [leaf(rng, 2, 3)])


@pytest.mark.parametrize("sa,sb", [((3, 4), (4, 5)), ((4,), (4, 5)), ((3, 4), (4,)), ((4,), (4,)),
                                   ((2, 3, 4), (4, 5)), ((2, 3, 4), (2, 4, 5)), ((3, 4), (2, 4, 5)),
                                   ((2, 1, 3, 4), (3, 4, 2))])
def test_matmul(rng, sa, sb):
    assert mg.gradcheck(lambda x, y: x @ y, [leaf(rng, *sa), leaf(rng, *sb)])


@pytest.mark.parametrize("name,low", [("exp", None), ("log", 0.2), ("sqrt", 0.2), ("tanh", None),
                                      ("sigmoid", None), ("abs", 0.1)])
def test_elementwise(rng, name, low):
    x = leaf(rng, 3, 5, low=low)
    if name == "abs":
        x.data *= rng.choice([-1.0, 1.0], size=x.shape)
    assert mg.gradcheck(lambda t: getattr(t, name)(), [x])


def test_relu_away_from_zero(rng):
    x = leaf(rng, 4, 5)
    x.data[np.abs(x.data) < 0.05] = 0.5
    assert mg.gradcheck(lambda t: t.relu(), [x])


def test_clamp(rng):
    x = mg.Tensor(np.linspace(-2.03, 2.01, 12), requires_grad=True)
    assert mg.gradcheck(lambda t: t.clamp(-1.0, 1.0), [x])


@pytest.mark.parametrize("axis", [None, 0, 1, -1, (0, 2)])
@pytest.mark.parametrize("keepdims", [False, True])
@pytest.mark.parametrize("red", ["sum", "mean"])
def test_sum_mean(rng, red, axis, keepdims):
    x = leaf(rng, 2, 3, 4)
    assert mg.gradcheck(lambda t: getattr(t, red)(axis=axis, keepdims=keepdims), [x])


@pytest.mark.parametrize("axis", [None, 0, 1, (0, 1)])
@pytest.mark.parametrize("keepdims", [False, True])
def test_max_min(rng, axis, keepdims):
    x = mg.Tensor(unique_values(rng, 3, 4), requires_grad=True)
    assert mg.gradcheck(lambda t: t.amax(axis, keepdim=keepdims), [x])
    assert mg.gradcheck(lambda t: t.amin(axis, keepdim=keepdims), [x])


def test_reshape_flatten_transpose(rng):
    x = leaf(rng, 2, 3, 4)
    assert mg.gradcheck(lambda t: t.reshape(4, 6) * 2, [x])
    assert mg.gradcheck(lambda t: t.flatten(1), [x])
    assert mg.gradcheck(lambda t: t.transpose(2, 0, 1), [x])
    assert mg.gradcheck(lambda t: t.permute(1, 2, 0).reshape(-1)[3:9], [x])
    assert mg.gradcheck(lambda t: t.T, [x])


@pytest.mark.parametrize("index", [
    (slice(None), 1), (slice(1, None), slice(None, None, 2)), (0,), (Ellipsis, 2),
    (np.array([0, 2, 0]),), (slice(None), np.array([3, 3, 1])), (np.array([0, 1]), np.array([2, 2])),
    (None, 1), "mask"])
def test_getitem(rng, index):
    x = leaf(rng, 3, 4)
    if isinstance(index, str):
        index = x.data > 0
    assert mg.gradcheck(lambda t: t[index], [x])


@pytest.mark.parametrize("axis", [0, 1, -1])
def test_cat_stack(rng, axis):
    a, b, c = leaf(rng, 2, 3), leaf(rng, 2, 3), leaf(rng, 2, 3)
    assert mg.gradcheck(lambda x, y, z: mg.cat([x, y, z], axis=axis), [a, b, c])
    assert mg.gradcheck(lambda x, y, z: mg.stack([x, y, z], axis=axis), [a, b, c])


def test_cast_roundtrip(rng):
    x = leaf(rng, 3)
    assert mg.gradcheck(lambda t: t.double() * t, [x])        # a no-op cast keeps the graph
    x.grad = None
    y = x.float()
    assert y.dtype == np.float32
    (y * 2).sum().backward()
    assert x.grad.dtype == np.float64
    np.testing.assert_array_equal(x.grad, [2, 2, 2])


def test_composite_expression(rng):
    """A small MLP-like expression mixing broadcasting, matmul, reductions and nonlinearities."""
    x, w, b = leaf(rng, 5, 3), leaf(rng, 3, 4), leaf(rng, 4)

    def f(x, w, b):
        h = (x @ w + b).tanh()
        return (h * h).mean(axis=0) - h.max(axis=1).values.sum() / 3

    assert mg.gradcheck(f, [x, w, b])
