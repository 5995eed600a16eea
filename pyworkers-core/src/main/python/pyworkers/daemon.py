"""Entry point of the daemon, ``python -m pyworkers.daemon [worker module]``; the fork server is :mod:`._daemon`.

Parseable by every Python from 2.7 on, like :mod:`pyworkers._version_gate`: run on an interpreter older than 3.8, it
writes one clear message and exits 6 before anything that needs a newer Python is compiled. Imported (not run), it
re-exports the daemon's public names and exits nothing.
"""
import sys

if __name__ == "__main__":
    from pyworkers._version_gate import refuse_old_python

    _code = refuse_old_python()
    if _code is None:
        from pyworkers._daemon import main

        _code = main()
    sys.exit(_code)
else:
    from pyworkers._daemon import DEFAULT_WORKER_MODULE, main, __all__  # noqa: F401
