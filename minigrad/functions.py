"""torch's module-level functions (torch.exp(x), torch.sum(x, dim), torch.where(...), ...): each calls the
Tensor method of the same name, so both spellings share one implementation."""
import numpy as np

from . import dtypes
from .creation import as_tensor
from .ops import Einsum, normalize_equation
from .tensor_math import where  # noqa: F401

_METHODS = (
    "add sub subtract mul multiply div divide true_divide floor_divide remainder fmod pow matmul mm bmm dot neg "
    "negative maximum minimum lerp addcmul addcdiv exp log sqrt rsqrt reciprocal sin cos tan asin acos atan "
    "arcsin arccos arctan sinh cosh log2 log10 log1p expm1 square abs absolute sign floor ceil trunc fix round "
    "frac relu sigmoid tanh softmax log_softmax clamp clip clamp_min clamp_max isnan isinf isfinite logical_not "
    "logical_and logical_or isclose allclose equal eq ne lt le gt ge greater greater_equal less less_equal "
    "not_equal sum mean prod max min amax amin argmax argmin var std logsumexp all any count_nonzero norm "
    "reshape flatten unflatten permute transpose swapaxes swapdims t movedim moveaxis unsqueeze squeeze "
    "flip fliplr flipud repeat_interleave tile roll narrow split chunk unbind gather scatter scatter_add "
    "index_select masked_fill masked_select nonzero tril triu clone detach numel unfold diagonal diag "
    "asinh acosh atanh arcsinh arccosh arctanh exp2 sort argsort msort topk kthvalue median cumsum cumprod "
    "cummax cummin logcumsumexp bitwise_and bitwise_or bitwise_xor bitwise_not bitwise_left_shift "
    "bitwise_right_shift outer ger trace index_add index_copy index_fill"
).split()


def _function(name):
    def fn(input, *args, **kwargs):
        return getattr(as_tensor(input), name)(*args, **kwargs)
    fn.__name__ = fn.__qualname__ = name
    fn.__doc__ = f"torch.{name}(input, ...): input.{name}(...)"
    return fn


for _name in _METHODS:
    globals()[_name] = _function(_name)


def _mean_args(args, kwargs):
    """The dim/keepdim of a var_mean/std_mean call, in torch's or numpy's spelling."""
    dim = args[0] if args else kwargs.get("dim", kwargs.get("axis"))
    keepdim = args[2] if len(args) > 2 else kwargs.get("keepdim", kwargs.get("keepdims", False))
    return dim, keepdim


def var_mean(input, *args, **kwargs):
    return input.var(*args, **kwargs), input.mean(*_mean_args(args, kwargs))


def std_mean(input, *args, **kwargs):
    return input.std(*args, **kwargs), input.mean(*_mean_args(args, kwargs))


def broadcast_tensors(*tensors):
    shape = np.broadcast_shapes(*(t.shape for t in tensors))
    return tuple(as_tensor(t).expand(shape) for t in tensors)


def meshgrid(*tensors, indexing="ij"):
    if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)):
        tensors = tuple(tensors[0])
    if indexing not in ("ij", "xy"):
        raise RuntimeError(f"meshgrid: indexing must be one of 'xy' or 'ij', but received: {indexing}")
    flat = [as_tensor(t).reshape(-1) for t in tensors]
    shape = tuple(t.shape[0] for t in flat)
    grids = [t.reshape((1,) * i + (-1,) + (1,) * (len(flat) - i - 1)).expand(shape) for i, t in enumerate(flat)]
    if indexing == "xy" and len(flat) >= 2:          # cartesian: the first two dims swap places
        grids = [g.transpose(0, 1) for g in grids]
    return tuple(grids)


def einsum(equation, *operands):
    """torch.einsum (explicit or implicit output, '...'), differentiable in every operand."""
    if len(operands) == 1 and isinstance(operands[0], (list, tuple)):
        operands = tuple(operands[0])
    tensors = [as_tensor(t) for t in operands]
    terms, out = normalize_equation(equation, [t.shape for t in tensors])
    dt = tensors[0].dtype
    for t in tensors[1:]:
        dt = dtypes.promote(dt, t.dtype)
    return Einsum.apply(*[t._as(dt) for t in tensors], terms=terms, out=out)


__all__ = _METHODS + ["where", "var_mean", "std_mean", "broadcast_tensors", "meshgrid", "einsum"]
