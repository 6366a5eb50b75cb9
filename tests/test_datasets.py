"""digitsum.datasets: the course layout written and read back, split separation, validation, training helpers."""
import json

import numpy as np
import pytest

from digitsum.data import compose as C
from digitsum.data import course as D
from digitsum.data import loading as L
from digitsum.cli import UserError
from fake_mnist import fake, fake_home, snapshot  # noqa: F401  (fixtures)


@pytest.fixture
def made(tmp_path, fake, monkeypatch):
    """A generated folder with 3 training files (file size shrunk to 10 so 25 images make data0..data2)."""
    monkeypatch.setattr(D, "FILE_SIZE", 10)
    out = tmp_path / "made"
    D.make_course(out, fake, n_train=25, n_test=12, seed=3, log=lambda s: None)
    return out


def test_make_writes_the_course_layout_and_reads_back(made, fake):
    names = sorted(p.name for p in made.iterdir())
    assert names == sorted(D.course_file_names(25)) == sorted(
        ["data0.npy", "lab0.npy", "data1.npy", "lab1.npy", "data2.npy", "lab2.npy", "test_data.npy",
         "test_label.npy", "digits.npz", "manifest.json"])
    assert [len(np.load(made / f"data{k}.npy")) for k in range(3)] == [10, 10, 5]
    for name in names:
        if name.endswith(".npy"):
            assert np.load(made / name).dtype == np.uint8
    data = D.load_course(made)
    assert data.train_x.shape == (25, C.H, C.W) and data.test_x.shape == (12, C.H, C.W)
    assert data.train_y.dtype == np.int64 and data.label_max == 36
    manifest = json.loads((made / "manifest.json").read_text())
    assert manifest["generator"]["seed"] == 3 and set(manifest["files"]) == set(names) - {"manifest.json"}
    rec = D.load_records(made, data)
    assert rec["train_digits"].dtype == np.int16 and rec["test_boxes"].shape == (12, 4, 4)


def test_generation_is_deterministic(tmp_path, fake):
    for name in ("a", "b"):
        D.make_course(tmp_path / name, fake, n_train=30, n_test=10, seed=11, log=lambda s: None)
    files_a = json.loads((tmp_path / "a" / "manifest.json").read_text())["files"]
    assert files_a == json.loads((tmp_path / "b" / "manifest.json").read_text())["files"]
    D.make_course(tmp_path / "c", fake, n_train=30, n_test=10, seed=12, log=lambda s: None)
    assert files_a["data0.npy"] != json.loads((tmp_path / "c" / "manifest.json").read_text())["files"]["data0.npy"]


def test_train_and_test_composites_use_their_own_mnist_split(made, fake):
    """Checked through digits.npz: each recorded digit's pixels are in the image, taken from the right split."""
    data, rec = D.load_course(made), D.load_records(made)
    for split, images, labels in (("train", fake.train_images, fake.train_labels),
                                  ("test", fake.test_images, fake.test_labels)):
        x, y = getattr(data, f"{split}_x"), getattr(data, f"{split}_y")
        d, idx, boxes = rec[f"{split}_digits"], rec[f"{split}_index"], rec[f"{split}_boxes"]
        assert (d.sum(axis=1) == y).all() and (d == labels[idx]).all()
        assert idx.min() >= 0 and idx.max() < len(images)
        for i in range(len(x)):
            for j in range(4):
                x0, y0, x1, y1 = boxes[i, j]
                digit = images[idx[i, j]]
                ink = digit[digit.any(1)][:, digit.any(0)]
                assert (x[i, y0:y1, x0:x1] >= ink).all()  # these pixels came from this split's digit


def test_make_refuses_to_overwrite(made, fake):
    before = snapshot(made)
    with pytest.raises(UserError, match="already exists"):
        D.make_course(made, fake, n_train=5, n_test=5, log=lambda s: None)
    assert snapshot(made) == before


def test_course_folder_without_manifest_any_subset_of_pairs(tmp_path):
    rng = np.random.default_rng(0)
    for name, n in (("data0", 4), ("data2", 3), ("test_data", 2)):
        np.save(tmp_path / f"{name}.npy", rng.integers(0, 256, (n, C.H, C.W), dtype=np.uint8))
    for name, n in (("lab0", 4), ("lab2", 3), ("test_label", 2)):
        np.save(tmp_path / f"{name}.npy", rng.integers(0, 37, n).astype(np.uint8))
    data = D.load_course(tmp_path)
    assert len(data.train_x) == 7 and data.manifest is None and D.load_records(tmp_path) is None
    np.testing.assert_array_equal(data.train_y[:4], np.load(tmp_path / "lab0.npy"))
    np.save(tmp_path / "data0.npy", np.load(tmp_path / "data0.npy").astype(np.float32))  # float 0-255 is fine
    assert D.load_course(tmp_path).train_x.dtype == np.uint8


def test_checksum_mismatch_and_records_mismatch_are_errors(made):
    lab = made / "lab1.npy"
    y = np.load(lab)
    y[0] = (y[0] + 1) % 37
    np.save(lab, y)
    with pytest.raises(UserError, match="lab1.npy: checksum mismatch"):
        D.load_course(made)


def test_records_that_do_not_add_up_are_an_error(tmp_path, fake):
    D.make_course(tmp_path, fake, n_train=6, n_test=4, seed=0, log=lambda s: None)
    data = D.load_course(tmp_path)
    data.train_y = data.train_y + 1
    with pytest.raises(UserError, match="do not add up"):
        D.load_records(tmp_path, data)


def test_train_val_split_is_a_deterministic_partition():
    x, y = np.arange(100) * 10, np.arange(100)
    xa, ya, xv, yv = L.train_val_split(x, y, 0.2, seed=1)
    xb, yb, xw, yw = L.train_val_split(x, y, 0.2, seed=1)
    np.testing.assert_array_equal(xv, xw)
    assert len(yv) == 20 and sorted(np.concatenate([ya, yv]).tolist()) == list(range(100))
    assert (xa == ya * 10).all() and not np.array_equal(yv, L.train_val_split(x, y, 0.2, seed=2)[3])


def test_normalize_constants_and_shape():
    x = np.zeros((2, C.H, C.W), np.uint8)
    x[1] = 255
    z = L.normalize(x)
    assert z.shape == (2, 1, C.H, C.W) and z.dtype == np.float32
    np.testing.assert_allclose(z[0], -L.MEAN / L.STD, rtol=1e-6)
    np.testing.assert_allclose(z[1], (1 - L.MEAN) / L.STD, rtol=1e-6)
    np.testing.assert_array_equal(L.normalize(x[:, None]), z)


def test_fresh_composites_use_training_digits_only(fake, monkeypatch):
    used = []
    real = C.compose

    def spy(images, *a, **k):
        used.append(images)
        return real(images, *a, **k)

    monkeypatch.setattr(C, "compose", spy)
    fresh = L.FreshComposites(seed=5, n=20, mnist=fake)
    x0, y0 = fresh.epoch(0)
    x0b, _ = L.FreshComposites(seed=5, n=20, mnist=fake).epoch(0)
    x1, _ = fresh.epoch(1)
    assert x0.shape == (20, C.H, C.W) and y0.dtype == np.int64
    np.testing.assert_array_equal(x0, x0b)
    assert not np.array_equal(x0, x1)
    assert all(images is fake.train_images for images in used)


def test_ensure_data(tmp_path, fake_home, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(UserError, match="does not exist"):
        D.ensure_data(tmp_path / "nope")
    log = []
    folder = D.ensure_data(seed=1, n_train=15, n_test=6, log=log.append)
    assert folder.parent == fake_home / "composites" and "generating" in log[0]
    data = D.load_course(folder)
    assert len(data.train_x) == 15 and len(data.test_x) == 6
    assert [p.name for p in folder.parent.iterdir()] == [folder.name]  # no temporary folder left behind
    monkeypatch.setattr(D, "make_course", None)  # a second call must reuse the cache, not regenerate
    assert D.ensure_data(seed=1, n_train=15, n_test=6, log=log.append) == folder
    (tmp_path / "data" / "test777").mkdir(parents=True)   # only folders from `data make --out data/...`
    assert D.ensure_data(seed=1, n_train=15, n_test=6, log=log.append) == folder
    assert "holds no course files" in log[-2]
    np.save(tmp_path / "data" / "data0.npy", np.zeros((1, 40, 168), np.uint8))
    assert str(D.ensure_data(log=log.append)) == "data" and "./data" in log[-1]


def test_single_file_loaders_and_dict_access(made):
    data = D.load_course(made)
    np.testing.assert_array_equal(D.load_images(made / "test_data.npy"), data["test_x"])
    np.testing.assert_array_equal(D.load_labels(made / "test_label.npy"), data.test_y)
    with pytest.raises(UserError, match="expected rank 3"):
        D.load_images(made / "test_label.npy")
    with pytest.raises(UserError, match="missing file"):
        D.load_labels(made / "nope.npy")
