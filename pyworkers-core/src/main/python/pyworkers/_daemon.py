"""The pyworkers daemon: ``python -m pyworkers.daemon [worker module]``, a fork server for Python workers.

Start-up (``docs/protocol.md`` section 1): read the init block from stdin, import the worker module and the preload
modules, bind the Unix or loopback TCP socket, write the ``PWKD`` hello (or ``PWKE`` + message and exit 3) on stdout.
From the first line of :func:`main` on, fd 1 points at stderr; the hello, and then a ``PWKX`` report each time a
worker ends, go through a private copy of the original stdout, so nothing that a module prints can reach the JVM's
stdout reader.

Then one event loop on ``selectors.DefaultSelector`` (never ``select()``, which fails above fd 1024) serves:

* the listening socket: accept, fork; the child calls the worker module's ``serve_forked`` and leaves through
  ``os._exit``; a failed fork is answered on that connection with ``PWKW``, ``-errno`` and a message;
* each child's stdout+stderr pipe, relayed line by line to the daemon's stderr as ``[pid N] line``; when the child
  ends, its last lines, then the log line saying how it ended, then its ``PWKX`` exit report on stdout;
* stdin: 8-byte ``KILL`` commands; EOF means the JVM is gone, so every child is killed and the daemon exits 0;
* signals, through a wakeup pipe (``signal.set_wakeup_fd``): SIGCHLD reaps children, SIGTERM shuts down like EOF,
  SIGHUP is ignored.

Process lifetime (:mod:`pyworkers._proctree`): each worker leads its own process group and is a child subreaper, and
so is the daemon (Linux). When a worker ends, the daemon kills its group before reaping it, then every process
re-parented to the daemon that is not a worker; at shutdown it kills everything below it.

The daemon's own lines on stderr are ``[daemon] LEVEL message``. Standard library only. Single-threaded: everything
runs on the main thread (a forked child never returns into the loop).

This module is longer than the others (start-up, the output relay, the stdin command parser and the loop) because
every part of it shares the loop's single-threaded state and runs only in the daemon process; each part is one small
class, and ``_Daemon`` itself stays near 300 lines.
"""
import errno
import importlib
import os
import selectors
import signal
import socket
import sys
import time
import traceback
from typing import Callable, Dict, FrozenSet, Iterable, List, NamedTuple, Optional, Tuple, Union

from ._version_gate import refuse_old_python
from ._process import flush_std_streams
from . import _proctree, protocol
from .protocol import DaemonHello, DaemonInit, ExitCode, Transport

__all__ = ["main", "DEFAULT_WORKER_MODULE"]

DEFAULT_WORKER_MODULE = "pyworkers.worker"

_MAX_PARTIAL_LINE = 64 * 1024
_READ_CHUNK = 64 * 1024
_GARBAGE_HEX_LIMIT = 64
_ACCEPT_RESOURCE_ERRORS = (errno.EMFILE, errno.ENFILE, errno.ENOBUFS, errno.ENOMEM)
_PR_SET_PDEATHSIG = 1
_SIGNALS_BLOCKED_AROUND_FORK = {signal.SIGCHLD, signal.SIGTERM, signal.SIGHUP, signal.SIGINT}
_SHUTDOWN_REAP_S = 2.0

_ServeFn = Callable[[socket.socket, bytes, float, int], int]


class _StartError(Exception):
    """The daemon cannot start; the message goes to the JVM in a PWKE reply."""


# ---------------------------------------------------------------------------------------------------------------------
# Output


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]


class _Log:
    """Writes the daemon's lines to fd 2 unbuffered, and counts them (``lines``, for the exit reports). Confined to
    the daemon's main thread (and, after a fork, the child's), so lines never interleave mid-line."""

    def __init__(self, fd: int = 2) -> None:
        self._fd = fd
        self._broken = False  # once true, always true: stderr is gone and there is nowhere to write
        self.lines = 0  # lines written so far, each ending in its newline

    def debug(self, message: str) -> None:
        self.write("[daemon] DEBUG ", message)

    def info(self, message: str) -> None:
        self.write("[daemon] INFO ", message)

    def warn(self, message: str) -> None:
        self.write("[daemon] WARN ", message)

    def error(self, message: str) -> None:
        self.write("[daemon] ERROR ", message)

    def write(self, prefix: str, message: str) -> None:
        """Write ``message`` with ``prefix`` before each of its lines."""
        if self._broken:
            return
        text = "".join(prefix + line + "\n" for line in message.rstrip("\n").split("\n"))
        try:
            _write_all(self._fd, text.encode("utf-8", "replace"))
        except OSError:
            self._broken = True
            return
        self.lines += text.count("\n")



# ---------------------------------------------------------------------------------------------------------------------
# Child output relay


class _Relay:
    """Reads one child's stdout+stderr pipe (non-blocking) and writes each line to the daemon's stderr as
    ``[pid N] line``. A partial line is kept until its newline, until it exceeds 64 KiB, or until EOF; a line
    longer than 64 KiB is written as several lines of at most 64 KiB.
    Confined to the daemon's main thread."""

    EMPTY, MORE, EOF = "empty", "more", "eof"

    def __init__(self, pid: int, fd: int, log: _Log) -> None:
        self.pid = pid
        self.fd = fd
        self.closed = False
        self._log = log
        self._buffer = bytearray()
        self._prefix = "[pid %d] " % pid

    def pump(self, max_reads: int) -> str:
        """Read up to ``max_reads`` chunks; returns EMPTY (nothing to read now), MORE or EOF."""
        for _ in range(max_reads):
            try:
                data = os.read(self.fd, _READ_CHUNK)
            except (BlockingIOError, InterruptedError):
                return self.EMPTY
            except OSError as e:
                self._log.error("reading the output of worker pid %d failed: %s; closing its pipe" % (self.pid, e))
                return self.EOF
            if not data:
                return self.EOF
            self._feed(data)
        return self.MORE

    def _feed(self, data: bytes) -> None:
        self._buffer += data
        start = 0
        while True:
            end = self._buffer.find(b"\n", start)
            if end < 0:
                break
            self._emit(self._buffer[start:end])
            start = end + 1
        del self._buffer[:start]
        while len(self._buffer) > _MAX_PARTIAL_LINE:
            self._emit(self._buffer[:_MAX_PARTIAL_LINE])
            del self._buffer[:_MAX_PARTIAL_LINE]

    def flush_partial(self) -> None:
        if self._buffer:
            self._emit(self._buffer)
            self._buffer.clear()

    def _emit(self, line: Union[bytes, bytearray]) -> None:
        """Write one line, in pieces of at most 64 KiB (the same cut whether or not its newline came yet)."""
        for start in range(0, max(len(line), 1), _MAX_PARTIAL_LINE):
            piece = bytes(line[start:start + _MAX_PARTIAL_LINE])
            self._log.write(self._prefix, piece.decode("utf-8", "replace"))


# ---------------------------------------------------------------------------------------------------------------------
# Stdin commands


class _Kill(NamedTuple):
    pid: int


class _Garbage(NamedTuple):
    data: bytes


class _StdinCommands:
    """Splits the daemon's stdin into 8-byte commands (``KILL`` + int pid). Bytes that do not start a known tag are
    reported as garbage, and parsing resynchronises at the next ``KILL``. Not thread-safe; owned by the loop."""

    def __init__(self) -> None:
        self._buffer = bytearray()

    def feed(self, data: bytes) -> List[Union[_Kill, _Garbage]]:
        self._buffer += data
        events: List[Union[_Kill, _Garbage]] = []
        tag = protocol.TAG_KILL
        while self._buffer:
            if self._buffer[:4] == tag:
                if len(self._buffer) < protocol.KILL_COMMAND_LENGTH:
                    break
                events.append(_Kill(int.from_bytes(self._buffer[4:8], "big", signed=True)))
                del self._buffer[: protocol.KILL_COMMAND_LENGTH]
                continue
            index = self._buffer.find(tag)
            if index < 0:
                # Keep a tail that may be the start of the next tag; everything before it is garbage.
                keep = next((k for k in (3, 2, 1) if self._buffer.endswith(tag[:k])), 0)
                index = len(self._buffer) - keep
            if index == 0:
                break
            events.append(_Garbage(bytes(self._buffer[:index])))
            del self._buffer[:index]
        return events

    def finish(self) -> bytes:
        """At EOF: return the bytes of an unfinished command (empty if none)."""
        rest = bytes(self._buffer)
        self._buffer.clear()
        return rest


# ---------------------------------------------------------------------------------------------------------------------
# Start-up


def _load_worker(name: str) -> _ServeFn:
    try:
        module = importlib.import_module(name)
    except Exception as e:
        raise _StartError(
            "cannot import worker module '%s': %s: %s; check the worker module setting and PYTHONPATH"
            % (name, type(e).__name__, e)
        ) from None
    serve = getattr(module, "serve_forked", None)
    if not callable(serve):
        raise _StartError(
            "worker module '%s' (%s) has no function serve_forked(sock, secret, auth_timeout_s, buffer_size)"
            % (name, getattr(module, "__file__", "built-in"))
        )
    return serve


def _preload(modules: Tuple[str, ...]) -> None:
    for name in modules:
        try:
            importlib.import_module(name)
        except Exception as e:
            raise _StartError("failed to preload module '%s': %s: %s" % (name, type(e).__name__, e)) from None


def _bind(init: DaemonInit) -> Tuple[socket.socket, Union[str, int], Optional[Tuple[int, int]]]:
    """Returns the listening socket (non-blocking), its address for the hello, and the socket file's identity."""
    transport = init.transport
    address: Union[str, Tuple[str, int]]
    if transport is Transport.UNIX:
        family, address = socket.AF_UNIX, init.socket_path
    elif transport is Transport.TCP_IPV4:
        family, address = socket.AF_INET, ("127.0.0.1", 0)
    else:
        family, address = socket.AF_INET6, ("::1", 0)
    where = transport.describe(init.socket_path if transport is Transport.UNIX else 0)
    bound = False
    sock = None
    try:
        sock = socket.socket(family, socket.SOCK_STREAM)
        sock.bind(address)
        bound = True
        identity = None
        if transport is Transport.UNIX:
            os.chmod(init.socket_path, 0o600)
            st = os.stat(init.socket_path)
            identity = (st.st_dev, st.st_ino)
        sock.listen(max(1024, socket.SOMAXCONN))
        sock.setblocking(False)
    except OSError as e:
        if sock is not None:
            sock.close()
        if bound and transport is Transport.UNIX:
            _unlink_quietly(init.socket_path)
        hint = (
            "; check that the folder exists and is writable, that no file is left at that path, and that the path is "
            "shorter than 108 bytes" if transport is Transport.UNIX else "; check that the loopback interface has "
            "this address family"
        )
        raise _StartError("cannot listen on %s: %s%s" % (where, e, hint)) from None
    bound_address = init.socket_path if transport is Transport.UNIX else sock.getsockname()[1]
    return sock, bound_address, identity


def _unlink_quietly(path: str) -> Optional[OSError]:
    try:
        os.unlink(path)
        return None
    except OSError as e:
        return e


def _pdeathsig_setter(log: _Log) -> Optional[Callable[[], None]]:
    """On Linux, a function that makes the calling process receive SIGKILL when its parent dies."""
    if not _proctree.LINUX:
        return None
    prctl = _proctree.prctl()
    if prctl is None:
        log.warn("prctl is unavailable; workers will not die with the daemon if it is killed")
        return None

    def set_pdeathsig() -> None:
        err = prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
        if err:
            log.warn("prctl(PR_SET_PDEATHSIG) failed in worker pid %d: [Errno %d] %s; it will not die with the "
                     "daemon" % (os.getpid(), err, os.strerror(err)))

    return set_pdeathsig


class _StdoutChannel:
    """The daemon's original stdout, kept on a private fd (fd 1 points at stderr from the start): the one hello or
    error reply, then a ``PWKX`` report each time a worker ends, until the daemon exits (docs/protocol.md, 1.4).
    Confined to the main thread; a forked child closes its copy."""

    def __init__(self) -> None:
        flush_std_streams()  # anything printed before us reaches the JVM first, where it is reported as bad bytes
        self._fd: Optional[int] = os.dup(1)
        os.dup2(2, 1)

    def send(self, data: bytes) -> None:
        """Write one message; on an error the channel is closed and the error raised."""
        if self._fd is None:
            raise OSError(errno.EBADF, "the daemon's stdout channel is closed")
        try:
            _write_all(self._fd, data)
        except OSError:
            self.close()
            raise

    def report_exit(self, report: protocol.WorkerExit, log: "_Log") -> None:
        """Send a worker's exit report; a JVM that stopped reading gets no more, and one WARN line says so."""
        if self._fd is None:
            return
        try:
            self.send(protocol.encode_worker_exit(report))
        except OSError as e:
            log.warn("cannot send worker exit reports on stdout any more: %s; the JVM stopped reading them" % (e,))

    def close(self) -> None:
        if self._fd is not None:
            fd, self._fd = self._fd, None
            os.close(fd)


def _start_failed(log: _Log, channel: _StdoutChannel, message: str) -> int:
    log.error(message)
    try:
        channel.send(protocol.encode_daemon_error(message))
    except OSError as e:
        log.error("could not send that error to the JVM on stdout: %s" % (e,))
    return ExitCode.DAEMON_START_FAILED


def main(argv: Optional[List[str]] = None) -> int:
    """Run the daemon; returns its exit code (0 after a clean shutdown, 3 when it could not start, 6 on a Python
    older than 3.8)."""
    too_old = refuse_old_python()
    if too_old is not None:
        return too_old
    args = sys.argv[1:] if argv is None else list(argv)
    log = _Log()
    channel = _StdoutChannel()
    try:
        return _start_and_run(args, log, channel)
    finally:
        channel.close()


def _start_and_run(args: List[str], log: _Log, channel: _StdoutChannel) -> int:
    try:
        init = protocol.read_daemon_init(protocol.FdReader(0))
    except (protocol.ProtocolError, EOFError, OSError) as e:
        return _start_failed(log, channel, "bad daemon init block on stdin: %s" % (e,))
    if len(args) > 1:
        return _start_failed(
            log, channel, "usage: python -m pyworkers.daemon [worker module]; got %d arguments %r" % (len(args), args)
        )
    module = args[0] if args else DEFAULT_WORKER_MODULE
    try:
        serve = _load_worker(module)
        _preload(init.preload_modules)
        listener, address, identity = _bind(init)
    except _StartError as e:
        return _start_failed(log, channel, str(e))
    try:
        daemon = _Daemon(init, serve, listener, identity, log, channel)
    except OSError as e:
        listener.close()
        if identity is not None:
            _unlink_quietly(init.socket_path)
        return _start_failed(log, channel, "cannot set up the event loop: %s" % (e,))
    hello = DaemonHello(os.getpid(), sys.version_info[0], sys.version_info[1], init.transport, address)
    try:
        channel.send(protocol.encode_daemon_hello(hello))
    except OSError as e:
        daemon.close_listener()
        log.error("could not send the hello to the JVM on stdout: %s; exiting" % (e,))
        return ExitCode.DAEMON_START_FAILED
    log.info(
        "pid %d listening on %s (Python %s, worker module %s, %d preloaded modules)"
        % (os.getpid(), init.transport.describe(address), sys.version.split()[0], module, len(init.preload_modules))
    )
    try:
        return daemon.run()
    except Exception:
        log.error("the event loop failed; killed every worker and exiting:\n" + traceback.format_exc())
        return ExitCode.INTERNAL_ERROR


# ---------------------------------------------------------------------------------------------------------------------
# The event loop


def _ignore_signal_frame(signum: int, frame: object) -> None:
    """Python-level handler for SIGCHLD and SIGTERM: the byte the C handler writes to the wakeup pipe does the work."""
    return None


def _describe_status(status: int) -> str:
    """``exited with code 1``, ``killed by signal 9 (SIGKILL)``: the words of the exit report, for the log."""
    return protocol.WorkerExit.of_status(0, status, 0).describe()


def _exit_code(value: object) -> int:
    if value is None:
        return ExitCode.OK
    if isinstance(value, int) and 0 <= value <= 255:
        return int(value)
    sys.stderr.write("[daemon] ERROR serve_forked returned %r, not an exit code in 0..255; exiting with 1\n" % (value,))
    return ExitCode.INTERNAL_ERROR


class _Daemon:
    """The daemon's event loop. Confined to the main thread; a forked child never returns into it."""

    def __init__(
        self,
        init: DaemonInit,
        serve: _ServeFn,
        listener: socket.socket,
        socket_identity: Optional[Tuple[int, int]],
        log: _Log,
        reports: _StdoutChannel,
    ) -> None:
        self._init = init
        self._serve = serve
        self._listener = listener
        self._socket_identity = socket_identity
        self._log = log
        self._reports = reports
        self._pid = os.getpid()
        self._auth_timeout_s = init.auth_timeout_ms / 1000.0
        self._set_pdeathsig = _pdeathsig_setter(log)
        self._selector = selectors.DefaultSelector()
        self._children: Dict[int, _Relay] = {}  # live (not yet reaped) workers by pid
        self._relays: Dict[int, _Relay] = {}  # open relay pipes by fd (may outlive their child)
        self._commands = _StdinCommands()
        self._wakeup_fds: Tuple[int, int] = (-1, -1)
        self._accept_paused = False
        self._stopping = False  # once true, always true
        self._subreaper = False  # set once by _install: orphans of ended workers are re-parented to the daemon
        self._own_children: FrozenSet[int] = frozenset()  # children a preloaded module started, never killed

    # -- lifecycle -----------------------------------------------------------------------------------------------

    def run(self) -> int:
        try:
            self._install()
            while not self._stopping:
                for key, _ in self._selector.select():
                    key.data()
                    if self._stopping:
                        break
        finally:
            self._shutdown()
        return ExitCode.OK

    def _install(self) -> None:
        read_fd, write_fd = os.pipe()
        self._wakeup_fds = (read_fd, write_fd)
        os.set_blocking(read_fd, False)
        os.set_blocking(write_fd, False)
        signal.set_wakeup_fd(write_fd, warn_on_full_buffer=False)
        signal.signal(signal.SIGCHLD, _ignore_signal_frame)
        signal.signal(signal.SIGTERM, _ignore_signal_frame)
        signal.signal(signal.SIGHUP, signal.SIG_IGN)
        os.set_blocking(0, False)
        self._selector.register(read_fd, selectors.EVENT_READ, self._on_signals)
        self._selector.register(0, selectors.EVENT_READ, self._on_stdin)
        self._selector.register(self._listener, selectors.EVENT_READ, self._on_accept)
        self._become_subreaper()
        self._reap()  # a child of a preloaded module may have ended before the handler existed

    def _become_subreaper(self) -> None:
        if not _proctree.LINUX:
            return  # no subreaper: only each worker's process group is killed (docs/configuration.md)
        why_not = _proctree.become_subreaper()
        if why_not is not None:
            self._log.warn("%s; processes that workers start outside their process group may outlive them" % why_not)
            return
        self._subreaper = True
        self._own_children = frozenset(_proctree.process_table().children_of(self._pid))

    def _shutdown(self) -> None:
        if self._children:
            self._log.info("killing %d workers: pids %s" % (len(self._children), sorted(self._children)))
        for pid in list(self._children):
            self._send_kill(pid)
        for pid in list(self._children):
            try:
                _, status = os.waitpid(pid, 0)
            except ChildProcessError:
                self._log.warn("worker pid %d was reaped elsewhere" % pid)
                self._children.pop(pid, None)
                continue
            self._on_child_exit(pid, status)
        self._kill_every_descendant()
        for relay in list(self._relays.values()):
            relay.pump(1024)
            self._close_relay(relay)
        signal.set_wakeup_fd(-1)
        for sig in (signal.SIGCHLD, signal.SIGTERM):
            signal.signal(sig, signal.SIG_DFL)
        self._selector.close()
        for fd in self._wakeup_fds:
            if fd >= 0:
                os.close(fd)
        self._wakeup_fds = (-1, -1)
        try:
            os.set_blocking(0, True)
        except OSError as e:
            self._log.debug("could not make stdin blocking again: %s" % (e,))
        self.close_listener()
        self._log.info("daemon pid %d stopped" % self._pid)

    def close_listener(self) -> None:
        """Close the listening socket and remove its socket file if it is still the one we created."""
        self._listener.close()  # idempotent
        if self._socket_identity is None:
            return
        path = self._init.socket_path
        try:
            st = os.stat(path)
        except FileNotFoundError:
            self._log.warn("socket file %s was already removed" % path)
            return
        if (st.st_dev, st.st_ino) != self._socket_identity:
            self._log.warn("socket file %s was replaced by another file; leaving it in place" % path)
            return
        error = _unlink_quietly(path)
        if error is not None:
            self._log.warn("could not remove socket file %s: %s" % (path, error))

    # -- signals and children ------------------------------------------------------------------------------------

    def _on_signals(self) -> None:
        received = bytearray()
        while True:
            try:
                data = os.read(self._wakeup_fds[0], 512)
            except (BlockingIOError, InterruptedError):
                break
            if not data:
                break
            received += data
        if signal.SIGCHLD in received:
            self._reap()
        if signal.SIGTERM in received:
            self._log.info("received SIGTERM; shutting down")
            self._stopping = True

    def _reap(self) -> None:
        reaped = False
        while True:
            try:
                peeked = self._next_exited_child()
                if peeked == 0:
                    break
                if peeked in self._children:
                    # Still a zombie, so its pid (its group's id) cannot have been reused: kill what is left of the
                    # group, the processes it started that stayed in it.
                    _proctree.kill_group(peeked)
                pid, status = os.waitpid(peeked, os.WNOHANG)
            except ChildProcessError:
                break
            if pid == 0:
                break
            if peeked == -1 and pid in self._children:
                _proctree.kill_group(pid)  # no waitid: right after the reap (a pid is not reused while its group lives)
            reaped = True
            self._on_child_exit(pid, status)
        if reaped:
            self._kill_orphans()

    @staticmethod
    def _next_exited_child() -> int:
        """The pid of a child that has exited, left unreaped (0 if none); raises ChildProcessError if none is left.
        Without ``waitid`` (or off Linux) it reaps nothing and returns -1, so the caller reaps any child."""
        if not _proctree.LINUX or not hasattr(os, "waitid"):
            return -1
        info = os.waitid(os.P_ALL, 0, os.WEXITED | os.WNOHANG | os.WNOWAIT)
        return 0 if info is None else info.si_pid

    def _kill_orphans(self) -> None:
        """SIGKILL every process re-parented to the daemon, and all below it. A worker is a subreaper too, so what
        its user code starts stays below the worker while it lives; a child of the daemon that is not a worker
        (nor started by a preloaded module) was left behind by a worker that ended."""
        if not self._subreaper:
            return
        table = _proctree.process_table()
        orphans = [pid for pid in table.children_of(self._pid)
                   if pid not in self._children and pid not in self._own_children]
        below = orphans + _proctree.descendants(orphans, table)
        killed = _proctree.kill_pids(pid for pid in below if pid not in table.zombies)
        if killed:
            self._log.info("killed %d processes left behind by workers that ended: pids %s" % (len(killed), killed))

    def _kill_every_descendant(self) -> None:
        """At shutdown, with every worker reaped: SIGKILL what is left below the daemon and reap its children, waiting
        for them at most 2 s (a process that could not be signalled, or one in uninterruptible sleep, is left)."""
        killed = _proctree.kill_tree_below(self._pid)
        if killed:
            self._log.info("killed %d processes left behind by workers: pids %s" % (len(killed), killed))
        deadline = time.monotonic() + _SHUTDOWN_REAP_S
        while True:
            try:
                pid, status = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                return
            if pid != 0:
                self._on_child_exit(pid, status)
                continue
            remaining = deadline - time.monotonic()
            if not killed:
                return  # nothing was signalled (nothing left, or no /proc to find it): nothing to wait for
            if remaining <= 0:
                self._log.warn("children %s still run %g s after SIGKILL; exiting without them"
                               % (_proctree.process_table().children_of(self._pid), _SHUTDOWN_REAP_S))
                return
            self._await_signal(remaining)

    def _await_signal(self, timeout_s: float) -> None:
        """Wait up to ``timeout_s`` for a signal byte on the wakeup pipe (a SIGCHLD at shutdown), then drain it."""
        if self._wakeup_fds[0] < 0:
            return  # the loop never got its wakeup pipe: nothing to wait on
        with selectors.DefaultSelector() as selector:
            selector.register(self._wakeup_fds[0], selectors.EVENT_READ)
            selector.select(timeout_s)
        while True:
            try:
                if not os.read(self._wakeup_fds[0], 512):
                    return
            except (BlockingIOError, InterruptedError):
                return

    def _on_child_exit(self, pid: int, status: int) -> None:
        relay = self._children.pop(pid, None)
        if relay is None:
            self._log.debug("reaped pid %d, not a worker of this daemon: %s" % (pid, _describe_status(status)))
            return
        if not relay.closed and relay.pump(1024) == _Relay.EOF:
            self._close_relay(relay)  # its last lines come before the exit line
        self._log.debug("worker pid %d %s" % (pid, _describe_status(status)))  # for people; the JVM reads the report
        # After that line, so the count covers it and every line the worker wrote (docs/protocol.md, 1.4).
        self._reports.report_exit(protocol.WorkerExit.of_status(pid, status, self._log.lines), self._log)
        if self._accept_paused:
            self._accept_paused = False
            self._selector.register(self._listener, selectors.EVENT_READ, self._on_accept)
            self._log.info("a worker exited; accepting connections again")

    def _on_relay(self, relay: _Relay) -> None:
        if not relay.closed and relay.pump(16) == _Relay.EOF:
            self._close_relay(relay)

    def _close_relay(self, relay: _Relay) -> None:
        if relay.closed:
            return
        relay.closed = True
        relay.flush_partial()
        self._selector.unregister(relay.fd)
        del self._relays[relay.fd]
        os.close(relay.fd)

    # -- stdin ---------------------------------------------------------------------------------------------------

    def _on_stdin(self) -> None:
        try:
            data = os.read(0, _READ_CHUNK)
        except (BlockingIOError, InterruptedError):
            return
        except OSError as e:
            self._log.error("reading stdin failed: %s; treating it as the JVM being gone" % (e,))
            data = b""
        if not data:
            rest = self._commands.finish()
            if rest:
                self._log_garbage(rest)
            self._log.info("stdin closed: the JVM is gone or stopped the daemon; shutting down")
            self._selector.unregister(0)
            self._stopping = True
            return
        for event in self._commands.feed(data):
            if isinstance(event, _Kill):
                self._kill(event.pid)
            else:
                self._log_garbage(event.data)

    def _log_garbage(self, data: bytes) -> None:
        shown = data[:_GARBAGE_HEX_LIMIT].hex() + ("..." if len(data) > _GARBAGE_HEX_LIMIT else "")
        self._log.warn("ignoring %d bytes of garbage on stdin: %s" % (len(data), shown))

    def _kill(self, pid: int) -> None:
        if pid not in self._children:
            self._log.debug("ignoring KILL for unknown pid %d" % pid)
            return
        if self._send_kill(pid):
            self._log.debug("sent SIGKILL to worker pid %d as the JVM asked" % pid)

    def _send_kill(self, pid: int) -> bool:
        """SIGKILL a worker we have not reaped yet (so its pid cannot have been reused), with its process group: the
        processes it started that stayed in its group die with it."""
        if _proctree.kill_group(pid):
            return True
        try:
            os.kill(pid, signal.SIGKILL)  # not a group leader (setpgid failed): the worker alone
            return True
        except ProcessLookupError:
            self._log.warn("worker pid %d is already gone (reaped outside the daemon)" % pid)
            return False

    # -- connections ---------------------------------------------------------------------------------------------

    def _on_accept(self) -> None:
        try:
            conn, _ = self._listener.accept()
        except (BlockingIOError, InterruptedError):
            return
        except ConnectionAbortedError as e:
            self._log.debug("a connection was aborted before accept: %s" % (e,))
            return
        except OSError as e:
            if e.errno not in _ACCEPT_RESOURCE_ERRORS:
                raise
            self._accept_paused = True
            self._selector.unregister(self._listener)
            self._log.error("cannot accept connections: %s; pausing accepts until a worker exits" % (e,))
            return
        try:
            conn.setblocking(True)
            self._start_worker(conn)
        finally:
            conn.close()  # the daemon's copy; the child owns its own

    def _start_worker(self, conn: socket.socket) -> None:
        try:
            relay_r, relay_w = os.pipe()
        except OSError as e:
            self._refuse(conn, e, "cannot create the output pipe for a new worker")
            return
        flush_std_streams()
        try:
            pid = self._fork(conn, relay_r, relay_w)
        except OSError as e:
            os.close(relay_r)
            os.close(relay_w)
            self._refuse(conn, e, "fork failed")
            return
        os.close(relay_w)
        try:
            os.setpgid(pid, pid)  # the child does it too; whichever runs first, the group exists before any kill
        except OSError:
            pass  # the child already did it (EACCES after exec never applies: it does not exec) or is gone
        os.set_blocking(relay_r, False)
        relay = _Relay(pid, relay_r, self._log)
        self._children[pid] = relay
        self._relays[relay_r] = relay
        self._selector.register(relay_r, selectors.EVENT_READ, lambda: self._on_relay(relay))
        self._log.debug("forked worker pid %d" % pid)

    def _fork(self, conn: socket.socket, relay_r: int, relay_w: int) -> int:
        """Fork with the daemon's signals blocked, so none reaches the child before it resets its handlers (a signal
        caught in between would write to the wakeup pipe it still shares with the daemon). Returns the child's pid in
        the daemon; the child runs the worker and never returns."""
        mask = signal.pthread_sigmask(signal.SIG_BLOCK, _SIGNALS_BLOCKED_AROUND_FORK)
        try:
            pid = os.fork()
            if pid == 0:
                self._child_main(conn, relay_r, relay_w, mask)
        finally:
            signal.pthread_sigmask(signal.SIG_SETMASK, mask)
        return pid

    def _refuse(self, conn: socket.socket, error: OSError, what: str) -> None:
        code = -(error.errno or errno.EIO)
        message = "%s: %s" % (what, error)
        self._log.error("%s; answered the connection with code %d and keep serving" % (message, code))
        try:
            conn.settimeout(self._auth_timeout_s)
            conn.sendall(protocol.encode_fork_failure(code, message))
        except OSError as e:
            self._log.debug("could not tell the JVM that a worker failed to start: %s" % (e,))

    # -- the forked child ----------------------------------------------------------------------------------------

    def _child_main(self, conn: socket.socket, relay_r: int, relay_w: int, mask: Iterable[int]) -> None:
        """Runs in the forked child and always ends it with ``os._exit``."""
        code: int = ExitCode.INTERNAL_ERROR
        try:
            self._prepare_child(relay_r, relay_w, mask)
            code = _exit_code(self._serve(conn, self._init.secret, self._auth_timeout_s, self._init.buffer_size))
        except SystemExit as e:
            if e.code is None or isinstance(e.code, int):
                code = _exit_code(e.code)
            else:
                sys.stderr.write("%s\n" % (e.code,))
        except BaseException:
            traceback.print_exc()
        finally:
            flush_std_streams()
            os._exit(code)

    def _prepare_child(self, relay_r: int, relay_w: int, mask: Iterable[int]) -> None:
        signal.set_wakeup_fd(-1)
        for sig in (signal.SIGCHLD, signal.SIGTERM, signal.SIGHUP):
            signal.signal(sig, signal.SIG_DFL)
        # Its own process group, so the daemon can kill the worker with what it started; and a subreaper, so an
        # orphan of its user code stays below it (docs/configuration.md, "Process lifetime").
        for problem in (_proctree.join_own_group(), _proctree.become_subreaper() if _proctree.LINUX else None):
            if problem is not None:
                self._log.warn("worker pid %d: %s; processes it starts may outlive it" % (os.getpid(), problem))
        # A SIGINT still pending from before the child left the daemon's group (a Ctrl-C sent to the JVM's group, which
        # stops the workers itself) is dropped: SIGINT is ignored while the mask is lifted, then handled as usual.
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.pthread_sigmask(signal.SIG_SETMASK, mask)  # other signals sent meanwhile arrive now
        signal.signal(signal.SIGINT, signal.default_int_handler)
        if self._set_pdeathsig is not None:
            self._set_pdeathsig()
            if os.getppid() != self._pid:
                os._exit(ExitCode.INTERNAL_ERROR)  # the daemon died before prctl took effect
        # close() only drops this process's epoll fd; unregister() would edit the epoll set shared with the daemon.
        self._selector.close()
        self._listener.close()
        for fd in self._wakeup_fds:
            os.close(fd)
        for fd in self._relays:
            os.close(fd)
        self._reports.close()
        os.close(relay_r)
        devnull = os.open(os.devnull, os.O_RDONLY)
        os.dup2(devnull, 0)
        os.close(devnull)
        os.dup2(relay_w, 1)
        os.dup2(relay_w, 2)
        os.close(relay_w)

