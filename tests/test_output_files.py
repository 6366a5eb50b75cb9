"""User-named output files: never replaced without --force, never the command's own input, never through a
symlink or FIFO, and every refusal one line."""
import os

import pytest

from digitsum import output_files
from digitsum.cli import UserError
from digitsum.output_files import check_output_file, write_output_file


def write_text(text):
    return lambda f: f.write(text)


def test_new_file_is_written_and_missing_parents_created(tmp_path):
    out = tmp_path / "a" / "b" / "preds.csv"
    write_output_file(out, "--out", write_text("x\n"))
    assert out.read_text() == "x\n"


def test_existing_file_needs_force(tmp_path):
    out = tmp_path / "preds.csv"
    out.write_text("precious")
    with pytest.raises(UserError, match="already exists; add --force"):
        write_output_file(out, "--out", write_text("new"))
    assert out.read_text() == "precious"
    write_output_file(out, "--out", write_text("new"), force=True)
    assert out.read_text() == "new"


def test_own_inputs_are_never_replaced_even_with_force(tmp_path):
    ck, images = tmp_path / "best.npz", tmp_path / "x.npy"
    ck.write_bytes(b"model")
    images.write_bytes(b"images")
    os.link(images, tmp_path / "hardlink.npy")
    for target in (ck, images, tmp_path / "hardlink.npy", tmp_path / "." / "x.npy"):
        with pytest.raises(UserError, match="own input.*even with --force"):
            write_output_file(target, "--out", write_text("csv"), force=True, inputs=[str(ck), str(images), None])
    assert ck.read_bytes() == b"model" and images.read_bytes() == b"images"


def test_symlinks_fifos_and_folders_are_refused(tmp_path):
    (tmp_path / "target.csv").write_text("kept")
    os.symlink(tmp_path / "target.csv", tmp_path / "link.csv")
    os.symlink(tmp_path / "nowhere.csv", tmp_path / "dangling.csv")
    os.mkfifo(tmp_path / "fifo.csv")
    (tmp_path / "folder").mkdir()
    cases = {"link.csv": "symbolic link", "dangling.csv": "symbolic link", "fifo.csv": "not a regular file",
             "folder": "is a folder", "folder/": "is a folder", "new/": "is a folder"}
    for name, message in cases.items():
        for force in (False, True):
            with pytest.raises(UserError, match=message) as info:
                write_output_file(str(tmp_path / name) + ("/" if name.endswith("/") else ""), "--out",
                                  write_text("x"), force=force)
            assert "\n" not in str(info.value)
    assert os.path.islink(tmp_path / "link.csv") and (tmp_path / "target.csv").read_text() == "kept"
    assert not os.path.lexists(tmp_path / "nowhere.csv") and not (tmp_path / "new").exists()


def test_parent_that_is_a_file_is_refused(tmp_path):
    (tmp_path / "file").write_text("x")
    with pytest.raises(UserError, match="is a file, not a folder"):
        write_output_file(tmp_path / "file" / "sub" / "out.csv", "--out", write_text("x"))
    assert (tmp_path / "file").read_text() == "x"


def test_suffix_is_checked(tmp_path):
    with pytest.raises(UserError, match="must be a .png file"):
        check_output_file(tmp_path / "grid.jpg", "--grid", suffix=".png")
    assert check_output_file(tmp_path / "grid.PNG", "--grid", suffix=".png")


def test_file_appearing_during_the_run_is_not_replaced(tmp_path):
    out = tmp_path / "preds.csv"

    def late(f):                   # another program creates the file after the check, before the rename
        out.write_text("someone else's")
        f.write("ours")
    with pytest.raises(UserError, match="appeared while this command ran"):
        write_output_file(out, "--out", late)
    assert out.read_text() == "someone else's"
    assert os.listdir(tmp_path) == ["preds.csv"]


def test_write_failure_is_one_line(tmp_path, monkeypatch):
    def full(*a, **k):
        raise OSError(28, "No space left on device")
    monkeypatch.setattr(output_files, "atomic_write", full)
    with pytest.raises(UserError, match="cannot write it \\(No space left on device\\)"):
        write_output_file(tmp_path / "out.csv", "--out", write_text("x"))
