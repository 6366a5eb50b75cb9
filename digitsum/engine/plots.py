"""Figures for digitsum, drawn with matplotlib's object API (no pyplot global state, no display needed)
and written atomically.

- draw_samples(images, labels, path, ...): a labelled grid of 40x168 composites (used by `digitsum.data show`).
- plot_curves(history, path), plot_confusion(matrix, path): a training run's curves.png and confusion.png.
- draw_predictions(images, readings, pred, true, path): predictions.png (`digitsum.evaluate --grid`).
"""
import io

import numpy as np

from minigrad.serialization import atomic_write


def _new_figure(width, height):
    # matplotlib is imported on first use: it takes as long to import as the rest of digitsum, a cost
    # that commands drawing nothing should not pay
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    fig = Figure(figsize=(width, height))
    FigureCanvasAgg(fig)
    return fig


def save_figure(fig, path, dpi=100):
    """Render to memory first, so a rendering error never leaves a file behind; then write atomically.
    `path` may also be a binary file opened by a caller that writes atomically itself."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi)
    if hasattr(path, "write"):
        path.write(buf.getvalue())
        return
    with atomic_write(path) as f:
        f.write(buf.getvalue())


def draw_samples(images, labels, path, digits=None, ncols=4, title=None, dpi=80):
    """Grid of composites, each titled with its sum (and its digits, e.g. '7+2+5+1 = 15', when given).

    images (n, 40, 168) uint8; labels (n,); digits (n, D) with -1 for absent slots, or None.
    Pixels are shown with a fixed 0-255 grey scale (not auto-contrast), so faint strokes look faint."""
    images, labels = np.asarray(images), np.asarray(labels)
    n = len(images)
    ncols = max(1, min(ncols, n))
    nrows = max(1, -(-n // ncols))
    fig = _new_figure(3.0 * ncols, 1.0 * nrows + (0.4 if title else 0.1))
    for i in range(n):
        ax = fig.add_subplot(nrows, ncols, i + 1)
        ax.imshow(images[i], cmap="gray", vmin=0, vmax=255, interpolation="nearest")
        text = f"sum {int(labels[i])}"
        if digits is not None:
            d = [str(int(v)) for v in digits[i] if v >= 0]
            text = f"{'+'.join(d)} = {int(labels[i])}"
        ax.set_title(text, fontsize=9, pad=2)
        ax.set_xticks([])
        ax.set_yticks([])
    if title:
        fig.suptitle(title, fontsize=10)
    fig.tight_layout(pad=0.3)
    save_figure(fig, path, dpi=dpi)
    return path


# ---------------------------------------------------------------- training figures (digitsum.train)
def plot_curves(history, path):
    """curves.png: loss and exact-sum accuracy per epoch, train against validation."""
    ep = [h["epoch"] for h in history]
    fig = _new_figure(10, 4)
    ax_l, ax_a = fig.subplots(1, 2)
    for key, label in (("train", "train"), ("val", "validation")):
        ax_l.plot(ep, [h[f"{key}_loss"] for h in history], "o-", label=label)
        ax_a.plot(ep, [100 * h[f"{key}_acc"] for h in history], "o-", label=label)
    ax_l.set(xlabel="epoch", ylabel="loss", title="loss")
    ax_a.set(xlabel="epoch", ylabel="exact-sum accuracy (%)", title="accuracy")
    from matplotlib.ticker import MaxNLocator
    for ax in (ax_l, ax_a):
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.grid(alpha=0.3)
        ax.legend()
    fig.tight_layout()
    save_figure(fig, path)


def plot_confusion(matrix, path):
    """confusion.png: true sum (rows) against predicted sum (columns); log colour scale, empty cells blank."""
    from matplotlib.colors import LogNorm
    m = np.asarray(matrix)
    fig = _new_figure(7, 6)
    ax = fig.subplots()
    im = ax.imshow(np.where(m > 0, m, np.nan), cmap="viridis", norm=LogNorm(vmin=1, vmax=max(2, m.max())))
    ax.set(xlabel="predicted sum", ylabel="true sum",
           title=f"test set: accuracy {100 * np.trace(m) / max(1, m.sum()):.1f}% of {m.sum()} images")
    fig.colorbar(im, ax=ax, label="images")
    fig.tight_layout()
    save_figure(fig, path)


def draw_predictions(images, readings, pred, true, path, ncols=3, dpi=80):
    """predictions.png: test composites titled with the model's reading and predicted sum, and the true sum
    (green when the predicted sum is right, red when not). readings: the spec's readout strings (such as
    '7 2 5 1 -> 15', which already end with the predicted sum), or None for models that read no digits."""
    images = np.asarray(images)
    n = len(images)
    ncols = max(1, min(ncols, n))
    nrows = max(1, -(-n // ncols))
    fig = _new_figure(3.2 * ncols, 1.05 * nrows + 0.1)
    for i in range(n):
        ax = fig.add_subplot(nrows, ncols, i + 1)
        ax.imshow(images[i], cmap="gray", vmin=0, vmax=255, interpolation="nearest")
        said = readings[i] if readings is not None else f"pred {int(pred[i])}"
        ok = int(pred[i]) == int(true[i])
        ax.set_title(f"{said}   (true {int(true[i])})", fontsize=8, pad=2,
                     color="green" if ok else "red")
        ax.set_xticks([])
        ax.set_yticks([])
    fig.tight_layout(pad=0.3)
    save_figure(fig, path, dpi=dpi)
    return path


def plot_layer_times(layers, path, title):
    """profile.png: time per layer as horizontal bars split into forward and backward.
    layers: [(layer name, forward ms, backward ms)], drawn in the given order from the top."""
    names = [n for n, _, _ in layers]
    fwd = np.array([f for _, f, _ in layers])
    bwd = np.array([b for _, _, b in layers])
    fig = _new_figure(9, 1.5 + 0.28 * len(layers))
    ax = fig.subplots()
    ys = np.arange(len(layers))[::-1]
    ax.barh(ys, fwd, color="tab:blue", label="forward")
    ax.barh(ys, bwd, left=fwd, color="tab:orange", label="backward")
    ax.set_yticks(ys, names, fontsize=8)
    ax.set(xlabel="time on the calling thread (ms, summed over the profiled steps)", title=title)
    ax.grid(axis="x", alpha=0.3)
    ax.legend(loc="lower right")
    fig.tight_layout()
    save_figure(fig, path)
