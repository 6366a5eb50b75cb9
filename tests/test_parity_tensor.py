"""Torch-parity lines for every tensor operator, method and module-level function: one torch-spelled lambda
runs on torch 2.13.0 and on minigrad (forward and every input gradient, float32 and float64)."""
import numpy as np
import pytest
import torch

import minigrad as mg
from op_helper import helper_test_op


def L(x):
    """The library a tensor belongs to, so one lambda can call torch.where / mg.where alike."""
    return torch if isinstance(x, torch.Tensor) else mg


def T(x, data, dtype=None):
    """A constant tensor of x's library (integer indices, masks)."""
    return L(x).tensor(data) if dtype is None else L(x).tensor(data, dtype=dtype)


# name: (shapes, fn, options)
BINARY = {
    "add": ([(3, 4), (3, 4)], lambda x, y: x + y),
    "add broadcast": ([(2, 1, 4), (3, 1)], lambda x, y: x + y),
    "add method alpha": ([(3, 4), (4,)], lambda x, y: x.add(y, alpha=2)),
    "radd scalar": ([(3,)], lambda x: 2.5 + x),
    "sub": ([(3, 4), (1, 4)], lambda x, y: x - y),
    "rsub scalar": ([(3,)], lambda x: 1 - x),
    "sub method": ([(3, 4), (3, 4)], lambda x, y: x.sub(y, alpha=0.5)),
    "mul": ([(3, 4), (4,)], lambda x, y: x * y),
    "mul method": ([(3, 4), (3, 1)], lambda x, y: x.mul(y)),
    "div": ([(3, 4), (3, 4)], lambda x, y: x / (y.abs() + 0.5)),
    "rdiv scalar": ([(3,)], lambda x: 2 / (x.abs() + 0.5)),
    "div method": ([(3, 4), (4,)], lambda x, y: x.div(y.abs() + 1)),
    "div floor forward": ([(3, 4), (3, 4)], lambda x, y: x.div(y.abs() + 0.5, rounding_mode="floor").detach()),
    "div trunc forward": ([(3, 4), (3, 4)], lambda x, y: x.div(y.abs() + 0.5, rounding_mode="trunc").detach()),
    "floordiv forward": ([(3, 4), (3, 4)], lambda x, y: (x // (y.abs() + 0.5)).detach()),
    "mod": ([(3, 4), (3, 4)], lambda x, y: x % (y.abs() + 0.5)),
    "mod negative divisor": ([(3, 4)], lambda x: x % -1.5),
    "remainder": ([(3, 4), (4,)], lambda x, y: x.remainder(y.abs() + 0.5)),
    "fmod": ([(3, 4)], lambda x: x.fmod(1.5)),
    "neg": ([(3, 4)], lambda x: -x),
    "neg method": ([(3, 4)], lambda x: x.neg()),
    "pow tensor": ([(3, 4), (3, 4)], lambda x, y: x.abs().add(0.1) ** y),
    "pow scalar": ([(3, 4)], lambda x: x ** 3),
    "pow float scalar": ([(3, 4)], lambda x: x.abs() ** 2.5),
    "pow negative scalar": ([(3, 4)], lambda x: (x.abs() + 0.5) ** -1.5),
    "rpow scalar": ([(3, 4)], lambda x: 2 ** x),
    "pow method": ([(3, 4)], lambda x: x.pow(2)),
    "matmul 2d": ([(3, 4), (4, 5)], lambda x, y: x @ y),
    "matmul 1d 1d": ([(4,), (4,)], lambda x, y: x @ y),
    "matmul 1d 2d": ([(4,), (4, 3)], lambda x, y: x @ y),
    "matmul 2d 1d": ([(3, 4), (4,)], lambda x, y: x.matmul(y)),
    "matmul batched": ([(2, 3, 4), (4, 5)], lambda x, y: x @ y),
    "matmul batch broadcast": ([(2, 1, 3, 4), (5, 4, 2)], lambda x, y: x @ y),
    "mm": ([(3, 4), (4, 2)], lambda x, y: x.mm(y)),
    "bmm": ([(2, 3, 4), (2, 4, 2)], lambda x, y: x.bmm(y)),
    "dot": ([(4,), (4,)], lambda x, y: x.dot(y)),
    "maximum": ([(3, 4), (4,)], lambda x, y: L(x).maximum(x, y)),
    "minimum": ([(3, 4), (3, 4)], lambda x, y: L(x).minimum(x, y)),
    "max other": ([(3, 4), (3, 4)], lambda x, y: x.max(y)),
    "where": ([(3, 4), (3, 4)], lambda x, y: L(x).where(x > y, x, y * 2)),
    "where scalar": ([(3, 4)], lambda x: L(x).where(x > 0, x, 0.0)),
    "clamp": ([(3, 4)], lambda x: x.clamp(-0.5, 0.7)),
    "clamp min only": ([(3, 4)], lambda x: x.clamp(min=0.1)),
    "clip": ([(3, 4)], lambda x: x.clip(max=0.3)),
    "clamp tensor bounds": ([(3, 4), (4,)], lambda x, y: x.clamp(min=y)),
    "lerp": ([(3, 4), (3, 4)], lambda x, y: x.lerp(y, 0.3)),
    "addcmul": ([(3, 4), (3, 4), (3, 4)], lambda x, y, z: x.addcmul(y, z, value=0.5)),
    "addcdiv": ([(3, 4), (3, 4), (3, 4)], lambda x, y, z: x.addcdiv(y, z.abs() + 1, value=2)),
}

UNARY = {
    "exp": lambda x: x.exp(), "log": lambda x: (x.abs() + 0.1).log(), "sqrt": lambda x: (x.abs() + 0.1).sqrt(),
    "rsqrt": lambda x: (x.abs() + 0.1).rsqrt(), "reciprocal": lambda x: (x.abs() + 0.5).reciprocal(),
    "sin": lambda x: x.sin(), "cos": lambda x: x.cos(), "tan": lambda x: (x * 0.5).tan(),
    "asin": lambda x: (x * 0.4).asin(), "acos": lambda x: (x * 0.4).acos(), "atan": lambda x: x.atan(),
    "sinh": lambda x: x.sinh(), "cosh": lambda x: x.cosh(), "log2": lambda x: (x.abs() + 0.1).log2(),
    "log10": lambda x: (x.abs() + 0.1).log10(), "log1p": lambda x: x.abs().log1p(), "expm1": lambda x: x.expm1(),
    "square": lambda x: x.square(), "abs": lambda x: x.abs(), "abs builtin": lambda x: abs(x),
    "sign": lambda x: x.sign(), "floor": lambda x: x.floor(), "ceil": lambda x: x.ceil(),
    "trunc": lambda x: x.trunc(), "round": lambda x: x.round(), "round decimals": lambda x: x.round(decimals=1),
    "frac": lambda x: x.frac(), "relu": lambda x: x.relu(), "sigmoid": lambda x: x.sigmoid(),
    "tanh": lambda x: x.tanh(), "softmax": lambda x: x.softmax(-1), "softmax dim 0": lambda x: x.softmax(0),
    "log_softmax": lambda x: x.log_softmax(1), "clone": lambda x: x.clone(), "pos": lambda x: +x,
}

FUNCTIONS = {   # module-level spellings: torch.exp(x), torch.sum(x, 1), ...
    "torch.exp": lambda x: L(x).exp(x), "torch.log": lambda x: L(x).log(x.abs() + 1),
    "torch.sqrt": lambda x: L(x).sqrt(x.abs()), "torch.sin": lambda x: L(x).sin(x),
    "torch.sum": lambda x: L(x).sum(x, 1), "torch.mean": lambda x: L(x).mean(x, dim=0, keepdim=True),
    "torch.max": lambda x: L(x).max(x), "torch.clamp": lambda x: L(x).clamp(x, min=-0.5),
    "torch.abs": lambda x: L(x).abs(x), "torch.tanh": lambda x: L(x).tanh(x),
    "torch.sigmoid": lambda x: L(x).sigmoid(x), "torch.relu": lambda x: L(x).relu(x),
    "torch.softmax": lambda x: L(x).softmax(x, 1), "torch.matmul": lambda x: L(x).matmul(x, x.T),
    "torch.transpose": lambda x: L(x).transpose(x, 0, 1), "torch.flatten": lambda x: L(x).flatten(x),
    "torch.reshape": lambda x: L(x).reshape(x, (4, 3)), "torch.var": lambda x: L(x).var(x, 1),
    "torch.prod": lambda x: L(x).prod(x, 1), "torch.cumsum": lambda x: L(x).cumsum(x, 1),
}


@pytest.mark.parametrize("name", sorted(BINARY))
def test_binary(name):
    shapes, fn = BINARY[name]
    helper_test_op(shapes, fn, name=name)


@pytest.mark.parametrize("name", sorted(UNARY))
def test_unary(name):
    helper_test_op([(3, 4)], UNARY[name], name=name)


@pytest.mark.parametrize("name", sorted(FUNCTIONS))
def test_module_functions(name):
    helper_test_op([(3, 4)], FUNCTIONS[name], name=name)


@pytest.mark.parametrize("name", ["exp", "sin", "relu", "sigmoid", "abs", "sqrt", "square", "clone", "tanh", "log"])
def test_unary_on_0d(name):
    helper_test_op(None, UNARY[name], vals=[np.array(0.7)], name=f"{name} 0-d")


def test_pow_gradients_at_base_zero():
    """torch's rules: d(x**0)/dx = 0 at x = 0, d(0**y)/dy = 0 for y >= 0, and both zero at (0, 0)."""
    helper_test_op(None, lambda x: x ** 0.0, vals=[np.array([0.0, 1.0, -2.0])], name="x ** 0.0 at 0")
    helper_test_op(None, lambda x: 0 ** x, vals=[np.array([0.0, 1.0, 2.0, -1.0])], name="0 ** x")
    helper_test_op(None, lambda x, y: x ** y, vals=[np.array([0.0, 0.0, 2.0]), np.array([0.0, 2.0, 0.0])],
                   name="x ** y at (0, 0)")
    helper_test_op(None, lambda x: x ** 2, vals=[np.array([0.0, 1.5])], name="x ** 2 at 0")


def test_integer_arithmetic():
    a, b = np.array([7, -7, 3, 0]), np.array([2, 2, -2, 5])
    for fn in [lambda x, y: x + y, lambda x, y: x * y, lambda x, y: x - y, lambda x, y: x // y,
               lambda x, y: x % y, lambda x, y: x / y, lambda x, y: x ** 2, lambda x, y: -x, lambda x, y: x.abs(),
               lambda x, y: x.div(y, rounding_mode="trunc"), lambda x, y: x.div(y, rounding_mode="floor"),
               lambda x, y: x.fmod(y), lambda x, y: x * 1.5, lambda x, y: x & y, lambda x, y: x | y,
               lambda x, y: x ^ y, lambda x, y: ~x, lambda x, y: x.sum(), lambda x, y: x.prod(),
               lambda x, y: x.max(), lambda x, y: x.clamp(-1, 2), lambda x, y: x.float().mean()]:
        helper_test_op(None, fn, vals=[a, b], name="integer arithmetic")
