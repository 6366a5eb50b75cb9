"""One run folder, one run: the flock claim held while a run lives, released by the OS when it dies."""
import os
import subprocess
import sys

import pytest

from digitsum.cli import UserError
from digitsum.engine.run_claim import LOCK_NAME, claim_run_folder, remove_stale_run_temps

HOLD = ("import sys, time\nfrom digitsum.engine.run_claim import claim_run_folder\n"
        "with claim_run_folder(sys.argv[1], new=sys.argv[2] == 'new'):\n"
        "    print('ready', flush=True)\n    time.sleep(60)\n")
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def hold_claim(folder, new=True):
    """A live process that holds the claim on `folder`."""
    proc = subprocess.Popen([sys.executable, "-c", HOLD, str(folder), "new" if new else "resume"],
                            stdout=subprocess.PIPE, cwd=ROOT)
    assert proc.stdout.readline().strip() == b"ready"
    return proc


def test_a_claimed_folder_is_refused_until_its_holder_dies(tmp_path):
    run = tmp_path / "run"
    holder = hold_claim(run)
    try:
        with pytest.raises(UserError, match=f"in use by another run \\(pid {holder.pid}\\)"):
            with claim_run_folder(run, new=True):
                pass
        with pytest.raises(UserError, match="in use by another run"):
            with claim_run_folder(run, new=False):       # --resume takes the same claim
                pass
        (run / "run.json").write_text("{}")
    finally:
        holder.kill()                                    # kill -9: the OS releases the lock
        holder.wait()
    with claim_run_folder(run, new=False):
        pass
    with pytest.raises(UserError, match="already exists and is not empty"):
        with claim_run_folder(run, new=True):
            pass


def test_new_claim_creates_the_folder_and_counts_only_the_lock_file_as_empty(tmp_path):
    run = tmp_path / "a" / "run"
    with claim_run_folder(run, new=True) as folder:
        assert os.listdir(folder) == [LOCK_NAME]
        assert (run / LOCK_NAME).read_text().strip() == str(os.getpid())
    with claim_run_folder(run, new=True):              # released at the end of the block; still empty
        (run / "run.json").write_text("{}")
    with pytest.raises(UserError, match="not empty"):
        with claim_run_folder(run, new=True):
            pass


def test_claim_refuses_files_and_missing_folders_in_one_line(tmp_path):
    (tmp_path / "file").write_text("x")
    with pytest.raises(UserError, match="not a run folder"):
        with claim_run_folder(tmp_path / "file", new=False):
            pass
    with pytest.raises(UserError, match="cannot create the run folder"):
        with claim_run_folder(tmp_path / "file" / "run", new=True):
            pass
    with pytest.raises(UserError, match="missing"):
        with claim_run_folder(tmp_path / "nope", new=False):
            pass
    assert sorted(os.listdir(tmp_path)) == ["file"]


def test_resume_claim_removes_stale_temp_files_of_killed_writes(tmp_path, capsys):
    run = tmp_path / "run"
    (run / "s0").mkdir(parents=True)
    stale = [run / ".last.npz.k2j3h4.tmp", run / "s0" / ".best.npz.abc_12.tmp", run / ".metrics.json.q1.tmp"]
    keep = [run / "last.npz", run / "notes.tmp", run / ".fresh.npz.zz.tmp"]
    for p in stale + keep:
        p.write_bytes(b"partial")
    for p in stale:
        os.utime(p, (1e9, 1e9))                          # written long ago; .fresh.npz.zz.tmp just now
    with claim_run_folder(run, new=False):
        pass
    assert all(not p.exists() for p in stale) and all(p.exists() for p in keep)
    assert capsys.readouterr().out.count("left by a write that was killed") == 3
    assert remove_stale_run_temps(run) == []
