"""Test harness: real daemon and worker processes, a client playing the JVM's role, and a tracker that proves no
process a test started is still alive afterwards.

Every wait has a deadline; nothing sleeps to synchronise: output is awaited through a condition variable, process
death through pidfds (or a bounded poll where the OS has none). The interpreter under test is
``$PYWORKERS_TEST_PYTHON`` (default: the one running pytest), so the suite can check other Python versions.
"""
import os
import re
import secrets
import selectors
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Callable, Dict, List, Optional, Sequence, Tuple, Union

from pyworkers import auth, protocol
from pyworkers.protocol import Command, DaemonError, DaemonHello, DaemonInit, SimpleInit, Transport

__all__ = [
    "PYTHON", "SRC_DIR", "FAKES_DIR", "TIMEOUT", "child_env", "Deadline", "ProcessTracker", "OutputCollector",
    "DeadlineReader", "DaemonProcess", "WorkerClient", "SimpleWorkerProcess", "loopback_listener", "ipv6_available",
]

PYTHON = os.environ.get("PYWORKERS_TEST_PYTHON", sys.executable)
SRC_DIR = Path(__file__).resolve().parents[1] / "src"
FAKES_DIR = Path(__file__).resolve().parent / "fakes"
TIMEOUT = 10.0  # generous bound for anything that normally takes milliseconds


def child_env() -> Dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(SRC_DIR), str(FAKES_DIR)])
    env["PYTHONUNBUFFERED"] = "1"
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
    """The JVM's end of one authenticated worker connection."""

    def __init__(self, sock: socket.socket, pid: int) -> None:
        self.sock = sock
        self.pid = pid
        self._reader = protocol.SocketReader(sock)

    def ping(self) -> None:
        self.send_int(Command.PING)
        reply = self.read_int()
        assert reply == Command.PING, "worker pid %d answered PING with %d" % (self.pid, reply)

    def send_int(self, value: int) -> None:
        self.sock.sendall(protocol.pack_int(value))

    def read_int(self) -> int:
        return protocol.read_int(self._reader, "reply from worker pid %d" % self.pid)

    def read_str(self) -> str:
        return protocol.read_str(self._reader, protocol.MAX_CONTROL_STR, "reply from worker pid %d" % self.pid)

    def read_eof(self) -> bytes:
        """Read until the worker closes the connection; returns what arrived before EOF."""
        chunks = []
        while True:
            data = self.sock.recv(65536)
            if not data:
                return b"".join(chunks)
            chunks.append(data)

    def close(self) -> None:
        self.sock.close()


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
    ) -> None:
        self.tracker = tracker
        self.secret = secrets.token_bytes(32)
        self.transport = transport
        self.socket_path = os.path.join(sock_dir, "d.sock") if transport is Transport.UNIX else ""
        self.init = DaemonInit(self.secret, transport, self.socket_path, auth_timeout_ms, 65536, tuple(preload))
        args = [] if worker_module is None else [worker_module]
        if launcher is None:
            command = [PYTHON, "-m", "pyworkers.daemon"] + args
        else:
            command = [PYTHON, "-c", launcher] + args
        self.popen = subprocess.Popen(
            command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=child_env(), bufsize=0
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
        """Everything the daemon wrote on stdout after its reply (must be nothing)."""
        return self._stdout.read_to_eof()

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

    def __init__(self, tracker: ProcessTracker, sock_dir: str, transport: Transport, auth_timeout_ms: int = 5000):
        self.tracker = tracker
        self.secret = secrets.token_bytes(32)
        self.listener, address = loopback_listener(transport, sock_dir)
        tracker.track_socket(self.listener)
        self.init = SimpleInit(self.secret, transport, address, auth_timeout_ms, 65536)
        self.popen = subprocess.Popen(
            [PYTHON, "-m", "pyworkers.worker"],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=child_env(), bufsize=0,
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
