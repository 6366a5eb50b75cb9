"""torch's module-level functions (torch.exp(x), torch.sum(x, dim), torch.where(...), ...): each calls the
Tensor method of the same name, so both spellings share one implementation."""
from .creation import as_tensor
from .tensor_math import where  # noqa: F401

_METHODS = (
    "add sub subtract mul multiply div divide true_divide floor_divide remainder fmod pow matmul mm bmm dot neg "
    "negative maximum minimum lerp addcmul addcdiv exp log sqrt rsqrt reciprocal sin cos tan asin acos atan "
    "arcsin arccos arctan sinh cosh log2 log10 log1p expm1 square abs absolute sign floor ceil trunc fix round "
    "frac relu sigmoid tanh softmax log_softmax clamp clip clamp_min clamp_max isnan isinf isfinite logical_not "
    "logical_and logical_or isclose allclose equal eq ne lt le gt ge greater greater_equal less less_equal "
    "not_equal sum mean prod max min amax amin argmax argmin var std logsumexp all any count_nonzero cumsum norm "
    "reshape flatten unflatten permute transpose swapaxes swapdims t movedim moveaxis unsqueeze squeeze "
    "flip fliplr flipud repeat_interleave tile roll narrow split chunk unbind gather scatter scatter_add "
    "index_select masked_fill masked_select nonzero tril triu clone detach numel"
).split()


def _function(name):
    def fn(input, *args, **kwargs):
        return getattr(as_tensor(input), name)(*args, **kwargs)
    fn.__name__ = fn.__qualname__ = name
    fn.__doc__ = f"torch.{name}(input, ...): input.{name}(...)"
    return fn


for _name in _METHODS:
    globals()[_name] = _function(_name)


def var_mean(input, dim=None, unbiased=None, keepdim=False, *, correction=None):
    return input.var(dim, unbiased, keepdim, correction=correction), input.mean(dim, keepdim)


def std_mean(input, dim=None, unbiased=None, keepdim=False, *, correction=None):
    return input.std(dim, unbiased, keepdim, correction=correction), input.mean(dim, keepdim)


def broadcast_tensors(*tensors):
    import numpy as np
    shape = np.broadcast_shapes(*(t.shape for t in tensors))
    return tuple(as_tensor(t).expand(shape) for t in tensors)


__all__ = _METHODS + ["where", "var_mean", "std_mean", "broadcast_tensors"]
