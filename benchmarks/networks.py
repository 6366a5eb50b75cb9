"""Whole-network workloads: ResNet-18 training steps (both stems), the VGG16 conv base forward and
forward + input gradient, and the reference CNN's training step.

build(name, lib) makes one library's callable and imports only that library, so the isolation check can
time each library alone in a fresh process; both sides draw the same inputs from the same seed, and each
side initialises its own weights (the cost of these dense kernels does not depend on the values).
"""
import numpy as np

from benchmarks import torch_models

NUM_CLASSES = 37   # digit sums 0..36
NETWORKS = {  # name: what, step kind, batch, input (C, H, W), quick batch and input
    "resnet18_small": ("ResNet-18 training step, 3×3 stride-2 stem (AdamW)", "train", 32, (1, 40, 168),
                       2, (1, 16, 48)),
    "resnet18_tv": ("ResNet-18 training step, torchvision stem 7×7 stride 2 + max-pool (AdamW)", "train", 32,
                    (1, 40, 168), 2, (1, 32, 64)),
    "vgg16_fwd": ("VGG16 conv base forward", "fwd", 32, (3, 40, 168), 1, (3, 32, 32)),
    "vgg16_fwd_igrad": ("VGG16 conv base forward + input gradient (the prepended-conv adapter)", "fwd_igrad", 16,
                        (3, 40, 168), 1, (3, 32, 32)),
    "refcnn_step": ("reference CNN training step (Adam, MSE)", "train", 64, (1, 40, 168), 2, (1, 16, 48)),
}


def shape(name, quick=False, batch=None, chw=None):
    """-> (batch, (C, H, W)) of a network case; batch/chw override the case's own."""
    _, _, b, size, qb, qsize = NETWORKS[name]
    b, size = (qb, qsize) if quick else (b, size)
    return batch or b, tuple(chw or size)


def _inputs(name, quick, batch=None, chw=None):
    batch, chw = shape(name, quick, batch, chw)
    rng = np.random.default_rng(0)
    x = rng.random((batch, *chw), dtype=np.float32)
    if name == "refcnn_step":
        y = (rng.random((batch, 1), dtype=np.float32) * 36).astype(np.float32)
    else:
        y = rng.integers(0, NUM_CLASSES, batch)
    return x, y


# ---------------------------------------------------------------- minigrad
def _mg_model(name, chw):
    import minigrad
    from minigrad.models import resnet18, vgg16_features
    minigrad.manual_seed(0)
    if name.startswith("resnet18"):
        return resnet18(num_classes=NUM_CLASSES, in_channels=1, small_stem=name == "resnet18_small")
    if name.startswith("vgg16"):
        return vgg16_features()
    from benchmarks.cases import reference_cnn
    return reference_cnn(*chw[1:])


def build_minigrad(name, quick=False, batch=None, chw=None):
    """-> (callable running one step, the model)"""
    import minigrad
    import minigrad.functional as F
    from minigrad import optim
    kind = NETWORKS[name][1]
    x, y = _inputs(name, quick, batch, chw)
    model = _mg_model(name, x.shape[1:])
    if kind == "train":
        model.train()
        opt = (optim.Adam(model.parameters(), lr=1e-3) if name == "refcnn_step"
               else optim.AdamW(model.parameters(), lr=1e-3, weight_decay=1e-2))
        loss_fn = F.mse_loss if name == "refcnn_step" else F.cross_entropy
        mx, my = minigrad.Tensor(x), (minigrad.Tensor(y) if name == "refcnn_step" else y)

        def step():
            opt.zero_grad()
            loss_fn(model(mx), my).backward()
            opt.step()
        return step, model
    model.eval()
    if kind == "fwd":
        mx = minigrad.Tensor(x)

        def forward():
            with minigrad.no_grad():
                model(mx)
        return forward, model
    model.requires_grad_(False)
    mx = minigrad.Tensor(x, requires_grad=True)

    def forward_input_grad():
        mx.grad = None
        model(mx).sum().backward()
    return forward_input_grad, model


# ---------------------------------------------------------------- torch
def _torch_model(torch, name, chw):
    torch.manual_seed(0)
    if name.startswith("resnet18"):
        return torch_models.resnet18(torch, NUM_CLASSES, 1, small_stem=name == "resnet18_small")
    if name.startswith("vgg16"):
        return torch_models.vgg16_features(torch, torch_models.VGG16_D)
    return torch_models.reference_cnn(torch, *chw[1:])


def build_torch(torch, name, quick=False, batch=None, chw=None):
    kind = NETWORKS[name][1]
    x, y = _inputs(name, quick, batch, chw)
    model = _torch_model(torch, name, x.shape[1:])
    tx = torch.tensor(x)
    if kind == "train":
        model.train()
        opt = (torch.optim.Adam(model.parameters(), lr=1e-3) if name == "refcnn_step"
               else torch.optim.AdamW(model.parameters(), lr=1e-3, weight_decay=1e-2))
        loss_fn = torch.nn.functional.mse_loss if name == "refcnn_step" else torch.nn.functional.cross_entropy
        ty = torch.tensor(y)

        def step():
            opt.zero_grad()
            loss_fn(model(tx), ty).backward()
            opt.step()
        return step
    model.eval()
    if kind == "fwd":
        def forward():
            with torch.no_grad():
                model(tx)
        return forward
    model.requires_grad_(False)
    tx.requires_grad_(True)

    def forward_input_grad():
        tx.grad = None
        model(tx).sum().backward()
    return forward_input_grad


def count_flops(fn):
    """GEMM FLOPs of one call of a minigrad callable (forward and backward), from minigrad.profiler."""
    import minigrad
    with minigrad.profiler.profile() as prof:
        fn()
    return sum(e.flops for e in prof.events())
