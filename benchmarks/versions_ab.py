"""Side-by-side timing of two minigrad versions and torch in ONE process, taking turns step by step,
so that machine load hits all three alike (the machine is shared; separate runs differ by +-15%).

    git archive <old commit> minigrad | tar -x -C /tmp/old && mv /tmp/old/minigrad /tmp/ab/minigrad_base
    NUMBA_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1 \\
        python -m benchmarks.versions_ab --base-dir /tmp/ab --cpu [--case resnet-small|resnet-torchvision|vgg-forward|vgg-input-grad|cnn]

The old version is imported under the package name minigrad_base (minigrad uses relative imports only).
"""
import argparse
import importlib
import sys
import time

import numpy as np

from . import resnet_step, torch_models
from .timing import Stat


def _twin(torch, mg_model, torch_model):
    """torch_model loaded with mg_model's weights (same state_dict key names)."""
    torch_model.load_state_dict({k: torch.tensor(np.asarray(getattr(v, "data", v)))
                                 for k, v in mg_model.state_dict().items()})
    return torch_model


def _vgg(mg, torch, batch, input_grad, seed=0):
    vgg = importlib.import_module(mg.__name__ + ".models.vgg")
    mg.manual_seed(seed)
    model = vgg.vgg16_features().eval()
    for p in model.parameters():
        p.requires_grad = False
    x = np.random.default_rng(seed).random((batch, 3, 40, 168), dtype=np.float32)
    mx = mg.Tensor(x, requires_grad=input_grad)

    def step():
        if input_grad:
            mx.grad = None
            model(mx).sum().backward()
        else:
            with mg.no_grad():
                model(mx)
    if torch is None:
        return step
    tmodel = _twin(torch, model, torch_models.vgg16_features(torch, vgg.VGG16_CONFIG)).eval()
    for p in tmodel.parameters():
        p.requires_grad = False
    tx = torch.tensor(x, requires_grad=input_grad)

    def torch_step():
        if input_grad:
            tx.grad = None
            tmodel(tx).sum().backward()
        else:
            with torch.no_grad():
                tmodel(tx)
    return step, torch_step


def _cnn(mg, torch, batch, seed=0):
    nn, F = importlib.import_module(mg.__name__ + ".nn"), importlib.import_module(mg.__name__ + ".functional")
    mg.manual_seed(seed)
    rng = np.random.default_rng(seed)
    x = rng.random((batch, 1, 40, 168), dtype=np.float32)
    y = (rng.random((batch, 1), dtype=np.float32) * 36).astype(np.float32)
    model = nn.Sequential(
        nn.Conv2d(1, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(32, 64, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(64, 128, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(128 * 5 * 21, 256), nn.ReLU(), nn.Linear(256, 1))
    opt = mg.optim.Adam(model.parameters(), lr=1e-3)
    mx, my = mg.Tensor(x), mg.Tensor(y)

    def step():
        opt.zero_grad()
        F.mse_loss(model(mx), my).backward()
        opt.step()
    if torch is None:
        return step
    tmodel = _twin(torch, model, torch_models.reference_cnn(torch, 40, 168))
    topt = torch.optim.Adam(tmodel.parameters(), lr=1e-3)
    tx, ty = torch.tensor(x), torch.tensor(y)

    def torch_step():
        topt.zero_grad()
        torch.nn.functional.mse_loss(tmodel(tx), ty).backward()
        topt.step()
    return step, torch_step


def _resnet(mg, torch, stem):
    step, torch_step = resnet_step.build(torch, stem, 32, mg=mg)
    return step if torch is None else (step, torch_step)


CASES = {
    "resnet-small": lambda mg, torch: _resnet(mg, torch, "small"),
    "resnet-torchvision": lambda mg, torch: _resnet(mg, torch, "torchvision"),
    "vgg-forward": lambda mg, torch: _vgg(mg, torch, 32, False),
    "vgg-input-grad": lambda mg, torch: _vgg(mg, torch, 16, True),
    "cnn": lambda mg, torch: _cnn(mg, torch, 64),
}


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--base-dir", required=True, help="folder holding the old version as minigrad_base/")
    ap.add_argument("--case", default="resnet-small", choices=sorted(CASES))
    ap.add_argument("--reps", type=int, default=5)
    ap.add_argument("--cpu", action="store_true", help="process CPU time (run with 1 thread)")
    args = ap.parse_args(argv)
    sys.path.insert(0, args.base_dir)
    from benchmarks import leave_malloc_alone
    leave_malloc_alone()  # both versions and torch share this process
    import minigrad
    import minigrad_base
    import torch
    new, torch_fn = CASES[args.case](minigrad, torch)
    base = CASES[args.case](minigrad_base, None)
    fns = {"base": base, "new": new, "torch": torch_fn}
    clock = time.process_time if args.cpu else time.perf_counter
    for fn in fns.values():
        fn()
    times = {k: [] for k in fns}
    for _ in range(args.reps):
        for k, fn in fns.items():
            t0 = clock()
            fn()
            times[k].append(clock() - t0)
    st = {k: Stat.of(v) for k, v in times.items()}
    print(f"{args.case} ({'CPU' if args.cpu else 'wall'}, {torch.get_num_threads()} threads, median of {args.reps}): "
          f"base {st['base'].median:.0f} ms, new {st['new'].median:.0f} ms, torch {st['torch'].median:.0f} ms; "
          f"base/torch {st['base'].median / st['torch'].median:.2f}, new/torch {st['new'].median / st['torch'].median:.2f}, "
          f"new/base {st['new'].median / st['base'].median:.2f}", flush=True)


if __name__ == "__main__":
    main()
