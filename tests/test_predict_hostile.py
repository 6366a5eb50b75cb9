"""digitsum.predict under hostile input: it never loses a file, refuses bad images in one line, and streams
a memory-mapped input chunk by chunk with the same results as one pass."""
import io
import os
import subprocess
import sys

import numpy as np
import pytest

from digitsum import predict
from digitsum.data import image_files
from digitsum.models import checkpoints as checkpoint
from digitsum.engine.inference import run_batches
from train_helpers import assert_user_error, run_cli, synthetic_images, untrained_checkpoint

TINY_CNN = {"channels": [4, 8, 8], "hidden": 16}  # what untrained_checkpoint builds


@pytest.fixture
def env(tmp_path, monkeypatch):
    """An untrained tiny classifier checkpoint (any weights will do) and 20 images, in a temp cwd."""
    monkeypatch.chdir(tmp_path)
    untrained_checkpoint("ck.npz")
    np.save("x.npy", synthetic_images(20, seed=3)[0])
    return tmp_path


def predict_csv(capsys, *extra):
    code, out, err = run_cli(predict.main, ["--checkpoint", "ck.npz", "--images", "x.npy", *extra], capsys)
    assert code == 0, err
    return out


def test_chunked_stream_equals_one_pass(env, capsys, monkeypatch):
    whole = predict_csv(capsys)
    monkeypatch.setattr(image_files, "CHUNK_IMAGES", 7)          # 3 chunks: 7 + 7 + 6
    assert predict_csv(capsys) == whole
    spec, model = checkpoint.rebuild(checkpoint.load("ck.npz"))
    pred, _, _ = run_batches(spec, model, np.load("x.npy"), TINY_CNN)
    rows = [line.split(",") for line in whole.splitlines()]
    assert rows[0] == ["image", "sum"] and [int(r[0]) for r in rows[1:]] == list(range(20))
    assert [int(r[-1]) for r in rows[1:]] == pred.tolist()


def test_float_images_holding_0_255_give_the_same_predictions(env, capsys):
    whole = predict_csv(capsys)
    np.save("x.npy", np.load("x.npy").astype(np.float64))
    assert predict_csv(capsys) == whole


@pytest.mark.parametrize("make, words", [
    (lambda: np.save("x.npy", np.load("x.npy") / 255.0), "convert them with np.rint(x * 255)"),
    (lambda: np.save("x.npy", np.zeros((0, 40, 168), np.uint8)), "holds no images"),
    (lambda: np.save("x.npy", np.zeros((3, 40, 100), np.uint8)), "expected rank 3"),
    (lambda: open("x.npy", "r+b").truncate(5000), "truncated"),
    (lambda: os.remove("x.npy") or os.mkdir("x.npy"), "is a folder"),
])
def test_bad_images_are_one_line_and_nothing_is_written(env, capsys, make, words):
    make()
    assert_user_error(predict.main, ["--checkpoint", "ck.npz", "--images", "x.npy", "--out", "p.csv"], capsys, words)
    assert not os.path.exists("p.csv")


def test_existing_out_needs_force_and_inputs_are_never_replaced(env, capsys):
    with open("p.csv", "w") as f:
        f.write("precious")
    base = ["--checkpoint", "ck.npz", "--images", "x.npy", "--out"]
    assert_user_error(predict.main, base + ["p.csv"], capsys, "already exists; add --force")
    assert open("p.csv").read() == "precious"
    for own in ("ck.npz", "x.npy"):
        before = open(own, "rb").read()
        assert_user_error(predict.main, base + [own, "--force"], capsys, "own input")
        assert open(own, "rb").read() == before
    code, _, err = run_cli(predict.main, base + ["p.csv", "--force"], capsys)
    assert code == 0 and open("p.csv").read().startswith("image,sum\n")


@pytest.mark.parametrize("out, words", [
    ("link.csv", "symbolic link"), ("fifo.csv", "not a regular file"), ("sub/", "is a folder"),
    ("x.npy/p.csv", "is a file, not a folder"), ("folder", "is a folder"),
])
def test_out_paths_that_would_lose_or_hang_are_refused(env, capsys, out, words):
    os.symlink("target.csv", "link.csv")
    os.mkfifo("fifo.csv")
    os.mkdir("folder")
    before = sorted(os.listdir("."))
    assert_user_error(predict.main, ["--checkpoint", "ck.npz", "--images", "x.npy", "--out", out, "--force"],
                      capsys, words)
    assert sorted(os.listdir(".")) == before and not os.path.lexists("target.csv")


def test_missing_parent_folder_is_created(env, capsys):
    run_cli(predict.main, ["--checkpoint", "ck.npz", "--images", "x.npy", "--out", "new/dir/p.csv"], capsys)
    assert open("new/dir/p.csv").read().count("\n") == 21


class Terminal(io.StringIO):
    def isatty(self):
        return True


def test_progress_bar_only_on_a_terminal(env, capsys, monkeypatch):
    spec, model = checkpoint.rebuild(checkpoint.load("ck.npz"))
    x = image_files.open_images("x.npy")
    monkeypatch.setattr(sys, "stderr", Terminal())
    predict.write_predictions(io.StringIO(), spec, model, TINY_CNN, x, 8)
    assert "20/20" in sys.stderr.getvalue()
    monkeypatch.setattr(sys, "stderr", io.StringIO())
    predict.write_predictions(io.StringIO(), spec, model, TINY_CNN, x, 8)
    assert sys.stderr.getvalue() == ""


def test_stdout_closed_early_ends_quietly(env):
    np.save("x.npy", synthetic_images(5000, seed=4)[0])
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    cmd = (f"{sys.executable} -m digitsum.predict --checkpoint ck.npz --images x.npy | head -2")
    done = subprocess.run(["bash", "-o", "pipefail", "-c", cmd], capture_output=True, text=True,
                          env={**os.environ, "PYTHONPATH": root})
    assert done.stdout.splitlines()[0] == "image,sum" and len(done.stdout.splitlines()) == 2
    assert done.stderr == "" and done.returncode == 141
