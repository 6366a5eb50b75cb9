"""Drawing rows of MNIST digits the way a person's picture file of them would look, for
digitsum.data.picture_bench.

    ink = draw_row(digits, rng, scale=3.0)              # float32 ink map in [0, 1], 1 = full ink
    ink = thin_pen(ink, rng)                            # the same digits written with a thin pen
    page = on_paper(ink, paper=240, ink_level=30)       # float32 0-255 grayscale, dark ink on paper

Every function draws its randomness from the numpy Generator it is given, so a bench is the same for the
same seed. Only numpy and Pillow; the bench is small (hundreds of files), so clarity beats speed here.
"""
import numpy as np
from PIL import Image, ImageFilter

from digitsum.data.digit_style import ink_boxes


def ink_crop(digit):
    """A (28, 28) uint8 MNIST digit -> float32 ink in [0, 1] cropped to its ink box (1x1 zero if blank)."""
    x0, y0, x1, y1 = (int(v[0]) for v in ink_boxes(digit[None]))
    if x1 == x0:
        return np.zeros((1, 1), np.float32)
    return digit[y0:y1, x0:x1].astype(np.float32) / 255


def resize(a, width, height, smooth=True):
    """float32 2-D array resized with Pillow: bicubic (a smooth upsampling, as drawing programs do) or, when
    shrinking, BOX averaging (as a scanner or a screenshot at low resolution does). Clipped to [0, 1]."""
    width, height = max(1, int(round(width))), max(1, int(round(height)))
    shrink = width < a.shape[1] and height < a.shape[0]
    method = Image.Resampling.BOX if shrink else (Image.Resampling.BICUBIC if smooth else Image.Resampling.BILINEAR)
    img = Image.fromarray(np.ascontiguousarray(a, np.float32), mode="F").resize((width, height), method)
    return np.clip(np.asarray(img), 0, 1)


def draw_row(digits, rng, scale, sizes=None, baseline=0.05, gap=(0.1, 0.6), margin=(0.3, 1.0)):
    """Digits (k, 28, 28) uint8 placed left to right on one ink map.

    scale: ink size against MNIST's (a digit keeps its own height, ~20 px at scale 1); sizes (k,) extra
    factors per digit (default 1). Each digit's bottom sits on the row's baseline moved by up to
    +-`baseline` x the row's digit height; gaps between ink boxes and the margins around the row are drawn
    from the given ranges, also in units of that height."""
    k = len(digits)
    sizes = np.ones(k) if sizes is None else np.asarray(sizes, float)
    glyphs = []
    for d, f in zip(digits, sizes):
        g = ink_crop(d)
        s = scale * f
        glyphs.append(resize(g, g.shape[1] * s, g.shape[0] * s))
    unit = 20.0 * scale
    tallest = max(g.shape[0] for g in glyphs)
    shift = np.rint(rng.uniform(-baseline, baseline, k) * unit).astype(int)
    gaps = np.rint(rng.uniform(gap[0], gap[1], k) * unit).astype(int)
    gaps[0] = 0
    top_pad = int(np.abs(shift).max()) + 1
    height = tallest + 2 * top_pad
    x = np.concatenate([[0], np.cumsum([g.shape[1] for g in glyphs[:-1]] + gaps[1:])])
    width = int(x[-1] + glyphs[-1].shape[1])
    m = np.rint(rng.uniform(margin[0], margin[1], 4) * unit).astype(int)   # left, right, top, bottom
    canvas = np.zeros((height + m[2] + m[3], width + m[0] + m[1]), np.float32)
    for g, x0, dy in zip(glyphs, x, shift):
        y1 = m[2] + top_pad + tallest + dy                # the digit's bottom on the baseline
        region = canvas[y1 - g.shape[0]:y1, m[0] + x0:m[0] + x0 + g.shape[1]]
        np.maximum(region, g, out=region)
    return canvas


def _neighbours(b):
    """The 8 neighbours P2..P9 (clockwise from north) of every pixel of a padded boolean image."""
    c = b[1:-1, 1:-1]
    return c, [b[:-2, 1:-1], b[:-2, 2:], b[1:-1, 2:], b[2:, 2:], b[2:, 1:-1], b[2:, :-2], b[1:-1, :-2], b[:-2, :-2]]


def skeleton(mask):
    """Zhang-Suen thinning of a boolean image: one-pixel-wide centre lines that keep the strokes connected."""
    b = np.pad(mask.astype(bool), 1)
    while True:
        changed = False
        for step in (0, 1):
            c, p = _neighbours(b)
            n = sum(q.astype(np.int8) for q in p)
            ring = p + p[:1]
            transitions = sum((~ring[i] & ring[i + 1]).astype(np.int8) for i in range(8))
            if step == 0:
                cond = ~(p[0] & p[2] & p[4]) & ~(p[2] & p[4] & p[6])
            else:
                cond = ~(p[0] & p[2] & p[6]) & ~(p[0] & p[4] & p[6])
            remove = c & (n >= 2) & (n <= 6) & (transitions == 1) & cond
            if remove.any():
                b[1:-1, 1:-1] = c & ~remove
                changed = True
        if not changed:
            return b[1:-1, 1:-1]


def thin_pen(ink, rng, width=(1, 3)):
    """The digits of `ink` redrawn as a pen line `width` px wide (drawn at random in that range), whatever
    the digit size: the centre lines of the strokes, widened, softened by a slight blur (anti-aliasing)."""
    line = skeleton(ink > 0.5).astype(np.float32)
    w = int(rng.integers(width[0], width[1] + 1))
    if w > 1:
        line = np.asarray(Image.fromarray(line, mode="F").filter(ImageFilter.MaxFilter(2 * (w // 2) + 1)))
    return np.clip(soften(line) * 1.5, 0, 1)


def soften(a):
    """A slight blur (1-2-1 kernel along both axes), the anti-aliasing of a drawn line."""
    p = np.pad(a, 1, mode="edge")
    p = 0.25 * p[:-2] + 0.5 * p[1:-1] + 0.25 * p[2:]
    return 0.25 * p[:, :-2] + 0.5 * p[:, 1:-1] + 0.25 * p[:, 2:]


def smooth_field(rng, shape, cells, amplitude):
    """Low-frequency texture: random values on a coarse grid, upsampled smoothly; +-amplitude."""
    coarse = rng.uniform(-1, 1, (cells, max(2, int(cells * shape[1] / max(1, shape[0])))))
    img = Image.fromarray(coarse.astype(np.float32), mode="F").resize((shape[1], shape[0]), Image.Resampling.BICUBIC)
    return np.asarray(img) * amplitude


def gradient(rng, shape, amplitude):
    """A linear brightness ramp across the page in a random direction, +-amplitude."""
    angle = rng.uniform(0, 2 * np.pi)
    yy, xx = np.mgrid[0:shape[0], 0:shape[1]].astype(np.float32)
    r = np.cos(angle) * xx / max(1, shape[1]) + np.sin(angle) * yy / max(1, shape[0])
    r = (r - r.min()) / max(1e-6, float(r.max() - r.min()))
    return (2 * r - 1) * amplitude


def on_paper(ink, paper, ink_level):
    """Ink composited onto paper: paper and ink_level are gray levels (scalars or arrays the ink's shape)."""
    return paper * (1 - ink) + ink_level * ink


def speckle(page, rng, density, dark=True):
    """Sensor dust and paper fibres: `density` of the pixels get a 1-2 px speck of ink-like gray."""
    h, w = page.shape
    n = int(density * h * w)
    ys, xs = rng.integers(0, h - 1, n), rng.integers(0, w - 1, n)
    level = rng.uniform(0, 90, n) if dark else rng.uniform(165, 255, n)
    out = page.copy()
    big = rng.random(n) < 0.3                             # some specks are 2x2
    for dy, dx in ((0, 0), (0, 1), (1, 0), (1, 1)):
        sel = big if (dy or dx) else np.ones(n, bool)
        out[ys[sel] + dy, xs[sel] + dx] = level[sel]
    return out


def to_uint8(page):
    return np.clip(np.rint(page), 0, 255).astype(np.uint8)
