"""Pictures (PNG, JPEG, ...) and arrays of any size -> the course format the readers take.

    x = to_course_format(gray)            # 2-D array, any size, either polarity -> (40, 168) uint8
    names, x = load_pictures(paths)    # files and/or folders of them -> names, (N, 40, 168) uint8

The inputs are scans or renderings of a row of digits on plain paper. Conversion:
1. grayscale (Pillow "L"; transparency is flattened onto white paper, EXIF rotation applied);
2. polarity: the paper is the brighter or darker side of the border pixels' median; the result is always
   bright ink on black like the course images;
3. contrast: the paper level maps to 0 and the ink's 99.5th percentile to 255; anything below
   INK_FLOOR of that range is paper texture or JPEG noise and becomes 0;
4. crop to the ink (all but the outermost 0.2% of its mass on each side: stray specks) and scale so the row's ink height lands at min(max(height, LOW), HIGH) px -- inside the
   digit reader's training range (digits 14-32 px), never blown up to the full 40 px -- shrinking further
   only if the row would be wider than the canvas;
5. pad to 40 x 168: centred vertically, MARGIN px from the left edge.
Pillow comes with matplotlib (a runtime dependency), so it adds nothing to install.
"""
import os

import numpy as np

from digitsum.cli import UserError
from digitsum.data.shapes import H, W

LOW, HIGH = 18, 28          # the row's ink height after scaling, px (see step 4)
MARGIN = 4                  # px of black left of the ink and on each side when a row fills the width
INK_FLOOR = 0.12            # fraction of the paper-to-ink range treated as background
STRAY_MASS = 0.002         # ink mass fraction at each end of the row/column profile ignored by the crop
EXTENSIONS = (".png", ".jpg", ".jpeg", ".bmp", ".gif", ".tif", ".tiff", ".webp")


def _resize(a, width, height):
    """Resize a float32 2-D array with Pillow; BOX averaging when shrinking (no aliasing), bilinear else."""
    from PIL import Image
    img = Image.fromarray(np.ascontiguousarray(a, np.float32), mode="F")
    shrink = width < a.shape[1] or height < a.shape[0]
    return np.asarray(img.resize((width, height), Image.Resampling.BOX if shrink else Image.Resampling.BILINEAR))


def _mass_span(profile):
    """[start, stop) of the ink profile between its STRAY_MASS and 1 - STRAY_MASS mass quantiles, so a
    speck or a pen dot far from the digits does not stretch the crop."""
    c = np.cumsum(profile, dtype=np.float64)
    c /= c[-1]
    return int(np.searchsorted(c, STRAY_MASS, side="right")), int(np.searchsorted(c, 1 - STRAY_MASS)) + 1


def to_course_format(gray):
    """One 2-D grayscale image (any size, any numeric dtype, either polarity) -> (40, 168) uint8, bright
    ink on black, following the module docstring. A blank image gives a blank canvas."""
    a = np.asarray(gray, np.float32)
    if a.ndim != 2 or a.size == 0 or not np.isfinite(a).all():
        raise ValueError(f"expected a non-empty finite 2-D grayscale image, got shape {a.shape}")
    border = np.concatenate([a[0], a[-1], a[:, 0], a[:, -1]])
    paper = float(np.median(border))
    lo, hi = float(a.min()), float(a.max())
    if paper - lo > hi - paper:          # paper is on the bright side: dark ink on light paper
        a, paper = -a, -paper
    peak = float(np.percentile(a[a > paper], 99.5)) if (a > paper).any() else paper
    if peak - paper <= 1e-6 * max(1.0, abs(paper)):
        return np.zeros((H, W), np.uint8)
    a = np.clip((a - paper) / (peak - paper), 0, 1)
    a[a < INK_FLOOR] = 0
    (r0, r1), (c0, c1) = _mass_span(a.sum(axis=1)), _mass_span(a.sum(axis=0))
    a = a[r0:r1, c0:c1]
    h, w = a.shape
    s = min(max(h, LOW), HIGH) / h
    s = min(s, (W - 2 * MARGIN) / w, (H - 2) / h)
    nh, nw = max(1, round(h * s)), max(1, round(w * s))
    a = _resize(a, nw, nh)
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
