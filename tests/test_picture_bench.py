"""digitsum.data.picture_bench: a tiny bench made from a fake MNIST's test split -- files of every
condition in the right format, labels that match, the same files for the same seed -- and a score that
counts exact sums and digits per condition."""
import csv

import numpy as np
import pytest
from PIL import Image

from digitsum.cli import UserError
from digitsum.data import mnist as M
from digitsum.data import picture_bench as B
from fake_mnist import fake, fake_home  # noqa: F401  (fixtures)
from train_helpers import assert_user_error, run_cli


def read_labels(folder):
    with open(folder / "labels.csv", newline="") as f:
        return list(csv.DictReader(f))


def test_make_writes_every_condition_with_matching_labels(fake_home, fake, tmp_path, capsys):
    out = tmp_path / "bench"
    code, text, err = run_cli(B.main, ["make", "--out", str(out), "--n", "3"], capsys)
    assert code == 0, err
    rows = read_labels(out)
    assert len(rows) == 3 * len(B.CONDITIONS) and f"wrote {len(rows)} pictures" in text
    assert sorted(p.name for p in out.iterdir()) == sorted([r["image"] for r in rows] + ["labels.csv"])
    for r in rows:
        digits = [int(d) for d in r["digits"].split()]
        assert len(digits) == 4 and sum(digits) == int(r["sum"])
        assert r["image"].split("_")[0] in B.CONDITIONS
    modes = {}
    for r in rows:
        with Image.open(out / r["image"]) as img:
            modes.setdefault(r["image"].split("_")[0], set()).add((img.format, img.mode))
            a = np.asarray(img.getchannel("A") if img.mode == "RGBA" else img.convert("L"), float)
            assert a.max() - a.min() > 60                                   # digits were drawn
            if r["image"].startswith("small"):
                assert img.size[1] < 40
    assert modes["jpeg"] == {("JPEG", "RGB")} and modes["rgba"] == {("PNG", "RGBA")}
    assert modes["clean"] == {("PNG", "L")}
    with Image.open(out / "rgba_0000.png") as img:
        alpha = np.asarray(img)[..., 3]
    assert alpha.min() == 0 and alpha.max() > 200 and (alpha == 0).mean() > 0.5   # transparent page
    with Image.open(out / "inverted_0000.png") as img:
        inv = np.asarray(img)
    assert np.median(inv[0]) < 60 and inv.max() > 180                       # bright ink on a dark page


def test_make_is_deterministic_per_seed_and_condition(fake, tmp_path):
    test_only = M.MNIST(None, None, fake.test_images, fake.test_labels)    # the train split is never read
    B.make(tmp_path / "all", test_only, n=2, seed=5)
    B.make(tmp_path / "some", test_only, n=2, seed=5, conditions=("noisy", "rgba"))
    B.make(tmp_path / "other", test_only, n=2, seed=6, conditions=("noisy",))
    for name in ("noisy_0000.png", "noisy_0001.png", "rgba_0001.png"):
        assert (tmp_path / "all" / name).read_bytes() == (tmp_path / "some" / name).read_bytes()
    assert (tmp_path / "all" / "noisy_0000.png").read_bytes() != (tmp_path / "other" / "noisy_0000.png").read_bytes()
    with pytest.raises(UserError, match="not an empty folder"):
        B.make(tmp_path / "all", test_only, n=1)


def test_score_counts_exact_sums_and_digits_per_condition(tmp_path, capsys):
    labels = tmp_path / "labels.csv"
    labels.write_text("image,digits,sum\nclean_0000.png,1 2 3 4,10\nclean_0001.png,5 5 5 5,20\n"
                      "noisy_0000.png,0 0 0 9,9\nnoisy_0001.png,7 7 7 7,28\n")
    preds = tmp_path / "preds.csv"
    preds.write_text("image,reading,sum\nclean_0000.png,1 2 3 4 1,11\nclean_0001.png,5 5 6 5,21\n"
                     "noisy_0000.png,0 0 9,9\n")                           # noisy_0001 has no prediction
    table = B.score(labels, preds)
    assert table["clean"] == [2, 0, 7, 9]          # images, exact sums, digits right, digits compared
    assert table["noisy"] == [2, 1, 2, 8]          # a dropped digit shifts the rest of the reading
    assert table["all"] == [4, 1, 9, 17]
    code, text, err = run_cli(B.main, ["score", str(labels), str(preds)], capsys)
    assert code == 0, err
    lines = text.splitlines()
    assert lines[1].split() == ["clean", "2", "0.0%", "77.8%"]          # an extra digit read is an error
    assert lines[2].split() == ["noisy", "2", "50.0%", "25.0%"]
    assert lines[-1].split() == ["all", "4", "25.0%", "52.9%"]


def test_bad_arguments_are_one_error_line(tmp_path, capsys):
    assert_user_error(B.main, ["make", "--out", str(tmp_path / "b"), "--conditions", "clean,blurry"], capsys,
                      "blurry")
    (tmp_path / "labels.csv").write_text("image,digits,sum\n")
    (tmp_path / "p.csv").write_text("name,guess\nx,1\n")
    assert_user_error(B.main, ["score", str(tmp_path / "labels.csv"), str(tmp_path / "p.csv")], capsys,
                      "expected columns")
    assert_user_error(B.main, ["score", str(tmp_path / "labels.csv"), str(tmp_path / "none.csv")], capsys,
                      "none.csv")
