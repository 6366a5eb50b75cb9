"""digitsum.train end to end on a tiny synthetic course folder: artifacts, loss going down, resume
equivalence (in-process and after a real kill -9), the non-finite-loss stop, the seed protocol, bad input."""
import json
import os
import shutil
import signal
import subprocess
import sys
import time

import numpy as np
import pytest

import minigrad
from digitsum import models, train
from digitsum.data import mnist
from digitsum.engine import training
from digitsum.models import checkpoints as checkpoint
from digitsum.models import cnn
from train_helpers import assert_user_error, make_course_folder, replaced

TINY_CNN = {"channels": [4, 8, 8], "hidden": 16}
ARTIFACTS = {"run.json", "last.npz", "best.npz", "metrics.json", "curves.png", "confusion.png"}
BASE = ["--data", "tiny", "--batch-size", "32", "--lr", "1e-2"]  # 90 train images: 3 steps an epoch
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


@pytest.fixture
def env(tmp_path, monkeypatch):
    """A tiny course folder in a temp cwd, DIGITSUM_HOME there, and narrow CNNs so a run takes seconds."""
    monkeypatch.setenv("DIGITSUM_HOME", str(tmp_path / "home"))
    monkeypatch.chdir(tmp_path)
    for name in ("regressor", "classifier"):
        spec = models.get(name)
        monkeypatch.setitem(models.REGISTRY, name, replaced(spec, model_config=TINY_CNN))
    make_course_folder(tmp_path / "tiny", n_train=100, n_test=40)
    return tmp_path


def weights(path):
    return checkpoint.load(path)["state_dict"]


def assert_same_weights(a, b, atol=0.0):
    wa, wb = weights(a), weights(b)
    assert wa.keys() == wb.keys()
    for k in wa:
        np.testing.assert_allclose(wa[k], wb[k], rtol=0, atol=atol, err_msg=k)


def test_tiny_run_lowers_the_loss_and_writes_every_artifact(env, capsys):
    assert train.main(BASE + ["--epochs", "3", "--out", "run"]) == 0
    out = capsys.readouterr().out
    assert "test accuracy:" in out and out.count("epoch ") >= 3
    assert ARTIFACTS <= set(os.listdir("run"))
    m = json.loads((env / "run" / "metrics.json").read_text())
    h = m["history"]
    assert [e["epoch"] for e in h] == [1, 2, 3] and m["finished"]
    assert h[-1]["train_loss"] < 0.8 * h[0]["train_loss"]
    assert h[-1]["val_loss"] < h[0]["val_loss"]
    assert m["test"]["n"] == 40 and 0 <= m["test"]["accuracy"] <= 1 and m["images_per_s"] > 0
    assert m["config"]["model_config"] == TINY_CNN and m["n_train"] == 90 and m["n_val"] == 10
    last = checkpoint.load("run/last.npz")
    assert last["epoch"] == 3 and last["model"] == "regressor" and "optimizer" in last
    assert last["minigrad_version"] == minigrad.__version__
    spec, model = checkpoint.rebuild(checkpoint.load("run/best.npz"))  # no flags needed
    assert spec.name == "regressor"
    for png in ("curves.png", "confusion.png"):
        assert (env / "run" / png).read_bytes()[:4] == b"\x89PNG"


def test_classifier_trains_with_the_same_loop(env):
    assert train.main(BASE + ["--model", "classifier", "--epochs", "1", "--out", "c", "--lr", "3e-3",
                              "--weight-decay", "0.01"]) == 0
    assert checkpoint.load("c/best.npz")["model"] == "classifier"
    assert json.loads((env / "c" / "run.json").read_text())["weight_decay"] == 0.01


def test_schedule_flag_is_stored_and_checked_on_resume(env, capsys):
    assert train.main(BASE + ["--epochs", "1", "--schedule", "constant", "--out", "k"]) == 0
    assert json.loads((env / "k" / "run.json").read_text())["schedule"] == "constant"
    assert_user_error(train.main, ["--resume", "--out", "k", "--schedule", "cosine"], capsys, "contradicts")


DRIVER = """
import copy, sys
from digitsum import models, train
from digitsum.cli import run
spec = copy.copy(models.get("regressor"))
spec.model_config = {cfg!r}
models.REGISTRY["regressor"] = spec
run(train.main, sys.argv[1:])
"""


def test_resume_after_an_interruption_or_kill_9_equals_an_uninterrupted_run(env, monkeypatch):
    """Two interrupted runs finish with the uninterrupted run's weights, history and test metrics:
    - in process: epoch 2 trains in memory, then the process "dies" before saving it;
    - a real process, SIGKILLed as soon as its first checkpoint lands (mid-way through the next epoch's work
      or while it writes files), then resumed by a new process."""
    args = BASE + ["--epochs", "3", "--seed", "5"]
    (env / "driver.py").write_text(DRIVER.format(cfg=TINY_CNN))
    penv = {**os.environ, "PYTHONPATH": ROOT + os.pathsep + os.environ.get("PYTHONPATH", "")}
    proc = subprocess.Popen([sys.executable, "driver.py", *args, "--out", "killed"], env=penv,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 120
    while not (env / "killed" / "last.npz").exists() and proc.poll() is None and time.time() < deadline:
        time.sleep(0.01)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert proc.returncode == -signal.SIGKILL  # it really was killed, not finished
    assert checkpoint.load("killed/last.npz")["epoch"] < 3
    assert train.main(args + ["--out", "whole"]) == 0  # the uninterrupted reference

    real_epoch = training.train_epoch

    def dies_in_epoch_2(*a, **k):
        result = real_epoch(*a, **k)
        if a[-1] == 1:
            raise KeyboardInterrupt
        return result

    monkeypatch.setattr(training, "train_epoch", dies_in_epoch_2)
    with pytest.raises(KeyboardInterrupt):
        train.main(args + ["--out", "cut"])
    assert checkpoint.load("cut/last.npz")["epoch"] == 1
    monkeypatch.setattr(training, "train_epoch", real_epoch)
    assert train.main(["--resume", "--out", "cut"]) == 0
    done = subprocess.run([sys.executable, "driver.py", "--resume", "--out", "killed"], env=penv,
                          capture_output=True, text=True, timeout=180)
    assert done.returncode == 0 and "resuming" in done.stdout, done.stderr

    drop = lambda h: [{k: v for k, v in e.items() if k not in ("seconds", "images_per_s")} for e in h]
    whole = json.loads((env / "whole" / "metrics.json").read_text())
    # 1e-6, not bitwise: the conv kernels' worker threads pull image chunks dynamically, so the order in
    # which per-chunk weight gradients are summed (and their last bits) varies from run to run.
    for run in ("cut", "killed"):
        assert_same_weights("whole/last.npz", f"{run}/last.npz", atol=1e-6)
        assert_same_weights("whole/best.npz", f"{run}/best.npz", atol=1e-6)
        m = json.loads((env / run / "metrics.json").read_text())
        for mine, ref in zip(drop(m["history"]), drop(whole["history"]), strict=True):
            assert mine == pytest.approx(ref, rel=1e-5)
        assert m["test"]["accuracy"] == whole["test"]["accuracy"]


def test_non_finite_loss_stops_the_run_and_keeps_the_last_good_checkpoint(env, capsys, monkeypatch):
    calls = {"n": 0}
    spec = models.get("regressor")

    def poisoned(output, sums):  # finite for epoch 1 (3 batches + 1 validation batch), then NaN
        calls["n"] += 1
        loss = cnn.regression_loss(output, sums)
        return loss * float("nan") if calls["n"] > 5 else loss

    monkeypatch.setitem(models.REGISTRY, "regressor", replaced(spec, loss=poisoned))
    line = assert_user_error(train.main, BASE + ["--epochs", "3", "--out", "run"], capsys, "nan")
    assert "epoch 2" in line and "last good checkpoint" in line and "last.npz" in line
    last = checkpoint.load("run/last.npz")
    assert last["epoch"] == 1 and all(np.isfinite(v).all() for v in last["state_dict"].values())
    assert len(json.loads((env / "run" / "metrics.json").read_text())["history"]) == 1


def test_a_diverging_learning_rate_is_stopped_with_a_clear_message(env, capsys):
    assert_user_error(train.main, BASE + ["--epochs", "2", "--lr", "1e30", "--out", "run"], capsys, "lower --lr")


def test_seed_protocol_writes_a_summary(env, capsys):
    assert train.main(BASE + ["--epochs", "1", "--seeds", "1", "2", "--out", "proto"]) == 0
    s = json.loads((env / "proto" / "summary.json").read_text())
    accs = [r["test_accuracy"] for r in s["runs"]]
    assert s["seeds"] == [1, 2] and s["test_accuracy_mean"] == pytest.approx(np.mean(accs))
    assert s["test_accuracy_std"] == pytest.approx(np.std(accs, ddof=1))
    assert "±" in (env / "proto" / "summary.md").read_text()
    for seed in (1, 2):
        assert ARTIFACTS - {"run.json"} <= set(os.listdir(env / "proto" / f"s{seed}"))
    assert train.main(["--resume", "--out", "proto"]) == 0  # a finished protocol resumes to the same summary
    assert json.loads((env / "proto" / "summary.json").read_text())["test_accuracy_mean"] == s["test_accuracy_mean"]


def test_protocol_resumes_from_result_files_alone(env, capsys):
    """Finished seeds keep only metrics.json and plots (what is committed); --resume trains just the rest."""
    assert train.main(BASE + ["--epochs", "1", "--seeds", "1", "2", "--out", "proto"]) == 0
    s = json.loads((env / "proto" / "summary.json").read_text())
    for name in ("last.npz", "best.npz"):
        os.remove(env / "proto" / "s1" / name)
    shutil.rmtree(env / "proto" / "s2")
    (env / "proto" / "summary.json").unlink()
    capsys.readouterr()
    assert train.main(["--resume", "--out", "proto"]) == 0
    out = capsys.readouterr().out
    assert "seed 1: finished earlier" in out and "seed 2: finished earlier" not in out
    assert not (env / "proto" / "s1" / "last.npz").exists()  # seed 1 was not trained again
    again = json.loads((env / "proto" / "summary.json").read_text())
    assert [r["test_accuracy"] for r in again["runs"]] == [r["test_accuracy"] for r in s["runs"]]


def test_resume_makes_a_cleared_generated_course_cache_again(env, monkeypatch):
    """A run on the generated course preset resumes after the cache is cleared (a new machine): the data are
    generated again from the same seed instead of stopping at a missing folder."""
    cache = make_course_folder(env / "home" / "composites" / "course", n_train=100, n_test=40)
    argv = ["--data", str(cache), "--batch-size", "32", "--lr", "1e-2", "--seeds", "1", "2", "--epochs", "1"]
    assert train.main(argv + ["--out", "proto"]) == 0
    s = json.loads((env / "proto" / "summary.json").read_text())
    shutil.rmtree(cache)
    shutil.rmtree(env / "proto" / "s2")
    made = []
    monkeypatch.setattr(train, "default_cache", lambda: cache)
    monkeypatch.setattr(train, "generated_course", lambda: made.append(1) or make_course_folder(cache, 100, 40))
    assert train.main(["--resume", "--out", "proto"]) == 0
    assert made == [1]
    again = json.loads((env / "proto" / "summary.json").read_text())
    assert again["runs"] == s["runs"][:1] + again["runs"][1:] and again["runs"][1]["test_accuracy"] == s["runs"][1]["test_accuracy"]


def fake_mnist(n_train=300, n_test=60, seed=0):
    """Blocky 'digits' so FreshComposites has something to compose without fetching MNIST."""
    rng = np.random.default_rng(seed)
    def split(n):
        y = rng.integers(0, 10, n)
        x = np.zeros((n, 28, 28), np.uint8)
        for i, d in enumerate(y):
            x[i, 4:24, 8:8 + 2 * d + 2] = 255
        return x, y
    (a, b), (c, d) = split(n_train), split(n_test)
    return mnist.MNIST(a, b, c, d)


def test_fresh_composites_train_on_new_images_every_epoch(env, capsys):
    (env / "home").mkdir()
    mnist.save_cache(fake_mnist(), "test", env / "home")
    assert train.main(BASE + ["--epochs", "2", "--fresh-composites", "--train-size", "32", "--out", "f"]) == 0
    m = json.loads((env / "f" / "metrics.json").read_text())
    assert m["config"]["fresh_composites"] and len(m["history"]) == 2


@pytest.mark.parametrize("argv, contains", [
    (["--epochs", "0"], "--epochs"),
    (["--lr", "-1"], "--lr"),
    (["--lr", "nan"], "--lr"),
    (["--weight-decay", "-0.1"], "--weight-decay"),
    (["--model", "nope"], "nope"),
    (["--bogus"], "--bogus"),
    (["--seed", "1", "--seeds", "2", "3"], "--seeds"),
    (["--seeds", "2", "2"], "repeats"),
    (["--data", "missing"], "missing"),
    (["--train-size", "100000"], "exceeds"),
    (["--init-from", "nowhere.npz"], "nowhere.npz"),
    (["--init-from", "tiny/lab0.npy"], "not supported"),
    (["--resume", "--out", "tiny"], "run.json"),
    (["--resume"], "no run folder"),
])
def test_bad_input_exits_2_with_one_error_line(env, capsys, argv, contains):
    before = sorted(p.name for p in env.iterdir())
    assert_user_error(train.main, BASE + argv if "--data" not in argv else argv, capsys, contains)
    assert sorted(p.name for p in env.iterdir()) == before  # nothing created or removed


def test_existing_output_is_never_overwritten_and_resume_flags_must_agree(env, capsys):
    (env / "taken").mkdir()
    (env / "taken" / "keep.txt").write_text("mine")
    assert_user_error(train.main, BASE + ["--epochs", "1", "--out", "taken"], capsys, "not empty")
    assert os.listdir(env / "taken") == ["keep.txt"]
    assert train.main(BASE + ["--epochs", "1", "--out", "run"]) == 0
    capsys.readouterr()
    stamp = (env / "run" / "last.npz").stat().st_mtime_ns
    assert_user_error(train.main, ["--resume", "--out", "run", "--lr", "0.5"], capsys, "contradicts")
    assert_user_error(train.main, BASE + ["--epochs", "1", "--out", "run"], capsys, "--resume")
    assert (env / "run" / "last.npz").stat().st_mtime_ns == stamp


def test_resume_compares_a_zero_flag_with_the_stored_value(env, capsys):
    assert train.main(BASE + ["--epochs", "1", "--weight-decay", "0.1", "--out", "run"]) == 0
    capsys.readouterr()
    assert_user_error(train.main, ["--resume", "--out", "run", "--weight-decay", "0"], capsys, "contradicts")


def test_a_corrupt_last_checkpoint_makes_resume_fail_cleanly(env, capsys):
    assert train.main(BASE + ["--epochs", "1", "--out", "run"]) == 0
    capsys.readouterr()
    data = (env / "run" / "last.npz").read_bytes()
    (env / "run" / "last.npz").write_bytes(data[: len(data) // 2])
    assert_user_error(train.main, ["--resume", "--out", "run"], capsys, "last.npz")
    assert len((env / "run" / "last.npz").read_bytes()) == len(data) // 2


def test_resume_reads_older_checkpoints_and_refuses_one_without_training_state(env, capsys):
    assert train.main(BASE + ["--epochs", "1", "--out", "run"]) == 0
    capsys.readouterr()
    last = checkpoint.load("run/last.npz")
    minigrad.save({**last, "digitsum_version": "unknown"}, "run/last.npz")  # what older versions wrote
    assert train.main(["--resume", "--out", "run"]) == 0
    assert "resuming run after epoch 1/1" in capsys.readouterr().out
    minigrad.save({**last, "history": 3}, "run/last.npz")
    assert_user_error(train.main, ["--resume", "--out", "run"], capsys, "unreadable training state")
    minigrad.save(checkpoint.load("run/best.npz"), "run/last.npz")
    line = assert_user_error(train.main, ["--resume", "--out", "run"], capsys, "holds no training state")
    assert "last.npz" in line and "history" in line
