"""python -m digitsum.data under hostile input: `show --out` never loses a file, `check` says how each file
is stored and what reading it does, 0..1 float images and lying headers are refused in one line."""
import io
import os

import numpy as np
import pytest
from numpy.lib import format as npy_format

from digitsum.data import __main__ as data_cli
from fake_mnist import fake, fake_home  # noqa: F401  (fixtures)
from train_helpers import assert_user_error, make_course_folder, run_cli


@pytest.fixture
def folder(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    return make_course_folder(tmp_path / "d", n_train=6, n_test=4)


def test_show_out_needs_force_and_refuses_links_and_folders(folder, capsys):
    (folder.parent / "s.png").write_bytes(b"precious")
    assert_user_error(data_cli.main, ["show", "d", "--out", "s.png"], capsys, "already exists; add --force")
    assert (folder.parent / "s.png").read_bytes() == b"precious"
    code, out, _ = run_cli(data_cli.main, ["show", "d", "--out", "s.png", "--force"], capsys)
    assert code == 0 and (folder.parent / "s.png").read_bytes().startswith(b"\x89PNG")
    os.symlink("s.png", "link.png")
    os.mkdir("pics")
    for out, words in (("link.png", "symbolic link"), ("pics", "is a folder"), ("pics/", "is a folder"),
                       ("d/data0.npy", "must be a .png file"), ("d/data0.npy/x.png", "is a file, not a folder")):
        assert_user_error(data_cli.main, ["show", "d", "--out", out, "--force"], capsys, words)
    assert os.path.islink("link.png") and os.listdir("pics") == []
    code, _, _ = run_cli(data_cli.main, ["show", "d", "--out", "new/sub/s.png"], capsys)
    assert code == 0 and os.path.isfile("new/sub/s.png")


def test_check_says_how_files_are_stored_and_converted(folder, capsys):
    np.save(folder / "data0.npy", np.load(folder / "data0.npy").astype(np.float32))
    np.save(folder / "lab0.npy", np.load(folder / "lab0.npy").astype(np.float64))
    code, out, _ = run_cli(data_cli.main, ["check", "d"], capsys)
    assert code == 0
    assert "data0.npy: float32 (6, 40, 168) (rounded to uint8)" in out
    assert "lab0.npy: float64 (6,) (read as int64)" in out
    assert "test_data.npy: uint8 (4, 40, 168)\n" in out


def test_check_refuses_0_1_float_images_with_how_to_convert(folder, capsys):
    np.save(folder / "test_data.npy", np.load(folder / "test_data.npy") / 255.0)
    for command in (["check", "d"], ["show", "d", "--out", "s.png"]):
        assert_user_error(data_cli.main, command, capsys, "np.rint(x * 255).astype(np.uint8)")
    assert not os.path.exists("s.png")


def test_a_header_claiming_1e8_images_is_refused(folder, capsys):
    buf = io.BytesIO()
    npy_format.write_array_header_1_0(buf, {"descr": "|u1", "fortran_order": False, "shape": (10 ** 8, 40, 168)})
    (folder / "data0.npy").write_bytes(buf.getvalue() + b"\0" * 200)
    assert_user_error(data_cli.main, ["check", "d"], capsys, "truncated")


def test_make_never_replaces_and_bad_out_paths_are_one_line(tmp_path, fake_home, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "file").write_text("x")
    os.mkdir("out")
    os.symlink("nowhere.npy", "out/lab0.npy")               # even a dangling link is not replaced
    base = ["make", "--train", "8", "--test", "4"]
    assert_user_error(data_cli.main, base + ["--out", "file/sub"], capsys, "cannot create the folder")
    assert_user_error(data_cli.main, base + ["--out", "out"], capsys, "refusing to overwrite")
    assert os.path.islink("out/lab0.npy") and os.listdir("out") == ["lab0.npy"]
    assert (tmp_path / "file").read_text() == "x"


def test_gzip_bomb_as_an_idx_file_is_refused_before_it_is_inflated(tmp_path, monkeypatch):
    import gzip
    from digitsum.cli import UserError
    from digitsum.data import mnist
    body = bytes([0, 0, 8, 1]) + (8 * 1024 ** 2).to_bytes(4, "big") + bytes(8 * 1024 ** 2)
    (tmp_path / "bomb.gz").write_bytes(gzip.compress(body))
    monkeypatch.setenv("MINIGRAD_MAX_ARRAY_BYTES", str(1024 ** 2))
    with pytest.raises(UserError, match="decompresses to more than 1048576 bytes"):
        mnist.read_idx(tmp_path / "bomb.gz")
    monkeypatch.delenv("MINIGRAD_MAX_ARRAY_BYTES")
    assert mnist.read_idx(tmp_path / "bomb.gz").shape == (8 * 1024 ** 2,)


def test_partial_vgg16_conversions_of_killed_fetches_are_removed(tmp_path):
    import subprocess
    import sys
    from digitsum.models.vgg16_weights import VGG16_FILE, remove_dead_partials
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True,
                          text=True).stdout.strip()
    names = [f".{VGG16_FILE}.{dead}.partial.npz", f"..{VGG16_FILE}.{dead}.partial.npz.k2j3.tmp",
             f".{VGG16_FILE}.{os.getpid()}.partial.npz", VGG16_FILE]
    for name in names:
        (tmp_path / name).write_bytes(b"x")
    removed = sorted(os.path.basename(p) for p in remove_dead_partials(str(tmp_path)))
    assert removed == sorted(names[:2])
    assert sorted(os.listdir(tmp_path)) == sorted(names[2:])


@pytest.mark.parametrize("manifest", [
    "[" * 5000 + "]" * 5000,
    '{"files": {}, "generator": {"digits": ["4", "x"]}}',
    '{"files": {"../../etc/passwd": "0"}, "generator": {"digits": [4, 4]}}',
    '{"files": {"data0.npy": 7}, "generator": {"digits": [4, 4]}}',
])
def test_crafted_manifest_is_one_line(folder, capsys, manifest):
    (folder / "manifest.json").write_text(manifest)
    assert_user_error(data_cli.main, ["check", "d"], capsys, "not a valid digitsum manifest")


def test_an_os_error_on_a_path_is_one_line_and_a_weights_home_under_a_file_too(tmp_path, capsys):
    from digitsum import weights

    def main(argv):
        open(tmp_path / "missing" / "x.csv", "w")
    assert_user_error(main, [], capsys, f"{tmp_path / 'missing' / 'x.csv'}: No such file or directory")
    (tmp_path / "afile").write_text("x")
    assert_user_error(weights.main, ["vgg16", "--home", str(tmp_path / "afile" / "sub")], capsys,
                      "cannot create the weights folder (Not a directory)")
    assert (tmp_path / "afile").read_text() == "x"
