"""Activation layers with torch's names, constructor arguments and reprs; each calls minigrad.functional.

`inplace=True` is accepted for torch code and computes out of place (see README, Differences from PyTorch).
"""
import numpy as np

from .. import functional as F
from .module import Module, Parameter


class _Pointwise(Module):
    """An activation without parameters: fn(x, **kwargs) with the constructor's arguments (torch's defaults)."""
    fn = None
    defaults = {}
    bare_repr = False          # Hardshrink(0.5) rather than Hardshrink(lambd=0.5), as torch prints them

    def __init__(self, *args, **kwargs):
        super().__init__()
        names = list(self.defaults) + ["inplace"]
        if len(args) > len(names):
            raise TypeError(f"{type(self).__name__}() takes at most {len(names)} arguments, got {len(args)}")
        params = dict(zip(names, args))
        for k, v in kwargs.items():
            if k not in names or k in params:
                raise TypeError(f"{type(self).__name__}() got an unexpected or repeated keyword argument {k!r}")
            params[k] = v
        self.inplace = bool(params.pop("inplace", False))
        self.kwargs = {k: params.get(k, d) for k, d in self.defaults.items()}

    def forward(self, input):
        return type(self).fn(input, **self.kwargs)

    def extra_repr(self):
        shown = [repr(v) if self.bare_repr else f"{k}={v!r}" for k, v in self.kwargs.items()]
        return ", ".join(shown + (["inplace=True"] if self.inplace else []))


def _layer(name, fn, defaults=None, bare_repr=False):
    return type(name, (_Pointwise,), {"fn": staticmethod(fn), "defaults": defaults or {}, "bare_repr": bare_repr,
                                      "__doc__": f"The layer form of F.{fn.__name__}."})


ReLU = _layer("ReLU", F.relu)
ReLU6 = _layer("ReLU6", F.relu6)
Sigmoid = _layer("Sigmoid", F.sigmoid)
Tanh = _layer("Tanh", F.tanh)
LeakyReLU = _layer("LeakyReLU", F.leaky_relu, dict(negative_slope=0.01))
ELU = _layer("ELU", F.elu, dict(alpha=1.0))
SELU = _layer("SELU", F.selu)
CELU = _layer("CELU", F.celu, dict(alpha=1.0))
GELU = _layer("GELU", F.gelu, dict(approximate="none"))
SiLU = _layer("SiLU", F.silu)
Mish = _layer("Mish", F.mish)
Softplus = _layer("Softplus", F.softplus, dict(beta=1.0, threshold=20.0))
Softsign = _layer("Softsign", F.softsign)
Hardtanh = _layer("Hardtanh", F.hardtanh, dict(min_val=-1.0, max_val=1.0))
Hardsigmoid = _layer("Hardsigmoid", F.hardsigmoid)
Hardswish = _layer("Hardswish", F.hardswish)
LogSigmoid = _layer("LogSigmoid", F.logsigmoid)
Tanhshrink = _layer("Tanhshrink", F.tanhshrink)
Hardshrink = _layer("Hardshrink", F.hardshrink, dict(lambd=0.5), bare_repr=True)
Softshrink = _layer("Softshrink", F.softshrink, dict(lambd=0.5), bare_repr=True)
Threshold = _layer("Threshold", F.threshold, dict(threshold=None, value=None))
GLU = _layer("GLU", F.glu, dict(dim=-1))


class _SoftmaxLayer(Module):
    fn = None

    def __init__(self, dim=None):
        super().__init__()
        self.dim = dim

    def forward(self, input):
        return type(self).fn(input, self.dim)

    def extra_repr(self):
        return f"dim={self.dim}"


class Softmax(_SoftmaxLayer):
    fn = staticmethod(F.softmax)


class LogSoftmax(_SoftmaxLayer):
    fn = staticmethod(F.log_softmax)


class Softmin(_SoftmaxLayer):
    fn = staticmethod(F.softmin)


class Softmax2d(Module):
    """Softmax over the channels of (N, C, H, W) or (C, H, W)."""

    def forward(self, input):
        if input.ndim not in (3, 4):
            raise ValueError(f"Softmax2d: expected input of 3 or 4 dims, got shape {tuple(input.shape)}")
        return F.softmax(input, -3)


class PReLU(Module):
    """One learnable negative slope per channel (num_parameters=C) or shared (1), initialised to `init`."""

    def __init__(self, num_parameters=1, init=0.25):
        super().__init__()
        self.num_parameters = num_parameters
        self.weight = Parameter(np.full(num_parameters, init, np.float32))

    def forward(self, input):
        return F.prelu(input, self.weight)

    def extra_repr(self):
        return f"num_parameters={self.num_parameters}"
