"""Imported by the Python daemon of a ``pyworkers run --pandas`` before it forks its workers, so that every worker
starts with pandas and pyarrow loaded instead of importing them itself (about 0.4 s of CPU each). A missing package
is left for :mod:`pyworkers.jobs_pandas` to report in the task, with its install hint: this module never fails.
pyarrow's thread pools start on first use, and the job's readers run with ``use_threads=False``, so no thread of
them exists in the daemon when it forks."""
try:
    import numpy  # noqa: F401
    import pandas  # noqa: F401
    import pyarrow  # noqa: F401
    import pyarrow.compute  # noqa: F401
    import pyarrow.csv  # noqa: F401
    import pyarrow.json  # noqa: F401
except ImportError:
    pass
