"""digitsum.data.pictures: PNG/JPEG files made here, of any size and either polarity, become course-format
images with the digits 20 px high; noise, specks, paper gradients, uneven baselines and thin pens do not
change that; bad files become one UserError naming the file."""
import numpy as np
import pytest
from PIL import Image

from digitsum.data import compose as C
from digitsum.data import pictures as P
from digitsum.cli import UserError
from fake_mnist import fake  # noqa: F401  (fixture)


def big_row(fake, seed=0, factor=3):
    """A course composite enlarged `factor` times, as dark ink on white paper (a scan-like rendering)."""
    x, y, _ = C.compose(fake.test_images, fake.test_labels, 1, seed=seed)
    img = Image.fromarray(x[0]).resize((C.W * factor, C.H * factor), Image.Resampling.BILINEAR)
    return 255 - np.asarray(img), x[0]


def ink_height(x):
    rows = np.flatnonzero((x > 0).any(axis=1))
    return rows[-1] - rows[0] + 1


def test_either_polarity_gives_the_same_bright_on_black_image(fake):
    dark_on_light, _ = big_row(fake)
    a = P.to_course_format(dark_on_light)
    b = P.to_course_format(255 - dark_on_light)
    assert a.shape == (C.H, C.W) and a.dtype == np.uint8
    np.testing.assert_array_equal(a, b)
    assert a[0].max() == 0 and a[:, 0].max() == 0 and a.max() == 255   # black paper, full-contrast ink


def test_digits_are_scaled_to_the_target_height_and_wide_rows_shrink(fake):
    dark_on_light, _ = big_row(fake, factor=5)                        # digits ~60-100 px high
    assert P.digit_height(P.to_course_format(dark_on_light) >= 128) == pytest.approx(P.TARGET, abs=1)
    tiny = np.zeros((12, 40), np.uint8)                                # 8 px of ink: blown up to TARGET
    tiny[2:10, 5:30] = 200
    assert ink_height(P.to_course_format(tiny)) == P.TARGET
    long_row = np.zeros((60, 2000), np.uint8)                          # too wide: shrunk to the width
    long_row[10:50, 20:1980] = 255
    out = P.to_course_format(long_row)
    cols = np.flatnonzero(out.any(axis=0))
    assert cols[0] >= P.MARGIN - 1 and cols[-1] <= C.W - P.MARGIN and ink_height(out) < P.TARGET
    for blank in (np.full((30, 30), 128), np.zeros((1, 1)), np.full((500, 90), 3.5)):
        out = P.to_course_format(blank)                                # a blank page stays blank
        assert out.shape == (C.H, C.W) and out.dtype == np.uint8 and not out.any()


def test_a_stray_dot_far_away_does_not_change_the_crop(fake):
    dark_on_light, _ = big_row(fake)
    page = np.full((400, 900), 255, np.uint8)
    page[100:220, 200:704] = dark_on_light
    clean = P.to_course_format(page)
    page[380:382, 5:7] = 0                                             # a pen dot in the corner
    np.testing.assert_array_equal(P.to_course_format(page), clean)


def test_paper_texture_is_removed(fake):
    dark_on_light, _ = big_row(fake)
    noisy = np.clip(dark_on_light.astype(int) - np.random.default_rng(0).integers(0, 20, dark_on_light.shape),
                    0, 255)
    out = P.to_course_format(noisy)
    assert out[0].max() == 0 and (out > 0).mean() < 0.3


def box(x):
    rows, cols = np.flatnonzero(x.any(axis=1)), np.flatnonzero(x.any(axis=0))
    return rows[0], rows[-1], cols[0], cols[-1]


def page_with(row, shape=(400, 900), at=(100, 200)):
    page = np.full(shape, 255.0)
    page[at[0]:at[0] + row.shape[0], at[1]:at[1] + row.shape[1]] = row
    return page


def test_sensor_noise_and_dust_do_not_move_the_crop(fake):
    dark_on_light, _ = big_row(fake)
    page = page_with(dark_on_light)
    clean = P.to_course_format(page)
    rng = np.random.default_rng(1)
    noisy = page * 0.8 + rng.normal(0, 25, page.shape)                 # grey paper, strong sensor noise
    ys, xs = rng.integers(0, 399, 1500), rng.integers(0, 899, 1500)    # dust all over the page
    for dy, dx in ((0, 0), (0, 1), (1, 0), (1, 1)):
        noisy[ys + dy, xs + dx] = rng.uniform(0, 60, 1500)
    out = P.to_course_format(np.clip(noisy, 0, 255))
    assert np.abs(np.subtract(box(out > 40), box(clean > 40))).max() <= 2
    r0, r1, c0, c1 = box(clean > 0)
    outside = out.copy()
    outside[max(0, r0 - 2):r1 + 3, max(0, c0 - 2):c1 + 3] = 0
    assert outside.max() == 0                                           # not one speck survived


def test_a_paper_gradient_is_not_ink(fake):
    dark_on_light, _ = big_row(fake)
    clean = P.to_course_format(page_with(dark_on_light))
    ramp = np.linspace(-35, 35, 900)[None, :] + np.linspace(-10, 10, 400)[:, None]
    paper = page_with(dark_on_light) * 0.85 + ramp                    # 180-255 across the page
    out = P.to_course_format(paper)
    assert np.abs(np.subtract(box(out > 40), box(clean > 40))).max() <= 2
    assert P.digit_height(out >= 128) == pytest.approx(P.digit_height(clean >= 128), abs=1)


def outlines(heights, offsets, line, gap=30):
    """Dark rectangle outlines `line` px thick on white paper, one per height, their bottoms moved by offsets."""
    page = np.full((120 + max(heights) + 2 * max(np.abs(offsets)), 100 + sum(h // 2 + gap for h in heights)), 255.0)
    x = 50
    for h, dy in zip(heights, offsets):
        bottom = 60 + max(heights) + max(np.abs(offsets)) + dy
        w = h // 2
        page[bottom - h:bottom, x:x + w] = 0
        page[bottom - h + line:bottom - line, x + line:x + w - line] = 255
        x += w + gap
    return page


def test_uneven_baselines_do_not_shrink_the_digits():
    page = outlines([80, 80, 80, 80], [0, 30, -25, 15], line=10)       # row box 135 px, digits 80 px
    out = P.to_course_format(page)
    assert P.digit_height(out >= 128) == pytest.approx(P.TARGET, abs=1)
    assert ink_height(out) > 30                                         # the row keeps its baselines


def test_thin_pen_strokes_are_widened_to_a_readable_width():
    thin = P.to_course_format(outlines([100] * 4, [0] * 4, line=1))   # 1 px strokes on 100 px digits
    bold = P.to_course_format(outlines([100] * 4, [0] * 4, line=12))  # MNIST-like: ~2.4 px at 20 px
    for out in (thin, bold):
        assert P.digit_height(out >= 128) == pytest.approx(P.TARGET, abs=1.5)
        assert out.max() == 255
    assert 1.5 <= P.stroke_width(thin >= 128) <= 4
    assert P.stroke_width(thin >= 128) >= 0.6 * P.stroke_width(bold >= 128)


def test_a_big_digit_in_a_row_of_small_ones_is_scaled_on_its_own():
    out = P.to_course_format(outlines([60, 60, 60, 110], [0] * 4, line=8))
    starts, stops, heights, _ = P.segments(out >= 128)
    assert len(heights) == 4 and np.abs(heights - P.TARGET).max() <= 1.5


def test_a_course_sized_picture_keeps_its_layout(fake, tmp_path, monkeypatch):
    monkeypatch.setattr(P, "SPECK", 0)              # the fake digits' loose inner dots are separate blobs
    x, _, _ = C.compose(fake.test_images, fake.test_labels, 1, seed=3)
    Image.fromarray(255 - x[0]).save(tmp_path / "course.png")        # dark on white, 40 x 168
    _, loaded = P.load_pictures([tmp_path / "course.png"])
    assert box(loaded[0] > 0) == box(x[0] > 0)                        # nothing moved or rescaled
    assert np.abs(loaded[0].astype(int) - x[0])[x[0] > 60].max() <= 1


def test_files_and_folders_load_in_order_with_their_names(fake, tmp_path):
    row, _ = big_row(fake)
    Image.fromarray(row).save(tmp_path / "b.png")
    Image.fromarray(row).convert("RGB").save(tmp_path / "a.jpg", quality=85)
    rgba = np.zeros(row.shape + (4,), np.uint8)                        # black ink on a transparent page
    rgba[..., 3] = 255 - row
    Image.fromarray(rgba, "RGBA").save(tmp_path / "c.png")
    (tmp_path / "notes.txt").write_text("not an image")
    names, x = P.load_pictures([tmp_path])
    assert names == ["a.jpg", "b.png", "c.png"] and x.shape == (3, C.H, C.W)
    for img in x:
        assert img[0].max() == 0 and abs(P.digit_height(img >= 128) - P.TARGET) <= 2
    assert np.abs(x[1].astype(int) - x[2]).max() <= 2                   # transparency flattened onto white
    names, _ = P.load_pictures([tmp_path / "c.png", tmp_path / "a.jpg"])
    assert names == ["c.png", "a.jpg"]


def test_exif_rotation_is_applied_before_reading(fake, tmp_path):
    row, _ = big_row(fake)
    Image.fromarray(row).save(tmp_path / "upright.png")
    sideways = Image.fromarray(row).rotate(90, expand=True)            # as a phone stores a turned photo
    exif = Image.Exif()
    exif[0x0112] = 6                                                   # Orientation: rotate 90 CW to view
    sideways.save(tmp_path / "phone.jpg", quality=95, exif=exif)
    _, (upright, phone) = P.load_pictures([tmp_path / "upright.png", tmp_path / "phone.jpg"])
    assert np.abs(np.subtract(box(phone > 40), box(upright > 40))).max() <= 1


def test_bad_files_raise_one_error_naming_the_file(tmp_path):
    (tmp_path / "fake.png").write_bytes(b"this is not a PNG")
    with pytest.raises(UserError, match="fake.png"):
        P.load_pictures([tmp_path / "fake.png"])
    with pytest.raises(UserError, match="missing.png"):
        P.load_pictures([tmp_path / "missing.png"])
    (tmp_path / "empty").mkdir()
    with pytest.raises(UserError, match="empty"):
        P.load_pictures([tmp_path / "empty"])
