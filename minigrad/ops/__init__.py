"""Tensor-level differentiable ops, each a Function with its forward and backward side by side, grouped by
theme. Tensor's operators and methods call these."""
from .arithmetic import Add, Div, MatMul, Mul, Neg, Pow, PowScalar, RPowScalar, Sub  # noqa: F401
from .broadcast import unbroadcast  # noqa: F401
from .elementwise import Abs, Cast, Clamp, Exp, Log, ReLU, Sigmoid, Sqrt, Tanh  # noqa: F401
from .reduce import Max, Mean, Sum  # noqa: F401
from .shape import Cat, GetItem, Reshape, Stack, Transpose  # noqa: F401
