"""The composite generator: MNIST digits -> 40x168 uint8 images whose label is the sum of their digits.

    X, y, records = compose(images, labels, n, seed=0, preset="course", digits=(4, 4))

- images (M, 28, 28) uint8 and labels (M,) from ONE MNIST split (train digits for train/val composites, test
  digits for test composites: the caller picks the split, compose never mixes).
- X (n, 40, 168) uint8, bright on black; y (n,) int64 = sum of the image's digits.
- records: dict of arrays, D = digits[1] (max digits per image), -1 where a slot is empty:
    "digits" (n, D) int16 digit labels, "index" (n, D) int32 index into `images`,
    "boxes" (n, D, 4) int16 ink box x0, y0, x1, y1 (ends exclusive) on the canvas.
  For analysis and evaluation only: no model may train on them.
Digit instances are drawn uniformly with replacement, so classes keep MNIST's natural frequencies.
The number of digits per image is uniform in digits=(A, B).

Presets (measured on the course's published samples, see PRESETS):
- "course": each digit cropped to its ink box at MNIST's native scale (ink height ~20 px, what every digit in
  the samples measures; `scale=(lo, hi)` rescales, aspect kept), placed left to right from a left margin of
  2-18 px with gaps from -3 px (overlap, strokes combined by max) to 28 px, each digit at its own random
  height (ink at least 3 px from the top and bottom edges); rows that would not fit are squeezed together, so the right part is often empty.
- "grid": unscaled 28x28 digits in fixed 42-px slots (at most 4 digits), for debugging.
- "broad": the digit reader's training distribution, wider than any one generator: a row height drawn from
  14-32 px and each digit's ink height within +-20% of it (clipped to 14-32), aspect 0.75-1.3, slant +-0.35,
  thinner/thicker strokes, peak ink 45-100% (these four on half of the digits, chosen at random; the
  other half keep MNIST's shape and ink), gaps -4..25 px, shrunk (not the digits) when a row would not
  fit (digitsum.data.digit_style does the per-digit variation). A Preset instance may be passed instead of a
  name, e.g. dataclasses.replace(PRESETS["broad"], height=(24, 26), height_jitter=0) for a test set.
- "reader": the digit reader's training mix, a Mixture: each row is a "course" row (MNIST's own shape and
  size) or a "broad" row, half and half, so the variety never crowds out plain MNIST rows.
Pure NumPy, vectorised over images; one scatter per digit slot.
"""
from dataclasses import dataclass

import numpy as np

from digitsum.data.digit_style import ink_boxes, restyle
from digitsum.data.shapes import H, W

CHUNK = 4096  # images per vectorised step: bounds the temporaries to a few tens of MB


@dataclass(frozen=True)
class Preset:
    scale: tuple = (1.0, 1.0)   # digit scale range (1.0 = MNIST size, ink box ~20 px high)
    left: tuple = (2, 18)       # left margin before the first ink box, px, inclusive range
    gap: tuple = (-3, 28)       # gap between neighbouring ink boxes, px (negative = overlap)
    vmargin: int = 3            # minimum distance of ink from the top and bottom edges
    grid: bool = False          # fixed 42-px slots instead of random placement
    height: tuple = None        # row ink height range, px (None: use scale); see digit_style
    height_jitter: float = 0.0  # each digit's height = row height * (1 +- this), clipped to `height`
    aspect: tuple = (1.0, 1.0)  # width factor on top of the height scale
    slant: tuple = (0.0, 0.0)   # shear dx/dy
    stroke: tuple = (0.0, 0.0, 0.0)  # probabilities of thin, thick, thicker strokes
    ink: tuple = (1.0, 1.0)     # peak ink intensity, fraction of the digit's own
    fit_gaps: bool = False      # a row too wide for the canvas shrinks its gaps first (else positions)
    styled: float = 1.0         # fraction of digits given the aspect/slant/stroke/ink variation


# "tight": the course preset with neighbouring ink boxes -3..3 px apart (touching/overlapping digits),
# a harder test of reading digits apart.
# "broad": see the module docstring; the ranges were chosen to cover what hand-written digit rows look like
# (the course samples, other generators), not fitted to one source.
@dataclass(frozen=True)
class Mixture:
    """Rows drawn from several presets: parts = ((preset name, share), ...); the shares sum to 1."""
    parts: tuple

    @property
    def grid(self):
        return any(get_preset(name).grid for name, _ in self.parts)


PRESETS = {"course": Preset(), "grid": Preset(grid=True), "tight": Preset(gap=(-3, 3)),
           "broad": Preset(gap=(-4, 25), height=(14, 32), height_jitter=0.2, aspect=(0.75, 1.3),
                           slant=(-0.35, 0.35), stroke=(0.15, 0.2, 0.1), ink=(0.45, 1.0), fit_gaps=True,
                           styled=0.5)}
PRESETS["reader"] = Mixture((("course", 0.5), ("broad", 0.5)))


def max_digits(preset):
    """How many digits a row of this preset (name or Preset) can hold."""
    return 4 if preset.grid else 8


def rescale(images, s):
    """Bilinear resize of each (28, 28) image by its own factor s -> (m, P, P) uint8, P = ceil(28 * max s).

    Pixel centres map as (i + 0.5) / s - 0.5; samples outside the source read as 0 (black)."""
    m, S = images.shape[0], images.shape[1]
    P = int(np.ceil(S * float(s.max())))
    src = np.zeros((m, S + 2, S + 2), np.float32)  # one-pixel black border: neighbours never go out of range
    src[:, 1:-1, 1:-1] = images
    u = (np.arange(P, dtype=np.float32)[None, :] + 0.5) / s[:, None].astype(np.float32) - 0.5 + 1.0
    u = np.clip(u, 0.0, S + 0.999)  # clamped samples land on the black border
    i0 = np.floor(u).astype(np.intp)
    f = (u - i0).astype(np.float32)
    n = np.arange(m)[:, None]
    # separable: interpolate rows (m, P, S+2), then columns (m, P, P); half the gathers of the 2-D form
    rows = src[n, i0] * (1 - f)[:, :, None] + src[n, i0 + 1] * f[:, :, None]
    n3 = n[:, :, None]
    out = rows[n3, np.arange(P)[None, :, None], i0[:, None, :]] * (1 - f)[:, None, :] + \
        rows[n3, np.arange(P)[None, :, None], i0[:, None, :] + 1] * f[:, None, :]
    return np.clip(np.rint(out), 0, 255).astype(np.uint8)


def _layout(rng, preset, present, w, h):
    """Ink-box top-left corners (x, y), each (n, D), for digits of widths w and heights h."""
    n, D = w.shape
    if preset.grid:
        x = np.broadcast_to(42 * np.arange(D) + 7, (n, D)).copy()
        return x, np.full((n, D), 6)  # the 28x28 frame sits at (42j+7, 6); caller adds the ink offset
    gaps = rng.integers(preset.gap[0], preset.gap[1] + 1, size=(n, D))
    gaps[:, 0] = rng.integers(preset.left[0], preset.left[1] + 1, size=n)
    if preset.fit_gaps:
        gaps = _fit_gaps(gaps, present, w, preset.gap[0])
    step = np.where(present, gaps, 0) + np.concatenate([np.zeros((n, 1), w.dtype), w[:, :-1]], axis=1)
    x = np.maximum(np.cumsum(step, axis=1), 0)
    last = present.sum(axis=1) - 1
    rows = np.arange(n)
    x_last, w_last = x[rows, last], w[rows, last]
    # squeeze rows that run past the right edge: scale the starts so the last digit ends at W
    over = x_last + w_last > W
    factor = np.where(over, (W - w_last) / np.maximum(x_last, 1), 1.0)
    x = np.floor(x * factor[:, None]).astype(np.int64)
    room = np.maximum(H - h - 2 * preset.vmargin, 0)
    y = preset.vmargin + np.floor(rng.random((n, D)) * (room + 1)).astype(np.int64)
    y = np.where(h > H - 2 * preset.vmargin, np.maximum((H - h) // 2, 0), y)  # too tall: centre it
    return x, y


def _fit_gaps(gaps, present, w, min_gap):
    """Shrink the gaps between digits (towards min_gap, all by one factor) of rows wider than the canvas,
    so that big digits do not pile onto each other; rows that still do not fit are squeezed by _layout."""
    inner = present.copy()
    inner[:, 0] = False
    slack = np.where(inner, gaps - min_gap, 0)
    need = gaps[:, 0] + w.sum(axis=1) + np.where(inner, gaps, 0).sum(axis=1) - W
    factor = np.clip(1 - need / np.maximum(slack.sum(axis=1), 1), 0, 1)
    shrunk = min_gap + np.floor(slack * factor[:, None]).astype(gaps.dtype)
    return np.where(inner & (need > 0)[:, None], shrunk, gaps)


def _row_heights(rng, preset, n, D):
    """Each digit's ink height: a row height from preset.height, jittered per digit, clipped to the range."""
    lo, hi = preset.height
    row = rng.uniform(lo, hi, size=(n, 1))
    jitter = rng.uniform(-preset.height_jitter, preset.height_jitter, size=(n, D))
    return np.clip(row * (1 + jitter), lo, hi).ravel()


def _compose_chunk(images, labels, rng, n, preset, digits, scale):
    D = digits[1]
    count = rng.integers(digits[0], digits[1] + 1, size=n)
    present = np.arange(D)[None, :] < count[:, None]
    index = rng.integers(0, len(images), size=(n, D))
    patches = images[index.ravel()]
    if preset.height is not None:
        patches = restyle(patches, rng, _row_heights(rng, preset, n, D), preset.aspect, preset.slant,
                          preset.stroke, preset.ink, preset.styled)
    elif not preset.grid and (scale[0] != 1.0 or scale[1] != 1.0):
        s = rng.uniform(scale[0], scale[1], size=n * D)
        patches = rescale(patches, s)
    P = patches.shape[1]
    bx0, by0, bx1, by1 = (v.reshape(n, D) for v in ink_boxes(patches))
    w, h = np.where(present, bx1 - bx0, 0), np.where(present, by1 - by0, 0)
    x, y = _layout(rng, preset, present, w, h)
    if preset.grid:  # x, y are the frame corners; move them to the ink box
        x, y = x + bx0, y + by0
    ox, oy = x - bx0, y - by0  # where each patch's (0, 0) lands on the canvas

    canvas = np.zeros(n * H * W + 1, np.uint8)  # the extra last element absorbs off-canvas/absent writes
    trash = n * H * W
    ar = np.arange(P)
    patches = patches.reshape(n, D, P, P)
    for j in range(D):  # within one slot every image writes its own pixels: no index collisions
        r = oy[:, j, None, None] + ar[None, :, None]
        c = ox[:, j, None, None] + ar[None, None, :]
        ok = (r >= 0) & (r < H) & (c >= 0) & (c < W) & present[:, j, None, None]
        flat = np.where(ok, np.arange(n)[:, None, None] * (H * W) + r * W + c, trash)
        canvas[flat] = np.maximum(canvas[flat], patches[:, j])
    X = canvas[:-1].reshape(n, H, W)

    digit = np.where(present, labels[index], -1)
    boxes = np.stack([np.clip(x, 0, W), np.clip(y, 0, H), np.clip(x + w, 0, W), np.clip(y + h, 0, H)], axis=-1)
    records = {"digits": digit.astype(np.int16),
               "index": np.where(present, index, -1).astype(np.int32),
               "boxes": np.where(present[..., None], boxes, -1).astype(np.int16)}
    return X, np.where(present, labels[index], 0).sum(axis=1).astype(np.int64), records


def get_preset(preset):
    """A Preset from its name (ValueError naming the choices if unknown) or as given."""
    if isinstance(preset, (Preset, Mixture)):
        return preset
    if preset not in PRESETS:
        raise ValueError(f"unknown preset {preset!r}; choose from {sorted(PRESETS)}")
    return PRESETS[preset]


def check_digits(digits, preset):
    """Normalise digits (int or (A, B)) and check it against the preset's capacity; ValueError if bad."""
    a, b = (digits, digits) if np.isscalar(digits) else tuple(digits)
    a, b = int(a), int(b)
    most = max_digits(get_preset(preset))
    if not 1 <= a <= b <= most:
        raise ValueError(f"digits must be 1 <= A <= B <= {most} for preset {preset!r}, got {a}-{b}")
    return a, b


def compose(images, labels, n, rng=None, seed=None, preset="course", digits=(4, 4), scale=None):
    """Generate n composites; see the module docstring. rng (a numpy Generator) wins over seed."""
    p = get_preset(preset)
    digits = check_digits(digits, preset)
    if isinstance(p, Mixture):
        return _compose_mixture(images, labels, n, rng if rng is not None else np.random.default_rng(seed),
                                p, digits, scale)
    scale = tuple(float(v) for v in (scale or p.scale))
    if not 0.25 <= scale[0] <= scale[1] <= 1.9:  # 1.9: a 20-px ink box must still fit the 40-px canvas
        raise ValueError(f"scale must satisfy 0.25 <= lo <= hi <= 1.9, got {scale}")
    images, labels = np.asarray(images), np.asarray(labels).astype(np.int64)
    if images.dtype != np.uint8 or images.ndim != 3 or len(images) != len(labels) or len(images) == 0:
        raise ValueError("images must be a non-empty (M, h, w) uint8 array with one label each")
    rng = rng if rng is not None else np.random.default_rng(seed)
    parts = [_compose_chunk(images, labels, rng, min(CHUNK, n - i), p, digits, scale) for i in range(0, n, CHUNK)]
    if not parts:
        D = digits[1]
        return (np.zeros((0, H, W), np.uint8), np.zeros(0, np.int64),
                {"digits": np.zeros((0, D), np.int16), "index": np.zeros((0, D), np.int32),
                 "boxes": np.zeros((0, D, 4), np.int16)})
    X = np.concatenate([q[0] for q in parts])
    y = np.concatenate([q[1] for q in parts])
    records = {k: np.concatenate([q[2][k] for q in parts]) for k in parts[0][2]}
    return X, y, records


def _compose_mixture(images, labels, n, rng, mixture, digits, scale):
    """compose() for a Mixture: each part's share of the n rows (multinomial), composed by its own preset,
    then shuffled together so a batch mixes them."""
    counts = rng.multinomial(n, [share for _, share in mixture.parts])
    parts = [compose(images, labels, int(k), rng, preset=name, digits=digits, scale=scale)
             for (name, _), k in zip(mixture.parts, counts)]
    order = rng.permutation(n)
    X = np.concatenate([q[0] for q in parts])[order]
    y = np.concatenate([q[1] for q in parts])[order]
    records = {k: np.concatenate([q[2][k] for q in parts])[order] for k in parts[0][2]}
    return X, y, records
