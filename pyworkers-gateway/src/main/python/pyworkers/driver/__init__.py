"""The pyworkers Python driver: start a JVM, steer it over Py4J, and run Python functions on its pooled workers.

    import pyworkers

    with pyworkers.connect() as gw:
        names = gw.jvm.java.util.ArrayList()
        print(list(gw.map(lambda x: x + 1, range(10))))

``pyworkers.connect`` is this package's :func:`connect`, reached lazily from ``pyworkers/__init__.py``. The driver
needs py4j and cloudpickle; the workers need neither py4j nor the driver (they run the jar's bundled runtime).
"""
from .errors import (DriverError, GatewayDiedError, GatewayStartError, JavaError, JobCancelledError,
                     PythonTaskError, RunFileError, WorkerCrashedError)
from .gateway import Gateway, connect

__all__ = [
    "connect",
    "Gateway",
    "DriverError",
    "GatewayStartError",
    "GatewayDiedError",
    "JavaError",
    "PythonTaskError",
    "WorkerCrashedError",
    "JobCancelledError",
    "RunFileError",
]
