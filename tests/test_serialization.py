"""minigrad.save / minigrad.load: round trips, atomicity, and clear errors for bad files."""
import glob
import os
import subprocess
import sys

import numpy as np
import pytest

import minigrad as mg
from minigrad import nn
from minigrad.serialization import CheckpointError, atomic_write, remove_stale_temp_files


def test_nested_round_trip(tmp_path):
    obj = {"model": {"w": np.arange(6, dtype=np.float32).reshape(2, 3), "n": np.array(3, np.int64)},
           "meta": {"epoch": 4, "lr": 0.1, "name": "cnn", "flags": [True, None], "nested": [{"a": np.ones(2)}]},
           "empty": np.zeros((0, 3), np.float64), "tensor": mg.Tensor([1.0, 2.0])}
    mg.save(obj, tmp_path / "ck.npz")
    back = mg.load(tmp_path / "ck.npz")
    np.testing.assert_array_equal(back["model"]["w"], obj["model"]["w"])
    assert back["model"]["w"].dtype == np.float32 and back["model"]["n"].dtype == np.int64
    assert back["meta"]["epoch"] == 4 and back["meta"]["name"] == "cnn" and back["meta"]["flags"] == [True, None]
    np.testing.assert_array_equal(back["meta"]["nested"][0]["a"], np.ones(2))
    assert back["empty"].shape == (0, 3)
    assert back["tensor"].dtype == np.float32


def test_model_round_trip_gives_identical_outputs(tmp_path):
    mg.manual_seed(0)
    net = nn.Sequential(nn.Conv2d(1, 3, 3), nn.BatchNorm2d(3), nn.ReLU(), nn.Flatten(), nn.Linear(12, 2))
    x = mg.Tensor(np.random.default_rng(0).standard_normal((2, 1, 4, 4)).astype(np.float32))
    net(x)                                                  # update the batch-norm buffers
    mg.save({"state_dict": net.state_dict()}, tmp_path / "m.npz")
    mg.manual_seed(1)
    fresh = nn.Sequential(nn.Conv2d(1, 3, 3), nn.BatchNorm2d(3), nn.ReLU(), nn.Flatten(), nn.Linear(12, 2))
    fresh.load_state_dict(mg.load(tmp_path / "m.npz")["state_dict"])
    net.eval(), fresh.eval()
    np.testing.assert_array_equal(net(x).data, fresh(x).data)


def test_no_pickle_in_the_file(tmp_path):
    mg.save({"a": np.ones(2), "meta": {"k": "v"}}, tmp_path / "ck.npz")
    with np.load(tmp_path / "ck.npz", allow_pickle=False) as f:
        for k in f.files:
            assert f[k].dtype != object


def test_missing_file(tmp_path):
    with pytest.raises(CheckpointError, match="not found"):
        mg.load(tmp_path / "nope.npz")


def test_truncated_file(tmp_path):
    mg.save({"w": np.random.default_rng(0).standard_normal(5000)}, tmp_path / "ck.npz")
    data = (tmp_path / "ck.npz").read_bytes()
    (tmp_path / "cut.npz").write_bytes(data[: len(data) // 2])
    with pytest.raises(CheckpointError, match="truncated or corrupt"):
        mg.load(tmp_path / "cut.npz")


def test_garbage_file(tmp_path):
    (tmp_path / "junk.npz").write_bytes(b"hello, not a zip file" * 10)
    with pytest.raises(CheckpointError):
        mg.load(tmp_path / "junk.npz")


def test_foreign_npz_and_npy(tmp_path):
    np.savez(tmp_path / "foreign.npz", x=np.ones(3))
    with pytest.raises(CheckpointError, match="not a minigrad checkpoint"):
        mg.load(tmp_path / "foreign.npz")
    np.save(tmp_path / "bare.npy", np.ones(3))
    with pytest.raises(CheckpointError, match="not a minigrad checkpoint"):
        mg.load(tmp_path / "bare.npy")


def test_pickled_npz_is_refused(tmp_path):
    np.savez(tmp_path / "evil.npz", x=np.array([{"a": 1}], dtype=object))
    with pytest.raises(CheckpointError):
        mg.load(tmp_path / "evil.npz")


def test_checkpoint_error_is_a_value_error():
    assert issubclass(CheckpointError, ValueError)


def test_unsupported_objects_fail_before_touching_the_file(tmp_path):
    path = tmp_path / "ck.npz"
    mg.save({"v": np.ones(1)}, path)
    before = path.read_bytes()
    for bad in ({"x": object()}, {1: np.ones(1)}, {"x": np.array([object()])}):
        with pytest.raises(TypeError):
            mg.save(bad, path)
    with pytest.raises(TypeError):
        mg.save([np.ones(1)], path)
    assert path.read_bytes() == before
    assert sorted(os.listdir(tmp_path)) == ["ck.npz"]          # no temp files left behind


def test_failed_write_leaves_old_file(tmp_path, monkeypatch):
    path = tmp_path / "ck.npz"
    mg.save({"v": np.ones(1)}, path)

    def boom(*a, **k):
        raise OSError("disk full")

    monkeypatch.setattr(np, "savez", boom)
    with pytest.raises(OSError, match="disk full"):
        mg.save({"v": np.zeros(1)}, path)
    monkeypatch.undo()
    np.testing.assert_array_equal(mg.load(path)["v"], np.ones(1))
    assert sorted(os.listdir(tmp_path)) == ["ck.npz"]


def _writer_killed_mid_write(path):
    """A process that is inside atomic_write(path) (temp file written, not renamed); returns it running."""
    code = ("import sys, time\nfrom minigrad.serialization import atomic_write\n"
            "with atomic_write(sys.argv[1]) as f:\n    f.write(b'x' * 100000)\n    f.flush()\n"
            "    print('ready', flush=True)\n    time.sleep(60)\n")
    proc = subprocess.Popen([sys.executable, "-c", code, str(path)], stdout=subprocess.PIPE)
    assert proc.stdout.readline().strip() == b"ready"
    return proc


def _age(paths, seconds=60):
    for p in paths:
        t = os.stat(p).st_mtime - seconds
        os.utime(p, (t, t))


def test_stale_temp_file_of_a_killed_write_is_removed_by_the_next_write(tmp_path):
    path = tmp_path / "last.npz"
    mg.save({"v": np.ones(1)}, path)
    proc = _writer_killed_mid_write(path)
    try:
        temps = glob.glob(str(tmp_path / ".last.npz.*.tmp"))
        assert len(temps) == 1
        _age(temps)
        assert remove_stale_temp_files(path) == []            # a live writer's temp file is left alone
        assert os.path.exists(temps[0])
    finally:
        proc.kill()
        proc.wait()
    assert os.path.exists(temps[0])                           # kill -9 leaves it behind
    np.testing.assert_array_equal(mg.load(path)["v"], np.ones(1))
    mg.save({"v": np.zeros(1)}, path)                          # the next write of that file cleans up
    assert sorted(os.listdir(tmp_path)) == ["last.npz"]
    np.testing.assert_array_equal(mg.load(path)["v"], np.zeros(1))


def test_stale_temp_cleanup_touches_only_that_files_temps(tmp_path):
    for name in (".last.npz.abc.tmp", ".best.npz.abc.tmp", "last.npz.tmp", ".last.npz.x.tmp.keep"):
        (tmp_path / name).write_bytes(b"junk")
    os.symlink(tmp_path / "last.npz.tmp", tmp_path / ".last.npz.link.tmp")
    fresh = tmp_path / ".last.npz.new.tmp"
    fresh.write_bytes(b"just created by a writer that has not locked it yet")
    _age([tmp_path / n for n in (".last.npz.abc.tmp", ".best.npz.abc.tmp", "last.npz.tmp", ".last.npz.x.tmp.keep")])
    removed = remove_stale_temp_files(tmp_path / "last.npz")
    assert [os.path.basename(p) for p in removed] == [".last.npz.abc.tmp"]
    assert sorted(os.listdir(tmp_path)) == [".best.npz.abc.tmp", ".last.npz.link.tmp", ".last.npz.new.tmp",
                                            ".last.npz.x.tmp.keep", "last.npz.tmp"]


def test_atomic_write_without_replace_never_replaces(tmp_path):
    path = tmp_path / "out.csv"
    with atomic_write(path, "w", replace=False) as f:
        f.write("first")
    with pytest.raises(FileExistsError):
        with atomic_write(path, "w", replace=False) as f:
            f.write("second")
    os.symlink(tmp_path / "elsewhere", tmp_path / "link.csv")
    with pytest.raises(FileExistsError):
        with atomic_write(tmp_path / "link.csv", "w", replace=False) as f:
            f.write("third")
    assert path.read_text() == "first" and not (tmp_path / "elsewhere").exists()
    assert sorted(os.listdir(tmp_path)) == ["link.csv", "out.csv"]
