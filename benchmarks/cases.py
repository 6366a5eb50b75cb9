"""The workloads, each built twice from the same numbers: a minigrad callable and a torch callable.

minigrad is driven through its public API (Tensor, functional, nn, optim), so autograd overhead is
part of every figure, exactly as torch's is. Each builder returns (mg_fn, torch_fn or None, info).
"""
import numpy as np

import minigrad
import minigrad.functional as F
from minigrad import nn, optim

CONV_LAYERS = {  # name: (Cin, Cout, H, W) at batch 64, 3x3, padding 1 (the reference CNN's convs)
    "a": (1, 32, 40, 168),
    "b": (32, 64, 20, 84),
    "c": (64, 128, 10, 42),
}


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
    rng = _rng()
    x = rng.standard_normal((batch, cin, h, w)).astype(np.float32)
    wt = (rng.standard_normal((cout, cin, 3, 3)) * np.sqrt(2.0 / (cin * 9))).astype(np.float32)
    bias = rng.standard_normal(cout).astype(np.float32) * 0.1
    g = rng.standard_normal((batch, cout, h, w)).astype(np.float32)
    need_x = cin > 1
    flops = 2.0 * batch * cout * cin * 9 * h * w * ((3 if need_x else 2) if backward else 1)
    mx, mw, mb = minigrad.Tensor(x, requires_grad=need_x), _mg_param(wt), _mg_param(bias)

    def mg_fn():
        out = F.conv2d(mx, mw, mb, padding=1)
        if backward:
            _clear(mx, mw, mb)
            out.backward(g)

    torch_fn = None
    if torch is not None:
        tx = torch.tensor(x, requires_grad=need_x)
        tw, tb, tg = torch.tensor(wt, requires_grad=True), torch.tensor(bias, requires_grad=True), torch.tensor(g)

        def torch_fn():
            out = torch.nn.functional.conv2d(tx, tw, tb, padding=1)
            if backward:
                _clear(tx, tw, tb)
                out.backward(tg)
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


def torch_twin(torch, mg_model, build):
    """The torch model `build()` loaded with mg_model's weights (same state_dict key names)."""
    model = build()
    model.load_state_dict({k: torch.tensor(np.asarray(v)) for k, v in mg_model.state_dict().items()})
    return model


def _torch_reference_cnn(torch, h, w):
    tnn = torch.nn
    return tnn.Sequential(
        tnn.Conv2d(1, 32, 3, padding=1), tnn.ReLU(), tnn.MaxPool2d(2),
        tnn.Conv2d(32, 64, 3, padding=1), tnn.ReLU(), tnn.MaxPool2d(2),
        tnn.Conv2d(64, 128, 3, padding=1), tnn.ReLU(), tnn.MaxPool2d(2),
        tnn.Flatten(), tnn.Linear(128 * (h // 8) * (w // 8), 256), tnn.ReLU(), tnn.Linear(256, 1))


def train_step(torch, batch, h=40, w=168, with_mg=True):
    """One Adam step on MSE of the reference CNN (zero_grad, forward, loss, backward, step)."""
    minigrad.manual_seed(0)
    rng = _rng()
    x = rng.random((batch, 1, h, w), dtype=np.float32)
    y = (rng.random((batch, 1), dtype=np.float32) * 36).astype(np.float32)
    model = reference_cnn(h, w)
    mg_fn = None
    if with_mg:
        opt = optim.Adam(model.parameters(), lr=1e-3)
        mx, my = minigrad.Tensor(x), minigrad.Tensor(y)

        def mg_fn():
            opt.zero_grad()
            F.mse_loss(model(mx), my).backward()
            opt.step()
    torch_fn = None
    if torch is not None:
        tmodel = torch_twin(torch, model, lambda: _torch_reference_cnn(torch, h, w))
        topt = torch.optim.Adam(tmodel.parameters(), lr=1e-3)
        tx, ty = torch.tensor(x), torch.tensor(y)

        def torch_fn():
            topt.zero_grad()
            torch.nn.functional.mse_loss(tmodel(tx), ty).backward()
            topt.step()
    return mg_fn, torch_fn, {"images": batch}


# ---------------------------------------------------------------- VGG16 conv base
def vgg16_forward(torch, batch, h=40, w=168):
    """Inference through the 13-conv VGG16 base (random init; weights do not change the cost)."""
    try:
        from minigrad.models.vgg import VGG16_CONFIG, vgg16_features
    except ImportError:
        return None
    minigrad.manual_seed(0)
    model = vgg16_features().eval()
    x = _rng().random((batch, 3, h, w), dtype=np.float32)
    mx = minigrad.Tensor(x)

    def mg_fn():
        with minigrad.no_grad():
            model(mx)
    torch_fn = None
    if torch is not None:
        def build():
            layers, cin = [], 3
            for item in VGG16_CONFIG:
                if item == "M":
                    layers.append(torch.nn.MaxPool2d(2, 2))
                else:
                    layers += [torch.nn.Conv2d(cin, item, 3, padding=1), torch.nn.ReLU()]
                    cin = item
            return torch.nn.Sequential(*layers)
        tmodel = torch_twin(torch, model, build).eval()
        tx = torch.tensor(x)

        def torch_fn():
            with torch.no_grad():
                tmodel(tx)
    return mg_fn, torch_fn, {"images": batch}
