"""Entry point of a simple worker: ``python -m pyworkers.worker``; the worker itself is :mod:`pyworkers._worker`.

Parseable by every Python from 2.7 on, like :mod:`pyworkers._version_gate`: run on an interpreter older than 3.8, it
writes one clear message and exits 6 before anything that needs a newer Python is compiled. Imported (not run), it is
the default worker module of the daemon: it re-exports ``serve_forked`` (which the daemon calls in each forked child),
``serve`` and ``main``, and exits nothing.
"""
import sys

if __name__ == "__main__":
    from pyworkers._version_gate import refuse_old_python

    _code = refuse_old_python()
    if _code is not None:
        sys.exit(_code)
    from pyworkers._worker import run_main_and_exit

    run_main_and_exit()
else:
    from pyworkers._worker import main, serve, serve_forked, __all__  # noqa: F401
