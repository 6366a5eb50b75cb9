"""digitsum.train under races and crafted checkpoints: one run folder holds one run; --resume takes the same
claim, removes the temp files of killed writes and refuses a crafted last.npz in one line."""
import json
import os

import numpy as np
import pytest

import minigrad
from digitsum import models, train
from digitsum.cli import UserError
from digitsum.models import checkpoints as checkpoint
from test_run_claim import hold_claim
from train_helpers import assert_user_error, make_course_folder, replaced

TINY_CNN = {"channels": [4, 8, 8], "hidden": 16}
BASE = ["--data", "tiny", "--batch-size", "32", "--lr", "1e-2"]


@pytest.fixture
def env(tmp_path, monkeypatch):
    monkeypatch.setenv("DIGITSUM_HOME", str(tmp_path / "home"))
    monkeypatch.chdir(tmp_path)
    monkeypatch.setitem(models.REGISTRY, "regressor", replaced(models.get("regressor"), model_config=TINY_CNN))
    make_course_folder(tmp_path / "tiny", n_train=100, n_test=40)
    return tmp_path


def test_a_second_train_on_a_live_runs_folder_exits_2(env, capsys):
    holder = hold_claim(env / "run")                       # a run that is alive in another process
    try:
        line = assert_user_error(train.main, BASE + ["--epochs", "1", "--out", "run"], capsys,
                                 f"in use by another run (pid {holder.pid})")
        assert os.listdir("run") == [".run.lock"]          # nothing written by the refused run
    finally:
        holder.kill()
        holder.wait()
    assert "\n" not in line
    assert train.main(BASE + ["--epochs", "1", "--out", "run"]) == 0   # the dead holder blocks nothing


def test_resume_takes_the_same_claim(env, capsys):
    assert train.main(BASE + ["--epochs", "2", "--out", "run"]) == 0
    holder = hold_claim(env / "run", new=False)            # e.g. another --resume still running
    try:
        assert_user_error(train.main, ["--resume", "--out", "run"], capsys, "in use by another run")
    finally:
        holder.kill()
        holder.wait()
    assert train.main(["--resume", "--out", "run"]) == 0


def test_resume_removes_temp_files_of_a_killed_write_and_finishes(env, capsys):
    assert train.main(BASE + ["--epochs", "1", "--out", "run"]) == 0
    stale = env / "run" / ".last.npz.k9x2ab.tmp"
    stale.write_bytes(b"half a checkpoint")
    os.utime(stale, (1e9, 1e9))
    assert train.main(["--resume", "--out", "run"]) == 0
    assert not stale.exists()
    assert "left by a write that was killed" in capsys.readouterr().out


@pytest.mark.parametrize("key, value, words", [
    ("epoch", "two", "unreadable training state"),
    ("epoch", -3, "negative epoch"),
    ("history", {"a": 1}, "not a list of records"),
    ("best_val_acc", [0.5], "unreadable training state"),
    ("optimizer", {"state": {"0": {"exp_avg": np.ones(3)}}, "param_groups": []}, "optimizer/scheduler state"),
    ("scheduler", {"optimizer": 1}, "optimizer/scheduler state"),
])
def test_crafted_last_checkpoint_makes_resume_exit_2(env, capsys, key, value, words):
    assert train.main(BASE + ["--epochs", "2", "--out", "run"]) == 0
    obj = checkpoint.load("run/last.npz")
    obj.update({key: value, "epoch": obj["epoch"] - 1} if key != "epoch" else {key: value})
    minigrad.save(obj, "run/last.npz")
    assert_user_error(train.main, ["--resume", "--out", "run"], capsys, words)


def test_nan_weights_in_last_checkpoint_are_named(env, capsys):
    assert train.main(BASE + ["--epochs", "1", "--out", "run"]) == 0
    obj = checkpoint.load("run/last.npz")
    name = sorted(obj["state_dict"])[0]
    obj["state_dict"][name] = np.full_like(obj["state_dict"][name], np.nan)
    minigrad.save(obj, "run/last.npz")
    assert_user_error(train.main, ["--resume", "--out", "run"], capsys, f"NaN or inf in {name}")


@pytest.mark.parametrize("change, words", [
    (lambda r: r.update(epochs="three"), "'epochs' is a str"),
    (lambda r: r.update(seeds=[]), "non-empty list of integers"),
    (lambda r: r.update(seeds=[True]), "non-empty list of integers"),
    (lambda r: r.update(lr=-1.0), "must be positive"),
    (lambda r: r.pop("val_fraction"), "no 'val_fraction'"),
    (lambda r: r.update(model_config=["x"]), "'model_config' is a list"),
])
def test_crafted_run_json_makes_resume_exit_2(env, capsys, change, words):
    assert train.main(BASE + ["--epochs", "1", "--out", "run"]) == 0
    run = json.loads((env / "run" / "run.json").read_text())
    change(run)
    (env / "run" / "run.json").write_text(json.dumps(run))
    assert_user_error(train.main, ["--resume", "--out", "run"], capsys, words)


def test_run_json_nested_5000_deep_is_one_line(env, capsys):
    os.mkdir("run")
    (env / "run" / "run.json").write_text("[" * 5000 + "]" * 5000)
    assert_user_error(train.main, ["--resume", "--out", "run"], capsys, "unreadable run description")


def test_model_config_asking_for_huge_layers_is_one_line(env, capsys):
    spec = models.get("regressor")
    checkpoint.save("huge.npz", spec, spec.build(TINY_CNN), TINY_CNN, epoch=0)
    obj = checkpoint.load("huge.npz")
    obj["model_config"] = {"channels": [4, 8, 8], "hidden": 10 ** 12}
    minigrad.save(obj, "huge.npz")
    with pytest.raises(UserError, match="does not build a regressor"):
        checkpoint.rebuild(checkpoint.load("huge.npz"), "huge.npz")
