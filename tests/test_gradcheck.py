"""The gradient checker itself: it passes right gradients, fails wrong ones, and refuses float32."""
import numpy as np
import pytest

import minigrad as mg
from minigrad.gradcheck import GradcheckError


class WrongSquare(mg.Function):
    """x**2 with a deliberately wrong backward (3x instead of 2x)."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x * x

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return 3 * x * g


class RightSquare(WrongSquare):
    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return 2 * x * g


class OneWrongElement(mg.Function):
    """Identity whose backward is wrong at exactly one element (flat index 5)."""

    @staticmethod
    def forward(ctx, x):
        return x.copy()

    @staticmethod
    def backward(ctx, g):
        g = g.copy()
        g.reshape(-1)[5] += 0.5
        return g


def test_passes_on_correct_backward(rng):
    x = mg.Tensor(rng.standard_normal((3, 4)), requires_grad=True)
    assert mg.gradcheck(RightSquare.apply, [x]) is True


def test_fails_on_wrong_backward(rng):
    x = mg.Tensor(rng.standard_normal((3, 4)), requires_grad=True)
    with pytest.raises(GradcheckError, match="input 0 at index"):
        mg.gradcheck(WrongSquare.apply, [x])


def test_names_the_worst_element(rng):
    x = mg.Tensor(rng.standard_normal((2, 4)), requires_grad=True)
    with pytest.raises(GradcheckError, match=r"input 0 at index \(1, 1\)"):
        mg.gradcheck(OneWrongElement.apply, [x])


def test_names_the_right_input(rng):
    a = mg.Tensor(rng.standard_normal(8), requires_grad=True)
    b = mg.Tensor(rng.standard_normal(8), requires_grad=True)
    with pytest.raises(GradcheckError, match=r"input 1 at index \(5,\)"):
        mg.gradcheck(lambda p, q: p * 2 + OneWrongElement.apply(q), [a, b])


def test_refuses_float32(rng):
    x = mg.Tensor(rng.standard_normal(3).astype(np.float32), requires_grad=True)
    with pytest.raises(TypeError, match="float64"):
        mg.gradcheck(lambda t: t * t, [x])


def test_needs_an_input_requiring_grad(rng):
    x = mg.Tensor(rng.standard_normal(3))
    with pytest.raises(ValueError, match="requires_grad"):
        mg.gradcheck(lambda t: t * t, [x])


def test_restores_inputs(rng):
    data = rng.standard_normal((2, 3))
    x = mg.Tensor(data.copy(), requires_grad=True)
    mg.gradcheck(lambda t: (t * t).sum(), [x])
    np.testing.assert_array_equal(x.data, data)


def test_missing_gradient_is_caught(rng):
    """An op that drops the gradient of an input that does matter must fail."""

    class DropsSecond(mg.Function):
        @staticmethod
        def forward(ctx, a, b):
            return a + b

        @staticmethod
        def backward(ctx, g):
            return g, None

    a = mg.Tensor(rng.standard_normal(3), requires_grad=True)
    b = mg.Tensor(rng.standard_normal(3), requires_grad=True)
    with pytest.raises(GradcheckError, match="input 1"):
        mg.gradcheck(DropsSecond.apply, [a, b])
