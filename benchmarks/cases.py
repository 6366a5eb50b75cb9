"""The workloads, each built twice from the same numbers: a minigrad callable and a torch callable.

minigrad is driven through its public API (Tensor, functional, nn, optim), so autograd overhead is
part of every figure, exactly as torch's is. Each builder returns (mg_fn, torch_fn or None, info).
"""
import numpy as np

import minigrad
import minigrad.functional as F
from minigrad import nn, optim

from benchmarks import torch_models
from benchmarks.torch_models import CONV_LAYERS  # noqa: F401  (cases.CONV_LAYERS for the workers)



def load_torch(disabled=False):
    """torch, or None when absent (or disabled to rehearse its absence)."""
    if disabled:
        return None
    try:
        import torch
    except ImportError:
        return None
    return torch


def _rng(seed=0):
    return np.random.default_rng(seed)


def _mg_param(a):
    return minigrad.Tensor(a.copy(), requires_grad=True)


def _clear(*tensors):
    for t in tensors:
        t.grad = None


# ---------------------------------------------------------------- peak
def sgemm(n):
    """numpy float32 n x n GEMM (our roofline) -> (fn, flops)."""
    a = _rng().standard_normal((n, n)).astype(np.float32)
    b = _rng(1).standard_normal((n, n)).astype(np.float32)
    return (lambda: a @ b), 2.0 * n ** 3


# ---------------------------------------------------------------- conv layers
def conv_layer(torch, batch, cin, cout, h, w, backward):
    """One 3x3/pad-1 conv; backward=True times forward+backward. The input needs a gradient except
    when Cin == 1 (an image, as conv a is in the network), matching what a training step does."""
    arrays = torch_models.conv_arrays(batch, cin, cout, h, w)
    x, wt, bias, g = arrays
    need_x = cin > 1
    flops = 2.0 * batch * cout * cin * 9 * h * w * ((3 if need_x else 2) if backward else 1)
    mx, mw, mb = minigrad.Tensor(x, requires_grad=need_x), _mg_param(wt), _mg_param(bias)

    def mg_fn():
        out = F.conv2d(mx, mw, mb, padding=1)
        if backward:
            _clear(mx, mw, mb)
            out.backward(g)

    torch_fn = None if torch is None else torch_models.conv_step(torch, arrays, need_x, backward)
    return mg_fn, torch_fn, {"flops": flops}


# ---------------------------------------------------------------- other kernels
def max_pool(torch, batch, c, h, w, backward):
    x = _rng().standard_normal((batch, c, h, w)).astype(np.float32)
    g = _rng(1).standard_normal((batch, c, h // 2, w // 2)).astype(np.float32)
    mx = minigrad.Tensor(x, requires_grad=True)

    def mg_fn():
        out = F.max_pool2d(mx, 2)
        if backward:
            _clear(mx)
            out.backward(g)
    torch_fn = None
    if torch is not None:
        tx, tg = torch.tensor(x, requires_grad=True), torch.tensor(g)

        def torch_fn():
            out = torch.nn.functional.max_pool2d(tx, 2)
            if backward:
                _clear(tx)
                out.backward(tg)
    return mg_fn, torch_fn, {}


def linear(torch, batch, fin, fout):
    """forward + backward of a fully connected layer (the reference CNN's first Linear)."""
    rng = _rng()
    x = rng.standard_normal((batch, fin)).astype(np.float32)
    wt = (rng.standard_normal((fout, fin)) / np.sqrt(fin)).astype(np.float32)
    b = np.zeros(fout, np.float32)
    g = rng.standard_normal((batch, fout)).astype(np.float32)
    mx, mw, mb = minigrad.Tensor(x, requires_grad=True), _mg_param(wt), _mg_param(b)

    def mg_fn():
        _clear(mx, mw, mb)
        F.linear(mx, mw, mb).backward(g)
    torch_fn = None
    if torch is not None:
        tx, tw, tb = torch.tensor(x, requires_grad=True), torch.tensor(wt, requires_grad=True), torch.tensor(b, requires_grad=True)
        tg = torch.tensor(g)

        def torch_fn():
            _clear(tx, tw, tb)
            torch.nn.functional.linear(tx, tw, tb).backward(tg)
    return mg_fn, torch_fn, {"flops": 6.0 * batch * fin * fout}


def cross_entropy(torch, batch, classes):
    """forward + backward of the fused cross-entropy."""
    rng = _rng()
    x = (rng.standard_normal((batch, classes)) * 3).astype(np.float32)
    t = rng.integers(0, classes, batch)
    mx = minigrad.Tensor(x, requires_grad=True)

    def mg_fn():
        _clear(mx)
        F.cross_entropy(mx, t).backward()
    torch_fn = None
    if torch is not None:
        tx, tt = torch.tensor(x, requires_grad=True), torch.tensor(t)

        def torch_fn():
            _clear(tx)
            torch.nn.functional.cross_entropy(tx, tt).backward()
    return mg_fn, torch_fn, {}


# ---------------------------------------------------------------- reference CNN
def reference_cnn(h=40, w=168):
    """conv(1,32)-ReLU-pool -> conv(32,64)-ReLU-pool -> conv(64,128)-ReLU-pool -> 256 -> 1."""
    flat = 128 * (h // 8) * (w // 8)
    return nn.Sequential(
        nn.Conv2d(1, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(32, 64, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(64, 128, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(flat, 256), nn.ReLU(), nn.Linear(256, 1))


def train_step(torch, batch, h=40, w=168, with_mg=True):
    """One Adam step on MSE of the reference CNN (zero_grad, forward, loss, backward, step)."""
    from benchmarks import networks
    chw = (1, h, w)
    mg_fn = networks.build_minigrad("refcnn_step", batch=batch, chw=chw)[0] if with_mg else None
    torch_fn = None if torch is None else networks.build_torch(torch, "refcnn_step", batch=batch, chw=chw)
    return mg_fn, torch_fn, {"images": batch}
