"""python -m digitsum.train --profile N: the profile files, unchanged training, and bad values."""
import json

from digitsum import train
from minigrad.profiler import state
from test_train import BASE, assert_same_weights, env  # noqa: F401  (env is a fixture)
from train_helpers import assert_user_error


def test_profile_writes_table_trace_and_chart_without_changing_training(env, capsys):  # noqa: F811
    # 3 steps an epoch: step 0 skipped, step 1 warm-up, steps 2 and 3 (the next epoch's first) recorded
    assert train.main(BASE + ["--epochs", "2", "--out", "prof", "--profile", "2"]) == 0
    assert state.current is None
    assert "profile of 2 training step(s)" in capsys.readouterr().out
    text = (env / "prof" / "profile.txt").read_text()
    assert "ProfilerStep*" in text and "Conv2dBackward" in text and "Input Shapes" in text and "Module" in text
    trace = json.loads((env / "prof" / "trace.json").read_text())
    names = [e["name"] for e in trace["traceEvents"] if e["ph"] == "X"]
    assert names.count("ProfilerStep#2") == 1 and names.count("ProfilerStep#3") == 1 and "Conv2d" in names
    assert (env / "prof" / "profile.png").read_bytes()[:4] == b"\x89PNG"
    assert train.main(BASE + ["--epochs", "2", "--out", "plain"]) == 0
    assert_same_weights("prof/last.npz", "plain/last.npz")


def test_profile_longer_than_the_run_writes_what_was_recorded(env, capsys):  # noqa: F811
    assert train.main(BASE + ["--epochs", "1", "--out", "short", "--profile", "50"]) == 0
    assert "profile of 2 training step(s) (training ended before the 50 requested" in capsys.readouterr().out
    assert state.current is None
    assert (env / "short" / "profile.txt").read_text().startswith(
        "minigrad.profiler: 2 training step(s) after 1 skipped and 1 warm-up step (training ended before")


def test_profile_needs_a_positive_step_count(env, capsys):  # noqa: F811
    assert_user_error(train.main, BASE + ["--profile", "0"], capsys, "--profile")
