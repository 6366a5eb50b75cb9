"""`python -m digitsum.data`: make/check/show/fetch, and every bad-input case of issue 3: exit status 2,
exactly one `error:` line naming the file and the problem, no traceback, nothing on disk changed."""
import os
import pickle
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from digitsum.data import __main__ as cli
from digitsum.data import course as D
from digitsum.data import mnist as M
from digitsum.cli import run
from fake_mnist import fake, fake_home, snapshot  # noqa: F401  (fixtures)

REPO = Path(__file__).resolve().parents[1]


def call(argv, capsys):
    """Run the CLI in-process exactly as `python -m` does: returns (exit status, stdout, stderr)."""
    with pytest.raises(SystemExit) as e:
        run(cli.main, argv)
    out, err = capsys.readouterr()
    return e.value.code, out, err


def course_folder(folder, n=6, n_test=3):
    """A valid hand-made folder in the course layout (no manifest, like the course's own files)."""
    rng = np.random.default_rng(0)
    folder.mkdir(parents=True, exist_ok=True)
    np.save(folder / "data0.npy", rng.integers(0, 256, (n, 40, 168), dtype=np.uint8))
    np.save(folder / "lab0.npy", rng.integers(0, 37, n).astype(np.uint8))
    np.save(folder / "test_data.npy", rng.integers(0, 256, (n_test, 40, 168), dtype=np.uint8))
    np.save(folder / "test_label.npy", rng.integers(0, 37, n_test).astype(np.uint8))
    return folder


def _truncate(p):
    p.write_bytes(p.read_bytes()[:-1000])


def _flip_a_pixel(p):
    a = np.load(p)
    a[0, 0, 0] ^= 1
    np.save(p, a)


BAD = {  # case -> (break the folder, file named in the error, words of the problem)
    "missing file": (lambda f: (f / "test_data.npy").unlink(), "test_label.npy", "label file without its data"),
    "missing test pair": (lambda f: [(f / n).unlink() for n in ("test_data.npy", "test_label.npy")],
                          "test_data.npy", "missing file"),
    "truncated file": (lambda f: _truncate(f / "data0.npy"), "data0.npy", "truncated"),
    "empty file": (lambda f: (f / "lab0.npy").write_bytes(b""), "lab0.npy", "truncated"),
    "wrong rank": (lambda f: np.save(f / "data0.npy", np.zeros((6, 40 * 168), np.uint8)), "data0.npy", "rank 3"),
    "wrong label rank": (lambda f: np.save(f / "lab0.npy", np.zeros((6, 1), np.uint8)), "lab0.npy", "rank 1"),
    "non-finite": (lambda f: np.save(f / "data0.npy", np.full((6, 40, 168), np.nan, np.float32)), "data0.npy",
                   "non-finite"),
    "non-finite labels": (lambda f: np.save(f / "lab0.npy", np.array([1, 2, np.inf, 4, 5, 6])), "lab0.npy",
                          "non-finite"),
    "label out of range": (lambda f: np.save(f / "lab0.npy", np.array([0, 1, 2, 3, 4, 37], np.uint8)), "lab0.npy",
                           "outside the range 0-36"),
    "negative label": (lambda f: np.save(f / "test_label.npy", np.array([-1, 2, 3])), "test_label.npy",
                       "outside the range"),
    "pixel out of range": (lambda f: np.save(f / "data0.npy", np.full((6, 40, 168), 300, np.int16)), "data0.npy",
                           "outside 0-255"),
    "length mismatch": (lambda f: np.save(f / "lab0.npy", np.zeros(5, np.uint8)), "lab0.npy", "5 labels for 6"),
    "object array": (lambda f: np.save(f / "lab0.npy", np.array([1, "a", None] * 2, dtype=object)), "lab0.npy",
                     "object or pickled"),
    "pickled file": (lambda f: (f / "data0.npy").write_bytes(pickle.dumps(np.zeros(3))), "data0.npy",
                     "object or pickled"),
    "data without labels": (lambda f: np.save(f / "data1.npy", np.zeros((2, 40, 168), np.uint8)), "data1.npy",
                            "without its labels (lab1.npy"),
    "no training files": (lambda f: [(f / n).unlink() for n in ("data0.npy", "lab0.npy")], "",
                          "no training files"),
}


def assert_one_error_line(code, err, *words):
    lines = err.strip().splitlines()
    assert code == 2 and len(lines) == 1 and lines[0].startswith("error: "), err
    assert "Traceback" not in err
    for w in words:
        assert w in lines[0], (w, lines[0])


@pytest.mark.parametrize("command", ["check", "show"])
@pytest.mark.parametrize("case", sorted(BAD))
def test_bad_folder(tmp_path, capsys, case, command):
    folder = course_folder(tmp_path / "data")
    breaker, name, problem = BAD[case]
    breaker(folder)
    before = snapshot(tmp_path)
    argv = [command, str(folder)] + (["--out", str(tmp_path / "s.png")] if command == "show" else [])
    code, out, err = call(argv, capsys)
    assert_one_error_line(code, err, str(folder / name), problem)
    assert snapshot(tmp_path) == before


def test_missing_folder(tmp_path, capsys):
    code, out, err = call(["check", str(tmp_path / "absent")], capsys)
    assert_one_error_line(code, err, str(tmp_path / "absent"), "does not exist")
    assert not (tmp_path / "absent").exists()


def test_generated_folder_with_a_wrong_checksum(tmp_path, fake_home, capsys):
    out = tmp_path / "gen"
    assert call(["make", "--out", str(out), "--train", "8", "--test", "4", "--seed", "1"], capsys)[0] == 0
    _flip_a_pixel(out / "data0.npy")
    before = snapshot(tmp_path)
    code, _, err = call(["check", str(out)], capsys)
    assert_one_error_line(code, err, str(out / "data0.npy"), "checksum mismatch")
    (out / "lab0.npy").unlink()
    code, _, err = call(["check", str(out)], capsys)
    assert_one_error_line(code, err, str(out / "data0.npy"), "without its labels")
    assert snapshot(tmp_path) == {k: v for k, v in before.items() if not k.endswith("lab0.npy")}


def test_mnist_cache_with_a_wrong_checksum(tmp_path, fake_home, capsys):
    npz = fake_home / M.CACHE_FILE
    raw = bytearray(npz.read_bytes())
    raw[-100] ^= 0xFF
    npz.write_bytes(bytes(raw))
    before = snapshot(tmp_path)
    for argv in (["fetch"], ["make", "--out", str(tmp_path / "out"), "--train", "3", "--test", "3"]):
        code, _, err = call(argv, capsys)
        assert_one_error_line(code, err, str(npz), "checksum mismatch")
    assert snapshot(tmp_path) == before and not (tmp_path / "out").exists()


def test_make_check_show_roundtrip(tmp_path, fake_home, capsys):
    out = tmp_path / "gen"
    code, text, _ = call(["make", "--out", str(out), "--train", "12", "--test", "5", "--digits", "3-5",
                          "--seed", "4"], capsys)
    assert code == 0 and "wrote 12 train + 5 test" in text
    code, text, _ = call(["check", str(out)], capsys)
    assert code == 0 and "train: 12 images (40, 168) uint8" in text and "label histogram" in text
    assert "digits 3-5" in text and "checksums verified" in text
    assert D.load_course(out).label_max == 45
    png = tmp_path / "s.png"
    code, text, _ = call(["show", str(out), "--out", str(png), "--n", "6"], capsys)
    assert code == 0 and png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    before = snapshot(tmp_path)
    code, _, err = call(["show", str(out), "--out", str(png)], capsys)
    assert_one_error_line(code, err, str(png), "already exists")
    code, _, err = call(["make", "--out", str(out), "--train", "12", "--test", "5"], capsys)
    assert_one_error_line(code, err, str(out / "data0.npy"), "already exists")
    assert snapshot(tmp_path) == before


@pytest.mark.parametrize("argv, words", [
    ([], ["required"]),
    (["mke"], ["invalid choice"]),
    (["make"], ["--out"]),
    (["make", "--out", "x", "--digits", "3-"], ["--digits"]),
    (["make", "--out", "x", "--digits", "9"], ["digits must be"]),
    (["make", "--out", "x", "--preset", "grid", "--digits", "2-5"], ["preset 'grid'"]),
    (["make", "--out", "x", "--train", "0"], ["positive integer"]),
    (["make", "--out", "x", "--scale", "big"], ["--scale"]),
    (["show", "x", "--out", "s.jpg"], ["s.jpg", ".png"]),
])
def test_bad_arguments(tmp_path, fake_home, capsys, monkeypatch, argv, words):
    monkeypatch.chdir(tmp_path)
    code, _, err = call(argv, capsys)
    assert_one_error_line(code, err, *words)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["home"]


def test_fetch_reports_its_source(tmp_path, fake, fake_home, capsys):
    code, text, _ = call(["fetch"], capsys)
    assert code == 0 and f"600 train + 200 test digits from cache {fake_home / M.CACHE_FILE}" in text
    np.savez(tmp_path / "m.npz", **fake._asdict())
    code, text, _ = call(["fetch", "--mnist", str(tmp_path / "m.npz")], capsys)
    assert code == 0 and "user path" in text


def test_real_process_exit_status_and_single_error_line(tmp_path):
    """The same contract through a real `python -m digitsum.data` process (no in-process shortcuts)."""
    folder = course_folder(tmp_path / "data")
    _truncate(folder / "test_data.npy")
    env = dict(os.environ, PYTHONPATH=str(REPO), DIGITSUM_HOME=str(tmp_path / "home"))
    done = subprocess.run([sys.executable, "-m", "digitsum.data", "check", str(folder)], capture_output=True,
                          text=True, env=env, cwd=tmp_path)
    assert_one_error_line(done.returncode, done.stderr, str(folder / "test_data.npy"), "truncated")
    assert done.stdout == ""
