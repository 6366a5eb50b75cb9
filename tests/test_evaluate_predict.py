"""digitsum.evaluate and digitsum.predict on a tiny checkpoint: they rebuild the model from the file alone,
agree with each other, and turn every bad checkpoint or data file into exit 2 with one `error:` line."""
import csv
import io
import json
import os
import shutil

import numpy as np
import pytest

import minigrad
from digitsum import evaluate, models, predict, train
from digitsum.models import checkpoints as checkpoint
from train_helpers import assert_user_error, make_course_folder, run_cli, replaced

TINY_CNN = {"channels": [4, 8, 8], "hidden": 16}


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """One tiny regressor and one tiny classifier checkpoint, plus test images/labels as .npy files."""
    root = tmp_path_factory.mktemp("evalpred")
    make_course_folder(root / "tiny", n_train=100, n_test=40)
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("DIGITSUM_HOME", str(root / "home"))
        mp.chdir(root)
        for name in ("regressor", "classifier"):
            mp.setitem(models.REGISTRY, name, replaced(models.get(name), model_config=TINY_CNN))
            assert train.main(["--model", name, "--data", "tiny", "--epochs", "1", "--batch-size", "32",
                               "--lr", "1e-2", "--out", name]) == 0
    # after the registry is restored: checkpoints must rebuild from their own model_config
    return root


@pytest.fixture
def env(trained, monkeypatch):
    monkeypatch.chdir(trained)
    monkeypatch.setenv("DIGITSUM_HOME", str(trained / "home"))
    return trained


def read_csv(text):
    rows = list(csv.reader(io.StringIO(text)))
    return rows[0], rows[1:]


@pytest.mark.parametrize("name", ["regressor", "classifier"])
def test_evaluate_and_predict_agree(env, capsys, name):
    ckpt = f"{name}/best.npz"
    images, labels = "tiny/test_data.npy", "tiny/test_label.npy"
    code, out, _ = run_cli(evaluate.main, ["--checkpoint", ckpt, "--images", images, "--labels", labels,
                                           "--json"], capsys)
    assert code == 0
    result = json.loads(out.strip().splitlines()[-1])
    assert set(result) == {"accuracy", "mae", "n"} and result["n"] == 40
    assert "accuracy per true sum" in out and "MAE" in out
    code, _, _ = run_cli(predict.main, ["--checkpoint", ckpt, "--images", images, "--out", "p.csv"], capsys)
    assert code == 0
    header, rows = read_csv((env / "p.csv").read_text())
    assert header[-1] == "sum" and len(rows) == 40 and [int(r[0]) for r in rows] == list(range(40))
    pred = np.array([int(r[-1]) for r in rows])
    y = np.load(env / labels).astype(np.int64)
    assert pred.min() >= 0 and pred.max() <= 36
    assert result["accuracy"] == pytest.approx(np.mean(pred == y))
    assert result["mae"] == pytest.approx(np.mean(np.abs(pred - y)))
    # the same numbers from the folder's test split, and the same CSV on stdout
    code, out2, _ = run_cli(evaluate.main, ["--checkpoint", ckpt, "--data", "tiny", "--json"], capsys)
    assert code == 0 and json.loads(out2.strip().splitlines()[-1]) == result
    code, out3, _ = run_cli(predict.main, ["--checkpoint", ckpt, "--images", images], capsys)
    assert code == 0 and out3 == (env / "p.csv").read_text()
    os.remove(env / "p.csv")


def test_evaluate_matches_the_test_metrics_the_training_run_recorded(env, capsys):
    code, out, _ = run_cli(evaluate.main, ["--checkpoint", "regressor/best.npz", "--data", "tiny", "--json"],
                           capsys)
    recorded = json.loads((env / "regressor" / "metrics.json").read_text())["test"]
    result = json.loads(out.strip().splitlines()[-1])
    assert code == 0 and result["accuracy"] == recorded["accuracy"] and result["mae"] == recorded["mae"]


def broken_checkpoints(root):
    """name -> (path, words the error must contain). Written once into root/broken/."""
    d = root / "broken"
    if d.exists():
        shutil.rmtree(d)
    d.mkdir()
    good = root / "regressor" / "best.npz"
    data = good.read_bytes()
    (d / "truncated.npz").write_bytes(data[: len(data) // 3])
    (d / "empty.npz").write_bytes(b"")
    np.savez(d / "foreign.npz", w=np.zeros(3))
    minigrad.save({"weights": np.zeros(3)}, d / "plain_minigrad.npz")
    obj = checkpoint.load(good)
    obj["model"] = "classifier"  # regressor weights labelled as a classifier: another architecture
    minigrad.save(obj, d / "other_arch.npz")
    obj["model"] = "transformer9000"
    minigrad.save(obj, d / "unknown_model.npz")
    obj = checkpoint.load(good)
    obj["model_config"] = {"channels": [4, 8, 16], "hidden": 16}
    minigrad.save(obj, d / "wrong_config.npz")
    return {
        "missing": (d / "nope.npz", "not found"),
        "folder": (d, "folder"),
        "truncated": (d / "truncated.npz", "truncated.npz"),
        "empty": (d / "empty.npz", "empty.npz"),
        "foreign": (d / "foreign.npz", "foreign.npz"),
        "plain minigrad": (d / "plain_minigrad.npz", "not a digitsum checkpoint"),
        "other architecture": (d / "other_arch.npz", "do not fit a classifier"),
        "unknown model": (d / "unknown_model.npz", "transformer9000"),
        "wrong config": (d / "wrong_config.npz", "do not fit"),
    }


@pytest.mark.parametrize("main", [evaluate.main, predict.main], ids=["evaluate", "predict"])
def test_bad_checkpoints_exit_2_with_one_error_line(env, capsys, main):
    for name, (path, words) in broken_checkpoints(env).items():
        before = sorted(os.listdir(env))
        argv = ["--checkpoint", str(path), "--images", "tiny/test_data.npy", "--out", "x.csv"] \
            if main is predict.main else ["--checkpoint", str(path), "--data", "tiny"]
        line = assert_user_error(main, argv, capsys, words)
        assert sorted(os.listdir(env)) == before, name  # in particular no x.csv


@pytest.fixture
def bad_files(env):
    d = env / "badfiles"
    d.mkdir(exist_ok=True)
    np.save(d / "rank2.npy", np.zeros((40, 168), np.uint8))
    np.save(d / "short_labels.npy", np.zeros(5, np.uint8))
    np.save(d / "big_labels.npy", np.full(40, 99, np.uint8))
    np.save(d / "objects.npy", np.array([{"a": 1}] * 3, dtype=object), allow_pickle=True)
    np.save(d / "nan.npy", np.full((2, 40, 168), np.nan, np.float32))
    return d


@pytest.mark.parametrize("argv, words", [
    (["--images", "badfiles/rank2.npy", "--labels", "tiny/test_label.npy"], "rank2.npy"),
    (["--images", "tiny/test_data.npy", "--labels", "badfiles/short_labels.npy"], "5 labels"),
    (["--images", "tiny/test_data.npy", "--labels", "badfiles/big_labels.npy"], "big_labels.npy"),
    (["--images", "badfiles/objects.npy", "--labels", "tiny/test_label.npy"], "objects.npy"),
    (["--images", "badfiles/nan.npy", "--labels", "tiny/test_label.npy"], "nan.npy"),
    (["--images", "nowhere.npy", "--labels", "tiny/test_label.npy"], "nowhere.npy"),
    (["--images", "tiny/test_data.npy"], "together"),
    (["--data", "tiny", "--images", "tiny/test_data.npy", "--labels", "tiny/test_label.npy"], "not both"),
    (["--data", "no_such_folder"], "no_such_folder"),
    (["--batch-size", "0", "--data", "tiny"], "--batch-size"),
])
def test_evaluate_bad_data_exits_2(env, bad_files, capsys, argv, words):
    assert_user_error(evaluate.main, ["--checkpoint", "regressor/best.npz"] + argv, capsys, words)


@pytest.mark.parametrize("argv, words", [
    (["--images", "badfiles/rank2.npy"], "rank2.npy"),
    (["--images", "badfiles/objects.npy"], "objects.npy"),
    (["--images", "tiny/test_data.npy", "--out", "badfiles"], "badfiles"),
    ([], "--images"),
])
def test_predict_bad_input_exits_2_and_writes_nothing(env, bad_files, capsys, argv, words):
    before = sorted(os.listdir(env))
    assert_user_error(predict.main, ["--checkpoint", "regressor/best.npz"] + argv, capsys, words)
    assert sorted(os.listdir(env)) == before
