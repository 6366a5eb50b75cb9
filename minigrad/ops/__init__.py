"""Tensor-level differentiable ops, each a Function with its forward and backward side by side, grouped by
theme. Tensor's operators and methods call these."""
from .arithmetic import (Add, Div, FloorDiv, MatMul, Maximum, Mul, Neg, Pow, PowScalar, Remainder,  # noqa: F401
                         RPowScalar, Sub, Where)
from .broadcast import unbroadcast  # noqa: F401
from .einsum import Einsum, normalize_equation  # noqa: F401
from .elementwise import (Abs, Acos, Acosh, Asin, Asinh, Atan, Atanh, Cast, Ceil, Clamp, Clone, Cos,  # noqa: F401
                          Cosh, Exp, Exp2, Expm1, Floor, Log, Log1p, Log2, Log10, Overwrite, Reciprocal, ReLU, Round, Rsqrt, Sigmoid,
                          Sign, Sin, Sinh, Sqrt, Square, Tan, Tanh, Trunc)
from .scan import CumProd, LogCumSumExp  # noqa: F401
from .reduce import CumSum, Max, Mean, Prod, StdFromVar, Sum  # noqa: F401
from .shape import (Cat, Expand, Flip, Gather, GetItem, Repeat, Reshape, Scatter, SetItem, Stack,  # noqa: F401
                    Transpose, ViewScatter, as_index)
