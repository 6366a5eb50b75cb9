"""One run folder, one run: a live claim on a run folder, held while the run lives.

The claim is an exclusive `fcntl.flock` on `<folder>/.run.lock`. The OS drops it when the process exits
in any way (even kill -9), so a killed run never blocks `--resume`, while a second `train` on a folder
that a live run holds is refused with one line. A new run takes the claim first and only then checks
that the folder is empty, so two runs started together cannot both pass the check.
"""
import fcntl
import os
import re

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


def check_new_run_folder(folder):
    """A new run needs a new folder, or an empty one (a lock file left by an ended run does not count)."""
    if os.path.lexists(folder) and (not os.path.isdir(folder) or set(os.listdir(folder)) - {LOCK_NAME}):
        raise UserError(f"{folder} already exists and is not empty; use --resume or another --out")


class RunClaim:
    """A held claim on a run folder; released by release(), at the end of a `with` block, or by the OS
    when the process ends."""

    def __init__(self, folder, fd):
        self.folder, self._fd = folder, fd

    def release(self):
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None

    def __enter__(self):
        return self.folder

    def __exit__(self, *exc):
        self.release()


def claim_run_folder(folder, new):
    """Claim `folder` for this process's run and return the RunClaim (keep it while the run lives).

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
    claim = RunClaim(folder, fd)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise UserError(f"{folder} is in use by {_holder(lock_path)}; wait for it to end or choose "
                            f"another --out") from None
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode())
        if new:
            check_new_run_folder(folder)
        if not new:
            for path in remove_stale_run_temps(folder):
                print(f"removed {path}, left by a write that was killed")
    except BaseException:
        claim.release()
        raise
    return claim


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
