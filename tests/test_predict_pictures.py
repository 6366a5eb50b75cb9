"""predict on PNG/JPEG files made here (files, folders, either polarity) -> `image,reading,sum` rows; a bad
file -> one error line naming it, nothing written; evaluate defaults to the shipped reader and accepts
sums above 36 for a reader of up to 6 digits."""
import csv
import io
import os
import re

import numpy as np
import pytest
from PIL import Image

import minigrad as mg
from digitsum import evaluate, predict
from digitsum.data import compose as C
from digitsum.models import checkpoints
from digitsum.models import digit_reader
from fake_mnist import fake  # noqa: F401  (fixture)
from train_helpers import assert_user_error, run_cli

SMALL = {"channels": [4, 4, 4], "hidden": 8, "ink_height": [17, 23, 20]}


@pytest.fixture
def scans(tmp_path, fake):
    """A tiny digits checkpoint and a folder of three PNG/JPEG renderings of composites, two polarities."""
    mg.manual_seed(0)
    checkpoints.save(tmp_path / "reader.npz", digit_reader.SPEC, digit_reader.SPEC.build(SMALL), SMALL)
    x, y, _ = C.compose(fake.test_images, fake.test_labels, 3, seed=0, digits=(3, 5))
    folder = tmp_path / "scans"
    folder.mkdir()
    Image.fromarray(255 - x[0]).resize((504, 120)).save(folder / "a.png")         # dark ink on white, 3x
    Image.fromarray(x[1]).save(folder / "b.png")                                   # course-like
    Image.fromarray(255 - x[2]).convert("RGB").resize((336, 80)).save(folder / "c.jpg", quality=90)
    return tmp_path, x, y


def rows_of(text):
    rows = list(csv.reader(io.StringIO(text)))
    return rows[0], rows[1:]


def test_predict_reads_files_and_folders(scans, capsys):
    root, x, y = scans
    code, out, err = run_cli(predict.main, ["--checkpoint", str(root / "reader.npz"), "--images",
                                            str(root / "scans")], capsys)
    assert code == 0, err
    header, rows = rows_of(out)
    assert header == ["image", "reading", "sum"] and [r[0] for r in rows] == ["a.png", "b.png", "c.jpg"]
    for r in rows:
        assert all(d.isdigit() for d in r[1].split()) and 0 <= int(r[2]) <= 54
    # the same rows from the files named one by one, written to a CSV file
    files = [str(root / "scans" / n) for n in ("a.png", "b.png", "c.jpg")]
    code, _, err = run_cli(predict.main, ["--checkpoint", str(root / "reader.npz"), "--images", *files,
                                          "--out", str(root / "p.csv")], capsys)
    assert code == 0, err
    assert rows_of((root / "p.csv").read_text()) == (header, rows)


def test_predict_bad_file_is_one_error_naming_it_and_writes_nothing(scans, capsys):
    root, _, _ = scans
    (root / "scans" / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\n truncated")
    before = sorted(os.listdir(root))
    assert_user_error(predict.main, ["--checkpoint", str(root / "reader.npz"), "--images", str(root / "scans"),
                                     "--out", str(root / "p.csv")], capsys, "broken.png")
    assert sorted(os.listdir(root)) == before
    assert_user_error(predict.main, ["--checkpoint", str(root / "reader.npz"), "--images",
                                     str(root / "nothing.png")], capsys, "nothing.png")


def test_evaluate_defaults_to_the_shipped_reader_and_accepts_sums_above_36(scans, capsys, monkeypatch):
    root, _, _ = scans
    assert checkpoints.SHIPPED.endswith(os.path.join("digitsum", "pretrained", "digits.npz"))
    monkeypatch.setattr(checkpoints, "SHIPPED", str(root / "reader.npz"))   # stands in for the shipped file
    np.save(root / "x.npy", np.zeros((4, C.H, C.W), np.uint8))
    np.save(root / "y.npy", np.array([3, 36, 45, 54], np.uint8))
    code, out, err = run_cli(evaluate.main, ["--images", str(root / "x.npy"), "--labels", str(root / "y.npy")],
                             capsys)
    assert code == 0, err
    assert f"checkpoint: {root / 'reader.npz'}" in out
    assert re.search(r"^\s+45\s+1\s", out, re.M) and re.search(r"^\s+54\s+1\s", out, re.M)   # own rows
    np.save(root / "y55.npy", np.array([3, 36, 45, 55], np.uint8))
    assert_user_error(evaluate.main, ["--images", str(root / "x.npy"), "--labels", str(root / "y55.npy")],
                      capsys, "0-54")
