"""Padding layers (torch's names): each pads the last 1 or 2 dims through F.pad."""
from .. import functional as F
from .module import Module


class _Pad(Module):
    mode, dims = "constant", 2

    def __init__(self, padding, value=0.0):
        super().__init__()
        self.padding = (padding,) * (2 * self.dims) if isinstance(padding, int) else tuple(padding)
        if len(self.padding) != 2 * self.dims:
            raise ValueError(f"{type(self).__name__}: padding must be an int or a {2 * self.dims}-tuple, "
                             f"got {padding!r}")
        self.value = value

    def forward(self, x):
        return F.pad(x, self.padding, self.mode, self.value if self.mode == "constant" else None)

    def extra_repr(self):
        return f"{self.padding}" + (f", value={self.value}" if self.mode == "constant" else "")


def _pad_layer(name, mode, dims):
    return type(name, (_Pad,), {"mode": mode, "dims": dims, "__doc__": f"F.pad(mode={mode!r}) of the last {dims} dims"})


class ZeroPad2d(_Pad):
    def __init__(self, padding):
        super().__init__(padding, 0.0)


class ConstantPad1d(_Pad):
    dims = 1

    def __init__(self, padding, value):
        super().__init__(padding, value)


class ConstantPad2d(_Pad):
    def __init__(self, padding, value):
        super().__init__(padding, value)


ReflectionPad1d = _pad_layer("ReflectionPad1d", "reflect", 1)
ReflectionPad2d = _pad_layer("ReflectionPad2d", "reflect", 2)
ReplicationPad1d = _pad_layer("ReplicationPad1d", "replicate", 1)
ReplicationPad2d = _pad_layer("ReplicationPad2d", "replicate", 2)
CircularPad1d = _pad_layer("CircularPad1d", "circular", 1)
CircularPad2d = _pad_layer("CircularPad2d", "circular", 2)
