""""Where the time goes": minigrad.profiler over a few steps of a network, reduced to JSON-able rows
(per op and per layer, with GFLOP/s and the share of the sgemm peak measured just before).

FLOPs are direct-convolution/GEMM counts, so layers on Winograd show an effective rate (it can exceed the
sgemm peak). The profiler's op times are on the calling thread: a conv's time includes waiting for the kernel workers,
whose busy time appears separately as `worker: <op>` rows; utilisation = worker busy time / (workers x wall).
"""
import time

from benchmarks import networks
from benchmarks.timing import compare, quiesce


def _op_rows(averages, steps):
    rows = []
    for r in averages:
        if r.kind not in ("op", "backward", "worker"):
            continue
        rows.append({"name": r.key, "module": r.module, "kind": r.kind, "calls": r.count / steps,
                     "ms": r.cpu_time_total / 1e3 / steps, "self_ms": r.self_cpu_time_total / 1e3 / steps,
                     "gflops": r.flops / 1e9 / steps})
    return sorted(rows, key=lambda r: -r["self_ms"])


def _layer_rows(averages, steps):
    """Per layer: forward and backward ms on the calling thread and the layer's GEMM FLOPs."""
    layers = {}
    for r in averages:
        if r.kind not in ("op", "backward"):
            continue
        row = layers.setdefault(r.module or "(outside modules)", {"fwd_ms": 0.0, "bwd_ms": 0.0, "gflops": 0.0})
        row["bwd_ms" if r.is_backward else "fwd_ms"] += r.cpu_time_total / 1e3 / steps
        row["gflops"] += r.flops / 1e9 / steps
    rows = [{"layer": k, **v} for k, v in layers.items()]
    return sorted(rows, key=lambda r: -(r["fwd_ms"] + r["bwd_ms"]))


def profile_network(name, quick, steps, peak_fn, peak_flops, workers):
    """Profile `steps` calls of a network case after two warm-up calls."""
    import minigrad
    fn, _ = networks.build_minigrad(name, quick)
    fn()
    fn()
    peak_stat, _ = compare(peak_fn, None, 3, warmup=1)
    quiesce()
    t0 = time.perf_counter()
    with minigrad.profiler.profile(record_shapes=False) as prof:
        for _ in range(steps):
            with minigrad.profiler.record_function("step"):
                fn()
    wall_ms = (time.perf_counter() - t0) * 1e3 / steps
    ops = _op_rows(prof.key_averages(), steps)
    busy = sum(r["self_ms"] for r in ops if r["kind"] == "worker")
    return {"steps": steps, "wall_ms": wall_ms, "peak_gflops": peak_flops / (peak_stat.median * 1e6),
            "workers": workers, "worker_busy_ms": busy,
            "ops": ops, "layers": _layer_rows(prof.key_averages(group_by_module=True), steps)}
