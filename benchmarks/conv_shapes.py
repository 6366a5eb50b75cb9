"""Per-layer probe: every distinct conv shape of ResNet-18 (both stems) and the VGG16 base, timed
fwd+bwd (or forward only) against torch, alternating in one process, with GFLOP/s and the ratio.

    python -m benchmarks.conv_shapes [--net resnet|resnet7|vgg|all] [--batch 32] [--reps 5] [--forward]

GFLOP/s are direct-convolution FLOPs, padding taps included, so a kernel that skips the taps falling in the
padding (a direct convolution can) or does fewer multiplications (Winograd) shows an effective rate that
can exceed the sgemm peak, which is timed before and after each network's layers.
Used to choose which kernel each layer shape gets and to log what each change bought
(benchmarks/optimisations.md). Ratios only: the machine is shared.
"""
import argparse
import time

import numpy as np

from benchmarks import leave_malloc_alone

leave_malloc_alone()  # torch runs in this process too (see benchmarks/__init__.py)

import minigrad  # noqa: E402
import minigrad.functional as F  # noqa: E402

from .timing import compare

# (Cin, Cout, H, W, k, stride, padding, count in the network); H, W are the conv's input size.
RESNET_SMALL_STEM = [
    (1, 64, 40, 168, 3, 2, 1, 1),
    (64, 64, 20, 84, 3, 1, 1, 4),
    (64, 128, 20, 84, 3, 2, 1, 1), (64, 128, 20, 84, 1, 2, 0, 1), (128, 128, 10, 42, 3, 1, 1, 3),
    (128, 256, 10, 42, 3, 2, 1, 1), (128, 256, 10, 42, 1, 2, 0, 1), (256, 256, 5, 21, 3, 1, 1, 3),
    (256, 512, 5, 21, 3, 2, 1, 1), (256, 512, 5, 21, 1, 2, 0, 1), (512, 512, 3, 11, 3, 1, 1, 3),
]
RESNET_TORCHVISION_STEM = [
    (1, 64, 40, 168, 7, 2, 3, 1),
    (64, 64, 10, 42, 3, 1, 1, 4),
    (64, 128, 10, 42, 3, 2, 1, 1), (64, 128, 10, 42, 1, 2, 0, 1), (128, 128, 5, 21, 3, 1, 1, 3),
    (128, 256, 5, 21, 3, 2, 1, 1), (128, 256, 5, 21, 1, 2, 0, 1), (256, 256, 3, 11, 3, 1, 1, 3),
    (256, 512, 3, 11, 3, 2, 1, 1), (256, 512, 3, 11, 1, 2, 0, 1), (512, 512, 2, 6, 3, 1, 1, 3),
]
VGG16 = [
    (3, 64, 40, 168, 3, 1, 1, 1), (64, 64, 40, 168, 3, 1, 1, 1),
    (64, 128, 20, 84, 3, 1, 1, 1), (128, 128, 20, 84, 3, 1, 1, 1),
    (128, 256, 10, 42, 3, 1, 1, 1), (256, 256, 10, 42, 3, 1, 1, 2),
    (256, 512, 5, 21, 3, 1, 1, 1), (512, 512, 5, 21, 3, 1, 1, 2),
    (512, 512, 2, 10, 3, 1, 1, 3),
]
NETS = {"resnet": RESNET_SMALL_STEM, "resnet7": RESNET_TORCHVISION_STEM, "vgg": VGG16}


def conv_case(torch, batch, shape, forward_only, seed=0):
    """-> (mg_fn, torch_fn, flops) for one conv shape; the input needs a gradient unless Cin <= 3."""
    cin, cout, h, w, k, s, p, _ = shape
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((batch, cin, h, w)).astype(np.float32)
    wt = (rng.standard_normal((cout, cin, k, k)) * np.sqrt(2.0 / (cin * k * k))).astype(np.float32)
    ho, wo = (h + 2 * p - k) // s + 1, (w + 2 * p - k) // s + 1
    g = rng.standard_normal((batch, cout, ho, wo)).astype(np.float32)
    need_x = cin > 3 and not forward_only
    passes = 1 if forward_only else (3 if need_x else 2)
    flops = 2.0 * batch * cout * cin * k * k * ho * wo * passes
    mx = minigrad.Tensor(x, requires_grad=need_x)
    mw = minigrad.Tensor(wt, requires_grad=not forward_only)
    tx = torch.tensor(x, requires_grad=need_x)
    tw, tg = torch.tensor(wt, requires_grad=not forward_only), torch.tensor(g)

    def mg_fn():
        if forward_only:
            with minigrad.no_grad():
                F.conv2d(mx, mw, None, stride=s, padding=p)
            return
        mx.grad = mw.grad = None
        F.conv2d(mx, mw, None, stride=s, padding=p).backward(g)

    def torch_fn():
        if forward_only:
            with torch.no_grad():
                torch.nn.functional.conv2d(tx, tw, None, stride=s, padding=p)
            return
        tx.grad = tw.grad = None
        torch.nn.functional.conv2d(tx, tw, None, stride=s, padding=p).backward(tg)
    return mg_fn, torch_fn, flops


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--net", default="resnet", choices=sorted(NETS) + ["all"])
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--reps", type=int, default=5)
    ap.add_argument("--forward", action="store_true", help="forward only (inference)")
    ap.add_argument("--cpu", action="store_true",
                    help="process CPU time (run with NUMBA_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1)")
    ap.add_argument("--only", choices=["minigrad", "torch"],
                    help="time one library alone (torch slows down when minigrad ran in its process)")
    args = ap.parse_args(argv)
    import torch
    clock = time.process_time if args.cpu else time.perf_counter
    nets = sorted(NETS) if args.net == "all" else [args.net]
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, batch {args.batch}, "
          f"{'forward' if args.forward else 'fwd+bwd'}")
    from .cases import sgemm
    sgemm_fn, sgemm_flops = sgemm(2048)

    def peak():
        stat, _ = compare(sgemm_fn, None, 3, warmup=1, clock=clock)
        return sgemm_flops / stat.median / 1e6
    for net in nets:
        tot_mg = tot_t = 0.0
        peak_before = peak()
        print(f"{net}: shape (Cin Cout HxW k/s)   minigrad ms  torch ms  ratio  mg GFLOP/s  torch GFLOP/s  x count")
        for shape in NETS[net]:
            mg_fn, t_fn, flops = conv_case(torch, args.batch, shape, args.forward)
            if args.only == "minigrad":
                t_fn = None
            elif args.only == "torch":
                mg_fn, t_fn = t_fn, None
            mg, tt = compare(mg_fn, t_fn, args.reps, warmup=1, clock=clock)
            tt = tt or mg
            cin, cout, h, w, k, s, _, count = shape
            tot_mg += mg.median * count
            tot_t += tt.median * count
            print(f"  {cin:4d} {cout:4d} {h:3d}x{w:<3d} {k}/{s}  {mg.median:9.1f} {tt.median:9.1f} "
                  f"{mg.median / tt.median:6.2f} {flops / mg.median / 1e6:9.1f} {flops / tt.median / 1e6:12.1f}"
                  f"   x{count}", flush=True)
        print(f"  total (x count): minigrad {tot_mg:.0f} ms, torch {tot_t:.0f} ms, ratio {tot_mg / tot_t:.2f}; "
              f"numpy sgemm (n=2048) {peak_before:.0f} GFLOP/s before the layers, {peak():.0f} after "
              f"(GFLOP/s count direct-convolution FLOPs, padding taps included)")


if __name__ == "__main__":
    main()
