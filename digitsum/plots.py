"""Figures for digitsum, drawn with matplotlib's object API (no pyplot global state, no display needed)
and written atomically.

- draw_samples(images, labels, path, ...): a labelled grid of 40x168 composites (used by `digitsum.data show`).
"""
import io

import numpy as np

from minigrad.serialization import atomic_write


def _new_figure(width, height):
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    fig = Figure(figsize=(width, height))
    FigureCanvasAgg(fig)
    return fig


def save_figure(fig, path, dpi=100):
    """Render to memory first, so a rendering error never leaves a file behind; then write atomically."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi)
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
