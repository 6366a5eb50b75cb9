"""digitsum.compose: determinism, records, placement rules of both presets, frequencies, argument checks."""
import numpy as np
import pytest

from digitsum.data import compose as C
from fake_mnist import fake  # noqa: F401  (fixture)


def test_deterministic_by_seed_and_different_across_seeds(fake):
    a = C.compose(fake.train_images, fake.train_labels, 50, seed=7)
    b = C.compose(fake.train_images, fake.train_labels, 50, rng=np.random.default_rng(7))
    c = C.compose(fake.train_images, fake.train_labels, 50, seed=8)
    np.testing.assert_array_equal(a[0], b[0])
    np.testing.assert_array_equal(a[1], b[1])
    for k in a[2]:
        np.testing.assert_array_equal(a[2][k], b[2][k])
    assert not np.array_equal(a[0], c[0])


@pytest.mark.parametrize("preset, digits", [("course", (4, 4)), ("course", (3, 5)), ("grid", (4, 4)),
                                            ("grid", (1, 3))])
def test_shapes_labels_and_records_agree_with_the_pixels(fake, preset, digits):
    n = 120
    x, y, rec = C.compose(fake.train_images, fake.train_labels, n, seed=1, preset=preset, digits=digits)
    D = digits[1]
    assert x.shape == (n, C.H, C.W) and x.dtype == np.uint8 and y.dtype == np.int64
    assert rec["digits"].shape == (n, D) and rec["digits"].dtype == np.int16
    assert rec["index"].shape == (n, D) and rec["index"].dtype == np.int32
    assert rec["boxes"].shape == (n, D, 4) and rec["boxes"].dtype == np.int16
    present = rec["digits"] >= 0
    count = present.sum(axis=1)
    assert count.min() == digits[0] and count.max() == digits[1]
    assert (present == (np.arange(D) < count[:, None])).all()  # digits fill the first slots
    assert ((rec["index"] >= 0) == present).all() and ((rec["boxes"] >= 0).all(-1) == present).all()
    # label = sum of recorded digits; recorded digits are MNIST's labels at the recorded indices
    assert (np.where(present, rec["digits"], 0).sum(axis=1) == y).all()
    assert (rec["digits"][present] == fake.train_labels[rec["index"][present]]).all()
    canvas_ink = np.zeros_like(x, dtype=bool)
    for i in range(n):
        for j in np.flatnonzero(present[i]):
            x0, y0, x1, y1 = rec["boxes"][i, j]
            assert 0 <= x0 < x1 <= C.W and 0 <= y0 < y1 <= C.H
            digit = fake.train_images[rec["index"][i, j]]
            ink = np.argwhere(digit)
            crop = digit[ink[:, 0].min():ink[:, 0].max() + 1, ink[:, 1].min():ink[:, 1].max() + 1]
            assert crop.shape == (y1 - y0, x1 - x0)  # unscaled: the box is the digit's ink box
            assert (x[i, y0:y1, x0:x1] >= crop).all()  # strokes combined by max, never dimmed
            canvas_ink[i, y0:y1, x0:x1] = True
    assert not x[~canvas_ink].any()  # no ink outside the recorded boxes


def test_course_placement_rules(fake):
    x, y, rec = C.compose(fake.train_images, fake.train_labels, 400, seed=2)
    b = rec["boxes"].astype(int)
    p = C.PRESETS["course"]
    assert (np.diff(b[..., 0], axis=1) >= 0).all()  # left to right
    assert b[..., 1].min() >= p.vmargin and b[..., 3].max() <= C.H - p.vmargin
    left = b[:, 0, 0]
    assert left.min() >= 0 and left.max() <= p.left[1]
    gaps = b[:, 1:, 0] - b[:, :-1, 2]
    assert gaps.max() <= p.gap[1]
    assert (gaps < 0).any() and (gaps > 20).any()  # some overlap, some wide gaps
    assert len(np.unique(b[..., 1])) > 5  # every digit at its own height
    assert (C.W - b[:, -1, 2] > 30).mean() > 0.5  # the right part is often empty


def test_grid_uses_fixed_slots(fake):
    x, y, rec = C.compose(fake.train_images, fake.train_labels, 30, seed=3, preset="grid")
    for i in range(30):
        for j in range(4):
            digit = fake.train_images[rec["index"][i, j]]
            np.testing.assert_array_equal(x[i, 6:34, 42 * j + 7:42 * j + 35], digit)


def test_scale_rescales_ink_keeping_aspect(fake):
    x, y, rec = C.compose(fake.train_images, fake.train_labels, 60, seed=4, scale=(1.5, 1.5))
    idx, b = rec["index"], rec["boxes"].astype(int)
    ink = fake.train_images[idx.ravel()]
    rows, cols = ink.any(2), ink.any(1)
    h0 = rows.sum(1)
    w0 = cols.sum(1)
    h, w = (b[..., 3] - b[..., 1]).ravel(), (b[..., 2] - b[..., 0]).ravel()
    assert np.abs(h - 1.5 * h0).max() <= 2.5 and np.median(np.abs(w - 1.5 * w0)) <= 1.5
    assert (np.where(rec["digits"] >= 0, rec["digits"], 0).sum(1) == y).all()


def test_natural_class_frequencies(fake):
    """Digits are drawn uniformly from the split, so the source's class skew (0 three times as common) survives."""
    x, y, rec = C.compose(fake.train_images, fake.train_labels, 3000, seed=5)
    got = np.bincount(rec["digits"].ravel(), minlength=10) / rec["digits"].size
    want = np.bincount(fake.train_labels, minlength=10) / len(fake.train_labels)
    assert np.abs(got - want).max() < 0.015
    assert len(np.unique(rec["index"])) > 0.95 * len(fake.train_images)


def test_large_batches_are_chunked_consistently(fake, monkeypatch):
    monkeypatch.setattr(C, "CHUNK", 16)
    x, y, rec = C.compose(fake.train_images, fake.train_labels, 40, seed=6)
    assert x.shape == (40, C.H, C.W) and (np.where(rec["digits"] >= 0, rec["digits"], 0).sum(1) == y).all()
    x0, y0, r0 = C.compose(fake.train_images, fake.train_labels, 0, seed=6)
    assert x0.shape == (0, C.H, C.W) and r0["boxes"].shape == (0, 4, 4)


@pytest.mark.parametrize("kwargs, problem", [
    (dict(preset="fancy"), "unknown preset"),
    (dict(digits=(0, 4)), "digits"),
    (dict(digits=(5, 3)), "digits"),
    (dict(preset="grid", digits=5), "digits"),
    (dict(scale=(0.1, 1.0)), "scale"),
])
def test_bad_arguments_raise(fake, kwargs, problem):
    with pytest.raises(ValueError, match=problem):
        C.compose(fake.train_images, fake.train_labels, 3, seed=0, **kwargs)
    with pytest.raises(ValueError, match="uint8"):
        C.compose(fake.train_images.astype(np.float32), fake.train_labels, 3, seed=0)


def test_reader_mixture_is_course_and_broad_rows_in_shuffled_order(fake):
    """The "reader" preset draws each row from "course" or "broad" (about half each), deterministically by
    seed, and shuffles them: rows whose digits keep their own ink boxes (course) and rescaled ones (broad)."""
    n = 400
    x, y, rec = C.compose(fake.train_images, fake.train_labels, n, seed=3, preset="reader")
    x2, y2, _ = C.compose(fake.train_images, fake.train_labels, n, seed=3, preset="reader")
    np.testing.assert_array_equal(x, x2)
    np.testing.assert_array_equal(y, y2)
    def unscaled(i, j):          # a course row keeps each digit's own ink box; broad rows rescale them
        digit = fake.train_images[rec["index"][i, j]]
        ink = np.argwhere(digit)
        x0, y0, x1, y1 = rec["boxes"][i, j]
        return (y1 - y0, x1 - x0) == tuple(ink.max(axis=0) - ink.min(axis=0) + 1)
    course_like = np.array([all(unscaled(i, j) for j in range(4)) for i in range(n)])
    assert 0.35 < course_like.mean() < 0.8          # about half course rows (+ broad rows whose every digit kept its size)
    first, second = course_like[: n // 2].mean(), course_like[n // 2:].mean()
    assert abs(first - second) < 0.2               # shuffled: not all course rows first
    assert (rec["digits"].sum(axis=1) == y).all()
    assert (rec["digits"] == fake.train_labels[rec["index"]]).all()
    assert C.check_digits((3, 5), "reader") == (3, 5)
