"""pyworkers: the Python side of the pyworkers JVM library.

The JVM starts ``python -m pyworkers.daemon`` (pooled, forked workers) or ``python -m pyworkers.worker`` (one simple
worker per process) and talks to them over the binary protocol of ``docs/protocol.md``.

Importing this package never exits. The interpreter-version gate belongs to the entry points: ``daemon.main`` and
``worker.main`` call ``_refuse_old_python`` first, which writes one clear message and returns exit code 6 on a Python
older than 3.8. One case cannot wait for them: an interpreter too old to even compile those modules, running one with
``python -m``. It imports this package first, while ``sys.argv[0]`` is still the placeholder ``-m`` (``-c`` on
Python 2), so only then, and only on an old interpreter, this module exits with the same message and code 6 instead of
a ``SyntaxError`` from a newer module. So this module must stay light and parseable by every Python from 2.7 on (no
f-strings, no annotations, no keyword-only arguments).
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


def _refuse_old_python():
    """The entry points' gate: on a Python older than 3.8, write the error line to stderr and return exit code 6;
    else return None."""
    error = _check_version(sys.version_info, sys.executable)
    if error is None:
        return None
    sys.stderr.write(error)
    sys.stderr.flush()
    return _EXIT_PYTHON_TOO_OLD


def _locating_main_module(argv, major):
    """True while ``python -m`` imports the packages of the module it is about to run: ``argv[0]`` is then the
    placeholder ``-m`` (Python 3) or ``-c`` (Python 2)."""
    return argv[:1] == ["-m"] or (major < 3 and argv[:1] == ["-c"])


if _locating_main_module(list(getattr(sys, "argv", [])), sys.version_info[0]):
    _code = _refuse_old_python()
    if _code is not None:
        sys.exit(_code)
