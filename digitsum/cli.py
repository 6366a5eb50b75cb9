"""Shared command-line error handling: bad input -> one `error:` line on stderr, exit status 2."""
import os
import sys

from minigrad import convert


class UserError(Exception):
    """An error caused by the user's input (a bad file, flag or folder). Its message names the problem."""


class ArgumentParser(convert.ArgumentParser):
    """argparse whose mistakes raise UserError (one `error:` line via run) instead of printing usage."""

    error_class = UserError


def run(main, argv=None):
    """Call `main(argv)`; turn a UserError (or an OSError on a path) into `error: ...` and exit 2, with no
    traceback."""
    try:
        code = main(argv)
    except UserError as e:
        print(f"error: {e}", file=sys.stderr)
        sys.exit(2)
    except KeyboardInterrupt:
        print("error: interrupted", file=sys.stderr)
        sys.exit(130)
    except BrokenPipeError:
        # The reader of stdout went away (e.g. `| head`): stop quietly, as other Unix tools do, and keep
        # Python from reporting the same broken pipe again when it flushes stdout at exit.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        sys.exit(141)
    except OSError as e:
        # A path the user gave (or $DIGITSUM_HOME) that cannot be read or written: one line, not a traceback.
        where = f"{e.filename}: " if e.filename else ""
        print(f"error: {where}{e.strerror or e}", file=sys.stderr)
        sys.exit(2)
    sys.exit(code or 0)
