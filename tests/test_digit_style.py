"""digitsum.data.digit_style and the composer's `broad` preset: the resampler against a loop reference, the
heights/aspect/slant it promises, and broad rows that keep labels, records and the canvas consistent."""
import dataclasses

import numpy as np
import pytest

from digitsum.data import compose as C
from digitsum.data import digit_style as S
from fake_mnist import fake  # noqa: F401  (fixture)


def reference_affine(image, centre, sy, sx, slant, P):
    """Plain-Python bilinear sampling of one image under the mapping S._affine_patches documents."""
    out = np.zeros((P, P), np.uint8)
    size = image.shape[0]
    for i in range(P):
        for j in range(P):
            v, u = i + 0.5 - P / 2, j + 0.5 - P / 2
            ys, xs = centre[0] + v / sy - 0.5, centre[1] + (u - slant * v) / sx - 0.5
            iy, ix = int(np.floor(ys)), int(np.floor(xs))
            acc = 0.0
            for yy, wy in ((iy, 1 - (ys - iy)), (iy + 1, ys - iy)):
                for xx, wx in ((ix, 1 - (xs - ix)), (ix + 1, xs - ix)):
                    if 0 <= yy < size and 0 <= xx < size:
                        acc += wy * wx * float(image[yy, xx])
            out[i, j] = min(255, int(acc + 0.5))
    return out


def test_affine_patches_match_a_loop_reference(fake):
    rng = np.random.default_rng(0)
    images = fake.train_images[:6]
    centres = rng.uniform(10, 18, size=(6, 2))
    sy, sx, slant = rng.uniform(0.5, 1.7, 6), rng.uniform(0.5, 1.7, 6), rng.uniform(-0.4, 0.4, 6)
    P = 37
    out = np.zeros((6, P, P), np.uint8)
    S._affine_patches(images, centres, sy, sx, slant, out)
    for k in range(6):
        want = reference_affine(images[k], centres[k], sy[k], sx[k], slant[k], P)
        assert np.abs(out[k].astype(int) - want).max() <= 1   # float rounding at exact .5 only


@pytest.mark.parametrize("height", [14.0, 20.0, 31.0])
def test_restyle_gives_the_asked_ink_height(fake, height):
    rng = np.random.default_rng(1)
    patches = S.restyle(fake.train_images[:200], rng, np.full(200, height))
    h, w, _, _ = S.ink_extent(patches)
    assert np.abs(h - height).max() <= 1.5


def test_aspect_widens_and_slant_leans(fake):
    images = fake.train_images[:100]
    heights = np.full(100, 24.0)
    plain = S.restyle(images, np.random.default_rng(2), heights)
    wide = S.restyle(images, np.random.default_rng(2), heights, aspect=(1.3, 1.3))
    _, w0, _, _ = S.ink_extent(plain)
    _, w1, _, _ = S.ink_extent(wide)
    assert np.median(w1 / w0) == pytest.approx(1.3, abs=0.12)
    # a rectangle outline leans: its top row's ink starts right of its bottom row's under a positive slant
    leaned = S.restyle(images, np.random.default_rng(2), heights, slant=(0.3, 0.3))
    rows = np.flatnonzero(leaned[0].any(axis=1))
    first = lambda r: np.flatnonzero(leaned[0][r])[0]
    assert first(rows[0]) < first(rows[-1]) - 3   # image rows grow downwards: top leans right means smaller x


def test_ink_and_stroke_variation(fake):
    images = fake.train_images[:300]
    heights = np.full(300, 24.0)
    faint = S.restyle(images, np.random.default_rng(3), heights, ink=(0.5, 0.5))
    full = S.restyle(images, np.random.default_rng(3), heights)
    assert faint.max(axis=(1, 2)).max() <= 128 and full.max() == 255
    thick = S.restyle(images, np.random.default_rng(3), heights, stroke=(0.0, 0.0, 1.0))
    assert (thick > 127).sum() > 1.2 * (full > 127).sum()
    h, _, _, _ = S.ink_extent(thick)
    assert np.abs(h - 24).max() <= 1.5   # the dilation's growth is taken off the scale


@pytest.mark.parametrize("digits", [(3, 5), (5, 5)])
def test_broad_rows_keep_labels_records_and_canvas(fake, digits):
    x, y, rec = C.compose(fake.train_images, fake.train_labels, 300, seed=4, preset="broad", digits=digits)
    present = rec["digits"] >= 0
    assert (np.where(present, rec["digits"], 0).sum(1) == y).all()
    b = rec["boxes"].astype(int)
    h = (b[..., 3] - b[..., 1])[present]
    assert h.min() >= 12 and h.max() <= 35 and np.percentile(h, 90) - np.percentile(h, 10) > 8
    ink = np.zeros_like(x, dtype=bool)
    for i, j in zip(*np.nonzero(present)):
        x0, y0, x1, y1 = b[i, j]
        assert 0 <= x0 < x1 <= C.W and 0 <= y0 < y1 <= C.H
        ink[i, y0:y1, x0:x1] = True
    assert not x[~ink].any()


def test_fit_gaps_shrinks_gaps_before_moving_digits(fake):
    wide = dataclasses.replace(C.PRESETS["broad"], height=(30, 32), height_jitter=0, gap=(20, 25))
    x, y, rec = C.compose(fake.train_images, fake.train_labels, 200, seed=5, preset=wide, digits=5)
    b = rec["boxes"].astype(int)
    gaps = b[:, 1:, 0] - b[:, :-1, 2]
    assert b[:, -1, 2].max() <= C.W
    assert (gaps < 20).any() and np.median(gaps) >= -4   # shrunk towards the minimum, rarely past it


def test_course_preset_output_is_unchanged_by_the_new_fields(fake):
    """The course preset keeps producing the composites its documented runs used: the digest is that of
    the composer before the broad preset existed, on the same fake digits."""
    import hashlib
    for preset in ("course", C.PRESETS["course"]):
        x, y, rec = C.compose(fake.train_images, fake.train_labels, 50, seed=7, digits=(3, 5), preset=preset)
        digest = hashlib.sha256(x.tobytes() + y.tobytes() + rec["boxes"].tobytes()).hexdigest()
        assert digest == "27d2088f23e4c3da2dd0b5e4083a5b8e3f8fe83dec12cec33ec0e3017f686315"
