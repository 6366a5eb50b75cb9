"""Binary arithmetic (broadcasting), negation and matmul."""
import numpy as np

from ..autograd import Function
from ..kernels import gemm
from .broadcast import unbroadcast


class Add(Function):
    @staticmethod
    def forward(ctx, a, b):
        ctx.shapes = (a.shape, b.shape)
        return a + b

    @staticmethod
    def backward(ctx, g):
        sa, sb = ctx.shapes
        return unbroadcast(g, sa), unbroadcast(g, sb)


class Sub(Function):
    @staticmethod
    def forward(ctx, a, b):
        if a.dtype == np.bool_ and b.dtype == np.bool_:
            raise RuntimeError("Subtraction, the `-` operator, with two bool tensors is not supported. If you are "
                               "trying to invert a mask, use the `~` or `logical_not()` operator instead.")
        ctx.shapes = (a.shape, b.shape)
        return a - b

    @staticmethod
    def backward(ctx, g):
        sa, sb = ctx.shapes
        return unbroadcast(g, sa), (unbroadcast(-g, sb) if ctx.needs_input_grad[1] else None)


class Mul(Function):
    """Saves only what a needed gradient uses (b for d/da, a for d/db), as torch does: `3 * d` keeps no
    reference to d, so changing d in place afterwards is allowed."""

    @staticmethod
    def forward(ctx, a, b):
        need_a, need_b = ctx.needs_input_grad
        ctx.shapes = (a.shape, b.shape)
        ctx.save_for_backward(a if need_b else None, b if need_a else None)
        return a * b

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved_tensors
        sa, sb = ctx.shapes
        ga = unbroadcast(g * b, sa) if ctx.needs_input_grad[0] else None
        gb = unbroadcast(g * a, sb) if ctx.needs_input_grad[1] else None
        return ga, gb


class Div(Function):
    @staticmethod
    def forward(ctx, a, b):
        ctx.shapes = (a.shape, b.shape)
        ctx.save_for_backward(a if ctx.needs_input_grad[1] else None, b)
        return a / b

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved_tensors
        sa, sb = ctx.shapes
        ga = unbroadcast(g / b, sa) if ctx.needs_input_grad[0] else None
        gb = unbroadcast(-g * a / (b * b), sb) if ctx.needs_input_grad[1] else None
        return ga, gb


class Pow(Function):
    """a ** b for two tensors (broadcasting). At b == 0 d/da is 0, and at a == 0 with b >= 0 d/db is 0
    (torch's rules, where the formulas would give nan or inf)."""

    @staticmethod
    def forward(ctx, a, b):
        if a.dtype.kind in "iu" and np.any(b < 0):
            # torch's integer rule: 1 ** -n = 1, (-1) ** -n = +-1, anything else ** -n = 0
            neg = np.where(a == 1, 1, np.where(a == -1, np.where(b % 2 == 0, 1, -1), 0)).astype(a.dtype)
            return np.where(b < 0, neg, a ** np.maximum(b, 0))
        out = a ** b
        ctx.save_for_backward(a, b, out)
        return out

    @staticmethod
    def backward(ctx, g):
        a, b, out = ctx.saved_tensors
        ga = gb = None
        with np.errstate(divide="ignore", invalid="ignore"):
            if ctx.needs_input_grad[0]:
                ga = unbroadcast(np.where(b == 0, 0, g * b * a ** (b - 1)).astype(g.dtype, copy=False), a.shape)
            if ctx.needs_input_grad[1]:
                gb = np.where((a == 0) & (b >= 0), 0, g * out * np.log(a)).astype(g.dtype, copy=False)
                gb = unbroadcast(gb, b.shape)
        return ga, gb


class PowScalar(Function):
    """a ** p for a Python number p; the gradient is 0 for p == 0 (torch), p * a ** (p - 1) otherwise."""

    @staticmethod
    def forward(ctx, a, p):
        if isinstance(p, int) and p < 0 and a.dtype.kind in "iub":
            raise RuntimeError("Integers to negative integer powers are not allowed.")
        ctx.save_for_backward(a)
        ctx.p = p
        return a ** p

    @staticmethod
    def backward(ctx, g):
        (a,) = ctx.saved_tensors
        p = ctx.p
        if p == 0:
            return np.zeros_like(g)
        if p == 2:
            return g * (2 * a)
        with np.errstate(divide="ignore", invalid="ignore"):
            return g * (p * a ** (p - 1))


class RPowScalar(Function):
    """c ** x for a Python number c; at c == 0 the gradient is 0 where x >= 0 (torch's rule)."""

    @staticmethod
    def forward(ctx, x, c):
        with np.errstate(divide="ignore", invalid="ignore"):
            out = np.power(x.dtype.type(c), x)
        ctx.save_for_backward(x, out)
        ctx.c = c
        return out

    @staticmethod
    def backward(ctx, g):
        x, out = ctx.saved_tensors
        with np.errstate(divide="ignore", invalid="ignore"):
            grad = g * out * out.dtype.type(np.log(ctx.c) if ctx.c > 0 else np.log(out.dtype.type(ctx.c)))
            if ctx.c == 0:
                grad = np.where(x >= 0, 0, grad).astype(g.dtype, copy=False)
        return grad


class FloorDiv(Function):
    """a // b rounding towards minus infinity (torch.floor_divide); not differentiable, as in torch."""

    @staticmethod
    def forward(ctx, a, b):
        if a.dtype.kind in "iu" and np.any(b == 0):
            raise ZeroDivisionError("floor_divide: integer division by zero")
        return np.floor_divide(a, b)

    @staticmethod
    def backward(ctx, g):
        raise RuntimeError("the derivative for floor_divide is not implemented (as in torch)")


class Remainder(Function):
    """a % b with the sign of b (torch.remainder = Python's %); d/da = 1, d/db = -floor(a / b)."""

    @staticmethod
    def forward(ctx, a, b):
        if a.dtype.kind in "iu" and np.any(b == 0):
            raise ZeroDivisionError("remainder: integer division by zero")
        ctx.save_for_backward(a, b)
        return np.remainder(a, b)

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved_tensors
        ga = unbroadcast(g, a.shape) if ctx.needs_input_grad[0] else None
        gb = unbroadcast(-g * np.floor_divide(a, b), b.shape) if ctx.needs_input_grad[1] else None
        return ga, gb


class Maximum(Function):
    """Elementwise max (min with `lower=True`); a tie sends half the gradient to each side."""

    @staticmethod
    def forward(ctx, a, b, lower=False):
        ctx.save_for_backward(a, b)
        ctx.lower = lower
        return np.minimum(a, b) if lower else np.maximum(a, b)

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved_tensors
        wins = (a < b) if ctx.lower else (a > b)
        share = np.where(a == b, 0.5, wins).astype(g.dtype)
        ga = unbroadcast(g * share, a.shape) if ctx.needs_input_grad[0] else None
        gb = unbroadcast(g * (1 - share), b.shape) if ctx.needs_input_grad[1] else None
        return ga, gb


class Where(Function):
    """where(cond, a, b): the gradient goes to a where cond holds and to b elsewhere."""

    @staticmethod
    def forward(ctx, cond, a, b):
        ctx.cond, ctx.shapes = cond, (a.shape, b.shape)
        return np.where(cond, a, b)

    @staticmethod
    def backward(ctx, g):
        (_, a_need, b_need), cond, shapes = ctx.needs_input_grad, ctx.cond, ctx.shapes
        ga = unbroadcast(np.where(cond, g, 0).astype(g.dtype, copy=False), shapes[0]) if a_need else None
        gb = unbroadcast(np.where(cond, 0, g).astype(g.dtype, copy=False), shapes[1]) if b_need else None
        return None, ga, gb


class Neg(Function):
    @staticmethod
    def forward(ctx, a):
        if a.dtype == np.bool_:
            raise RuntimeError("Negation, the `-` operator, on a bool tensor is not supported. If you are trying "
                               "to invert a mask, use the `~` or `logical_not()` operator instead.")
        return -a

    @staticmethod
    def backward(ctx, g):
        return -g


class MatMul(Function):
    """numpy matmul semantics: 1-D operands are promoted, leading batch dims broadcast."""

    @staticmethod
    def forward(ctx, a, b):
        if a.ndim == 0 or b.ndim == 0:
            raise RuntimeError(f"matmul: both arguments need to be at least 1D, but they are {a.ndim}D and {b.ndim}D")
        if a.shape[-1] != b.shape[-2 if b.ndim > 1 else 0]:
            name = ("mat1", "mat2") if a.ndim == b.ndim == 2 else ("self", "other")
            raise RuntimeError(f"{name[0]} and {name[1]} shapes cannot be multiplied "
                               f"({'x'.join(map(str, a.shape))} and {'x'.join(map(str, b.shape))})")
        ctx.shapes = (a.shape, b.shape)
        ctx.save_for_backward(a if ctx.needs_input_grad[1] else None, b if ctx.needs_input_grad[0] else None)
        if a.ndim == b.ndim == 2:
            return gemm.matmul(a, b)
        try:
            return a @ b
        except ValueError:
            raise RuntimeError(f"matmul: the batch dimensions of {list(a.shape)} and {list(b.shape)} do not "
                               f"broadcast") from None

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved_tensors
        sa, sb = ctx.shapes
        g2 = g[..., None] if len(sb) == 1 else g           # restore the dims matmul dropped
        if len(sa) == 1:
            g2 = g2[..., None, :]
        ga = gb = None
        if len(sa) == len(sb) == 2:
            ga = gemm.matmul(g, b.T) if ctx.needs_input_grad[0] else None
            gb = gemm.matmul(a.T, g) if ctx.needs_input_grad[1] else None
            return ga, gb
        if ctx.needs_input_grad[0]:
            b2 = b[:, None] if b.ndim == 1 else b
            ga = unbroadcast(g2 @ np.swapaxes(b2, -1, -2), (1,) + sa if len(sa) == 1 else sa).reshape(sa)
        if ctx.needs_input_grad[1]:
            a2 = a[None, :] if a.ndim == 1 else a
            gb = unbroadcast(np.swapaxes(a2, -1, -2) @ g2, sb + (1,) if len(sb) == 1 else sb).reshape(sb)
        return ga, gb
