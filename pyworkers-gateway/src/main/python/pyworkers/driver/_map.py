"""The driver's side of a ``map`` job's data socket (``docs/protocol.md`` section 9.2).

After the handshake (the driver plays the worker's role of section 2), the driver sends ``i32 n`` and the
cloudpickled ``MapChunks(f)``, then one frame per input chunk (a pickled list) and ``i32 -1``; the JVM sends one frame
per input chunk, in input order (the pickled list of results), then ``i32 -1``, or ``i32 -2`` and an error report.
Input goes from a sender thread while the caller's thread reads results, so that neither side waits for the other.
"""
import itertools
import os
import pickle
import socket
import struct
import threading
from typing import Any, Callable, Iterable, Iterator, List, Optional

import cloudpickle

from pyworkers import auth
from pyworkers.chunks import PICKLE_PROTOCOL, MapChunks

from .errors import DriverError, JobCancelledError, PythonTaskError, WorkerCrashedError, _died_or

END = -1
ERROR = -2
HANDSHAKE_TIMEOUT_S = 15.0
_I32 = struct.Struct(">i")


class _Job:
    """One map job: its socket, its sender thread, and what went wrong on the sending side."""

    def __init__(self, sock: socket.socket, java_job) -> None:
        self.sock = sock
        self.java_job = java_job
        self.send_error: Optional[BaseException] = None
        self.sender: Optional[threading.Thread] = None
        self._closed = False
        self._lock = threading.Lock()

    def close(self) -> None:
        with self._lock:
            if self._closed:
                return
            self._closed = True
        try:
            self.sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self.sock.close()
        sender = self.sender
        if sender is not None and sender is not threading.current_thread():
            sender.join(10)


def run(gateway, f: Callable[[Any], Any], iterable: Iterable[Any], partitions: int, chunk_size: int, python: str,
        includes: List[str]) -> "MapResults":
    """``f`` over each element: chunks are pickled lists, and so are their results."""
    function = cloudpickle.dumps(MapChunks(f), protocol=PICKLE_PROTOCOL)
    source = iter(iterable)

    def chunks() -> Iterator[bytes]:
        while True:
            chunk = list(itertools.islice(source, chunk_size))
            if not chunk:
                return
            yield pickle.dumps(chunk, PICKLE_PROTOCOL)

    def elements(frames: Iterator[bytearray]) -> Iterator[Any]:
        loads = pickle.loads
        for frame in frames:
            yield from loads(frame)

    return run_chunks(gateway, function, chunks(), partitions, chunk_size, python, includes, elements)


def run_chunks(gateway, function: bytes, chunks: Iterator[bytes], partitions: int, chunk_size: int, python: str,
               includes: List[str], decode: Callable[[Iterator[bytearray]], Iterator[Any]]) -> "MapResults":
    """The job itself: ``function`` is a cloudpickled NON_UDF function answering each chunk with one chunk;
    ``decode`` turns the result frames, in input order, into what the caller iterates over."""
    java_job = gateway.entry_point.map(partitions, python, includes)
    path = java_job.socketPath()
    secret = bytes.fromhex(java_job.secret())
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        sock.connect(path)
        auth.authenticate_to_jvm(sock, secret, os.getpid(), HANDSHAKE_TIMEOUT_S)
        sock.settimeout(None)
    except BaseException:
        sock.close()
        java_job.cancel()
        raise
    job = _Job(sock, java_job)
    gateway._jobs.add(job)
    job.sender = threading.Thread(target=_send, args=(job, function, chunks), name="pyworkers-map-send",
                                  daemon=True)
    job.sender.start()
    return MapResults(decode(_frames(gateway, job, chunk_size)), job)


class MapResults:
    """The results of a map job, in input order. Reading it drives the job; :meth:`close` (or leaving a ``with``
    block, or dropping the last reference) cancels what is left and kills the job's workers."""

    def __init__(self, results: Iterator[Any], job: _Job) -> None:
        self._results = results
        self._job = job

    def __iter__(self) -> "MapResults":
        return self

    def __next__(self) -> Any:
        return next(self._results)

    def close(self) -> None:
        # The job first: closing the socket ends a read blocked in another thread, and the generator cannot be
        # closed while that thread is inside it ("generator already executing").
        self._job.close()
        close = getattr(self._results, "close", None)
        if close is not None:
            try:
                close()
            except ValueError:
                pass  # another thread is inside the generator; it ends with the socket

    def __enter__(self) -> "MapResults":
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()

    def __del__(self) -> None:
        try:
            self.close()
        except Exception:
            pass


def _send(job: _Job, function: bytes, chunks: Iterator[bytes]) -> None:
    sock = job.sock
    try:
        sock.sendall(_I32.pack(len(function)) + function)
        for body in chunks:
            sock.sendall(_I32.pack(len(body)))
            sock.sendall(body)
        sock.sendall(_I32.pack(END))
    except BaseException as e:  # the input raised, or the socket closed: the JVM sees the socket end and cancels
        job.send_error = e
        try:
            sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass


def _frames(gateway, job: _Job, chunk_size: int) -> Iterator[bytearray]:
    sock = job.sock
    try:
        while True:
            n = _read_i32(sock, job, gateway)
            if n >= 0:
                yield _read_exact(sock, n, job, gateway)
            elif n == END:
                return
            elif n == ERROR:
                raise _read_error(sock, job, gateway, chunk_size)
            else:
                raise DriverError("the gateway sent marker %d on a map job's data socket; the driver and the jar "
                                  "are from different builds" % n)
    finally:
        job.close()
        gateway._jobs.discard(job)


def _read_exact(sock: socket.socket, n: int, job: _Job, gateway) -> bytearray:
    buf = bytearray(n)
    view = memoryview(buf)
    got = 0
    while got < n:
        r = sock.recv_into(view[got:])
        if r == 0:
            raise _ended(job, gateway)
        got += r
    return buf


def _read_i32(sock: socket.socket, job: _Job, gateway) -> int:
    return _I32.unpack(_read_exact(sock, 4, job, gateway))[0]


def _read_str(sock, job, gateway) -> str:
    return bytes(_read_exact(sock, _read_i32(sock, job, gateway), job, gateway)).decode("utf-8", "replace")


def _read_error(sock, job, gateway, chunk_size: int) -> BaseException:
    kind = _read_str(sock, job, gateway)
    message = _read_str(sock, job, gateway)
    python_type = _read_str(sock, job, gateway)
    trace = _read_str(sock, job, gateway)
    partition = _read_i32(sock, job, gateway)
    chunk = struct.unpack(">q", _read_exact(sock, 8, job, gateway))[0]
    where = "partition %d, input elements %d to %d" % (partition, chunk * chunk_size, (chunk + 1) * chunk_size - 1)
    if kind == "python":
        return PythonTaskError("the function raised %s in %s: %s\nWorker traceback:\n%s"
                               % (python_type, where, message, trace.rstrip()),
                               python_type, trace, partition, chunk, chunk * chunk_size)
    if kind == "crashed":
        return WorkerCrashedError("a worker crashed in %s: %s" % (where, message), partition, chunk)
    if kind == "cancelled":
        return JobCancelledError("the job was cancelled in %s: %s" % (where, message))
    return DriverError("the gateway failed the job in %s: %s" % (where, message))


def _ended(job: _Job, gateway) -> BaseException:
    if job.send_error is not None and not isinstance(job.send_error, OSError):
        return job.send_error  # the input iterable raised: that is the error to see
    return _died_or(gateway._process,
                    DriverError("the gateway closed the map job's data socket without a result or an error"),
                    "a map job")
