"""digitsum.evaluate under hostile input: --grid never loses a file, --digit-labels is checked before any
report, empty and 0..1 float images are refused in one line."""
import os

import numpy as np
import pytest

import minigrad
from digitsum import evaluate
from digitsum.models import checkpoints as checkpoint
from train_helpers import assert_user_error, run_cli, synthetic_images, untrained_checkpoint

@pytest.fixture
def env(tmp_path, monkeypatch):
    """Untrained checkpoints (a tiny classifier, the digits reader) and 20 images with labels, in a temp cwd."""
    monkeypatch.chdir(tmp_path)
    untrained_checkpoint("ck.npz")
    untrained_checkpoint("digits.npz", "digits")
    x, y = synthetic_images(20, seed=5)
    np.save("x.npy", x)
    np.save("y.npy", y)
    return tmp_path


BASE = ["--checkpoint", "ck.npz", "--images", "x.npy", "--labels", "y.npy"]


def test_grid_needs_force_to_replace_and_is_written_when_new(env, capsys):
    code, out, _ = run_cli(evaluate.main, BASE + ["--grid", "sub/grid.png"], capsys)
    assert code == 0 and "wrote sub/grid.png" in out
    png = open("sub/grid.png", "rb").read()
    assert png.startswith(b"\x89PNG")
    open("sub/grid.png", "wb").write(b"precious")
    assert_user_error(evaluate.main, BASE + ["--grid", "sub/grid.png"], capsys, "already exists; add --force")
    assert open("sub/grid.png", "rb").read() == b"precious"
    code, _, _ = run_cli(evaluate.main, BASE + ["--grid", "sub/grid.png", "--force"], capsys)
    assert code == 0 and open("sub/grid.png", "rb").read().startswith(b"\x89PNG")


@pytest.mark.parametrize("grid, words", [
    ("folder", "is a folder"), ("folder/", "is a folder"), ("link.png", "symbolic link"),
    ("fifo.png", "not a regular file"), ("grid.jpg", "must be a .png file"), ("x.npy/g.png", "is a file, not a folder"),
])
def test_bad_grid_targets_are_refused_before_any_work(env, capsys, grid, words):
    os.mkdir("folder")
    os.symlink("elsewhere.png", "link.png")
    os.mkfifo("fifo.png")
    before = sorted(os.listdir("."))
    code, out, err = run_cli(evaluate.main, BASE + ["--grid", grid, "--force"], capsys)
    assert code == 2 and out == "" and err.count("\n") == 1 and words in err
    assert sorted(os.listdir(".")) == before


def test_plain_npy_as_digit_labels_is_refused_before_the_report(env, capsys):
    np.save("plain.npy", np.zeros((20, 4), np.int64))
    argv = ["--checkpoint", "digits.npz", "--images", "x.npy", "--labels", "y.npy", "--digit-labels"]
    for path, words in (("plain.npy", "bare .npy"), (".", "is a folder"), ("none.npz", "not found")):
        code, out, err = run_cli(evaluate.main, argv + [path], capsys)
        assert code == 2 and out == "" and err.startswith("error:") and words in err and err.count("\n") == 1
    np.savez("wrong.npz", train_digits=np.zeros((20, 4), np.int64))
    code, out, err = run_cli(evaluate.main, argv + ["wrong.npz"], capsys)
    assert code == 2 and out == "" and "'test_digits'" in err
    np.savez("short.npz", test_digits=np.zeros((3, 4), np.int64))
    code, out, err = run_cli(evaluate.main, argv + ["short.npz"], capsys)
    assert code == 2 and out == "" and "records 3 images' digits but 20" in err
    code, out, err = run_cli(evaluate.main, BASE + ["--digit-labels", "short.npz"], capsys)
    assert code == 2 and out == "" and "does not read digits" in err


def test_empty_and_0_1_float_images_are_one_line(env, capsys):
    np.save("empty.npy", np.zeros((0, 40, 168), np.uint8))
    np.save("nolabels.npy", np.zeros(0, np.uint8))
    assert_user_error(evaluate.main, ["--checkpoint", "ck.npz", "--images", "empty.npy", "--labels", "nolabels.npy"],
                      capsys, "holds no images")
    np.save("x01.npy", np.load("x.npy") / 255.0)
    assert_user_error(evaluate.main, ["--checkpoint", "ck.npz", "--images", "x01.npy", "--labels", "y.npy"],
                      capsys, "np.rint(x * 255).astype(np.uint8)")


def test_nan_weights_are_refused_and_named(env, capsys):
    obj = checkpoint.load("ck.npz")
    name = sorted(obj["state_dict"])[-1]
    obj["state_dict"][name] = obj["state_dict"][name] * np.nan
    minigrad.save(obj, "nan.npz")
    assert_user_error(evaluate.main, ["--checkpoint", "nan.npz", "--images", "x.npy", "--labels", "y.npy"],
                      capsys, f"NaN or inf in {name}")
