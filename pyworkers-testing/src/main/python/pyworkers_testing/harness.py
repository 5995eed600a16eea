"""Test harness: real daemon and worker processes, a client playing the JVM's role, and a tracker that proves no
process a test started is still alive afterwards.

Every wait has a deadline; nothing sleeps to synchronise: output is awaited through a condition variable, process
death through pidfds (or a bounded poll where the OS has none). The interpreter under test is
``$PYWORKERS_TEST_PYTHON`` (default: the one running pytest), so the suite can check other Python versions.
"""
import atexit
import os
import pickle
import re
import struct
import secrets
import selectors
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, Iterable, Iterator, List, Optional, Sequence, Tuple, Union

import pyworkers
from pyworkers import auth, protocol
from pyworkers.protocol import Command, DaemonError, DaemonHello, DaemonInit, SimpleInit, Transport

__all__ = [
    "PYTHON", "SRC_DIR", "CLI_SRC_DIR", "ARROW_SRC_DIR", "bundle_dir", "bundle_env", "FAKES_DIR", "TIMEOUT", "child_env", "Deadline", "ProcessTracker", "OutputCollector",
    "DeadlineReader", "DaemonProcess", "WorkerClient", "SimpleWorkerProcess", "loopback_listener", "ipv6_available",
    "Fn", "fn_pickled", "fn_payload", "fn_ref", "fn_source", "TaskSpec", "encode_task", "task_fields",
    "task_with_bad_field", "TaskResult",
    "pickled_frames", "udf_frames", "typed_frames", "encode_typed_batch", "WorkerSource",
]

PYTHON = os.environ.get("PYWORKERS_TEST_PYTHON", sys.executable)
# The checkout's root: this file is pyworkers-testing/src/main/python/pyworkers_testing/harness.py.
_ROOT = Path(__file__).resolve().parents[5]
# The folder that holds core's Python package, wherever pytest found it (its pythonpath in python/pyproject.toml).
SRC_DIR = Path(pyworkers.__file__).resolve().parents[1]
# The CLI's Python (pyworkers/jobs.py), which the CLI jar bundles; see python/tests/conftest.py.
CLI_SRC_DIR = _ROOT / "pyworkers-cli" / "src" / "main" / "python"
# The scriptable fakes, shared with the JUnit suites (TestRun.fakes() in pyworkers-testing).
FAKES_DIR = Path(__file__).resolve().parents[1] / "fakes"
TIMEOUT = 10.0  # generous bound for anything that normally takes milliseconds


# pyworkers-arrow's Python (pyworkers/arrow), which its jar bundles.
ARROW_SRC_DIR = _ROOT / "pyworkers-arrow" / "src" / "main" / "python"
_bundle: Optional[Path] = None


def bundle_dir() -> Path:
    """A folder whose package ``pyworkers`` is the one the jars extract for their workers: core's modules plus the
    CLI's ``pyworkers/jobs.py`` and pyworkers-arrow's ``pyworkers/arrow``, as symbolic links into the source folders.
    Made once per test process in a private temporary folder, removed when the process exits. Put it first on a
    worker's PYTHONPATH (:func:`bundle_env`) to run the other modules' handlers in real workers."""
    global _bundle
    if _bundle is None:
        root = Path(tempfile.mkdtemp(prefix="pwtest-bundle-"))
        atexit.register(shutil.rmtree, str(root), True)
        package = root / "pyworkers"
        package.mkdir()
        for source in (SRC_DIR / "pyworkers", CLI_SRC_DIR / "pyworkers", ARROW_SRC_DIR / "pyworkers"):
            for entry in sorted(source.iterdir()):
                if entry.name == "__pycache__":
                    continue
                link = package / entry.name
                if link.exists() or link.is_symlink():
                    raise RuntimeError("%s is in two modules' Python: %s and %s" % (
                        entry.name, os.readlink(link), entry))
                link.symlink_to(entry, target_is_directory=entry.is_dir())
        _bundle = root
    return _bundle


def bundle_env() -> Dict[str, str]:
    """The ``env`` of a worker that sees every module's Python (:func:`bundle_dir`), with the fakes."""
    return {"PYTHONPATH": os.pathsep.join([str(bundle_dir()), str(FAKES_DIR)])}


def child_env(extra: Optional[Dict[str, str]] = None) -> Dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(SRC_DIR), str(FAKES_DIR)])
    env["PYTHONUNBUFFERED"] = "1"
    env.update(extra or {})
    return env


def ipv6_available() -> bool:
    if not socket.has_ipv6:
        return False
    try:
        with socket.socket(socket.AF_INET6, socket.SOCK_STREAM) as s:
            s.bind(("::1", 0))
        return True
    except OSError:
        return False


class Deadline:
    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self._end = time.monotonic() + seconds

    def remaining(self) -> float:
        return max(0.0, self._end - time.monotonic())

    def expired(self) -> bool:
        return self.remaining() <= 0.0


class DeadlineReader:
    """``read(n)`` on a file descriptor that raises TimeoutError once the deadline passes."""

    def __init__(self, fd: int, deadline: Deadline) -> None:
        self._fd = fd
        self._deadline = deadline

    def read(self, n: int) -> bytes:
        with selectors.DefaultSelector() as sel:
            sel.register(self._fd, selectors.EVENT_READ)
            if not sel.select(self._deadline.remaining()):
                raise TimeoutError("no data on fd %d within %.1f s" % (self._fd, self._deadline.seconds))
        return os.read(self._fd, n)

    def read_to_eof(self) -> bytes:
        chunks = []
        while True:
            data = self.read(65536)
            if not data:
                return b"".join(chunks)
            chunks.append(data)


class OutputCollector:
    """Collects a pipe's lines on a named daemon thread; tests wait for a line with a deadline."""

    def __init__(self, stream, name: str) -> None:
        self._fd = stream.fileno()
        self._stream = stream
        self._lines: List[str] = []
        self._partial = b""
        self._eof = False
        self._cond = threading.Condition()
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while True:
            data = os.read(self._fd, 65536)
            with self._cond:
                if not data:
                    if self._partial:
                        self._lines.append(self._partial.decode("utf-8", "replace"))
                    self._eof = True
                    self._cond.notify_all()
                    return
                parts = (self._partial + data).split(b"\n")
                self._partial = parts.pop()
                self._lines.extend(p.decode("utf-8", "replace") for p in parts)
                self._cond.notify_all()

    def lines(self) -> List[str]:
        with self._cond:
            return list(self._lines)

    def text(self) -> str:
        return "\n".join(self.lines())

    def wait_for(self, pattern: str, timeout: float = TIMEOUT, count: int = 1) -> List[str]:
        """Wait until ``count`` lines match the regular expression ``pattern``; returns the matching lines."""
        regex = re.compile(pattern)
        deadline = Deadline(timeout)
        with self._cond:
            while True:
                found = [line for line in self._lines if regex.search(line)]
                if len(found) >= count:
                    return found
                if self._eof or deadline.expired():
                    raise AssertionError(
                        "expected %d line(s) matching %r within %.1f s, found %d; output so far:\n%s"
                        % (count, pattern, timeout, len(found), "\n".join(self._lines[-60:]))
                    )
                self._cond.wait(deadline.remaining())

    @property
    def name(self) -> str:
        return self._thread.name

    def wait_eof(self, timeout: float = TIMEOUT) -> bool:
        """True once the writer side closed the pipe (every process holding it exited)."""
        self._thread.join(timeout)
        return not self._thread.is_alive()


def _open_pidfd(pid: int) -> Optional[int]:
    """A pidfd for ``pid``, -1 if it is already gone, None if the OS has no pidfds."""
    if not hasattr(os, "pidfd_open"):
        return None
    try:
        return os.pidfd_open(pid)
    except ProcessLookupError:
        return -1
    except OSError:
        return None


def _proc_state(pid: int) -> Optional[str]:
    try:
        with open("/proc/%d/stat" % pid) as f:
            return f.read().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError, IndexError):
        return None


class _Tracked:
    def __init__(self, pid: int, what: str) -> None:
        self.pid = pid
        self.what = what
        self.pidfd = _open_pidfd(pid)

    def wait_gone(self, timeout: float) -> bool:
        if self.pidfd == -1:
            return True
        if self.pidfd is not None:
            with selectors.DefaultSelector() as sel:
                sel.register(self.pidfd, selectors.EVENT_READ)
                return bool(sel.select(timeout))
        deadline = Deadline(timeout)  # no pidfds: bounded poll of /proc
        while not deadline.expired():
            if _proc_state(self.pid) in (None, "Z", "X"):
                return True
            time.sleep(0.01)
        return False

    def close(self) -> None:
        if self.pidfd is not None and self.pidfd >= 0:
            os.close(self.pidfd)
            self.pidfd = -1


class ProcessTracker:
    """Remembers every process and socket a test starts; :meth:`finish` proves they are all gone."""

    def __init__(self) -> None:
        self._popens: List[Tuple[subprocess.Popen, str]] = []
        self._pids: Dict[int, _Tracked] = {}
        self._sockets: List[socket.socket] = []
        self._collectors: List[OutputCollector] = []
        self._pid_sources: List[Tuple[Callable[[], Sequence[int]], str]] = []

    def track_popen(self, popen: subprocess.Popen, what: str) -> None:
        self._popens.append((popen, what))
        self.track_pid(popen.pid, what)

    def track_pid(self, pid: int, what: str) -> None:
        if pid not in self._pids:
            self._pids[pid] = _Tracked(pid, what)

    def track_socket(self, sock: socket.socket) -> socket.socket:
        self._sockets.append(sock)
        return sock

    def track_collector(self, collector: OutputCollector) -> None:
        self._collectors.append(collector)

    def wait_gone(self, pid: int, timeout: float = TIMEOUT) -> bool:
        return self._pids[pid].wait_gone(timeout)

    def add_pid_source(self, source: Callable[[], Sequence[int]], what: str) -> None:
        """``source`` lists more pids to check at the end (read once every tracked process has exited)."""
        self._pid_sources.append((source, what))

    def finish(self, timeout: float = TIMEOUT) -> None:
        """Close what the test left open (like a JVM that exits), then assert every tracked process is gone."""
        for sock in self._sockets:
            sock.close()
        for popen, _ in self._popens:
            if popen.stdin is not None and not popen.stdin.closed:
                try:
                    popen.stdin.close()
                except BrokenPipeError:
                    continue  # the process is gone already: the wait below proves it
        deadline = Deadline(timeout)
        problems = []
        for popen, what in self._popens:
            try:
                popen.wait(deadline.remaining())
            except subprocess.TimeoutExpired:
                problems.append("%s pid %d did not exit" % (what, popen.pid))
        for collector in self._collectors:
            if not collector.wait_eof(deadline.remaining()):
                problems.append("output of %s still open" % collector.name)
        for source, what in self._pid_sources:
            for pid in source():
                self.track_pid(pid, what)
        alive = [t for t in self._pids.values() if not t.wait_gone(deadline.remaining())]
        problems.extend("%s pid %d still alive" % (t.what, t.pid) for t in alive)
        for tracked in alive:
            os.kill(tracked.pid, signal.SIGKILL)  # only a process this test started, and only to fail cleanly
        for popen, _ in self._popens:
            if popen.returncode is None:
                popen.wait(TIMEOUT)
            for stream in (popen.stdout, popen.stderr):
                if stream is not None:
                    stream.close()
        for tracked in self._pids.values():
            tracked.close()
        if problems:
            raise AssertionError("%.1f s after the test: %s" % (timeout, "; ".join(problems)))


class WorkerClient:
    """The JVM's end of one authenticated worker connection. Reads are buffered; writes go straight to the socket."""

    def __init__(self, sock: socket.socket, pid: int) -> None:
        self.sock = sock
        self.pid = pid
        self._reader = sock.makefile("rb", buffering=65536)

    def ping(self) -> None:
        self.send_int(Command.PING)
        reply = self.read_int()
        assert reply == Command.PING, "worker pid %d answered PING with %d" % (self.pid, reply)

    def send_int(self, value: int) -> None:
        self.sock.sendall(protocol.pack_int(value))

    def read_int(self) -> int:
        return protocol.read_int(self._reader, "reply from worker pid %d" % self.pid)

    def read_int_or_eof(self) -> Optional[int]:
        return protocol.read_int_or_eof(self._reader, "reply from worker pid %d" % self.pid)

    def read_long(self) -> int:
        return protocol.read_long(self._reader, "reply from worker pid %d" % self.pid)

    def read_exact(self, n: int) -> bytes:
        return protocol.read_exact(self._reader, n, "reply from worker pid %d" % self.pid)

    def read_str(self, max_length: int = protocol.MAX_CONTROL_STR) -> str:
        return protocol.read_str(self._reader, max_length, "reply from worker pid %d" % self.pid)

    def read_eof(self) -> bytes:
        """Read until the worker closes the connection; returns what arrived before EOF."""
        chunks = []
        while True:
            data = self._reader.read1(65536)
            if not data:
                return b"".join(chunks)
            chunks.append(data)

    def run_task(
        self,
        task: Union["TaskSpec", bytes],
        frames: Iterable[Optional[bytes]] = (),
        tail: Sequence[int] = (-1, -4),
        stop_on_exception: bool = False,
        read_answer: bool = True,
    ) -> "TaskResult":
        """Play the JVM's part of one task: a writer thread sends the header, ``frames`` (None is a NULL frame) and
        ``tail`` while this thread reads the output, the timing, the end block and the answer to ``tail``.

        With ``stop_on_exception`` the writer stops feeding as soon as an exception frame arrives and sends ``tail``
        right away, as the JVM does. Without ``read_answer`` it returns after the end block, before the worker's
        answer to ``tail``. The result records everything, including an early EOF.
        """
        header = task if isinstance(task, bytes) else encode_task(task)
        stop = threading.Event()
        writer = _TaskWriter(self.sock, header, frames, tail, stop)
        result = TaskResult()
        try:
            self._read_task_output(result, stop if stop_on_exception else None, read_answer)
        finally:
            stop.set()
            writer.join()
        result.write_error = writer.error
        return result

    def _read_task_output(self, result: "TaskResult", stop: Optional[threading.Event], read_answer: bool) -> None:
        while True:
            n = self.read_int_or_eof()
            if n is None:
                result.eof = True
                return
            if n >= 0:
                result.frames.append(self.read_exact(n))
            elif n == -5:
                result.frames.append(None)
            elif n == -2:
                strs = tuple(self.read_str(protocol.MAX_EXCEPTION_STR) for _ in range(3))
                result.exception = strs  # type: ignore[assignment]
                if stop is not None:
                    stop.set()
            elif n == -3:
                result.timing = tuple(self.read_long() for _ in range(4))  # type: ignore[assignment]
                end = self.read_int()
                assert end == -1, "expected -1 (end) after the timing frame, got %d" % end
                count = self.read_int()
                result.accumulators = [self.read_exact(self.read_int()) for _ in range(count)]
                if read_answer:
                    result.answer = self.read_int_or_eof()
                return
            else:
                raise AssertionError("unexpected frame marker %d from worker pid %d" % (n, self.pid))

    def close(self) -> None:
        self._reader.close()
        self.sock.close()


class _TaskWriter:
    """The JVM's writer thread for one task (named, daemon, joined with a timeout)."""

    def __init__(self, sock: socket.socket, header: bytes, frames: Iterable[Optional[bytes]], tail: Sequence[int],
                 stop: threading.Event) -> None:
        self._sock = sock
        self._header = header
        self._frames = frames
        self._tail = tail
        self._stop = stop
        self.error: Optional[BaseException] = None
        self._thread = threading.Thread(target=self._run, name="pwtest-task-writer", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        try:
            pending = [self._header]
            size = len(self._header)
            for frame in self._frames:
                if self._stop.is_set():
                    break
                chunk = protocol.pack_int(-5) if frame is None else protocol.pack_int(len(frame)) + frame
                pending.append(chunk)
                size += len(chunk)
                if size >= 65536:
                    self._sock.sendall(b"".join(pending))
                    pending, size = [], 0
            pending.extend(protocol.pack_int(v) for v in self._tail)
            self._sock.sendall(b"".join(pending))
        except OSError as e:  # the worker went away (protocol-error tests expect it); the reader reports the rest
            self.error = e

    def join(self) -> None:
        self._thread.join(TIMEOUT)
        assert not self._thread.is_alive(), "the task writer thread is stuck"


def _connect(transport: Transport, address: Union[str, int], timeout: float) -> socket.socket:
    if transport is Transport.UNIX:
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        target = address
    elif transport is Transport.TCP_IPV4:
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        target = ("127.0.0.1", address)
    else:
        sock = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
        target = ("::1", address)
    sock.settimeout(timeout)
    sock.connect(target)
    return sock


class DaemonProcess:
    """A real ``python -m pyworkers.daemon`` (or a launcher that calls its ``main``), driven like the JVM does."""

    def __init__(
        self,
        tracker: ProcessTracker,
        sock_dir: str,
        transport: Transport = Transport.UNIX,
        preload: Sequence[str] = (),
        worker_module: Optional[str] = None,
        launcher: Optional[str] = None,
        init_bytes: Optional[bytes] = None,
        auth_timeout_ms: int = 5000,
        close_stdin_after_init: bool = False,
        env: Optional[Dict[str, str]] = None,
        python: str = PYTHON,
        buffer_size: int = 65536,
    ) -> None:
        self.tracker = tracker
        self.secret = secrets.token_bytes(32)
        self.transport = transport
        self.socket_path = os.path.join(sock_dir, "d.sock") if transport is Transport.UNIX else ""
        self.init = DaemonInit(self.secret, transport, self.socket_path, auth_timeout_ms, buffer_size, tuple(preload))
        args = [] if worker_module is None else [worker_module]
        if launcher is None:
            command = [python, "-m", "pyworkers.daemon"] + args
        else:
            command = [python, "-c", launcher] + args
        self.popen = subprocess.Popen(
            command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=child_env(env),
            bufsize=0,
        )
        tracker.track_popen(self.popen, "daemon")
        self.stderr = OutputCollector(self.popen.stderr, "pwtest-stderr-daemon-%d" % self.popen.pid)
        tracker.track_collector(self.stderr)
        tracker.add_pid_source(self.forked_pids, "worker forked by daemon %d" % self.popen.pid)
        self._stdout = DeadlineReader(self.popen.stdout.fileno(), Deadline(TIMEOUT))
        self.write_stdin(protocol.encode_daemon_init(self.init) if init_bytes is None else init_bytes)
        if close_stdin_after_init:
            self.close_stdin()
        self.reply: Union[DaemonHello, DaemonError] = protocol.read_daemon_reply(self._stdout)

    @property
    def pid(self) -> int:
        return self.popen.pid

    @property
    def hello(self) -> DaemonHello:
        assert isinstance(self.reply, DaemonHello), "daemon failed to start: %r\n%s" % (self.reply, self.stderr.text())
        return self.reply

    def write_stdin(self, data: bytes) -> None:
        self.popen.stdin.write(data)
        self.popen.stdin.flush()

    def kill_worker(self, pid: int) -> None:
        self.write_stdin(protocol.encode_kill(pid))

    def close_stdin(self) -> None:
        self.popen.stdin.close()

    def wait(self, timeout: float = TIMEOUT) -> int:
        return self.popen.wait(timeout)

    def stdout_rest(self) -> bytes:
        """Everything the daemon wrote on stdout after its reply and the exit reports read so far."""
        return DeadlineReader(self.popen.stdout.fileno(), Deadline(TIMEOUT)).read_to_eof()

    def worker_exit(self, pid: int) -> protocol.WorkerExit:
        """Read the daemon's ``PWKX`` reports on stdout until the one for worker ``pid`` (the JVM's role)."""
        reader = DeadlineReader(self.popen.stdout.fileno(), Deadline(TIMEOUT))
        while True:
            report = protocol.read_worker_exit(reader)
            assert report is not None, "the daemon's stdout ended before worker pid %d's exit report" % pid
            if report.pid == pid:
                return report

    def worker_exits_to_eof(self) -> List[protocol.WorkerExit]:
        """Every exit report left on the daemon's stdout, up to its end."""
        reader = DeadlineReader(self.popen.stdout.fileno(), Deadline(TIMEOUT))
        reports = []
        while True:
            report = protocol.read_worker_exit(reader)
            if report is None:
                return reports
            reports.append(report)

    def connect(self) -> socket.socket:
        return self.tracker.track_socket(_connect(self.transport, self.hello.address, TIMEOUT))

    def open_worker(self, secret: Optional[bytes] = None) -> WorkerClient:
        """Connect and run the JVM side of the handshake with ``auth.authenticate_worker``."""
        sock = self.connect()
        pid = auth.authenticate_worker(sock, self.secret if secret is None else secret, TIMEOUT)
        self.tracker.track_pid(pid, "worker of daemon %d" % self.pid)
        sock.settimeout(TIMEOUT)
        return WorkerClient(sock, pid)

    def read_worker_hello(self, sock: socket.socket) -> protocol.WorkerHello:
        """Handshake step 1 by hand, for tests that then misbehave."""
        hello = protocol.read_worker_hello(protocol.SocketReader(sock))
        assert isinstance(hello, protocol.WorkerHello), "expected a worker, got %r" % (hello,)
        self.tracker.track_pid(hello.pid, "worker of daemon %d" % self.pid)
        return hello

    def forked_pids(self) -> List[int]:
        return [int(m) for m in re.findall(r"\[daemon\] DEBUG forked worker pid (\d+)", self.stderr.text())]

    def worker_exit_line(self, pid: int, outcome: str) -> str:
        """Wait for the daemon's line saying how worker ``pid`` ended (e.g. ``exited with code 5``)."""
        return self.stderr.wait_for(r"^\[daemon\] DEBUG worker pid %d %s$" % (pid, re.escape(outcome)))[0]


class SimpleWorkerProcess:
    """A real ``python -m pyworkers.worker`` that connects back to a listener owned by the test (the JVM's role)."""

    def __init__(self, tracker: ProcessTracker, sock_dir: str, transport: Transport, auth_timeout_ms: int = 5000,
                 env: Optional[Dict[str, str]] = None, buffer_size: int = 65536):
        self.tracker = tracker
        self.secret = secrets.token_bytes(32)
        self.listener, address = loopback_listener(transport, sock_dir)
        tracker.track_socket(self.listener)
        self.init = SimpleInit(self.secret, transport, address, auth_timeout_ms, buffer_size)
        self.popen = subprocess.Popen(
            [PYTHON, "-m", "pyworkers.worker"],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=child_env(env), bufsize=0,
        )
        tracker.track_popen(self.popen, "simple worker")
        self.stderr = OutputCollector(self.popen.stderr, "pwtest-stderr-worker-%d" % self.popen.pid)
        tracker.track_collector(self.stderr)

    def send_init(self, data: Optional[bytes] = None) -> None:
        self.popen.stdin.write(protocol.encode_simple_init(self.init) if data is None else data)
        self.popen.stdin.flush()

    def accept(self, secret: Optional[bytes] = None) -> WorkerClient:
        self.listener.settimeout(TIMEOUT)
        sock, _ = self.listener.accept()
        self.tracker.track_socket(sock)
        pid = auth.authenticate_worker(sock, self.secret if secret is None else secret, TIMEOUT)
        return WorkerClient(sock, pid)


def loopback_listener(transport: Transport, sock_dir: str) -> Tuple[socket.socket, Union[str, int]]:
    """A listening socket like the JVM's in simple mode (backlog 1); returns it and its path or port."""
    if transport is Transport.UNIX:
        path = os.path.join(sock_dir, "jvm.sock")
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.bind(path)
        sock.listen(1)
        return sock, path
    family, host = (socket.AF_INET, "127.0.0.1") if transport is Transport.TCP_IPV4 else (socket.AF_INET6, "::1")
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.bind((host, 0))
    sock.listen(1)
    return sock, sock.getsockname()[1]


# ---------------------------------------------------------------------------------------------------------------------
# Tasks (docs/protocol.md section 5): the JVM's encoder, written independently of pyworkers.task on purpose


def _i(value: int) -> bytes:
    return struct.pack(">i", value)


def _q(value: int) -> bytes:
    return struct.pack(">q", value)


def _b(value: bytes) -> bytes:
    return _i(len(value)) + value


def _s(value: str) -> bytes:
    return _b(value.encode("utf-8"))


@dataclass(frozen=True)
class Fn:
    """One ``fn`` of a header, already encoded (kind byte included)."""

    data: bytes


def fn_pickled(function: Callable[..., Any]) -> Fn:
    import cloudpickle
    return fn_payload(cloudpickle.dumps(function))


def fn_payload(payload: bytes) -> Fn:
    return Fn(b"\x01" + _b(payload))


def fn_ref(reference: str) -> Fn:
    return Fn(b"\x02" + _s(reference))


def fn_source(file_name: str, source: str, name: str) -> Fn:
    return Fn(b"\x03" + _s(file_name) + _s(source) + _s(name))


@dataclass
class TaskSpec:
    """Everything a task header carries; NON_UDF uses ``functions`` and the serializers, SQL_BATCHED_UDF ``udfs``
    (a list of (offsets, chain) pairs, chains innermost first)."""

    eval_type: int = 0
    functions: Sequence[Fn] = ()
    input_serializer: int = 1
    output_serializer: int = 1
    output_batch_size: int = 100
    udfs: Sequence[Tuple[Sequence[int], Sequence[Fn]]] = ()
    row_layout: int = 1
    result_layout: int = 1
    partition_index: int = 0
    python_version: str = ""
    stage_id: int = 1
    partition_id: int = 0
    attempt_number: int = 0
    task_attempt_id: int = 100
    cpus: int = 1
    resources: Dict[str, Sequence[str]] = field(default_factory=dict)
    local_properties: Dict[str, str] = field(default_factory=dict)
    files_folder: str = ""
    faulthandler_folder: str = ""
    memory_limit_mb: int = 0
    includes: Sequence[str] = ()
    removed_broadcasts: Sequence[int] = ()
    added_broadcasts: Sequence[Tuple[int, str]] = ()
    conf: Dict[str, str] = field(default_factory=dict)
    #: the handler name in the eval type's block; None: the built-in one for 0 and 100, else empty
    handler: Optional[str] = None
    #: another eval type's command bytes (0 and 100 encode theirs from the fields above)
    command: bytes = b""

    @classmethod
    def non_udf(cls, *functions: Fn, **kwargs: Any) -> "TaskSpec":
        return cls(eval_type=0, functions=functions, **kwargs)

    @classmethod
    def udf(cls, *udfs: Tuple[Sequence[int], Sequence[Fn]], **kwargs: Any) -> "TaskSpec":
        return cls(eval_type=100, udfs=udfs, **kwargs)


def encode_task(t: TaskSpec) -> bytes:
    """The command (partition index) and the whole header, byte for byte as section 5.1 lays them out."""
    return b"".join(data for _, data in task_fields(t))


def task_fields(t: TaskSpec) -> List[Tuple[str, bytes]]:
    """The encoded header as named fields in wire order, so a test can swap one for a bad value."""
    f: List[Tuple[str, bytes]] = [
        ("partition index", _i(t.partition_index)), ("python version", _s(t.python_version)),
        ("stage id", _i(t.stage_id)), ("partition id", _i(t.partition_id)), ("attempt number", _i(t.attempt_number)),
        ("task attempt id", _q(t.task_attempt_id)), ("cpus", _i(t.cpus)), ("resource count", _i(len(t.resources))),
    ]
    for r, (name, addresses) in enumerate(t.resources.items()):
        f += [("resource %d name" % r, _s(name)), ("resource %d address count" % r, _i(len(addresses)))]
        f += [("resource %d address %d" % (r, a), _s(x)) for a, x in enumerate(addresses)]
    f.append(("local property count", _i(len(t.local_properties))))
    for n, (key, value) in enumerate(t.local_properties.items()):
        f += [("local property %d key" % n, _s(key)), ("local property %d value" % n, _s(value))]
    f += [("files folder", _s(t.files_folder)), ("faulthandler folder", _s(t.faulthandler_folder))]
    settings = [(1, _i(t.memory_limit_mb))] if t.memory_limit_mb else []  # key 1: memory limit (MiB); 0 left out
    f.append(("setting count", _i(len(settings))))
    for n, (key, value) in enumerate(settings):
        f += [("setting %d key" % n, _i(key)), ("setting %d value" % n, value)]
    f.append(("include count", _i(len(t.includes))))
    f += [("include %d" % n, _s(x)) for n, x in enumerate(t.includes)]
    f.append(("removed broadcast count", _i(len(t.removed_broadcasts))))
    f += [("removed broadcast %d" % n, _q(x)) for n, x in enumerate(t.removed_broadcasts)]
    f.append(("added broadcast count", _i(len(t.added_broadcasts))))
    for n, (broadcast_id, path) in enumerate(t.added_broadcasts):
        f += [("added broadcast %d id" % n, _q(broadcast_id)), ("added broadcast %d path" % n, _s(path))]
    f.append(("conf count", _i(len(t.conf))))
    for n, (key, value) in enumerate(t.conf.items()):
        f += [("conf %d key" % n, _s(key)), ("conf %d value" % n, _s(value))]
    handler = t.handler if t.handler is not None else BUILT_IN_HANDLERS.get(t.eval_type, "")
    command = command_fields(t)
    f += [("eval type", _i(t.eval_type)), ("handler", _s(handler)),
          ("command length", _i(sum(len(data) for _, data in command)))]
    return f + command


BUILT_IN_HANDLERS = {0: "pyworkers.evaltypes.non_udf:HANDLER", 100: "pyworkers.evaltypes.batched:HANDLER"}


def command_fields(t: TaskSpec) -> List[Tuple[str, bytes]]:
    """The eval type's command as named fields (section 5.1, "the eval type's block")."""
    f: List[Tuple[str, bytes]] = []
    if t.eval_type not in BUILT_IN_HANDLERS:
        return [("command", t.command)]
    if t.eval_type == 0:
        f.append(("chain count", _i(len(t.functions))))
        f += [("fn %d" % n, fn.data) for n, fn in enumerate(t.functions)]
        f += [("input serializer", bytes([t.input_serializer])), ("output serializer", bytes([t.output_serializer])),
              ("output batch size", _i(t.output_batch_size))]
    else:
        f.append(("udf count", _i(len(t.udfs))))
        for u, (offsets, chain) in enumerate(t.udfs):
            f.append(("udf %d arg count" % u, _i(len(offsets))))
            f += [("udf %d offset %d" % (u, n), _i(o)) for n, o in enumerate(offsets)]
            f.append(("udf %d chain count" % u, _i(len(chain))))
            f += [("udf %d fn %d" % (u, n), fn.data) for n, fn in enumerate(chain)]
        f.append(("row layout", bytes([t.row_layout])))
        f.append(("result layout", bytes([t.result_layout])))
    return f


def task_with_bad_field(t: TaskSpec, name: str, data: bytes) -> bytes:
    """The header up to the field ``name``, with ``data`` in its place (what follows would not be read). A field of
    the command is cut the same way inside the command, whose length then counts up to ``data``."""
    fields = task_fields(t)
    names = [n for n, _ in fields]
    index = names.index(name)
    block = names.index("command length")
    if index <= block:
        return b"".join(d for _, d in fields[:index]) + data
    command = b"".join(d for _, d in fields[block + 1:index]) + data
    return b"".join(d for _, d in fields[:block]) + _i(len(command)) + command


@dataclass
class TaskResult:
    """What a worker sent for one task."""

    frames: List[Optional[bytes]] = field(default_factory=list)
    exception: Optional[Tuple[str, str, str]] = None
    timing: Optional[Tuple[int, int, int, int]] = None
    accumulators: List[bytes] = field(default_factory=list)
    answer: Optional[int] = None
    eof: bool = False
    write_error: Optional[BaseException] = None

    def ok(self) -> "TaskResult":
        """Assert the task succeeded and the worker answered -4 (reusable)."""
        assert self.exception is None, "task failed: %s: %s\n%s" % self.exception
        assert self.timing is not None and self.answer == -4, "task did not end cleanly: %r" % (self,)
        return self

    def failed(self) -> Tuple[str, str, str]:
        """Assert the task reported an exception and the worker still answered -4; returns (type, message, tb)."""
        assert self.exception is not None, "expected an exception frame, got %d data frames" % len(self.frames)
        assert self.timing is not None and self.answer == -4, "task did not end cleanly: %r" % (self.exception,)
        return self.exception

    def records(self, serializer: int = 1) -> List[Any]:
        if serializer == 1:
            return [r for f in self.frames for r in pickle.loads(f)]  # type: ignore[arg-type]
        if serializer == 2:
            return [None if f is None else f.decode("utf-8") for f in self.frames]
        return list(self.frames)

    def udf_results(self) -> List[Any]:
        return [r for f in self.frames for r in pickle.loads(f)]  # type: ignore[arg-type]

    def accumulator_values(self) -> List[Any]:
        return [pickle.loads(a) for a in self.accumulators]


def pickled_frames(records: Iterable[Any], batch: int = 100, protocol_version: int = 2) -> Iterator[bytes]:
    """Pickled-batches input frames, ``batch`` records each."""
    chunk: List[Any] = []
    for record in records:
        chunk.append(record)
        if len(chunk) == batch:
            yield pickle.dumps(chunk, protocol_version)
            chunk = []
    if chunk:
        yield pickle.dumps(chunk, protocol_version)


def encode_typed_batch(values: Sequence[Any]) -> bytes:
    """The typed form of a batch (``docs/protocol.md`` section 5.2) as the JVM writes it for 32 or more values that
    are all ints (code ``q``) or all floats (code ``d``): a protocol 4 pickle of ``array.array.tolist(array.array(code,
    raw))``. Written here opcode by opcode, independently of the JVM's encoder; raw is in native byte order."""
    import array
    code = "q" if all(type(v) is int for v in values) else "d"
    if code == "d" and not all(type(v) is float for v in values):
        raise ValueError("the typed form holds only all-int or all-float batches")
    raw = array.array(code, values).tobytes()

    def text(s: str) -> bytes:
        return b"\x8c" + bytes([len(s)]) + s.encode("ascii")  # SHORT_BINUNICODE

    return (b"\x80\x04" + text("array") + text("array.tolist") + b"\x93" + text("array") + text("array") + b"\x93"
            + text(code) + b"B" + struct.pack("<I", len(raw)) + raw + b"\x86R\x85R.")


def typed_frames(values: Sequence[Any], batch: int) -> Iterator[bytes]:
    """Input frames in the typed form, ``batch`` values each (the JVM's frames for all-int or all-float batches)."""
    for start in range(0, len(values), batch):
        yield encode_typed_batch(values[start:start + batch])


def udf_frames(rows: Iterable[Any], batch: int = 100) -> Iterator[bytes]:
    """SQL_BATCHED_UDF input: pickles (protocol 2, as the JVM's Pyrolite writes) of lists of rows."""
    return pickled_frames(rows, batch, 2)


class WorkerSource:
    """Workers for the task tests, from a daemon (one per source) or as simple workers (one process each)."""

    def __init__(self, mode: str, tracker: ProcessTracker, sock_dir: str, env: Optional[Dict[str, str]] = None,
                 buffer_size: int = 65536):
        self.mode = mode
        self._tracker = tracker
        self._sock_dir = sock_dir
        self._env = env
        self._buffer_size = buffer_size
        self._simple: Dict[int, SimpleWorkerProcess] = {}
        self.daemon = DaemonProcess(tracker, sock_dir, env=env, buffer_size=buffer_size) if mode == "daemon" else None
        self._count = 0

    def open(self) -> WorkerClient:
        if self.daemon is not None:
            return self.daemon.open_worker()
        self._count += 1
        folder = os.path.join(self._sock_dir, "s%d" % self._count)
        os.mkdir(folder, 0o700)
        simple = SimpleWorkerProcess(self._tracker, folder, Transport.UNIX, env=self._env,
                                     buffer_size=self._buffer_size)
        simple.send_init()
        worker = simple.accept()
        self._simple[worker.pid] = simple
        return worker

    def exit_code(self, worker: WorkerClient) -> int:
        """Wait for ``worker`` to end; its exit code."""
        if self.daemon is not None:
            line = self.daemon.stderr.wait_for(r"^\[daemon\] DEBUG worker pid %d exited with code \d+$" % worker.pid)
            return int(line[0].rsplit(" ", 1)[1])
        return self._simple[worker.pid].popen.wait(TIMEOUT)

    def wait_for_line(self, worker: WorkerClient, pattern: str) -> str:
        """A line the worker wrote on stderr (relayed as ``[pid N] ...`` in daemon mode)."""
        if self.daemon is not None:
            return self.daemon.stderr.wait_for(r"^\[pid %d\] %s" % (worker.pid, pattern))[0]
        return self._simple[worker.pid].stderr.wait_for(r"^%s" % pattern)[0]
