"""torch.nn.utils's gradient and parameter helpers (clip_grad_norm_ itself lives in minigrad.optim)."""
import numpy as np

from ..autograd import no_grad
from ..optim import clip_grad_norm_
from ..tensor import Tensor


def _params(parameters):
    return [parameters] if isinstance(parameters, Tensor) else list(parameters)


def clip_grad_value_(parameters, clip_value):
    """Clamp every gradient elementwise to [-clip_value, clip_value], in place."""
    for p in _params(parameters):
        if p.grad is not None:
            np.clip(p.grad.data, -clip_value, clip_value, out=p.grad.data)


def parameters_to_vector(parameters):
    """All parameters flattened into one 1-D tensor (differentiable, as in torch)."""
    from ..creation import cat
    return cat([p.reshape(-1) for p in _params(parameters)])


def vector_to_parameters(vec, parameters):
    """Copy consecutive slices of vec into the parameters, in place."""
    data = vec.data if isinstance(vec, Tensor) else np.asarray(vec)
    params = _params(parameters)
    total = sum(p.numel() for p in params)
    if data.ndim != 1 or data.shape[0] != total:
        raise ValueError(f"vector_to_parameters: expected a 1-D vector of {total} values, got shape {data.shape}")
    start = 0
    with no_grad():
        for p in params:
            n = p.numel()
            p.data[...] = data[start:start + n].reshape(p.shape)
            start += n


__all__ = ["clip_grad_norm_", "clip_grad_value_", "parameters_to_vector", "vector_to_parameters"]
