"""results.png: time ratios against their targets, whole-network GFLOP/s against the sgemm roofline, and
training images/s against batch size (panels for sections that were not measured stay empty)."""
from minigrad.serialization import atomic_write

_GOALS = {"resnet18_small": 1.1, "resnet18_tv": 1.1, "vgg16_fwd": 1.1, "vgg16_fwd_igrad": 1.1, "refcnn_step": 1.25}
_CONV_GOALS = {"a": 1.0, "b": 1.3, "c": 1.3}


def plot(res, path):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    fig, ax = plt.subplots(1, 3, figsize=(17, 4.8))
    names, ratios, goals = [], [], []
    for n, goal in _CONV_GOALS.items():
        if n in res.get("conv", {}):
            names.append(f"conv {n}")
            ratios.append(res["conv"][n]["fwdbwd"]["ratio"])
            goals.append(goal)
    nets = res.get("networks", {})
    for n, e in nets.items():
        names.append(n)
        ratios.append(e["ratio"])
        goals.append(_GOALS.get(n))
    xs = range(len(names))
    ax[0].bar(xs, [r or 0 for r in ratios], color="tab:blue")
    ax[0].scatter(xs, [g or 0 for g in goals], marker="_", s=600, color="tab:red", label="target", zorder=3)
    ax[0].axhline(1.0, color="gray", lw=0.8)
    ax[0].set_xticks(list(xs), names, rotation=30, ha="right")
    ax[0].set_ylabel("time ratio minigrad / torch (lower is better)")
    ax[0].legend()
    xs = range(len(nets))
    ax[1].bar([x - 0.2 for x in xs], [e["gflops"] for e in nets.values()], 0.4, label="minigrad")
    ax[1].bar([x + 0.2 for x in xs], [e["torch_gflops"] or 0 for e in nets.values()], 0.4, label="torch")
    ax[1].scatter(xs, [e["peak_gflops"] for e in nets.values()], marker="_", s=600, color="tab:red",
                  label="sgemm, same window", zorder=3)
    ax[1].set_xticks(list(xs), list(nets), rotation=30, ha="right")
    ax[1].set_ylabel("GFLOP/s")
    ax[1].legend(fontsize=8)
    sb = res.get("scaling_batch") or []
    if sb:
        ax[2].plot([r["batch"] for r in sb], [r["minigrad_img_s"] for r in sb], "o-", label="minigrad")
        if sb[0]["torch_img_s"]:
            ax[2].plot([r["batch"] for r in sb], [r["torch_img_s"] for r in sb], "s-", label="torch")
        ax[2].set_xscale("log", base=2)
        ax[2].legend()
    ax[2].set_xlabel("batch size")
    ax[2].set_ylabel("reference CNN training images/s")
    fig.suptitle(f"minigrad vs torch, {res['meta']['threads']} threads" + (" (--quick)" if res["meta"]["quick"] else ""))
    fig.tight_layout()
    with atomic_write(path, "wb") as f:
        fig.savefig(f, format="png", dpi=90)
    plt.close(fig)
