"""Hostile .npy/.npz files are refused before anything large is allocated, with one clear line.

Every file here is crafted inside the test: headers that declare huge arrays, compression bombs, sizes
that disagree, metadata nested too deep or of the wrong types.
"""
import io
import json
import os
import tracemalloc
import zipfile

import numpy as np
import pytest
from numpy.lib import format as npy_format

import minigrad as mg
from minigrad.array_files import load_npy, nonfinite_arrays, read_npz
from minigrad.models.weights import WeightsError, read_weights
from minigrad.serialization import _META_KEY, MAX_METADATA_DEPTH, CheckpointError

TIB_SHAPE = (2 ** 38,)  # float32: 1 TiB


def npy_bytes(shape, dtype="<f4", data=b""):
    """A .npy file whose header declares `shape` and whose payload is `data` (whatever its length)."""
    buf = io.BytesIO()
    npy_format.write_array_header_1_0(buf, {"descr": dtype, "fortran_order": False, "shape": tuple(shape)})
    return buf.getvalue() + data


def write_zip(path, entries, compression=zipfile.ZIP_STORED):
    with zipfile.ZipFile(path, "w", compression) as z:
        for name, data in entries.items():
            z.writestr(name, data)


def meta_entry(tree):
    meta = json.dumps({"format": "minigrad-checkpoint", "version": 1, "tree": tree}).encode()
    buf = io.BytesIO()
    np.save(buf, np.frombuffer(meta, np.uint8))
    return {_META_KEY + ".npy": buf.getvalue()}


def array_entry(name, a):
    buf = io.BytesIO()
    np.save(buf, a)
    return {name + ".npy": buf.getvalue()}


def peak_allocation(fn):
    """(exception raised by fn, peak bytes numpy/python allocated meanwhile)."""
    tracemalloc.start()
    try:
        with pytest.raises(Exception) as info:
            fn()
        return info.value, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_checkpoint_declaring_a_tib_array_is_refused_before_allocating(tmp_path):
    path = tmp_path / "huge.npz"
    write_zip(path, {**meta_entry({"w": {"__ndarray__": "a0"}}), "a0.npy": npy_bytes(TIB_SHAPE, data=b"\0" * 64)})
    err, peak = peak_allocation(lambda: mg.load(path))
    assert isinstance(err, CheckpointError)
    assert "a0.npy" in str(err) and "1.0 TiB" in str(err) and "\n" not in str(err)
    assert peak < 10 * 1024 ** 2


def test_array_over_the_limit_is_refused_and_the_limit_is_adjustable(tmp_path, monkeypatch):
    path = tmp_path / "ck.npz"
    mg.save({"w": np.zeros(1000, np.float32)}, path)
    with pytest.raises(CheckpointError, match="over the limit of 1000 bytes.*MINIGRAD_MAX_ARRAY_BYTES"):
        mg.load(path, max_bytes=1000)
    assert mg.load(path, max_bytes=5000)["w"].shape == (1000,)
    monkeypatch.setenv("MINIGRAD_MAX_ARRAY_BYTES", "3999")
    with pytest.raises(CheckpointError, match="over the limit"):
        mg.load(path)
    monkeypatch.setenv("MINIGRAD_MAX_ARRAY_BYTES", "1e6")
    assert mg.load(path)["w"].shape == (1000,)


def test_many_arrays_together_over_the_limit_are_refused(tmp_path):
    path = tmp_path / "ck.npz"
    mg.save({f"w{i}": np.zeros(100, np.float32) for i in range(10)}, path)   # 4000 bytes in all
    with pytest.raises(CheckpointError, match="together declare"):
        mg.load(path, max_bytes=3000)


def test_compression_bomb_is_refused_before_decompressing(tmp_path):
    path = tmp_path / "bomb.npz"
    entries = {**meta_entry({"w": {"__ndarray__": "a0"}}), **array_entry("a0", np.zeros(16 * 1024 ** 2, np.uint8))}
    write_zip(path, entries, zipfile.ZIP_DEFLATED)
    assert path.stat().st_size < 100 * 1024
    err, peak = peak_allocation(lambda: mg.load(path))
    assert isinstance(err, CheckpointError) and "compression bomb" in str(err)
    assert peak < 4 * 1024 ** 2


def test_ordinary_compressed_npz_still_loads(tmp_path):
    path = tmp_path / "w.npz"
    w = np.random.default_rng(0).standard_normal(300_000).astype(np.float32)
    np.savez_compressed(path, w=w, small_zeros=np.zeros(1000))
    arrays, _ = read_weights(path)
    np.testing.assert_array_equal(arrays["w"], w)


def test_declared_and_stored_sizes_must_agree(tmp_path):
    path = tmp_path / "lie.npz"
    write_zip(path, {**meta_entry({"w": {"__ndarray__": "a0"}}),
                     "a0.npy": npy_bytes((1000,), data=np.zeros(10, np.float32).tobytes())})
    with pytest.raises(CheckpointError, match="header declares shape \\(1000,\\).*archive declares 40 bytes"):
        mg.load(path)


def test_object_array_and_non_npy_entries_are_refused(tmp_path):
    path = tmp_path / "obj.npz"
    write_zip(path, {**meta_entry({}), "a0.npy": npy_bytes((1,), dtype="|O", data=b"x" * 8)})
    with pytest.raises(CheckpointError, match="object or pickled array"):
        mg.load(path)
    write_zip(path, {**meta_entry({}), "notes.txt": b"hello"})
    with pytest.raises(CheckpointError, match="not an .npy array"):
        mg.load(path)


def test_metadata_nested_5000_deep_is_one_line(tmp_path):
    path = tmp_path / "deep.npz"
    deep = "[" * 5000 + "]" * 5000
    meta = ('{"format": "minigrad-checkpoint", "version": 1, "tree": {"x": ' + deep + "}}").encode()
    buf = io.BytesIO()
    np.save(buf, np.frombuffer(meta, np.uint8))
    write_zip(path, {_META_KEY + ".npy": buf.getvalue()})
    with pytest.raises(CheckpointError, match=f"nested deeper than {MAX_METADATA_DEPTH}"):
        mg.load(path)


def test_metadata_just_over_the_depth_limit_is_refused(tmp_path):
    path = tmp_path / "deep.npz"
    tree = {"x": []}
    node = tree["x"]
    for _ in range(MAX_METADATA_DEPTH):
        node.append([])
        node = node[0]
    write_zip(path, meta_entry(tree))
    with pytest.raises(CheckpointError, match="nested deeper"):
        mg.load(path)
    tree["x"] = [[[]]]
    write_zip(path, meta_entry(tree))
    assert mg.load(path) == {"x": [[[]]]}


@pytest.mark.parametrize("tree, message", [
    ({"w": {"__ndarray__": ["a0"]}}, "malformed array reference"),
    ({"w": {"__ndarray__": "a7"}}, "malformed array reference"),
    ({"w": {"__ndarray__": "a0", "extra": 1}}, "malformed array reference"),
    ([1, 2], "its tree is list"),
    ("name", "its tree is str"),
])
def test_metadata_of_the_wrong_types_is_one_line(tmp_path, tree, message):
    path = tmp_path / "bad.npz"
    write_zip(path, {**meta_entry(tree), **array_entry("a0", np.ones(2))})
    with pytest.raises(CheckpointError, match=message) as info:
        mg.load(path)
    assert "\n" not in str(info.value)


def test_metadata_entry_of_the_wrong_dtype_is_refused(tmp_path):
    path = tmp_path / "bad.npz"
    write_zip(path, array_entry(_META_KEY, np.ones(3, np.float32)))
    with pytest.raises(CheckpointError, match="malformed metadata entry"):
        mg.load(path)


def test_weights_file_declaring_a_tib_array_is_refused(tmp_path):
    path = tmp_path / "w.npz"
    write_zip(path, {"conv.weight.npy": npy_bytes(TIB_SHAPE)})
    with pytest.raises(WeightsError, match="over the limit"):
        read_weights(path)


def test_read_npz_rejects_a_bare_npy_and_fifos(tmp_path):
    np.save(tmp_path / "a.npy", np.ones(3))
    with pytest.raises(WeightsError, match="bare .npy"):
        read_npz(tmp_path / "a.npy", WeightsError, "weights file")
    os.mkfifo(tmp_path / "fifo.npz")                  # opening it would block: refused unopened
    with pytest.raises(CheckpointError, match="not a regular file"):
        mg.load(tmp_path / "fifo.npz")


def test_npy_header_claiming_1e8_images_is_refused_unallocated(tmp_path):
    path = tmp_path / "x.npy"
    path.write_bytes(npy_bytes((10 ** 8, 40, 168), dtype="|u1", data=b"\0" * 72))
    for mmap in (False, True):
        err, peak = peak_allocation(lambda: load_npy(path, mmap=mmap))
        assert isinstance(err, ValueError) and "truncated" in str(err) and "(100000000, 40, 168)" in str(err)
        assert peak < 10 * 1024 ** 2


def test_load_npy_refuses_trailing_bytes_pickles_and_garbage(tmp_path):
    good = io.BytesIO()
    np.save(good, np.arange(6, dtype=np.uint8))
    (tmp_path / "pad.npy").write_bytes(good.getvalue() + b"extra")
    with pytest.raises(ValueError, match="trailing bytes"):
        load_npy(tmp_path / "pad.npy")
    (tmp_path / "obj.npy").write_bytes(npy_bytes((1,), dtype="|O", data=b"x" * 8))
    with pytest.raises(ValueError, match="object or pickled array"):
        load_npy(tmp_path / "obj.npy")
    (tmp_path / "junk.npy").write_bytes(b"not numpy at all")
    with pytest.raises(ValueError, match="not a valid .npy"):
        load_npy(tmp_path / "junk.npy")
    (tmp_path / "short.npy").write_bytes(good.getvalue()[:8])
    with pytest.raises(ValueError, match="not a valid .npy"):
        load_npy(tmp_path / "short.npy")


def test_load_npy_reads_eagerly_or_memory_mapped(tmp_path):
    a = np.arange(24, dtype=np.float32).reshape(2, 3, 4)
    np.save(tmp_path / "a.npy", a)
    eager = load_npy(tmp_path / "a.npy")
    mapped = load_npy(tmp_path / "a.npy", mmap=True)
    assert not isinstance(eager, np.memmap) and isinstance(mapped, np.memmap) and not mapped.flags.writeable
    np.testing.assert_array_equal(eager, a)
    np.testing.assert_array_equal(mapped, a)
    np.save(tmp_path / "empty.npy", np.zeros((0, 40, 168), np.uint8))
    assert load_npy(tmp_path / "empty.npy", mmap=True).shape == (0, 40, 168)
    with pytest.raises(ValueError, match="over the limit"):
        load_npy(tmp_path / "a.npy", max_bytes=50)
    assert load_npy(tmp_path / "a.npy", mmap=True, max_bytes=50).shape == (2, 3, 4)   # not held in memory


def test_nonfinite_arrays_are_named():
    arrays = {"a": np.ones(3), "b": np.array([1.0, np.nan]), "c": np.array([np.inf], np.float32),
              "n": np.arange(3), "meta": "text"}
    assert nonfinite_arrays(arrays) == ["b", "c"]


def test_weights_with_nan_or_inf_are_refused_and_named():
    from minigrad import nn
    from minigrad.models.weights import fit_state_dict
    model = nn.Sequential(nn.Linear(3, 2), nn.ReLU(), nn.Linear(2, 1))
    arrays = {k: np.array(v.data if hasattr(v, "data") else v) for k, v in model.state_dict().items()}
    assert fit_state_dict(model, arrays, "the MLP", "w.npz").keys() == arrays.keys()
    arrays["0.weight"][1, 2] = np.nan
    arrays["2.bias"][0] = np.inf
    with pytest.raises(WeightsError, match=r"w.npz does not fit the MLP: NaN or inf in: 0.weight, 2.bias$"):
        fit_state_dict(model, arrays, "the MLP", "w.npz")


@pytest.mark.parametrize("manifest", ["[" * 5000 + "]" * 5000, "[1, 2]", "not json"])
def test_weights_manifest_that_is_deep_or_not_an_object_is_refused(tmp_path, manifest):
    np.savez(tmp_path / "w.npz", w=np.ones(2), __manifest__=np.array(manifest))
    with pytest.raises(WeightsError, match="corrupt manifest"):
        read_weights(tmp_path / "w.npz")
