"""digitsum.data.pictures: PNG/JPEG files made here, of any size and either polarity, become course-format
images with the ink at a readable height; bad files become one UserError naming the file."""
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


def test_ink_height_is_scaled_into_the_training_range_and_wide_rows_shrink(fake):
    dark_on_light, original = big_row(fake, factor=5)                 # ~100-130 px of ink
    assert P.LOW <= ink_height(P.to_course_format(dark_on_light)) <= P.HIGH + 1
    tiny = np.zeros((12, 40), np.uint8)                                # 8 px of ink: blown up to LOW
    tiny[2:10, 5:30] = 200
    assert ink_height(P.to_course_format(tiny)) == P.LOW
    long_row = np.zeros((60, 2000), np.uint8)                          # too wide: shrunk to the width
    long_row[10:50, 20:1980] = 255
    out = P.to_course_format(long_row)
    cols = np.flatnonzero(out.any(axis=0))
    assert cols[0] >= P.MARGIN - 1 and cols[-1] <= C.W - P.MARGIN and ink_height(out) < P.LOW
    assert not P.to_course_format(np.full((30, 30), 128)).any()      # a blank page stays blank


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
        assert img[0].max() == 0 and P.LOW <= ink_height(img) <= P.HIGH + 1
    assert np.abs(x[1].astype(int) - x[2]).max() <= 2                   # transparency flattened onto white
    names, _ = P.load_pictures([tmp_path / "c.png", tmp_path / "a.jpg"])
    assert names == ["c.png", "a.jpg"]


def test_bad_files_raise_one_error_naming_the_file(tmp_path):
    (tmp_path / "fake.png").write_bytes(b"this is not a PNG")
    with pytest.raises(UserError, match="fake.png"):
        P.load_pictures([tmp_path / "fake.png"])
    with pytest.raises(UserError, match="missing.png"):
        P.load_pictures([tmp_path / "missing.png"])
    (tmp_path / "empty").mkdir()
    with pytest.raises(UserError, match="empty"):
        P.load_pictures([tmp_path / "empty"])
