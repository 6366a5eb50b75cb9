"""bilinear: y[..., o] = x1[..., i] W[o, i, j] x2[..., j] + b[o], one einsum."""
from ..functions import einsum
from ._util import ShapeError, as_tensor


def bilinear(input1, input2, weight, bias=None):
    x1, x2 = as_tensor(input1), as_tensor(input2)
    if weight.ndim != 3 or x1.shape[-1] != weight.shape[1] or x2.shape[-1] != weight.shape[2] or \
            x1.shape[:-1] != x2.shape[:-1]:
        raise ShapeError(f"bilinear: input1 {tuple(x1.shape)} and input2 {tuple(x2.shape)} do not fit weight "
                         f"{tuple(weight.shape)} (out, in1, in2)")
    y = einsum("...i,oij,...j->...o", x1, weight, x2)
    return y if bias is None else y + bias
