"""The exceptions of the Python driver. Every one names what failed and what to do; none hides its cause."""
import subprocess
from typing import Optional

from py4j.protocol import Py4JJavaError, Py4JNetworkError

__all__ = [
    "DriverError",
    "GatewayStartError",
    "GatewayDiedError",
    "JavaError",
    "PythonTaskError",
    "WorkerCrashedError",
    "JobCancelledError",
    "RunFileError",
]


class DriverError(Exception):
    """Base class of the driver's own errors."""


class GatewayStartError(DriverError):
    """The gateway JVM could not be found, started or reached."""


class GatewayDiedError(DriverError, Py4JNetworkError):
    """The gateway JVM ended (killed, crashed, or closed) while a call or a job was using it."""


class JavaError(DriverError, Py4JJavaError):
    """A Java method called from Python threw. ``java_class``, ``java_message`` and ``java_stack_trace`` hold what
    Java said; ``str()`` shows all three. A subclass of Py4J's ``Py4JJavaError``, so that code written for Py4J
    still catches it; ``java_exception`` is the Java object itself while the gateway is open."""

    def __init__(self, java_class: str, java_message: str, java_stack_trace: str, java_exception) -> None:
        Py4JJavaError.__init__(self, "%s: %s" % (java_class, java_message), java_exception)
        self.java_class = java_class
        self.java_message = java_message
        self.java_stack_trace = java_stack_trace

    def __str__(self) -> str:
        return "%s: %s\nJava stack trace:\n%s" % (self.java_class, self.java_message, self.java_stack_trace.rstrip())


class PythonTaskError(DriverError):
    """The function raised in a worker. ``python_type`` is the exception's class name, ``worker_traceback`` the
    worker's formatted traceback, ``partition`` the partition and ``chunk`` the input chunk it failed on, and
    ``first_element`` the index in the input of that chunk's first element."""

    def __init__(self, message: str, python_type: str, worker_traceback: str, partition: int, chunk: int,
                 first_element: Optional[int]) -> None:
        super().__init__(message)
        self.python_type = python_type
        self.worker_traceback = worker_traceback
        self.partition = partition
        self.chunk = chunk
        self.first_element = first_element


class WorkerCrashedError(DriverError):
    """A worker process died in the middle of a job (a segfault, ``os._exit``, the OOM killer)."""

    def __init__(self, message: str, partition: int, chunk: int) -> None:
        super().__init__(message)
        self.partition = partition
        self.chunk = chunk


class JobCancelledError(DriverError):
    """The JVM cancelled the job: the gateway is closing, or a task was cancelled."""


class RunFileError(DriverError):
    """``run_file`` failed: ``exit_code`` is the code ``pyworkers run`` would exit with (README's table: 1 the
    function raised, 2 bad arguments, 3 a malformed input record, 4 a worker crashed, 5 an internal error, 6 a task
    timeout, 130 interrupted), and the message is the command's."""

    def __init__(self, message: str, exit_code: int) -> None:
        super().__init__(message)
        self.exit_code = exit_code


def _died_or(process, error, during: str = "a call"):
    """:class:`GatewayDiedError` when the JVM has exited (within 0.5 s), else ``error``."""
    if process is not None:
        try:
            code = process.wait(0.5)
        except subprocess.TimeoutExpired:
            code = None
        if code is not None:
            return GatewayDiedError(
                "the gateway JVM (pid %d) exited with code %d in the middle of %s; its output, if any, is above. "
                "Connect again to get a new one" % (process.pid, code, during))
    return error
