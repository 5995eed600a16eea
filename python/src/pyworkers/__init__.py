"""pyworkers: the Python side of the pyworkers JVM library.

The JVM starts ``python -m pyworkers.daemon`` (pooled, forked workers) or ``python -m pyworkers.worker`` (one simple
worker per process) and talks to them over the binary protocol of ``docs/protocol.md``.

This module only checks the interpreter version. It must stay light and parseable by every Python from 2.7 on (no
f-strings, no annotations, no keyword-only arguments), because it is the first pyworkers code an old interpreter reads:
``python -m pyworkers.daemon`` imports this package before ``pyworkers.daemon`` itself, so an interpreter that is too
old gets one clear message and exit code 6 instead of a ``SyntaxError`` from a newer module.
"""
import sys

__all__ = ["__version__"]

__version__ = "0.1.0"

_MIN_VERSION = (3, 8)
# Same value as pyworkers.protocol.ExitCode.PYTHON_TOO_OLD, repeated here because that module needs Python 3.8.
_EXIT_PYTHON_TOO_OLD = 6


def _check_version(version_info, executable):
    """Return the error line (ending in a newline) if ``version_info`` is older than 3.8, else None."""
    if tuple(version_info[:2]) >= _MIN_VERSION:
        return None
    return (
        "pyworkers requires Python %d.%d or newer, but %s is %d.%d.%d; "
        "point the python executable setting at a newer interpreter\n"
        % (_MIN_VERSION[0], _MIN_VERSION[1], executable or "this interpreter",
           version_info[0], version_info[1], version_info[2])
    )


def _exit_if_too_old():
    error = _check_version(sys.version_info, sys.executable)
    if error is not None:
        sys.stderr.write(error)
        sys.stderr.flush()
        sys.exit(_EXIT_PYTHON_TOO_OLD)


_exit_if_too_old()
