"""Training-time augmentation of composite images that keeps the sum label true.

Two label-preserving moves for a normalised batch (B, 1, H, W), background = the batch minimum:
- `shift`: move each image by whole pixels, clamped so no ink leaves the canvas. It moves every digit
  against a reader's column grid.
- `warp`: a smooth random deformation, the classic MNIST regulariser (Simard et al. 2003): a small global
  scale/shear about the ink's centre plus an elastic field, bilinear on a coarse random grid (one node every
  ~8 px, about two per digit), so each digit bends a little on its own. Pixels are resampled bilinearly.
Neither move looks at digit labels or boxes: they only need the ink (non-background) pixels.
"""
import numpy as np
from numba import njit

WARP_SCALE = 0.05      # global x/y scale in 1 +- this
WARP_SHEAR = 0.10      # global shear dx/dy in +- this
ELASTIC_PX = 1.0       # std of the elastic field's grid displacements, px
ELASTIC_GRID = (6, 22)  # grid nodes over (H, W): ~8 px apart on 40 x 168


def _ink_boxes(x):
    """(has ink, top, bottom, left, right) per image of a (B, 1, H, W) batch; background = batch minimum."""
    _, _, h, w = x.shape
    ink = x[:, 0] > x.min()
    cols, rows = ink.any(axis=1), ink.any(axis=2)
    left, right = cols.argmax(axis=1), w - 1 - cols[:, ::-1].argmax(axis=1)
    top, bottom = rows.argmax(axis=1), h - 1 - rows[:, ::-1].argmax(axis=1)
    return cols.any(axis=1), top, bottom, left, right


def shift(x, rng, max_dx, max_dy):
    """Shift each image by a random whole number of pixels (|dx| <= max_dx, |dy| <= max_dy), clamped so
    that no ink leaves the canvas."""
    b, _, h, w = x.shape
    background = x.min()
    has, top, bottom, left, right = _ink_boxes(x)
    dx = rng.integers(-max_dx, max_dx + 1, size=b).clip(-left, w - 1 - right) * has
    dy = rng.integers(-max_dy, max_dy + 1, size=b).clip(-top, h - 1 - bottom) * has
    src_y = np.arange(h)[None, :] - dy[:, None]                 # (B, H): output row i reads row i - dy
    src_x = np.arange(w)[None, :] - dx[:, None]
    inside = ((src_y >= 0) & (src_y < h))[:, :, None] & ((src_x >= 0) & (src_x < w))[:, None, :]
    out = x[np.arange(b)[:, None, None], 0, src_y.clip(0, h - 1)[:, :, None], src_x.clip(0, w - 1)[:, None, :]]
    return np.where(inside, out, background)[:, None].astype(x.dtype, copy=False)


@njit(cache=True)
def _warp(x, mats, centres, field, background, out):
    """out[b, 0, i, j] = x[b, 0] sampled bilinearly at  centre + mats[b] @ ((i, j) - centre) + field(i, j),
    where field is the bilinear interpolation of the coarse grid field[b, :, gh, gw]; outside = background."""
    n, _, h, w = x.shape
    gh, gw = field.shape[2], field.shape[3]
    for b in range(n):
        cy, cx = centres[b, 0], centres[b, 1]
        for i in range(h):
            gy = i * (gh - 1) / (h - 1)
            y0 = min(int(gy), gh - 2)
            fy = gy - y0
            for j in range(w):
                gx = j * (gw - 1) / (w - 1)
                x0 = min(int(gx), gw - 2)
                fx = gx - x0
                dy = ((1 - fy) * ((1 - fx) * field[b, 0, y0, x0] + fx * field[b, 0, y0, x0 + 1])
                      + fy * ((1 - fx) * field[b, 0, y0 + 1, x0] + fx * field[b, 0, y0 + 1, x0 + 1]))
                dx = ((1 - fy) * ((1 - fx) * field[b, 1, y0, x0] + fx * field[b, 1, y0, x0 + 1])
                      + fy * ((1 - fx) * field[b, 1, y0 + 1, x0] + fx * field[b, 1, y0 + 1, x0 + 1]))
                sy = cy + mats[b, 0, 0] * (i - cy) + mats[b, 0, 1] * (j - cx) + dy
                sx = cx + mats[b, 1, 0] * (i - cy) + mats[b, 1, 1] * (j - cx) + dx
                iy, ix = int(np.floor(sy)), int(np.floor(sx))
                ty, tx = sy - iy, sx - ix
                acc = 0.0
                for oy in range(2):
                    for ox in range(2):
                        yy, xx = iy + oy, ix + ox
                        wgt = (ty if oy else 1 - ty) * (tx if ox else 1 - tx)
                        v = x[b, 0, yy, xx] if 0 <= yy < h and 0 <= xx < w else background
                        acc += wgt * v
                out[b, 0, i, j] = acc


def warp(x, rng, scale=WARP_SCALE, shear=WARP_SHEAR, elastic_px=ELASTIC_PX, grid=ELASTIC_GRID):
    """Smooth random deformation of each image of a (B, 1, H, W) batch (see the module docstring)."""
    b = x.shape[0]
    has, top, bottom, left, right = _ink_boxes(x)
    centres = np.stack([(top + bottom) / 2, (left + right) / 2], axis=1).astype(np.float64)
    # the sampling map is output -> source, so these are the inverse of the visible scale/shear (same law)
    sy, sx = rng.uniform(1 - scale, 1 + scale, size=(2, b))
    k = rng.uniform(-shear, shear, size=b)
    mats = np.zeros((b, 2, 2))
    mats[:, 0, 0], mats[:, 1, 1], mats[:, 1, 0] = sy, sx, k
    field = rng.normal(0.0, elastic_px, size=(b, 2) + tuple(grid)) * has[:, None, None, None]
    mats[~has] = np.eye(2)
    out = np.empty_like(x)
    _warp(np.ascontiguousarray(x), mats, centres, field, x.dtype.type(x.min()), out)
    return out
