"""ResNet-18 training step (AdamW, cross-entropy, 1x40x168, 37 classes) in minigrad and torch, timed
alternately in one process, or one library alone, or minigrad under cProfile.

    python -m benchmarks.resnet_step [--stem small|torchvision] [--batch 32] [--reps 5]
                                     [--only minigrad|torch] [--cpu] [--profile]

--cpu measures process CPU time (run with NUMBA_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1),
which other processes on the shared machine cannot inflate.
"""
import argparse
import cProfile
import importlib
import pstats
import time

import numpy as np

import minigrad

from . import torch_models
from .timing import compare


def build(torch, stem, batch, seed=0, mg=minigrad):
    """-> (mg_step, torch_step | None) sharing initial weights and data. mg: the minigrad package to
    use (benchmarks/versions_ab.py passes an older copy)."""
    small = stem == "small"
    models = importlib.import_module(mg.__name__ + ".models")
    functional = importlib.import_module(mg.__name__ + ".functional")
    mg.manual_seed(seed)
    model = models.resnet18(num_classes=37, in_channels=1, small_stem=small).train()
    rng = np.random.default_rng(seed)
    x = rng.random((batch, 1, 40, 168), dtype=np.float32)
    y = rng.integers(0, 37, batch)
    opt = mg.optim.AdamW(model.parameters(), lr=1e-3)
    mx = mg.Tensor(x)

    def mg_step():
        opt.zero_grad()
        functional.cross_entropy(model(mx), y).backward()
        opt.step()
    if torch is None:
        return mg_step, None
    tmodel = torch_models.resnet18(torch, num_classes=37, in_channels=1, small_stem=small)
    tmodel.load_state_dict({k: torch.tensor(np.asarray(getattr(v, "data", v)))
                            for k, v in model.state_dict().items()})
    tmodel.train()
    topt = torch.optim.AdamW(tmodel.parameters(), lr=1e-3)
    tx, ty = torch.tensor(x), torch.tensor(y)

    def torch_step():
        topt.zero_grad()
        torch.nn.functional.cross_entropy(tmodel(tx), ty).backward()
        topt.step()
    return mg_step, torch_step


def _forcing_im2col(step):
    from minigrad.kernels import conv_algorithms

    def im2col_step():
        conv_algorithms.forced = "im2col"
        try:
            step()
        finally:
            conv_algorithms.forced = None
    return im2col_step


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--stem", default="small", choices=["small", "torchvision"])
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--reps", type=int, default=5)
    ap.add_argument("--only", choices=["minigrad", "torch"])
    ap.add_argument("--cpu", action="store_true")
    ap.add_argument("--profile", action="store_true", help="cProfile three minigrad steps")
    ap.add_argument("--ablate-winograd", action="store_true",
                    help="minigrad alone, alternating the table's conv algorithms with im2col everywhere")
    args = ap.parse_args(argv)
    torch = None
    if args.only != "minigrad" and not args.profile and not args.ablate_winograd:
        import torch
    mg_step, t_step = build(torch, args.stem, args.batch)
    if args.profile:
        mg_step()
        prof = cProfile.Profile()
        prof.enable()
        for _ in range(3):
            mg_step()
        prof.disable()
        pstats.Stats(prof).sort_stats("tottime").print_stats(25)
        return
    if args.ablate_winograd:
        t_step = _forcing_im2col(mg_step)
    if args.only == "torch":
        mg_step, t_step = t_step, None
    clock = time.process_time if args.cpu else time.perf_counter
    mg, tt = compare(mg_step, t_step, args.reps, warmup=1, clock=clock)
    line = f"resnet18 {args.stem} stem, batch {args.batch}: {args.only or 'minigrad'} {mg.median:.0f} ms"
    if tt is not None:
        other = "im2col only" if args.ablate_winograd else "torch"
        line += f", {other} {tt.median:.0f} ms, ratio {mg.median / tt.median:.2f}"
    print(line + f" ({args.batch / mg.median * 1e3:.1f} img/s)")


if __name__ == "__main__":
    main()
