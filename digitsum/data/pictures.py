"""Pictures (PNG, JPEG, ...) and arrays of any size -> the course format the readers take.

    x = to_course_format(gray)            # 2-D array, any size, either polarity -> (40, 168) uint8
    names, x = load_pictures(paths)       # files and/or folders of them -> names, (N, 40, 168) uint8

The inputs are scans, photos or renderings of a row of digits on paper. Conversion:
1. grayscale (Pillow "L"; transparency is flattened onto white paper, EXIF rotation applied); a picture
   over MAX_PIXELS is first shrunk by an integer factor (box averaging), which keeps any digit readable;
2. polarity: the paper is the brighter or darker side of the border pixels' median; the result is always
   bright ink on black like the course images;
3. paper and noise: the noise level is estimated from neighbouring pixels' differences (robust: most of a
   page is paper); over NOISY of the contrast, a 3x3 median filter removes it first. The paper level is
   estimated locally (a low percentile of coarse cells, kept within the border's range) and subtracted,
   so gradients and uneven lighting do not become ink;
4. contrast: the ink's 99.5th percentile maps to 1; anything below INK_FLOOR of that, or below NOISE_K
   noise levels, is paper and becomes 0; ink blobs smaller than SPECK of the largest one are dust and go;
5. crop to the ink (all but the outermost 0.2% of its mass on each side: a stray pen dot);
6. the digit height is the median height of the ink segments (runs of ink columns, usually one digit each;
   a segment wider than high is measured by its columns' extents), not the row's box, which uneven
   baselines inflate. Strokes much thinner than MNIST's for that height (a fine pen on a big picture) are
   widened before shrinking;
7. scale so the digits are TARGET px high (MNIST's and the digit reader's native size; a segment much
   taller than the others is scaled on its own), shrinking further only if the row would not fit, and
   pad to 40 x 168: centred vertically, MARGIN px from the left edge.
A picture already 40 x 168 is taken to be in the course layout and keeps it: steps 5-7 are skipped.
Why each step: measured on held-out picture files, see digitsum.data.picture_bench and the README.
Pillow comes with matplotlib (a runtime dependency), so it adds nothing to install.
"""
import os

import numpy as np
from numba import njit

from digitsum.cli import UserError
from digitsum.data.shapes import H, W

TARGET = 20                 # px: the digits' height after scaling (MNIST's native digit height)
MARGIN = 4                  # px of black left of the ink and on each side when a row fills the width
MAX_PIXELS = 4_000_000      # bigger pictures are box-shrunk first (bounded time and memory)
INK_FLOOR = 0.12            # fraction of the paper-to-ink range treated as background
NOISE_K = 4.0               # ... and so is anything within this many noise levels of the paper
NOISY = 0.04                # noise level / contrast above which the picture is median-filtered first
BACKGROUND_PERCENTILE = 25  # of each coarse cell: the paper level there (ink covers less than 75% of a cell)
SPECK = 0.03                # ink blobs with less area than this fraction of the largest one are dust
STRAY_MASS = 0.002          # ink mass fraction at each end of the row/column profile ignored by the crop
INK = 0.5                   # ink level (0-1) that counts as stroke for the height and width estimates
MIN_SEGMENT = 0.4           # segments lower than this fraction of the tallest do not vote on the height
WIDE_PERCENTILE = 90        # height of a segment wider than high: this percentile of its columns' extents
SIZE_SPREAD = 1.3           # a segment this much taller than the row's digits is scaled on its own
THIN, STROKE = 0.07, 0.11   # stroke width / digit height below THIN is widened to STROKE (MNIST: ~0.12)
EXTENSIONS = (".png", ".jpg", ".jpeg", ".bmp", ".gif", ".tif", ".tiff", ".webp")


def _resize(a, width, height):
    """Resize a float32 2-D array with Pillow; BOX averaging when shrinking (no aliasing), bilinear else."""
    from PIL import Image
    img = Image.fromarray(np.ascontiguousarray(a, np.float32), mode="F")
    shrink = width < a.shape[1] or height < a.shape[0]
    return np.asarray(img.resize((width, height), Image.Resampling.BOX if shrink else Image.Resampling.BILINEAR))


def _median3(a):
    from PIL import Image, ImageFilter
    img = Image.fromarray(np.ascontiguousarray(a, np.float32), mode="F")
    return np.asarray(img.filter(ImageFilter.MedianFilter(3)))


def _mass_span(profile):
    """[start, stop) of the ink profile between its STRAY_MASS and 1 - STRAY_MASS mass quantiles, so a
    speck or a pen dot far from the digits does not stretch the crop."""
    c = np.cumsum(profile, dtype=np.float64)
    c /= c[-1]
    return int(np.searchsorted(c, STRAY_MASS, side="right")), int(np.searchsorted(c, 1 - STRAY_MASS)) + 1


def noise_level(a):
    """Standard deviation of pixel noise, from the median absolute difference of horizontal and vertical
    neighbours: strokes and gradients touch few neighbour pairs, so they barely move it."""
    d = np.concatenate([np.abs(np.diff(a, axis=1)).ravel(), np.abs(np.diff(a, axis=0)).ravel()])
    return float(np.median(d)) * 1.4826 / np.sqrt(2) if d.size else 0.0


def background(a, lo, hi):
    """The paper level at each pixel of `a` (ink bright): a low percentile of coarse cells, clipped to
    [lo, hi] (the border's paper range, so a cell covered by ink cannot pass for paper), upsampled."""
    h, w = a.shape
    c = max(8, min(h, w) // 4)
    ny, nx = -(-h // c), -(-w // c)
    p = np.pad(a, ((0, ny * c - h), (0, nx * c - w)), mode="edge")
    cells = p.reshape(ny, c, nx, c).transpose(0, 2, 1, 3).reshape(ny, nx, c * c)
    coarse = np.clip(np.percentile(cells, BACKGROUND_PERCENTILE, axis=2), lo, hi).astype(np.float32)
    return _resize(coarse, w, h) if (ny, nx) != (1, 1) else np.full((h, w), coarse[0, 0], np.float32)


@njit(cache=True)
def _components(mask):
    """8-connected components of a boolean image: (labels (h, w) int32, 0 = background; areas by label)."""
    h, w = mask.shape
    labels = np.zeros((h, w), np.int32)
    areas = np.zeros(64, np.int64)
    stack = np.empty(h * w, np.int64)
    n = 0
    for i in range(h):
        for j in range(w):
            if not mask[i, j] or labels[i, j]:
                continue
            n += 1
            if n >= len(areas):
                areas = np.concatenate((areas, np.zeros(len(areas), np.int64)))
            labels[i, j] = n
            stack[0] = i * w + j
            top = 1
            while top:
                top -= 1
                y, x = divmod(stack[top], w)
                areas[n] += 1
                for dy in range(-1, 2):
                    for dx in range(-1, 2):
                        yy, xx = y + dy, x + dx
                        if 0 <= yy < h and 0 <= xx < w and mask[yy, xx] and not labels[yy, xx]:
                            labels[yy, xx] = n
                            stack[top] = yy * w + xx
                            top += 1
    return labels, areas[:n + 1]


def drop_specks(ink):
    """`ink` with every 8-connected blob of less than SPECK x the largest blob's area set to 0."""
    labels, areas = _components(ink > 0)
    if len(areas) <= 2:
        return ink
    small = areas < SPECK * areas[1:].max()
    small[0] = False
    return np.where(small[labels], np.float32(0), ink)


def segments(mask):
    """The ink segments of a boolean image (runs of columns holding ink, usually one digit each):
    (starts, stops, heights, centres), or None without ink. A segment higher than wide is one digit: its
    box's height. A wider one is usually touching digits, maybe at different heights: the
    WIDE_PERCENTILE-th percentile of its columns' ink extents. centres: the boxes' vertical centres."""
    cols = mask.any(axis=0)
    if not cols.any():
        return None
    h = mask.shape[0]
    top = np.where(cols, mask.argmax(axis=0), h)
    bottom = np.where(cols, h - 1 - mask[::-1].argmax(axis=0), -1)
    edges = np.diff(np.concatenate([[0], cols.astype(np.int8), [0]]))
    starts, stops = np.flatnonzero(edges == 1), np.flatnonzero(edges == -1)
    tops, bottoms = np.minimum.reduceat(top, starts), np.maximum.reduceat(bottom, starts)
    heights = (bottoms - tops + 1).astype(np.float64)
    for k in np.flatnonzero(stops - starts > heights):
        heights[k] = np.percentile(bottom[starts[k]:stops[k]] - top[starts[k]:stops[k]] + 1, WIDE_PERCENTILE)
    return starts, stops, heights, (tops + bottoms + 1) / 2


def digit_height(mask):
    """Median height of the ink segments of a boolean image (see segments), 0 if none; segments lower
    than MIN_SEGMENT x the tallest (dashes, dust) do not vote."""
    seg = segments(mask)
    if seg is None:
        return 0.0
    heights = seg[2]
    return float(np.median(heights[heights >= MIN_SEGMENT * heights.max()]))


def scale_row(a, height):
    """The cropped ink `a` resized so its digits are TARGET px high. Why per segment: in a row whose digits
    differ in size, a digit much bigger than the others gets read as two, so a segment over SIZE_SPREAD x
    the row's digit height is scaled to TARGET on its own, its vertical centre kept where the row's scale
    puts it (on the bench: mixed sizes 88 -> 94% exact sums, no other condition changed). Segments are
    never scaled up on their own: a low one is as often a fragment of a broken digit as a small digit,
    and blowing fragments up cost 5-10 points on thin, jpeg and inverted rows. Other rows get one scale,
    reduced if the row would not fit the canvas (the caller shrinks a per-segment row that does not fit)."""
    seg = segments(a >= INK)
    s = TARGET / height
    if seg is not None:
        starts, stops, heights, centres = seg
        odd = heights > height * SIZE_SPREAD
    if seg is None or not odd.any():
        h, w = a.shape
        s = min(s, (W - 2 * MARGIN) / w, (H - 2) / h)
        return _resize(a, max(1, round(w * s)), max(1, round(h * s)))
    scales = np.where(odd, TARGET / np.maximum(heights, 1), s)
    cuts = np.concatenate([[0], (stops[:-1] + starts[1:]) // 2, [a.shape[1]]])   # slabs split mid-gap
    pieces = []
    for k, sk in enumerate(scales):
        slab = a[:, cuts[k]:cuts[k + 1]]
        pieces.append((_resize(slab, max(1, round(slab.shape[1] * sk)), max(1, round(a.shape[0] * sk))),
                       int(round(centres[k] * (s - sk)))))
    y0 = min(t for _, t in pieces)
    out = np.zeros((max(t + p.shape[0] for p, t in pieces) - y0, sum(p.shape[1] for p, _ in pieces)), np.float32)
    x = 0
    for p, t in pieces:
        out[t - y0:t - y0 + p.shape[0], x:x + p.shape[1]] = p
        x += p.shape[1]
    rows = np.flatnonzero(out.any(axis=1))
    return out[rows[0]:rows[-1] + 1]


def stroke_width(mask):
    """Mean stroke width of a boolean image: 2 x area / perimeter (a stroke is a ribbon, its perimeter twice
    its length); the pixel-edge perimeter overcounts slanted edges by 4/pi on average, hence the factor."""
    area = int(mask.sum())
    edges = np.count_nonzero(np.diff(mask, axis=0)) + np.count_nonzero(np.diff(mask, axis=1)) + \
        int(mask[0].sum() + mask[-1].sum() + mask[:, 0].sum() + mask[:, -1].sum())
    return 2 * area / (edges * np.pi / 4) if edges else 0.0


def dilate(a, r):
    """Grey dilation by r steps, alternating a 3x3 square and a cross (an octagon: strokes widen by about
    the same amount in every direction)."""
    for k in range(r):
        p = np.pad(a, 1)
        rows = np.maximum(np.maximum(p[:-2], p[1:-1]), p[2:])          # vertical 3-max
        if k % 2 == 0:
            a = np.maximum(np.maximum(rows[:, :-2], rows[:, 1:-1]), rows[:, 2:])
        else:
            a = np.maximum(rows[:, 1:-1], np.maximum(p[1:-1, :-2], p[1:-1, 2:]))
    return a


def clean_ink(a):
    """2-D float32 grayscale, either polarity -> ink in [0, 1] on 0 paper, steps 2-4 of the module doc."""
    border = np.concatenate([a[0], a[-1], a[:, 0], a[:, -1]])
    paper = float(np.median(border))
    lo, hi = float(a.min()), float(a.max())
    if paper - lo > hi - paper:          # paper is on the bright side: dark ink on light paper
        a, border, paper, lo, hi = -a, -border, -paper, -hi, -lo
    contrast = hi - paper
    if contrast <= 1e-6 * max(1.0, abs(paper)):
        return np.zeros_like(a)
    if noise_level(a) > NOISY * contrast:
        a = _median3(a)
        border = np.concatenate([a[0], a[-1], a[:, 0], a[:, -1]])
    noise = noise_level(a)
    lo_paper, hi_paper = np.percentile(border, [5, 95])
    a = a - background(a, lo_paper, hi_paper)
    above = a[a > NOISE_K * noise]
    if above.size == 0:
        return np.zeros_like(a)
    peak = float(np.percentile(above, 99.5))
    if peak <= 1e-6 * max(1.0, contrast):
        return np.zeros_like(a)
    a = np.clip(a / peak, 0, 1)
    a[a < max(INK_FLOOR, NOISE_K * noise / peak)] = 0
    return drop_specks(a)


def to_course_format(gray):
    """One 2-D grayscale image (any size, any numeric dtype, either polarity) -> (40, 168) uint8, bright
    ink on black, following the module docstring. A blank image gives a blank canvas."""
    a = np.asarray(gray, np.float32)
    if a.ndim != 2 or a.size == 0 or not np.isfinite(a).all():
        raise ValueError(f"expected a non-empty finite 2-D grayscale image, got shape {a.shape}")
    f = int(np.ceil(np.sqrt(a.size / MAX_PIXELS)))
    if f > 1:
        a = _resize(a, max(1, a.shape[1] // f), max(1, a.shape[0] // f))
    a = clean_ink(a)
    if not a.any():
        return np.zeros((H, W), np.uint8)
    if a.shape == (H, W):
        # a picture already 40 x 168 is taken to be in the course layout: re-cropping and rescaling it
        # cost 1.8 points of exact sums on course composites (96.0 -> 94.2%, 600 rows); the reader's own
        # height normalisation handles its digit size
        return np.clip(np.rint(a * 255), 0, 255).astype(np.uint8)
    (r0, r1), (c0, c1) = _mass_span(a.sum(axis=1)), _mass_span(a.sum(axis=0))
    a = a[r0:r1, c0:c1]
    mask = a >= INK
    height = digit_height(mask) or float(a.shape[0])
    width = stroke_width(mask)
    if 0 < width < THIN * height:
        r = int(round((STROKE * height - width) / 2))
        a = dilate(np.pad(a, r), r)
        height += 2 * r
    a = scale_row(a, height)
    h, w = a.shape
    f = min(1.0, (W - 2 * MARGIN) / w, (H - 2) / h)        # a row too big for the canvas shrinks
    if f < 1:
        a = _resize(a, max(1, round(w * f)), max(1, round(h * f)))
    nh, nw = a.shape
    out = np.zeros((H, W), np.float32)
    top = (H - nh) // 2
    out[top:top + nh, MARGIN:MARGIN + nw] = a
    return np.clip(np.rint(out * 255), 0, 255).astype(np.uint8)


def read_gray(path):
    """A file -> 2-D float32 grayscale (transparency flattened onto white). UserError naming the file."""
    from PIL import Image, ImageOps, UnidentifiedImageError
    try:
        with Image.open(path) as img:
            img = ImageOps.exif_transpose(img)
            if img.mode in ("RGBA", "LA", "PA") or (img.mode == "P" and "transparency" in img.info):
                rgba = img.convert("RGBA")
                paper = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
                img = Image.alpha_composite(paper, rgba)
            if img.mode in ("I", "I;16", "I;16B", "I;16L", "F"):
                return np.asarray(img.convert("F"), np.float32)
            return np.asarray(img.convert("L"), np.float32)
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError) as e:
        raise UserError(f"{path}: not a readable image file ({' '.join(str(e).split()) or type(e).__name__})") from None


def expand_paths(paths):
    """Files as given, folders replaced by their image files (sorted). UserError if nothing is found."""
    files = []
    for p in paths:
        p = os.fspath(p)
        if os.path.isdir(p):
            found = sorted(os.path.join(p, f) for f in os.listdir(p) if f.lower().endswith(EXTENSIONS))
            if not found:
                raise UserError(f"{p}: folder holds no image files ({', '.join(EXTENSIONS)})")
            files += found
        elif os.path.isfile(p):
            files.append(p)
        else:
            raise UserError(f"{p}: no such file or folder")
    return files


def load_pictures(paths):
    """(names, (N, 40, 168) uint8) from image files and/or folders; names are the file names."""
    files = expand_paths(paths)
    images = []
    for f in files:
        gray = read_gray(f)
        try:
            images.append(to_course_format(gray))
        except ValueError as e:
            raise UserError(f"{f}: {e}") from None
    return [os.path.basename(f) for f in files], np.stack(images) if images else np.zeros((0, H, W), np.uint8)
