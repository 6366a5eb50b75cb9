"""Central-difference gradient checking in float64 against a random upstream gradient."""
import numpy as np

from .autograd import enable_grad, no_grad
from .tensor import Tensor


class GradcheckError(AssertionError):
    """The analytic and numerical gradients disagree (the message names the worst element)."""


def _scalarize(out, upstream):
    return float(np.sum(out.data * upstream))


def gradcheck(fn, inputs, eps=1e-6, atol=1e-5, rtol=1e-3, seed=0):
    """Check the gradients of every float64 input Tensor with requires_grad=True.

    fn(*inputs) must return a Tensor. With a fixed random upstream gradient v, the analytic gradient of
    sum(fn(x) * v) from backward() is compared element by element with (f(x+eps) - f(x-eps)) / 2eps.
    Passes when |analytic - numeric| <= atol + rtol * |numeric| everywhere; otherwise raises
    GradcheckError naming the input and index of the worst element. Returns True.
    """
    inputs = tuple(inputs) if isinstance(inputs, (list, tuple)) else (inputs,)
    checked = [i for i, t in enumerate(inputs) if isinstance(t, Tensor) and t.requires_grad]
    if not checked:
        raise ValueError("gradcheck: no input Tensor has requires_grad=True")
    for i in checked:
        if inputs[i].dtype != np.float64:
            raise TypeError(
                f"gradcheck: input {i} is {inputs[i].dtype}; finite differences need float64 inputs "
                f"(e.g. Tensor(x.astype(np.float64), requires_grad=True))")

    with enable_grad():
        for i in checked:
            inputs[i].grad = None
        out = fn(*inputs)
        if not isinstance(out, Tensor):
            raise TypeError(f"gradcheck: fn must return a Tensor, got {type(out).__name__}")
        upstream = np.random.default_rng(seed).standard_normal(out.shape)
        if not out.requires_grad:
            raise GradcheckError("gradcheck: the output does not require grad (no graph was recorded)")
        out.backward(upstream)
    analytic = {i: (np.zeros(inputs[i].shape) if inputs[i].grad is None else inputs[i].grad.data.copy())
                for i in checked}

    worst = None   # (excess over tolerance, input, index, analytic, numeric)
    with no_grad():
        for i in checked:
            x = inputs[i].data
            flat = x.reshape(-1)            # a view: perturbing it perturbs the input in place
            if not np.shares_memory(flat, x):
                raise ValueError(f"gradcheck: input {i} is not contiguous; pass a contiguous array")
            numeric = np.empty(x.size)
            for k in range(x.size):
                orig = flat[k]
                flat[k] = orig + eps
                fp = _scalarize(fn(*inputs), upstream)
                flat[k] = orig - eps
                fm = _scalarize(fn(*inputs), upstream)
                flat[k] = orig
                numeric[k] = (fp - fm) / (2 * eps)
            a = analytic[i].reshape(-1)
            excess = np.abs(a - numeric) - (atol + rtol * np.abs(numeric))
            if excess.size and (worst is None or excess.max() > worst[0]):
                k = int(np.argmax(excess))
                worst = (excess[k], i, np.unravel_index(k, x.shape), a[k], numeric[k])
    if worst is not None and worst[0] > 0:
        _, i, idx, a, n = worst
        raise GradcheckError(
            f"gradcheck failed: input {i} at index {tuple(int(j) for j in idx)}: analytic {a:.8g} vs "
            f"numerical {n:.8g} (|diff| {abs(a - n):.3g} > atol {atol:g} + rtol {rtol:g} * |numerical|)")
    return True
