"""The pyworkers worker: handshake with the JVM, then a session of commands on one socket.

Two ways in:

* daemon mode: ``pyworkers.daemon`` forks and calls :func:`serve_forked` in the child with the accepted connection;
  the daemon turns the returned int into the child's exit code.
* simple mode: ``python -m pyworkers.worker`` reads a ``PWKS`` init block on stdin, connects back to the JVM and
  serves one session; EOF on the (moved) stdin ends the process at once. It leads its own process group and is a
  child subreaper (Linux); every process still below it when it leaves is killed.

A session answers PING and runs tasks (any command >= 0 is a partition index; see :mod:`pyworkers.task`). Input is
read through :class:`~pyworkers.protocol.SocketInput`, which flushes the buffered output before it blocks for more
input, so output never waits in a buffer while the worker waits for the JVM. The buffer size is the one the JVM sent
at start (the daemon's or the simple worker's init block).

Exit codes: 0 the JVM closed the connection, 4 protocol error (unknown command, bad init block, cannot connect,
a bad or truncated task), 5 authentication failed. Log lines go to stderr as ``[worker] LEVEL message``; stdout is
never used by the protocol.

Standard library only. A session is confined to the thread that runs it.
"""
import faulthandler
import os
import signal
import socket
import struct
import sys
import threading
import time
import traceback
from typing import BinaryIO, Callable, Dict, Optional, Tuple, Union, cast

from ._version_gate import refuse_old_python
from ._process import flush_std_streams
from . import _proctree, auth, protocol
from .protocol import Command, ExitCode, Transport
from .task import TaskRunner

__all__ = ["serve", "serve_forked", "main"]

_WATCHDOG_THREAD_NAME = "pyworkers-stdin-watchdog"

# A handler gets the command and returns None to keep serving or an exit code to end the session.
_Handler = Callable[[int], Optional[int]]

# When this process started serving: module load in simple mode, reset to the fork time in a daemon's child.
_boot_time_ms = int(time.time() * 1000)


def _log(level: str, message: str) -> None:
    try:
        sys.stderr.write("[worker] %s %s\n" % (level, message))
        sys.stderr.flush()
    except (OSError, ValueError):
        # stderr is closed or broken: the message has nowhere to go, and failing here would hide the real outcome.
        return


def _describe_peer(sock: socket.socket) -> str:
    """``peer pid 4242 uid 1000`` for a Linux Unix socket, ``peer 127.0.0.1:51234`` for TCP."""
    try:
        if sock.family == socket.AF_UNIX:
            if hasattr(socket, "SO_PEERCRED"):
                creds = sock.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, struct.calcsize("3i"))
                pid, uid, _gid = struct.unpack("3i", creds)
                return "peer pid %d uid %d" % (pid, uid)
            return "peer on unix socket %s" % (sock.getsockname() or "(unnamed)",)
        host, port = sock.getpeername()[:2]
        return "peer %s:%d" % (host, port)
    except OSError as e:
        return "peer unknown: %s" % (e,)


def serve_forked(sock: socket.socket, secret: bytes, auth_timeout_s: float, buffer_size: int) -> int:
    """Daemon hook: serve the connection the daemon accepted for this forked child; returns the exit code.

    Every worker module named on the daemon's command line must expose a function with this signature.
    """
    global _boot_time_ms
    _boot_time_ms = int(time.time() * 1000)
    return serve(sock, secret, auth_timeout_s, buffer_size)


def serve(sock: socket.socket, secret: bytes, auth_timeout_s: float, buffer_size: int) -> int:
    """Run the handshake and then the session on ``sock``; always closes it. Returns the exit code."""
    _register_stack_dump()
    try:
        peer = _describe_peer(sock)
        code = _authenticate(sock, secret, auth_timeout_s, peer)
        if code is not None:
            return code
        sock.settimeout(None)
        return _Session(sock, buffer_size, peer).run()
    finally:
        sock.close()


def _register_stack_dump() -> None:
    """SIGUSR2 makes faulthandler write every thread's Python stack to stderr, for the JVM's stall report.

    faulthandler writes from its C signal handler, so a worker stuck in an endless loop, a sleep or a blocking read
    still answers; it leaves the process running. Not on Windows, which has no SIGUSR2.
    """
    if hasattr(signal, "SIGUSR2") and hasattr(faulthandler, "register"):
        faulthandler.register(signal.SIGUSR2, file=sys.stderr, all_threads=True, chain=False)


def _authenticate(sock: socket.socket, secret: bytes, auth_timeout_s: float, peer: str) -> Optional[int]:
    """None when both sides are proven, else the exit code after logging why."""
    try:
        auth.authenticate_to_jvm(sock, secret, os.getpid(), auth_timeout_s)
        return None
    except auth.AuthenticationError as e:
        reason = "%s (%s); the worker was not started for this JVM or the secret was corrupted" % (e, peer)
    except socket.timeout:
        reason = "no proof from the JVM within the auth timeout of %g s (%s)" % (auth_timeout_s, peer)
    except EOFError as e:
        reason = "the JVM closed the connection during the handshake: %s (%s)" % (e, peer)
    except OSError as e:
        reason = "socket error during the handshake: %s (%s)" % (e, peer)
    _log("ERROR", "authentication failed: " + reason)
    return ExitCode.AUTH_FAILED


class _Session:
    """Section 3 of the protocol: one command at a time until EOF. Not thread-safe; owned by the serving thread.

    Commands dispatch through ``_handlers``; a task command (any int >= 0, the partition index) goes to
    ``_task_handler``.
    """

    def __init__(self, sock: socket.socket, buffer_size: int, peer: str) -> None:
        self._peer = peer
        self._wfile = cast(BinaryIO, sock.makefile("wb", buffering=buffer_size))
        self._rfile = protocol.SocketInput(sock, buffer_size, before_block=self._wfile.flush)
        self._handlers: Dict[int, _Handler] = {Command.PING: self._on_ping}
        self._tasks = TaskRunner(self._rfile, self._wfile, _boot_time_ms, _log, peer)
        self._task_handler: Optional[_Handler] = self._tasks.run

    def run(self) -> int:
        try:
            return self._loop()
        except (ConnectionResetError, BrokenPipeError) as e:
            _log("INFO", "the JVM dropped the connection (%s): %s; ending the session" % (self._peer, e))
            return ExitCode.OK
        finally:
            self._close()

    def _loop(self) -> int:
        while True:
            try:
                command = protocol.read_int_or_eof(self._rfile, "session command")
            except EOFError as e:
                _log("ERROR", "protocol error: the connection ended inside a command: %s (%s)" % (e, self._peer))
                return ExitCode.PROTOCOL_ERROR
            if command is None:
                return ExitCode.OK
            handler = self._handlers.get(command)
            if handler is None and command >= 0:
                handler = self._task_handler
            if handler is None:
                return self._on_unknown(command)
            code = handler(command)
            if code is not None:
                return code

    def _on_ping(self, command: int) -> Optional[int]:
        protocol.write_int(self._wfile, Command.PING)
        self._wfile.flush()
        return None

    def _on_unknown(self, command: int) -> int:
        message = "protocol error: unknown command %d" % command
        _log("ERROR", "%s (%s); the JVM and this worker speak different protocol versions, or the stream "
                      "is out of sync; use the same pyworkers release on both sides" % (message, self._peer))
        protocol.write_int(self._wfile, Command.ERROR)
        protocol.write_str(self._wfile, message)
        self._wfile.flush()
        return ExitCode.PROTOCOL_ERROR

    def _close(self) -> None:
        try:
            self._wfile.close()  # flushes the output first
        except OSError as e:
            _log("DEBUG", "closing the session output after the JVM went away: %s" % (e,))


# ---------------------------------------------------------------------------------------------------------------------
# Simple mode: python -m pyworkers.worker


def _read_simple_init() -> protocol.SimpleInit:
    return protocol.read_simple_init(protocol.FdReader(0))


def _detach_stdin() -> int:
    """Move stdin to a private descriptor and point fd 0 at /dev/null, so user code cannot read the JVM's pipe."""
    private_fd = os.dup(0)
    devnull = os.open(os.devnull, os.O_RDONLY)
    try:
        os.dup2(devnull, 0)
    finally:
        os.close(devnull)
    return private_fd


def _watch_stdin(fd: int) -> None:
    """Block on the JVM's stdin pipe; EOF means the JVM is gone, so end the worker at once."""
    while True:
        try:
            data = os.read(fd, 4096)
        except OSError as e:
            _log("ERROR", "reading stdin failed (%s); assuming the JVM is gone and exiting" % (e,))
            data = b""
        if not data:
            # No flush and no log line: the JVM that would read our output is gone, and flushing could block on a
            # stream lock that the main thread holds.
            _proctree.kill_tree_below(os.getpid())
            if not _proctree.LINUX and os.getpgrp() == os.getpid():
                _proctree.kill_group(os.getpid())  # no /proc to walk: at least its group, this process included
            os._exit(ExitCode.OK)
        _log("WARN", "ignoring %d unexpected bytes on stdin after the init block" % len(data))


def _start_watchdog(fd: int) -> threading.Thread:
    thread = threading.Thread(target=_watch_stdin, args=(fd,), name=_WATCHDOG_THREAD_NAME, daemon=True)
    thread.start()
    return thread


def _connect(init: protocol.SimpleInit) -> socket.socket:
    timeout_s = init.auth_timeout_ms / 1000.0
    address: Union[str, Tuple[str, int]]
    if init.transport is Transport.UNIX:
        family, address = socket.AF_UNIX, str(init.address)
    elif init.transport is Transport.TCP_IPV4:
        family, address = socket.AF_INET, ("127.0.0.1", int(init.address))
    else:
        family, address = socket.AF_INET6, ("::1", int(init.address))
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.settimeout(timeout_s)
        sock.connect(address)
    except BaseException:
        sock.close()
        raise
    return sock



def _own_process_tree() -> None:
    """Simple mode: lead a process group of its own (so user code signalling its group cannot reach the JVM) and,
    on Linux, become a child subreaper, so every process user code starts stays below this worker, orphans included,
    and ends with it (docs/configuration.md, "Process lifetime")."""
    problems = []
    if os.getpgrp() != os.getpid():
        problems.append(_proctree.join_own_group())
    if _proctree.LINUX:
        problems.append(_proctree.become_subreaper())
    for problem in problems:
        if problem is not None:
            _log("WARN", "%s; processes that this worker starts may outlive it" % problem)


def _kill_left_behind() -> None:
    """Simple mode, on the way out: SIGKILL every process still below this worker (Linux; see _own_process_tree)."""
    killed = _proctree.kill_tree_below(os.getpid())
    if killed:
        _log("INFO", "killed %d processes that user code left running: pids %s" % (len(killed), killed))


def main() -> int:
    """Simple mode: init block from stdin, connect back, handshake, session. Returns the exit code (6 on a Python
    older than 3.8)."""
    too_old = refuse_old_python()
    if too_old is not None:
        return too_old
    _own_process_tree()
    try:
        init = _read_simple_init()
    except (protocol.ProtocolError, EOFError) as e:
        _log("ERROR", "bad simple worker init block on stdin: %s; the JVM must write a PWKS block first" % (e,))
        return ExitCode.PROTOCOL_ERROR
    _start_watchdog(_detach_stdin())
    where = init.transport.describe(init.address)
    try:
        sock = _connect(init)
    except OSError as e:
        _log("ERROR", "cannot connect to the JVM at %s: %s; the JVM may have given up waiting "
                      "(auth timeout %d ms) or the address is wrong" % (where, e, init.auth_timeout_ms))
        return ExitCode.PROTOCOL_ERROR
    return serve(sock, init.secret, init.auth_timeout_ms / 1000.0, init.buffer_size)


def run_main_and_exit() -> None:
    """Run :func:`main` as the simple worker's process (``python -m pyworkers.worker``), and leave through
    ``os._exit`` after killing every process left below it."""
    code: int = ExitCode.INTERNAL_ERROR
    try:
        code = main()
    except BaseException:
        traceback.print_exc()
    finally:
        try:
            _kill_left_behind()
        finally:
            flush_std_streams()
            os._exit(int(code))

