"""Image .npy inputs: headers checked before reading, pixels scanned in chunks, the float rule, uint8 out."""
import io
import os

import numpy as np
import pytest
from numpy.lib import format as npy_format

from digitsum.data import image_files
from digitsum.cli import UserError
from digitsum.data.image_files import check_pixels, load_images, open_images
from minigrad.array_files import release_pages


def save(path, a):
    np.save(path, a)
    return path


def images(n, dtype=np.uint8, seed=0):
    return np.random.default_rng(seed).integers(0, 256, (n, 40, 168)).astype(dtype)


@pytest.fixture
def small_chunks(monkeypatch):
    monkeypatch.setattr(image_files, "CHUNK_IMAGES", 3)   # several chunks even for tiny arrays


def test_uint8_float_and_int_images_load_as_uint8(tmp_path, small_chunks):
    x = images(10)
    np.testing.assert_array_equal(load_images(save(tmp_path / "u8.npy", x)), x)
    np.testing.assert_array_equal(load_images(save(tmp_path / "i64.npy", x.astype(np.int64))), x)
    noisy = x.astype(np.float32) + np.float32(0.3) * (x < 255) - np.float32(0.4) * (x > 0)
    np.testing.assert_array_equal(load_images(save(tmp_path / "f32.npy", noisy)), x)   # rounded


def test_float_images_in_0_1_are_refused_with_how_to_convert(tmp_path):
    x = images(5).astype(np.float64) / 255
    with pytest.raises(UserError, match=r"float pixels lie in 0..1, but images are 0-255; convert them with "
                                         r"np.rint\(x \* 255\).astype\(np.uint8\)"):
        load_images(save(tmp_path / "x.npy", x))
    blank = np.zeros((2, 40, 168), np.float32)         # all-zero images mean the same either way
    assert load_images(save(tmp_path / "blank.npy", blank)).max() == 0


def test_values_out_of_range_and_non_finite_are_refused(tmp_path, small_chunks):
    x = images(10).astype(np.float32)
    x[7, 3, 4] = np.nan
    with pytest.raises(UserError, match="non-finite values .* first in image 7"):
        load_images(save(tmp_path / "nan.npy", x))
    y = images(10, np.int16)
    y[8, 0, 0] = 256
    with pytest.raises(UserError, match=r"outside 0-255 \(min 0, max 256\)"):
        load_images(save(tmp_path / "big.npy", y))
    y[8, 0, 0] = -1
    with pytest.raises(UserError, match=r"outside 0-255 \(min -1"):
        load_images(save(tmp_path / "neg.npy", y))


def test_min_and_max_are_found_across_chunks(tmp_path, small_chunks):
    x = np.full((10, 40, 168), 100, np.uint8)
    x[1], x[9] = 7, 201
    assert check_pixels(open_images(save(tmp_path / "x.npy", x)), "x") == (7, 201)


def test_bad_files_are_one_line(tmp_path):
    (tmp_path / "folder").mkdir()
    np.savez(tmp_path / "arch.npz", x=images(1))
    buf = io.BytesIO()
    npy_format.write_array_header_1_0(buf, {"descr": "|u1", "fortran_order": False, "shape": (10 ** 8, 40, 168)})
    (tmp_path / "liar.npy").write_bytes(buf.getvalue() + b"\0" * 100)
    cases = {"folder": "is a folder", "missing.npy": "missing file", "arch.npz": "is an .npz archive",
             "liar.npy": "truncated", "shape.npy": "expected rank 3", "text.npy": "not numeric"}
    os.mkfifo(tmp_path / "fifo.npy")                  # opening it would block: refused unopened
    cases["fifo.npy"] = "not a regular file"
    save(tmp_path / "shape.npy", images(2)[:, :, :100])
    save(tmp_path / "text.npy", np.array(["a", "b"]))
    for name, message in cases.items():
        with pytest.raises(UserError, match=message) as info:
            load_images(tmp_path / name)
        assert "\n" not in str(info.value)


def test_empty_arrays_are_refused_when_asked(tmp_path):
    path = save(tmp_path / "empty.npy", np.zeros((0, 40, 168), np.uint8))
    assert load_images(path).shape == (0, 40, 168)
    with pytest.raises(UserError, match="holds no images"):
        load_images(path, allow_empty=False)


def test_in_memory_limit_applies_to_eager_loading_only(tmp_path, monkeypatch):
    path = save(tmp_path / "x.npy", images(3))
    monkeypatch.setenv("MINIGRAD_MAX_ARRAY_BYTES", "20000")
    with pytest.raises(UserError, match="over the in-memory limit"):
        load_images(path)
    assert open_images(path).shape == (3, 40, 168)    # memory-mapped: nothing held


def _rss_file_kb():
    with open("/proc/self/status") as f:
        return next(int(line.split()[1]) for line in f if line.startswith("RssFile:"))


def test_release_pages_drops_a_mapped_array_from_resident_memory(tmp_path):
    path = save(tmp_path / "x.npy", np.ones((600, 40, 168), np.uint8))     # 4 MB
    a = open_images(path)
    before = _rss_file_kb()
    assert int(a.sum(dtype=np.int64)) == a.size                             # touches every page
    touched = _rss_file_kb()
    release_pages(a[100:200])                                               # a view releases its mapping
    assert touched - before > 3500 and touched - _rss_file_kb() > 3500
    release_pages(np.ones(3))                                               # in-memory: nothing to do
