"""One run folder, one run: a live claim on a run folder, held while the run lives.

The claim is an exclusive `fcntl.flock` on `<folder>/.run.lock`. The OS drops it when the process exits
in any way (even kill -9), so a killed run never blocks `--resume`, while a second `train` on a folder
that a live run holds is refused with one line. A new run takes the claim first and only then checks
that the folder is empty, so two runs started together cannot both pass the check.
"""
import fcntl
import os
import re
from contextlib import contextmanager

from minigrad.serialization import remove_stale_temp_files

from digitsum.cli import UserError

LOCK_NAME = ".run.lock"
# atomic_write's temp files are named .<target>.<random>.tmp, the random part without dots.
_TEMP_NAME = re.compile(r"^\.(.+)\.[^.]+\.tmp$")


def _holder(lock_path):
    try:
        with open(lock_path) as f:
            pid = f.read().strip()
    except OSError:
        return "another process"
    return f"another run (pid {pid})" if pid.isdigit() else "another run"


@contextmanager
def claim_run_folder(folder, new):
    """Hold the claim on `folder` for the duration of the block.

    new=True: a new run; the folder is created if missing and must hold nothing but the lock file.
    new=False: --resume; the folder must exist, and temp files left by a killed write are removed.
    Raises UserError if the folder is claimed by a live run, is not a folder, or cannot be created.
    """
    folder = os.fspath(folder)
    if new:
        try:
            os.makedirs(folder, exist_ok=True)
        except OSError as e:
            raise UserError(f"{folder}: cannot create the run folder ({e.strerror})") from None
    if not os.path.isdir(folder):
        raise UserError(f"{folder}: not a run folder" + ("" if os.path.exists(folder) else " (missing)"))
    lock_path = os.path.join(folder, LOCK_NAME)
    try:
        fd = os.open(lock_path, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW, 0o644)
    except OSError as e:
        raise UserError(f"{folder}: cannot claim the run folder ({e.strerror}: {lock_path})") from None
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise UserError(f"{folder} is in use by {_holder(lock_path)}; wait for it to end or choose "
                            f"another --out") from None
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode())
        if new and set(os.listdir(folder)) - {LOCK_NAME}:
            raise UserError(f"{folder} already exists and is not empty; use --resume or another --out")
        if not new:
            for path in remove_stale_run_temps(folder):
                print(f"removed {path}, left by a write that was killed")
        yield folder
    finally:
        os.close(fd)  # releases the claim


def remove_stale_run_temps(folder):
    """Remove temp files of killed atomic writes in `folder` and its subfolders (one level); return them."""
    removed = []
    dirs = [folder] + [os.path.join(folder, d) for d in sorted(os.listdir(folder))
                       if os.path.isdir(os.path.join(folder, d)) and not os.path.islink(os.path.join(folder, d))]
    for d in dirs:
        targets = {m.group(1) for m in map(_TEMP_NAME.match, os.listdir(d)) if m}
        for target in sorted(targets):
            removed += remove_stale_temp_files(os.path.join(d, target))
    return removed
