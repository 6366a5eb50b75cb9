"""Per-digit handwriting variation for the composer's `broad` preset: size, aspect, slant, stroke, ink.

    patches = restyle(images, rng, heights, aspect=(0.8, 1.25), slant=(-0.3, 0.3), stroke=..., ink=(0.5, 1))

- `heights` (m,): the ink height each digit should get, px. Each MNIST digit is scaled about its ink box's
  centre by sy = height / its own ink height (so the box measures `height`, whatever the digit's native
  height was), sx = sy * aspect, then slanted: x += slant * (y - centre), so a positive slant leans right.
- stroke: probabilities (thin, thick, thicker) of a 2x2 grey erosion, a 2x2 dilation or a 3x3 dilation;
  thinning applies only to digits at least THIN_MIN_HEIGHT px high, where a 1-px loss keeps the stroke.
- ink: the peak intensity, as a fraction of 255 (faint pencil to full black).
Returns (m, P, P) uint8 patches, ink on black, P big enough for the largest transformed digit.
The resampling is bilinear in Numba, per output pixel; everything else is vectorised NumPy.
"""
import numpy as np
from numba import njit, prange

THIN_MIN_HEIGHT = 22


@njit(cache=True, parallel=True)
def _affine_patches(images, centres, sy, sx, slant, out):
    """out[m] = images[m] mapped by y' = sy * y, x' = sx * x + slant * y' about centres[m] (source, edge
    coordinates) to the centre of out's P x P frame; bilinear, zero outside the source."""
    m, S, _ = images.shape
    P = out.shape[1]
    half = P / 2.0
    for k in prange(m):
        cy, cx = centres[k, 0], centres[k, 1]
        for i in range(P):
            v = i + 0.5 - half
            ys = cy + v / sy[k] - 0.5                      # source pixel-index coordinate
            iy = int(np.floor(ys))
            ty = ys - iy
            for j in range(P):
                u = j + 0.5 - half
                xs = cx + (u - slant[k] * v) / sx[k] - 0.5
                ix = int(np.floor(xs))
                tx = xs - ix
                acc = 0.0
                for oy in range(2):
                    yy = iy + oy
                    if yy < 0 or yy >= S:
                        continue
                    wy = ty if oy else 1.0 - ty
                    for ox in range(2):
                        xx = ix + ox
                        if xx < 0 or xx >= S:
                            continue
                        acc += wy * (tx if ox else 1.0 - tx) * images[k, yy, xx]
                out[k, i, j] = min(255, int(acc + 0.5))


def ink_boxes(patches):
    """(m, P, P) uint8 -> (x0, y0, x1, y1) int arrays of each patch's nonzero bounding box (ends exclusive)."""
    P = patches.shape[1]
    rows, cols = patches.any(axis=2), patches.any(axis=1)
    y0, y1 = rows.argmax(axis=1), P - rows[:, ::-1].argmax(axis=1)
    x0, x1 = cols.argmax(axis=1), P - cols[:, ::-1].argmax(axis=1)
    empty = ~rows.any(axis=1)  # all-black digit: a zero-size box at the origin
    return tuple(np.where(empty, 0, v) for v in (x0, y0, x1, y1))


def ink_extent(images):
    """(height, width, centre y, centre x) of each (m, S, S) image's nonzero box, edge coordinates; an empty
    image counts as a 1 x 1 box in the middle."""
    S = images.shape[1]
    x0, y0, x1, y1 = ink_boxes(images)
    empty = x1 == 0
    h, w = np.where(empty, 1, y1 - y0), np.where(empty, 1, x1 - x0)
    return h, w, np.where(empty, S / 2, (y0 + y1) / 2), np.where(empty, S / 2, (x0 + x1) / 2)


def _grey_filter(patches, size, op):
    """size x size grey dilation (op=np.maximum) or erosion (np.minimum), anchored at the top-left."""
    out = patches.copy()
    P = patches.shape[1]
    for dy in range(size):
        for dx in range(size):
            if dy or dx:
                shifted = np.zeros_like(patches)   # the +4 px frame keeps ink off the border
                shifted[:, dy:, dx:] = patches[:, :P - dy, :P - dx]
                out = op(out, shifted)
    return out


def restyle(images, rng, heights, aspect=(1.0, 1.0), slant=(0.0, 0.0), stroke=(0.0, 0.0, 0.0), ink=(1.0, 1.0),
            styled=1.0):
    """See the module docstring. images (m, S, S) uint8; heights (m,) float px; styled: the fraction of
    digits that get the aspect/slant/stroke/ink variation (the others keep MNIST's shape and ink)."""
    m = len(images)
    plain = rng.random(m) >= styled
    kind = rng.choice(4, size=m, p=[1 - sum(stroke), *stroke])   # 0 keep, 1 thin, 2 thick, 3 thicker
    kind[plain] = 0
    thin = (kind == 1) & (np.asarray(heights) >= THIN_MIN_HEIGHT)
    # px the ink box gains: 1 from bilinear edge pixels, 1-2 more from a dilation
    grow = 1 + np.where(kind == 2, 1, np.where(kind == 3, 2, 0))
    h, w, cy, cx = ink_extent(images)
    sy = (np.asarray(heights, np.float64) - grow) / h
    sx = sy * np.where(plain, 1.0, rng.uniform(aspect[0], aspect[1], size=m))
    k = np.where(plain, 0.0, rng.uniform(slant[0], slant[1], size=m))
    out_h, out_w = sy * h, sx * w + np.abs(k) * sy * h
    P = int(np.ceil(max(out_h.max(initial=1), out_w.max(initial=1)))) + 4   # + room for bilinear/dilation
    patches = np.zeros((m, P, P), np.uint8)
    _affine_patches(np.ascontiguousarray(images), np.stack([cy, cx], axis=1).astype(np.float64),
                    sy, sx, k.astype(np.float64), patches)
    for sel, size, op in ((thin, 2, np.minimum), (kind == 2, 2, np.maximum), (kind == 3, 3, np.maximum)):
        if sel.any():
            patches[sel] = _grey_filter(patches[sel], size, op)
    peak = np.where(plain, 1.0, rng.uniform(ink[0], ink[1], size=m)).astype(np.float32)
    return np.rint(patches * peak[:, None, None]).astype(np.uint8)
