"""Turn the results dict into RESULTS.md, results.json and results.png (all written atomically)."""
import json
import os

from benchmarks import plot
from minigrad.serialization import atomic_write

def _ratio(*path):
    def get(r):
        for k in path:
            r = r[k]
        return r["ratio"]
    return get


def _isolation_worst(r):
    rows = [row for case in r["isolation"].values() for row in case.values()]
    return max(abs(row["ratio"] - 1.0) for row in rows) if rows else None


TARGETS = [  # (name, how to read the value, comparison, bound); the "must" bounds
    ("ResNet-18 step, 3×3 stride-2 stem, minigrad/torch", _ratio("networks", "resnet18_small"), "<=", 1.1),
    ("ResNet-18 step, torchvision stem, minigrad/torch", _ratio("networks", "resnet18_tv"), "<=", 1.1),
    ("VGG16 conv base forward, minigrad/torch", _ratio("networks", "vgg16_fwd"), "<=", 1.1),
    ("VGG16 forward + input gradient, minigrad/torch", _ratio("networks", "vgg16_fwd_igrad"), "<=", 1.1),
    ("reference CNN training step, minigrad/torch", _ratio("networks", "refcnn_step"), "<=", 1.25),
    ("conv a forward+backward, minigrad/torch", _ratio("conv", "a", "fwdbwd"), "<=", 1.0),
    ("conv b forward+backward, minigrad/torch", _ratio("conv", "b", "fwdbwd"), "<=", 1.3),
    ("conv c forward+backward, minigrad/torch", _ratio("conv", "c", "fwdbwd"), "<=", 1.3),
    ("isolation: worst distance of harness / alone from 1", _isolation_worst, "<=", 0.10),
    ("training step peak RSS, MB", lambda r: r["cost"]["rss"]["minigrad"]["peak_rss_mb"], "<=", 660.0),
    ("cached start-up to the first step, s", lambda r: r["cost"].get("startup", {}).get("warm", {}).get("wall_s"),
     "<", 3.0),
]


def targets(res):
    rows = []
    for name, get, op, bound in TARGETS:
        try:
            value = get(res)
        except (KeyError, TypeError, AttributeError):
            value = None
        met = None if value is None else (value <= bound if op == "<=" else value >= bound if op == ">=" else value < bound)
        rows.append({"name": name, "value": value, "target": f"{op} {bound:g}", "met": met})
    return rows


def _f(v, fmt="{:.2f}"):
    return "—" if v is None else fmt.format(v)


def _ms(stat):
    if stat is None:
        return "—"
    return f"{stat['median']:.1f} ({stat['min']:.1f}–{stat['max']:.1f})"


def _table(header, rows):
    out = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    out += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(out)


METHOD = """## Method: a fair harness and the isolation check

Each figure alternates the libraries call by call after a warm-up (minigrad, torch), so drift and load hit
both, and takes the median; where a percentage of peak is shown, the sgemm roofline is timed just before and
just after, outside the alternation (its 48 MB of operands evicted the cache before every timed call: the
reference CNN step took 386 ms inside such an alternation and 204-282 ms without it). **Before every timed
call the harness waits until no other thread of the process is runnable** (`benchmarks.timing.quiesce`, which
polls `/proc/self/task/*/stat`). Why: after a parallel region numpy's OpenBLAS workers busy-wait for more work
(measured: still runnable 60-90 ms after a 2048 sgemm returned) and torch's OpenMP workers likewise (up to
~80 ms after a training step). Earlier versions timed torch right after the sgemm roofline or after minigrad,
on 2 cores shared with those spinning threads; torch's conv 32→64 fwd+bwd took 145 ms in that harness against
90 ms alone (conv 64→128: 130 against 65 ms), so the ratios published then flattered minigrad. Both libraries
run with the same thread count (`--threads`, via OMP/OPENBLAS/MKL/NUMBA_NUM_THREADS and `set_num_threads`).
Every process of a run leaves glibc's malloc at its defaults (`MINIGRAD_KEEP_FREED_MEMORY=0`): minigrad's
import-time setting that keeps freed blocks for reuse is process-wide and would change torch's figures in the
harness, so minigrad is timed without it here (what it buys is in optimisations.md).

**Isolation check** (section `isolation`): every conv-layer and network figure is re-timed in a fresh process
that imports only that library (torch's process imports neither minigrad nor Numba), with the same timer,
repetitions and thread settings, between two re-timings in the harness process, three rounds in a row (so load
drifting during the run hits both sides); the median round's ratio counts. A figure is fair when harness / alone
is within 1 ± 0.10.
"""


def _run_line(m):
    return (f"Run {m['date']}, {m['threads']} threads for numpy/OpenBLAS, Numba and torch alike, "
            f"medians of {m['reps']} repetitions with (min–max) in ms. numpy {m['numpy']}, numba {m['numba']}, "
            f"torch {m['torch'] or 'absent'}, {m['cores']} cores. Load average at start "
            f"{tuple(round(x, 2) for x in m['load_avg_start'])}, at end {tuple(round(x, 2) for x in m['load_avg_end'])}. "
            f"Sections measured in this run: {', '.join(m.get('sections', []))}; took {m['seconds']:.0f} s.")


def _conv_section(res):
    lines = ["## Conv layers (3×3, padding 1)", "",
             "Input gradient computed for b and c; not for a (its input is the image, as in the network). "
             "FLOPs count 2·N·Cout·Cin·9·Ho·Wo per GEMM pass (forward, weight grad, input grad). The sgemm "
             "roofline is re-timed in the same round-robin as each layer, so the percentage compares like "
             "with like on a loaded machine.", ""]
    rows = []
    for name, c in res["conv"].items():
        n, cin, cout, h, w = c["shape"]
        for key, label in (("fwd", "forward"), ("fwdbwd", "fwd+bwd")):
            e = c[key]
            rows.append([f"{name}: {cin}→{cout} on {h}×{w}, batch {n}", label, _ms(e["minigrad"]), _ms(e["torch"]),
                         _f(e["ratio"]), _f(e["gflops"], "{:.0f}"), _f(e["torch_gflops"], "{:.0f}"),
                         _f(e.get("peak_gflops"), "{:.0f}"), _f(e["pct_peak"], "{:.0f}%")])
    lines.append(_table(["layer", "pass", "minigrad ms", "torch ms", "ratio", "GFLOP/s", "torch GFLOP/s",
                         "sgemm GFLOP/s (same window)", "minigrad % of sgemm"], rows))
    return lines


def _networks_section(res):
    rows = []
    for e in res["networks"].values():
        torch_pct = 100.0 * e["torch_gflops"] / e["peak_gflops"] if e["torch_gflops"] else None
        rows.append([e["title"], f"{e['batch']} × {e['input']}", _f(e["gflop"], "{:.1f}"), _ms(e["minigrad"]),
                     _ms(e["torch"]), _f(e["ratio"]), _f(e["gflops"], "{:.0f}"), _f(e["torch_gflops"], "{:.0f}"),
                     _f(e["peak_gflops"], "{:.0f}"), _f(e["pct_peak"], "{:.0f}%"), _f(torch_pct, "{:.0f}%"),
                     _f(e["minigrad_img_s"], "{:.0f}"), _f(e["torch_img_s"], "{:.0f}")])
    return ["## Whole networks", "",
            "GFLOP per call counted by minigrad.profiler (conv, linear and matmul; forward and backward GEMMs). "
            "Each side initialises its own weights (the cost does not depend on them); the sgemm roofline is "
            "re-timed in the same round-robin.", "",
            _table(["network", "batch × input", "GFLOP", "minigrad ms", "torch ms", "ratio", "GFLOP/s",
                    "torch GFLOP/s", "sgemm GFLOP/s (same window)", "minigrad % of sgemm", "torch % of sgemm",
                    "minigrad img/s", "torch img/s"], rows)]


def _where_section(res):
    lines = ["## Where the time goes (minigrad.profiler)", "",
             "Per step, averaged over the profiled steps. Op times are on the calling thread (a conv includes "
             "waiting for its kernel workers); `worker:` rows are the workers' busy time. % of peak uses the "
             "sgemm roofline timed just before profiling; FLOPs are direct-convolution counts, so Winograd "
             "layers show an effective rate."]
    for name, w in res["where"].items():
        peak = w["peak_gflops"]
        util = 100.0 * w["worker_busy_ms"] / (max(w["workers"], 1) * w["wall_ms"])
        lines += ["", f"### {name}: {w['wall_ms']:.0f} ms a step, kernel workers busy {util:.0f}% of "
                  f"{w['workers']} × wall, sgemm {peak:.0f} GFLOP/s", ""]
        ops = [[r["name"], _f(r["calls"], "{:.0f}"), _f(r["ms"], "{:.1f}"), _f(r["self_ms"], "{:.1f}"),
                _f(100.0 * r["self_ms"] / w["wall_ms"], "{:.0f}%") if r["kind"] != "worker" else "",
                _f(r["gflops"] / r["ms"] * 1e3 if r["gflops"] else None, "{:.0f}"),
                _f(100.0 * r["gflops"] / r["ms"] * 1e3 / peak if r["gflops"] else None, "{:.0f}%")]
               for r in w["ops"][:14]]
        lines += [_table(["op", "calls", "ms", "self ms", "% of step", "GFLOP/s", "% of sgemm"], ops), ""]
        layers = [[r["layer"], _f(r["fwd_ms"], "{:.1f}"), _f(r["bwd_ms"], "{:.1f}"), _f(r["gflops"], "{:.2f}"),
                   _f(r["gflops"] / (r["fwd_ms"] + r["bwd_ms"]) * 1e3 if r["gflops"] else None, "{:.0f}"),
                   _f(100.0 * r["gflops"] / (r["fwd_ms"] + r["bwd_ms"]) * 1e3 / peak if r["gflops"] else None,
                      "{:.0f}%")]
                  for r in w["layers"][:16]]
        lines.append(_table(["layer", "forward ms", "backward ms", "GFLOP", "GFLOP/s", "% of sgemm"], layers))
    return lines


def _isolation_section(res):
    rows = []
    for case, libs in res["isolation"].items():
        for lib, r in libs.items():
            rows.append([case, lib, _f(r.get("published_ms"), "{:.1f}"), _f(r.get("harness_before_ms"), "{:.1f}"),
                         _f(r.get("harness_after_ms"), "{:.1f}"), _ms(r["alone"]), _f(r["ratio"]),
                         "yes" if r["within"] else "**no**",
                         ", ".join(f"{x:.2f}" for x in r.get("round_ratios", [r["ratio"]]))])
    return ["## Isolation check: harness against each library alone in a fresh process", "",
            "Three rounds: the harness side is re-timed before and after each isolated process (libraries "
            "alternating as above), a round's ratio uses the mean of its two harness figures, and the row shows "
            "the median round (every round's ratio in the last column).", "",
            _table(["case", "library", "published ms", "harness before ms", "harness after ms", "alone ms",
                    "harness / alone", "within 10%", "ratio by round"], rows)]


def markdown(res, history_path):
    m = res["meta"]
    lines = ["# minigrad vs PyTorch benchmarks", "",
             "Regenerate with `python -m benchmarks` (writes this file, `results.json` and `results.png`; "
             "`--only SECTIONS` re-measures some sections and keeps the others from results.json).",
             _run_line(m)]
    if m["quick"]:
        lines += ["", "**--quick run: tiny shapes, numbers mean nothing.**"]
    lines += ["", "## Targets", "",
              _table(["target", "measured", "goal", "met"],
                     [[t["name"], _f(t["value"]), t["target"], {True: "yes", False: "**no**", None: "—"}[t["met"]]]
                      for t in res["targets"]]), "", METHOD]
    lines += [f"## Peak: numpy sgemm {res['peak']['sgemm_gflops']:.0f} GFLOP/s (n = {res['peak']['n']}), our roofline", ""]
    for key, section in (("networks", _networks_section), ("isolation", _isolation_section),
                         ("where", _where_section), ("conv", _conv_section)):
        if res.get(key):
            lines += section(res) + [""]
    if res.get("kernels"):
        lines += ["## Other kernels (through minigrad.functional, autograd included)", "",
                  _table(["op", "minigrad ms", "torch ms", "ratio"],
                         [[k, _ms(e["minigrad"]), _ms(e["torch"]), _f(e["ratio"])] for k, e in res["kernels"].items()])]
    if res.get("scaling_batch"):
        lines += _scaling_section(res)
    if res.get("ablation"):
        lines += _ablation_section(res)
    if res.get("cost"):
        lines += _cost_section(res)
    if history_path and os.path.exists(history_path):
        with open(history_path, encoding="utf-8") as f:
            lines += ["", f.read().strip()]
    return "\n".join(lines) + "\n"


def _scaling_section(res):
    lines = ["", "## Scaling", "", "Reference CNN training step images/s against batch size:", "",
             _table(["batch", "minigrad img/s", "torch img/s", "ratio"],
                    [[r["batch"], _f(r["minigrad_img_s"], "{:.0f}"), _f(r["torch_img_s"], "{:.0f}"), _f(r["ratio"])]
                     for r in res["scaling_batch"]])]
    if res.get("scaling_threads"):
        lines += ["", "Training step (batch 64) against thread count, each in a fresh process:", "",
                  _table(["threads", "minigrad img/s", "torch img/s", "ratio"],
                         [[r["threads"], _f(r["minigrad_img_s"], "{:.0f}"), _f(r["torch_img_s"], "{:.0f}"),
                           _f(r["ratio"])] for r in res["scaling_threads"]])]
        cpu = next((r["cpu_ms"] for r in res["scaling_threads"] if "cpu_ms" in r), None)
        if cpu:
            lines += ["", "Load-independent check: with 1 thread, the process CPU time each library spends "
                      "(other processes on the machine cannot inflate it):", "",
                      _table(["work", "minigrad CPU ms", "torch CPU ms", "ratio"],
                             [[k, _ms(e["minigrad"]), _ms(e["torch"]), _f(e["ratio"])] for k, e in cpu.items()])]
    return lines


def _ablation_section(res):
    return ["", "## Ablation: the conv design, one choice switched off at a time (fwd+bwd, minigrad only)", "",
            "default = cache-sized image chunks on the kernel worker pool (one worker per core, each with a "
            "single-threaded BLAS); no pool = the same chunks on the main thread, serial kernels around "
            "multi-threaded OpenBLAS (the fallback when OpenBLAS lacks a per-thread setter); one GEMM = one "
            "GEMM over the whole batch per pass on the main thread (the phase-1 layout).", "",
            _table(["layer", "default ms", "no pool ms", "one GEMM ms", "no pool / default", "one GEMM / default"],
                   [[k, _f(a["default_ms"], "{:.1f}"), _f(a["no_pool_ms"], "{:.1f}"), _f(a["one_gemm_ms"], "{:.1f}"),
                     _f(a["no_pool_ms"] / a["default_ms"]), _f(a["one_gemm_ms"] / a["default_ms"])]
                    for k, a in res["ablation"].items()])]


def _cost_section(res):
    rss, st = res["cost"]["rss"], res["cost"].get("startup")
    lines = ["", "## Cost", "",
             _table(["", "minigrad", "torch"],
                    [["peak RSS of a training step process, MB", _f(rss["minigrad"].get("peak_rss_mb"), "{:.0f}"),
                      _f(rss["torch"].get("peak_rss_mb"), "{:.0f}")],
                     ["RSS after imports, MB", _f(rss["minigrad"].get("rss_after_import_mb"), "{:.0f}"),
                      _f(rss["torch"].get("rss_after_import_mb"), "{:.0f}")]])]
    if st:
        lines += ["", _table(["Numba cache", "process start → first step done, s", "first step, s", "second step, s"],
                             [[k, _f(s["wall_s"]), _f(s["first_step_s"]), _f(s["second_step_s"])]
                              for k, s in st.items()]),
                  "", "Cold = empty `NUMBA_CACHE_DIR` (every kernel compiles); warm = the same cache, second process.",
                  "The wall time includes interpreter start and exit."]
    return lines


def write_all(res, out_dir, history_path=None):
    os.makedirs(out_dir, exist_ok=True)
    paths = [os.path.join(out_dir, n) for n in ("RESULTS.md", "results.json", "results.png")]
    with atomic_write(paths[0], "w") as f:
        f.write(markdown(res, history_path))
    with atomic_write(paths[1], "w") as f:
        json.dump(res, f, indent=1, default=float)
    plot.plot(res, paths[2])
    return paths
