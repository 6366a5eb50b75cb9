"""Run the benchmarks and write RESULTS.md, results.json and results.png (see benchmarks/report.py).

    python -m benchmarks                      # everything (an estimated 15 minutes on an idle 2-core machine)
    python -m benchmarks --only networks      # some sections: SECTIONS below, comma-separated; the other
                                              # sections are kept from the results.json already in --out-dir
    python -m benchmarks --quick              # tiny shapes, few repetitions: a smoke run, numbers meaningless
    options: --threads N (default 2), --reps N (default 7), --out-dir DIR, --no-torch
"""
import os
import sys

if __package__ in (None, ""):  # `python benchmarks/run.py`
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from benchmarks import leave_malloc_alone, set_thread_env, threads_from_argv  # noqa: E402

set_thread_env(threads_from_argv(sys.argv[1:]))  # before numpy, numba or torch load
leave_malloc_alone()  # before minigrad loads

import argparse  # noqa: E402
import platform  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402

import numba  # noqa: E402
import numpy as np  # noqa: E402

from benchmarks import cases, isolation, networks, report, where  # noqa: E402
from benchmarks.timing import Stat, compare, compare_many, ratio  # noqa: E402
from benchmarks.workers import spawn  # noqa: E402
from minigrad.kernels import threadpool  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))


def _pair_entry(mg, tt, flops=None, peak=None, images=None):
    e = {"minigrad": mg.as_dict(), "torch": tt.as_dict() if tt else None, "ratio": ratio(mg, tt)}
    if flops:
        e["gflops"] = flops / (mg.median * 1e6)
        e["torch_gflops"] = flops / (tt.median * 1e6) if tt else None
        e["pct_peak"] = 100.0 * e["gflops"] / peak if peak else None
    if images:
        e["minigrad_img_s"] = images / (mg.median / 1e3)
        e["torch_img_s"] = images / (tt.median / 1e3) if tt else None
    return e


def _log(msg):
    print(msg, file=sys.stderr, flush=True)


def measure_peak(n, reps):
    fn, flops = cases.sgemm(n)
    st, _ = compare(fn, None, reps)
    return {"n": n, "sgemm_gflops": flops / (st.median * 1e6), "ms": st.as_dict()}


def _between_peaks(fns, reps, sgemm_fn, sgemm_flops):
    """Time fns alternating (minigrad, torch) -> (stats, sgemm GFLOP/s measured just before and just after).
    The sgemm is kept out of the alternation: its 48 MB of operands evicted the cache between every timed
    call and its OpenBLAS threads had to be waited out, so a figure taken there differed from the same
    library timed alone (the reference CNN step: 386 ms in the alternation, 204-282 ms timed without it)."""
    before = compare_many([sgemm_fn], 3, warmup=1)[0]
    stats = compare_many(fns, reps, warmup=2)
    after = compare_many([sgemm_fn], 3, warmup=1)[0]
    return stats, sgemm_flops / ((before.median + after.median) / 2 * 1e6)


def _conv_layers(quick):
    """The reference CNN's conv layers; --quick shrinks the planes 4x each way."""
    return {k: (cin, cout, h // 4, w // 4) if quick else (cin, cout, h, w)
            for k, (cin, cout, h, w) in cases.CONV_LAYERS.items()}


def measure_convs(torch, batch, reps, peak_n, quick):
    """Each layer alternates minigrad and torch, between two timings of the sgemm roofline, so "% of peak"
    compares figures taken under the same machine load (the start-of-run peak can be minutes stale)."""
    out = {}
    sgemm_fn, sgemm_flops = cases.sgemm(peak_n)
    for name, (cin, cout, h, w) in _conv_layers(quick).items():
        out[name] = {"shape": [batch, cin, cout, h, w]}
        for key, backward in (("fwd", False), ("fwdbwd", True)):
            mg_fn, t_fn, info = cases.conv_layer(torch, batch, cin, cout, h, w, backward)
            (mg, *tt), local_peak = _between_peaks([mg_fn] + ([t_fn] if t_fn else []), reps, sgemm_fn, sgemm_flops)
            tt = tt[0] if tt else None
            out[name][key] = dict(_pair_entry(mg, tt, info["flops"], local_peak), peak_gflops=local_peak)
            _log(f"conv {name} {key}: minigrad {mg.median:.1f} ms, torch {tt.median if tt else float('nan'):.1f} ms, "
                 f"sgemm {local_peak:.0f} GFLOP/s")
    return out


def measure_kernels(torch, batch, reps, quick):
    c, h, w = (32, 10, 42) if quick else (32, 40, 168)
    fin = 128 * (h // 8) * (w // 8)
    shapes = {
        f"max_pool2d 2x2 forward, {c}x{h}x{w}": lambda: cases.max_pool(torch, batch, c, h, w, False),
        f"max_pool2d 2x2 forward+backward, {c}x{h}x{w}": lambda: cases.max_pool(torch, batch, c, h, w, True),
        f"linear {fin}->256 forward+backward": lambda: cases.linear(torch, batch, fin, 256),
        "cross_entropy 37 classes forward+backward": lambda: cases.cross_entropy(torch, batch, 37),
    }
    out = {}
    for name, build in shapes.items():
        mg_fn, t_fn, info = build()
        mg, tt = compare(mg_fn, t_fn, reps)
        out[name] = _pair_entry(mg, tt, info.get("flops"))
        _log(f"{name}: ratio {out[name]['ratio']}")
    return out


def measure_train(torch, batch, reps, h=40, w=168):
    mg_fn, t_fn, info = cases.train_step(torch, batch, h, w)
    mg, tt = compare(mg_fn, t_fn, reps)
    _log(f"train step batch {batch}: minigrad {mg.median:.1f} ms, torch {tt.median if tt else float('nan'):.1f} ms")
    return dict(_pair_entry(mg, tt, images=info["images"]), batch=batch, input=[1, h, w])


QUICK_NETWORKS = ("refcnn_step", "vgg16_fwd_igrad")   # --quick: one training step, one input gradient


def measure_networks(torch, reps, peak_n, quick):
    """Whole networks, each alternating minigrad and torch between two sgemm rooflines (as the conv layers)."""
    sgemm_fn, sgemm_flops = cases.sgemm(peak_n)
    out = {}
    for name, (title, kind, *_rest) in networks.NETWORKS.items():
        if quick and name not in QUICK_NETWORKS:
            continue
        mg_fn, _ = networks.build_minigrad(name, quick)
        t_fn = networks.build_torch(torch, name, quick) if torch is not None else None
        flops = networks.count_flops(mg_fn)
        (mg, *tt), local_peak = _between_peaks([mg_fn] + ([t_fn] if t_fn else []), reps, sgemm_fn, sgemm_flops)
        tt = tt[0] if tt else None
        batch, chw = networks.shape(name, quick)
        out[name] = dict(_pair_entry(mg, tt, flops, local_peak, images=batch), title=title, kind=kind,
                         batch=batch, input=list(chw), gflop=flops / 1e9, peak_gflops=local_peak)
        _log(f"{name}: minigrad {mg.median:.0f} ms, torch {tt.median if tt else float('nan'):.0f} ms, "
             f"{out[name]['gflops']:.0f} GFLOP/s of sgemm {local_peak:.0f}")
    return out


def measure_where(quick, peak_n):
    sgemm_fn, sgemm_flops = cases.sgemm(peak_n)
    out = {}
    for name in ("refcnn_step",) if quick else ("resnet18_small", "refcnn_step"):
        out[name] = where.profile_network(name, quick, 1 if quick else 3, sgemm_fn, sgemm_flops,
                                          threadpool.pool_size(needs_blas=True))
        _log(f"where the time goes, {name}: {out[name]['wall_ms']:.0f} ms a step")
    return out


def measure_batch_scaling(torch, batches, reps, h, w):
    rows = []
    for b in batches:
        e = measure_train(torch, b, reps, h, w)
        rows.append({"batch": b, "minigrad_img_s": e["minigrad_img_s"], "torch_img_s": e["torch_img_s"],
                     "ratio": e["ratio"]})
    return rows


def measure_thread_scaling(thread_counts, batch, reps, no_torch, h, w):
    rows = []
    for t in thread_counts:
        res, _ = spawn("threads", t, ["--batch", batch, "--reps", reps, "--no-torch", int(no_torch), "--h", h, "--w", w])
        mg = Stat(**res["minigrad"])
        tt = Stat(**res["torch"]) if res["torch"] else None
        rows.append({"threads": t, **_pair_entry(mg, tt, images=batch)})
        if "cpu_ms" in res:
            rows[-1]["cpu_ms"] = {k: _pair_entry(Stat(**v["minigrad"]), Stat(**v["torch"]) if v["torch"] else None)
                                  for k, v in res["cpu_ms"].items()}
        _log(f"threads {t}: ratio {rows[-1]['ratio']}")
    return rows


def measure_ablation(batch, reps, quick):
    """The conv design choices, switched off one at a time (fwd+bwd, minigrad only):
    default = cache-sized image chunks on the kernel worker pool (one worker per core, each with a
    single-threaded BLAS); no_pool = the same chunks on the main thread, serial kernels around
    multi-threaded OpenBLAS; one_gemm = one GEMM over the whole batch per pass."""
    from minigrad.kernels import conv as conv_kernels
    from minigrad.kernels import threadpool
    out = {}
    for name, (cin, cout, h, w) in _conv_layers(quick).items():
        default, _, _ = cases.conv_layer(None, batch, cin, cout, h, w, True)

        def no_pool(fn=default):
            threadpool.enabled = False
            try:
                fn()
            finally:
                threadpool.enabled = True

        def one_gemm(fn=default):
            saved = conv_kernels._MIN_GEMM_COLS
            conv_kernels._MIN_GEMM_COLS = 1 << 40  # one chunk = the whole batch ...
            threadpool.enabled = False  # ... on the main thread with multi-threaded BLAS
            try:
                fn()
            finally:
                conv_kernels._MIN_GEMM_COLS, threadpool.enabled = saved, True
        d, n, o = compare_many([default, no_pool, one_gemm], reps)
        out[name] = {"default_ms": d.median, "no_pool_ms": n.median, "one_gemm_ms": o.median}
        _log(f"ablation conv {name}: default {d.median:.1f} ms, no pool {n.median:.1f} ms, one GEMM {o.median:.1f} ms")
    return out


def measure_cost(batch, threads, quick, h, w):
    cost = {"rss": {"torch": {"skipped": "--quick"}}}
    for lib in ("minigrad",) if quick else ("minigrad", "torch"):
        cost["rss"][lib], _ = spawn("rss", threads, ["--batch", batch, "--lib", lib, "--h", h, "--w", w])
    if quick:
        return cost
    with tempfile.TemporaryDirectory() as cache:  # an empty Numba cache: a cold start, then a warm one
        env = {"NUMBA_CACHE_DIR": cache}
        cold, cold_wall = spawn("startup", threads, ["--batch", batch], env=env)
        warm, warm_wall = spawn("startup", threads, ["--batch", batch], env=env)
    cost["startup"] = {"cold": dict(cold, wall_s=cold_wall), "warm": dict(warm, wall_s=warm_wall)}
    _log(f"start-up to first step: cold {cold['to_first_step_s']:.1f} s, warm {warm['to_first_step_s']:.1f} s")
    return cost


def _meta(args, torch):
    return {
        "date": time.strftime("%Y-%m-%d %H:%M:%S"), "quick": args.quick, "threads": args.threads,
        "reps": args.reps, "python": platform.python_version(), "numpy": np.__version__,
        "numba": numba.__version__, "torch": torch.__version__ if torch else None,
        "cpu": platform.processor() or platform.machine(), "cores": os.cpu_count(),
        "load_avg_start": os.getloadavg(),
    }


SECTIONS = ("conv", "kernels", "networks", "where", "isolation", "ablation", "scaling", "cost")


def _sections(text):
    chosen = [x.strip() for x in text.split(",") if x.strip()]
    unknown = [x for x in chosen if x not in SECTIONS]
    if unknown or not chosen:
        raise argparse.ArgumentTypeError(f"unknown section(s) {', '.join(unknown) or text!r}; choose from "
                                         + ", ".join(SECTIONS))
    return chosen


def _previous(out_dir):
    """The results.json already in out_dir (its sections are kept when --only re-measures others)."""
    import json
    try:
        with open(os.path.join(out_dir, "results.json"), encoding="utf-8") as f:
            return json.load(f)
    except (OSError, ValueError):
        return {}


def main(argv=None):
    p = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__.splitlines()[0])
    p.add_argument("--quick", action="store_true", help="tiny shapes and few repetitions (smoke run)")
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--reps", type=int, default=None, help="timed repetitions per figure (default 7, quick 2)")
    p.add_argument("--out-dir", default=HERE, help="where RESULTS.md, results.json, results.png go; every run "
                   "regenerates (replaces) them by design")
    p.add_argument("--no-torch", action="store_true", help="run as if torch were not installed")
    p.add_argument("--only", type=_sections, default=list(SECTIONS), metavar="SECTIONS",
                   help="comma-separated subset of: " + ", ".join(SECTIONS))
    args = p.parse_args(argv)
    if "isolation" in args.only and not {"conv", "networks"} & set(args.only):
        p.error("--only isolation needs conv and/or networks in the same run (it checks this run's figures)")
    args.reps = args.reps or (2 if args.quick else 7)
    torch = cases.load_torch(args.no_torch)
    if torch is not None:
        torch.set_num_threads(args.threads)
    numba.set_num_threads(min(args.threads, numba.config.NUMBA_NUM_THREADS))
    q, only = args.quick, set(args.only)
    batch = 2 if q else 64
    peak_n = 256 if q else 2048
    t0 = time.perf_counter()
    res = _previous(args.out_dir) if only != set(SECTIONS) else {}
    res["meta"] = _meta(args, torch)
    res["meta"]["sections"] = args.only
    res["peak"] = measure_peak(peak_n, args.reps)
    _log(f"sgemm peak {res['peak']['sgemm_gflops']:.0f} GFLOP/s")
    h, w = (16, 48) if q else (40, 168)  # the training images; --quick shrinks them
    if "conv" in only:
        res["conv"] = measure_convs(torch, batch, args.reps, peak_n, q)
    if "kernels" in only:
        res["kernels"] = measure_kernels(torch, batch, args.reps, q)
    if "networks" in only:
        res["networks"] = measure_networks(torch, args.reps, peak_n, q)
    if "where" in only:
        res["where"] = measure_where(q, peak_n)
    if "isolation" in only:
        libs = ("minigrad",) if torch is None else ("minigrad", "torch")
        res["isolation"] = isolation.check(res, libs, args.reps, args.threads, q, spawn, _log, only,
                                           cases=["conv b fwd+bwd"] if q else None)
    if "ablation" in only:
        res["ablation"] = measure_ablation(batch, args.reps, q)
    if "scaling" in only:
        res["scaling_batch"] = measure_batch_scaling(torch, [2, 4] if q else [8, 16, 32, 64, 128, 256], args.reps, h, w)
        res["scaling_threads"] = measure_thread_scaling([1] if q else [1, 2], batch, args.reps, args.no_torch, h, w)
    if "cost" in only:
        res["cost"] = measure_cost(batch, args.threads, q, h, w)
    res["meta"]["load_avg_end"] = os.getloadavg()
    res["meta"]["seconds"] = time.perf_counter() - t0
    res["targets"] = report.targets(res)
    paths = report.write_all(res, args.out_dir, os.path.join(HERE, "optimisations.md"))
    _log("wrote " + ", ".join(paths))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
