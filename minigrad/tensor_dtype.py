"""dtype and device conversions with torch's names: to(), type(), type_as(), float()/double()/half()/long()/
int()/short()/byte()/bool(), cpu(), and the new_* constructors that keep this tensor's dtype. Casts between
float dtypes are differentiable; only the CPU exists."""
import numpy as np

from . import dtypes


class DtypeMixin:
    def to(self, *args, dtype=None, device=None, copy=False, **_):
        """to(dtype), to(other), to('cpu'), to('cpu', dtype): only the CPU exists."""
        for a in args:
            if hasattr(a, "requires_grad"):      # another tensor: its dtype
                dtype = a.dtype
            elif isinstance(a, str) and not a.startswith(("float", "int", "uint", "bool")):
                device = a
            elif a is not None:
                dtype = a
        if device is not None and str(device).split(":")[0] != "cpu":
            raise RuntimeError(f"to({device!r}): minigrad runs on the CPU only")
        out = self if dtype is None else self._as(dtypes.as_dtype(dtype, "to"))
        return out.clone() if copy and out is self else out

    def type(self, dtype=None):
        if dtype is None:
            return f"minigrad.{self.dtype.name}"
        return self.to(dtype)

    def type_as(self, other):
        return self.to(other.dtype)

    astype = to

    def cpu(self):
        return self

    def cuda(self, *_, **__):
        raise RuntimeError("minigrad runs on the CPU only (no CUDA)")

    def float(self):
        return self._as(np.dtype(np.float32))

    def double(self):
        return self._as(np.dtype(np.float64))

    def half(self):
        return self._as(np.dtype(np.float16))

    def long(self):
        return self._as(np.dtype(np.int64))

    def int(self):
        return self._as(np.dtype(np.int32))

    def short(self):
        return self._as(np.dtype(np.int16))

    def byte(self):
        return self._as(np.dtype(np.uint8))

    def bool(self):
        return self._as(np.dtype(np.bool_))


    # ------------------------------------------------------------ new tensors of this tensor's dtype
    def _new(self, arr, dtype, requires_grad):
        from .creation import tensor
        return tensor(arr, dtype=self.dtype if dtype is None else dtype, requires_grad=requires_grad)

    def new_zeros(self, *size, dtype=None, requires_grad=False, device=None):
        return self._new(np.zeros(_sizes(size)), dtype, requires_grad)

    def new_ones(self, *size, dtype=None, requires_grad=False, device=None):
        return self._new(np.ones(_sizes(size)), dtype, requires_grad)

    def new_empty(self, *size, dtype=None, requires_grad=False, device=None):
        return self.new_zeros(*size, dtype=dtype, requires_grad=requires_grad)

    def new_full(self, size, fill_value, dtype=None, requires_grad=False, device=None):
        return self._new(np.full(_sizes((size,)), fill_value), dtype, requires_grad)

    def new_tensor(self, data, dtype=None, requires_grad=False, device=None):
        return self._new(np.asarray(getattr(data, "data", data)), dtype, requires_grad)


def _sizes(size):
    return tuple(size[0]) if len(size) == 1 and isinstance(size[0], (tuple, list)) else tuple(size)
