"""local_response_norm: x / (k + alpha * mean of x^2 over `size` neighbouring channels)^beta, as torch
computes it (zero-padded channel window, average pooled)."""
from ._util import as_tensor
from .padding import pad
from .pooling import avg_pool2d


def local_response_norm(input, size, alpha=1e-4, beta=0.75, k=1.0):
    x = as_tensor(input)
    if x.ndim < 3:
        raise ValueError(f"local_response_norm: expected 3-D or higher input (N, C, ...), got {tuple(x.shape)}")
    if x.numel() == 0:
        return x
    n, c = x.shape[0], x.shape[1]
    sq = (x * x).reshape(n, 1, c, -1)                                  # channels as a pooling axis
    sq = pad(sq, (0, 0, size // 2, (size - 1) // 2))
    div = avg_pool2d(sq, (size, 1), stride=1).reshape(x.shape)
    return x / (div * alpha + k) ** beta
