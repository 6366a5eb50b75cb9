"""Turn the results dict into RESULTS.md, results.json and results.png (all written atomically)."""
import json
import os

from minigrad.serialization import atomic_write

TARGETS = [  # (name, how to read the value, comparison, bound)
    ("conv a forward+backward, minigrad/torch", lambda r: r["conv"]["a"]["fwdbwd"]["ratio"], "<=", 1.0),
    ("conv b forward+backward, minigrad/torch", lambda r: r["conv"]["b"]["fwdbwd"]["ratio"], "<=", 1.3),
    ("conv c forward+backward, minigrad/torch", lambda r: r["conv"]["c"]["fwdbwd"]["ratio"], "<=", 1.3),
    ("reference CNN training step, minigrad/torch", lambda r: r["train_step"]["ratio"], "<=", 1.25),
    ("  moonshot: training step", lambda r: r["train_step"]["ratio"], "<=", 1.0),
    ("conv b forward+backward, % of sgemm peak", lambda r: r["conv"]["b"]["fwdbwd"]["pct_peak"], ">=", 60.0),
    ("conv c forward+backward, % of sgemm peak", lambda r: r["conv"]["c"]["fwdbwd"]["pct_peak"], ">=", 60.0),
    ("VGG16 conv base forward, minigrad/torch", lambda r: (r["vgg16"] or {}).get("ratio"), "<=", 1.3),
    ("training step peak RSS, MB", lambda r: r["cost"]["rss"]["minigrad"]["peak_rss_mb"], "<=", 1500.0),
    ("cached start-up to the first step, s", lambda r: r["cost"].get("startup", {}).get("warm", {}).get("wall_s"),
     "<", 3.0),
]


def targets(res):
    rows = []
    for name, get, op, bound in TARGETS:
        try:
            value = get(res)
        except (KeyError, TypeError):
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


def markdown(res, history_path):
    m, peak = res["meta"], res["peak"]["sgemm_gflops"]
    lines = [
        "# minigrad vs PyTorch benchmarks",
        "",
        "Regenerate with `python -m benchmarks` (writes this file, `results.json` and `results.png`).",
        f"Run {m['date']}, {m['threads']} threads for numpy/OpenBLAS, Numba and torch alike, same process, "
        f"alternating minigrad/torch after warm-up; medians of {m['reps']} repetitions with (min–max) in ms. "
        f"numpy {m['numpy']}, numba {m['numba']}, torch {m['torch'] or 'absent'}, {m['cores']} cores. "
        f"Load average at start {tuple(round(x, 2) for x in m['load_avg_start'])}, at end "
        f"{tuple(round(x, 2) for x in m['load_avg_end'])} (others share this machine: ratios are what matter). "
        f"Took {m['seconds']:.0f} s.",
    ]
    if m["quick"]:
        lines += ["", "**--quick run: tiny shapes, numbers mean nothing.**"]
    lines += ["", "## Targets", "",
              _table(["target", "measured", "goal", "met"],
                     [[t["name"], _f(t["value"]), t["target"], {True: "yes", False: "**no**", None: "—"}[t["met"]]]
                      for t in res["targets"]])]
    lines += ["", f"## Peak: numpy sgemm {peak:.0f} GFLOP/s (n = {res['peak']['n']}), our roofline", ""]
    lines += ["## Conv layers (3×3, padding 1)", "",
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
    lines += ["", "## Other kernels (through minigrad.functional, autograd included)", "",
              _table(["op", "minigrad ms", "torch ms", "ratio"],
                     [[k, _ms(e["minigrad"]), _ms(e["torch"]), _f(e["ratio"])] for k, e in res["kernels"].items()])]
    t = res["train_step"]
    lines += ["", f"## Reference CNN training step (Adam, MSE, batch {t['batch']}, input {t['input']})", "",
              _table(["", "ms", "images/s"],
                     [["minigrad", _ms(t["minigrad"]), _f(t["minigrad_img_s"], "{:.0f}")],
                      ["torch", _ms(t["torch"]), _f(t["torch_img_s"], "{:.0f}")],
                      ["ratio", _f(t["ratio"]), ""]])]
    v = res["vgg16"]
    lines += ["", "## VGG16 conv base, forward", ""]
    if v is None:
        lines.append("minigrad.models.vgg16_features is not available.")
    else:
        lines.append(_table(["batch × input", "minigrad ms", "torch ms", "ratio", "minigrad img/s", "torch img/s"],
                            [[f"{v['batch']} × {v['input']}", _ms(v["minigrad"]), _ms(v["torch"]), _f(v["ratio"]),
                              _f(v["minigrad_img_s"], "{:.0f}"), _f(v["torch_img_s"], "{:.0f}")]]))
    lines += ["", "## Scaling", "", "Training step images/s against batch size:", "",
              _table(["batch", "minigrad img/s", "torch img/s", "ratio"],
                     [[r["batch"], _f(r["minigrad_img_s"], "{:.0f}"), _f(r["torch_img_s"], "{:.0f}"), _f(r["ratio"])]
                      for r in res["scaling_batch"]])]
    if res["scaling_threads"]:
        lines += ["", f"Training step (batch {t['batch']}) against thread count, each in a fresh process:", "",
                  _table(["threads", "minigrad img/s", "torch img/s", "ratio"],
                         [[r["threads"], _f(r["minigrad_img_s"], "{:.0f}"), _f(r["torch_img_s"], "{:.0f}"),
                           _f(r["ratio"])] for r in res["scaling_threads"]])]
        cpu = next((r["cpu_ms"] for r in res["scaling_threads"] if "cpu_ms" in r), None)
        if cpu:
            lines += ["", "Load-independent check: with 1 thread, the process CPU time each library spends "
                      "(other processes on the machine cannot inflate it):", "",
                      _table(["work", "minigrad CPU ms", "torch CPU ms", "ratio"],
                             [[k, _ms(e["minigrad"]), _ms(e["torch"]), _f(e["ratio"])] for k, e in cpu.items()])]
    lines += ["", "## Ablation: the conv design, one choice switched off at a time (fwd+bwd, minigrad only)", "",
              "default = cache-sized image chunks on the kernel worker pool (one worker per core, each with a "
              "single-threaded BLAS); no pool = the same chunks on the main thread, serial kernels around "
              "multi-threaded OpenBLAS (the fallback when OpenBLAS lacks a per-thread setter); one GEMM = one "
              "GEMM over the whole batch per pass on the main thread (the phase-1 layout).", "",
              _table(["layer", "default ms", "no pool ms", "one GEMM ms", "no pool / default", "one GEMM / default"],
                     [[k, _f(a["default_ms"], "{:.1f}"), _f(a["no_pool_ms"], "{:.1f}"), _f(a["one_gemm_ms"], "{:.1f}"),
                       _f(a["no_pool_ms"] / a["default_ms"]), _f(a["one_gemm_ms"] / a["default_ms"])]
                      for k, a in res["ablation"].items()])]
    rss, st = res["cost"]["rss"], res["cost"].get("startup")
    lines += ["", "## Cost", "",
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
    if history_path and os.path.exists(history_path):
        with open(history_path, encoding="utf-8") as f:
            lines += ["", f.read().strip()]
    return "\n".join(lines) + "\n"


def plot(res, path):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    fig, ax = plt.subplots(1, 3, figsize=(16, 4.5))
    names, ratios, goals = [], [], []
    for n in ("a", "b", "c"):
        names.append(f"conv {n}")
        ratios.append(res["conv"][n]["fwdbwd"]["ratio"])
        goals.append(1.0 if n == "a" else 1.3)
    names.append("train step")
    ratios.append(res["train_step"]["ratio"])
    goals.append(1.25)
    if res["vgg16"]:
        names.append("VGG16 fwd")
        ratios.append(res["vgg16"]["ratio"])
        goals.append(1.3)
    xs = range(len(names))
    ax[0].bar(xs, [r or 0 for r in ratios], color="tab:blue")
    ax[0].scatter(xs, goals, marker="_", s=600, color="tab:red", label="target", zorder=3)
    ax[0].axhline(1.0, color="gray", lw=0.8)
    ax[0].set_xticks(list(xs), names)
    ax[0].set_ylabel("time ratio minigrad / torch (lower is better)")
    ax[0].legend()
    sb = res["scaling_batch"]
    ax[1].plot([r["batch"] for r in sb], [r["minigrad_img_s"] for r in sb], "o-", label="minigrad")
    if sb and sb[0]["torch_img_s"]:
        ax[1].plot([r["batch"] for r in sb], [r["torch_img_s"] for r in sb], "s-", label="torch")
    ax[1].set_xscale("log", base=2)
    ax[1].set_xlabel("batch size")
    ax[1].set_ylabel("training images/s")
    ax[1].legend()
    peak = res["peak"]["sgemm_gflops"]
    labels, mg, tt = [], [], []
    for n, c in res["conv"].items():
        for key in ("fwd", "fwdbwd"):
            labels.append(f"{n} {key}")
            mg.append(c[key]["gflops"])
            tt.append(c[key]["torch_gflops"] or 0)
    xs = range(len(labels))
    ax[2].bar([x - 0.2 for x in xs], mg, 0.4, label="minigrad")
    ax[2].bar([x + 0.2 for x in xs], tt, 0.4, label="torch")
    ax[2].axhline(peak, color="tab:red", ls="--", label=f"sgemm peak at start {peak:.0f}")
    ax[2].axhline(0.6 * peak, color="tab:red", ls=":", label="60% of peak")
    ax[2].set_xticks(list(xs), labels, rotation=30)
    ax[2].set_ylabel("GFLOP/s")
    ax[2].legend(fontsize=8)
    fig.suptitle(f"minigrad vs torch, {res['meta']['threads']} threads" + (" (--quick)" if res["meta"]["quick"] else ""))
    fig.tight_layout()
    with atomic_write(path, "wb") as f:
        fig.savefig(f, format="png", dpi=90)
    plt.close(fig)


def write_all(res, out_dir, history_path=None):
    os.makedirs(out_dir, exist_ok=True)
    paths = [os.path.join(out_dir, n) for n in ("RESULTS.md", "results.json", "results.png")]
    with atomic_write(paths[0], "w") as f:
        f.write(markdown(res, history_path))
    with atomic_write(paths[1], "w") as f:
        json.dump(res, f, indent=1, default=float)
    plot(res, paths[2])
    return paths
