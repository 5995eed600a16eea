"""The interpreter-version gate of the entry points ``python -m pyworkers.daemon`` and ``python -m pyworkers.worker``.

Those two modules import this one before anything else, so it must stay parseable by every Python from 2.7 on (no
f-strings, no annotations, no keyword-only arguments), like them and like the package's ``__init__``. Nothing here
exits: the entry modules do, with the code returned, and only when they run as ``__main__``.
"""
import sys

__all__ = ["MIN_VERSION", "EXIT_PYTHON_TOO_OLD", "check_version", "refuse_old_python"]

MIN_VERSION = (3, 8)
# Same value as pyworkers.protocol.ExitCode.PYTHON_TOO_OLD, repeated here because that module needs Python 3.8.
EXIT_PYTHON_TOO_OLD = 6


def check_version(version_info, executable):
    """Return the error line (ending in a newline) if ``version_info`` is older than 3.8, else None."""
    if tuple(version_info[:2]) >= MIN_VERSION:
        return None
    return (
        "pyworkers requires Python %d.%d or newer, but %s is %d.%d.%d; "
        "point the python executable setting at a newer interpreter\n"
        % (MIN_VERSION[0], MIN_VERSION[1], executable or "this interpreter",
           version_info[0], version_info[1], version_info[2])
    )


def refuse_old_python():
    """On a Python older than 3.8, write the error line to stderr and return exit code 6; else return None."""
    error = check_version(sys.version_info, sys.executable)
    if error is None:
        return None
    sys.stderr.write(error)
    sys.stderr.flush()
    return EXIT_PYTHON_TOO_OLD
