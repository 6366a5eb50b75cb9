"""Files a user names for output (predict --out, evaluate --grid, data show --out): nothing is lost.

Rules, checked before any work starts and again (race-free) when the file is written:
- an existing file is replaced only with --force, and never when it is one of the command's own inputs
  (its checkpoint, images, labels), --force or not;
- a symlink, FIFO, device or socket at that name is refused (never written through or replaced);
- a name ending in '/' or naming a folder is refused;
- a missing parent folder is created; a parent that is a file or not writable is refused.
Every refusal is one UserError line.
"""
import os
import stat

from minigrad.serialization import atomic_write

from digitsum.cli import UserError


def _nearest_existing(folder):
    while folder and not os.path.lexists(folder):
        parent = os.path.dirname(folder)
        if parent == folder:
            break
        folder = parent
    return folder or "."


def check_output_file(path, flag, force=False, inputs=(), suffix=None):
    """Refuse an output name that would lose a file or cannot be written; see the module doc."""
    path = os.fspath(path)
    if not path or path.endswith(os.sep) or os.path.isdir(path):
        raise UserError(f"{flag} {path}: is a folder; {flag} takes a file name")
    if suffix is not None and not path.lower().endswith(suffix):
        raise UserError(f"{flag} {path}: must be a {suffix} file")
    if os.path.lexists(path):
        mode = os.lstat(path).st_mode
        if stat.S_ISLNK(mode):
            raise UserError(f"{flag} {path}: is a symbolic link; give the real file name (a link is never "
                            "written through or replaced)")
        if not stat.S_ISREG(mode):
            raise UserError(f"{flag} {path}: is not a regular file (a FIFO, socket or device); refusing to write it")
        for source in inputs:
            if source is not None and os.path.exists(source) and os.path.samefile(path, source):
                raise UserError(f"{flag} {path}: is this command's own input ({source}); refusing to replace it, "
                                "even with --force")
        if not force:
            raise UserError(f"{flag} {path}: already exists; add --force to replace it")
    parent = os.path.dirname(os.path.abspath(path))
    existing = _nearest_existing(parent)
    if not os.path.isdir(existing):
        raise UserError(f"{flag} {path}: {existing} is a file, not a folder")
    if not os.access(existing, os.W_OK | os.X_OK):
        raise UserError(f"{flag} {path}: cannot write in {existing} (permission denied)")
    return path


def write_output_file(path, flag, write, force=False, inputs=(), mode="w"):
    """Check `path` again and write it atomically with write(f); an OS failure becomes one UserError.

    Without force, a file that appeared at `path` since the first check is not replaced either.
    """
    check_output_file(path, flag, force, inputs)
    try:
        with atomic_write(path, mode, replace=force) as f:
            write(f)
    except FileExistsError:
        raise UserError(f"{flag} {path}: appeared while this command ran; add --force to replace it") from None
    except OSError as e:
        raise UserError(f"{flag} {path}: cannot write it ({e.strerror or e})") from None
