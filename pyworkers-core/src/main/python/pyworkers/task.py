"""One task on a worker session (``docs/protocol.md`` section 5): header, functions, data, output, end handshake.

The session calls :meth:`TaskRunner.run` with the partition index (the command). The runner reads and bounds-checks
the whole header, applies its worker-level state (broadcasts, ``sys.path``), sets the task context, checks the Python
version, and hands the rest to the eval type's handler (``pyworkers.evaltypes``: a table from eval type number to
handler, each imported on the first task of its type), which loads the functions and streams: it reads input frames only as the functions ask for them and writes
output frames as they are produced. Then it sends timing and the end block (with the accumulator updates), drains
the input up to ``-1`` and answers the JVM's ``-4`` with ``-4``, and the session goes on.

Outcomes, and what the session does next:

* success, or any ``BaseException`` from user code or from loading the functions, or a Python version mismatch, or
  an eval type handler that cannot be imported (``HandlerUnavailable``, with an install hint): the exception frame
  (when there is one), timing, end, drain, ``-4``/``-4``; the worker stays in the session;
* a protocol error in the header or the data (a bound, an unknown kind, a bad frame length): an exception frame of
  type ``ProtocolError`` (or, once the end block is out, ``-1``), then exit 4: the stream is out of sync;
* the connection ends inside the task: logged, exit 4; reset or broken: the session's own handling (exit 0).

Standard library only. A runner belongs to one session and runs one task at a time on the session's thread.
"""
import faulthandler
import importlib
import os
import sys
import time
import traceback
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any, BinaryIO, Callable, Dict, List, Optional, Tuple

from . import context, evaltypes, protocol
from .functions import stop_iteration_error
from .protocol import (
    MAX_EXCEPTION_STR, MAX_HEADER_STR, EvalType, ExitCode, ProtocolError, SocketInput, SpecialLength,
)

__all__ = [
    "PythonVersionMismatch", "TaskSettings", "TaskHeader", "read_task_header", "encode_exception",
    "encode_timing", "encode_end", "TaskRunner",
]

_HEADER = "task header"
_INT_MAX = 2 ** 31 - 1
_PACKAGE_DIR = os.path.dirname(os.path.abspath(__file__))
#: Bound of the eval type's command, as of a data frame.
MAX_COMMAND = 1 << 30
_Log = Callable[[str, str], None]


class PythonVersionMismatch(Exception):
    """The task expects another Python ``major.minor`` than the worker runs."""


# ---------------------------------------------------------------------------------------------------------------------
# 5.1 Header


@dataclass(frozen=True)
class TaskSettings:
    """The header's typed task settings (section 5.1); a setting the JVM left out has its default."""

    memory_limit_mb: int = 0  # the soft RLIMIT_AS during the task, in MiB; 0: none


SETTING_MEMORY_LIMIT_MB = 1
_MAX_SETTINGS = 64


@dataclass(frozen=True)
class TaskHeader:
    partition_index: int
    python_version: str
    stage_id: int
    partition_id: int
    attempt_number: int
    task_attempt_id: int
    cpus: int
    resources: Dict[str, List[str]]
    local_properties: Dict[str, str]
    files_folder: str
    includes: Tuple[str, ...]
    removed_broadcasts: Tuple[int, ...]
    added_broadcasts: Tuple[Tuple[int, str], ...]
    conf: Dict[str, str]
    #: the eval type number: an :class:`EvalType` for the built-in ones, else the ``int``
    eval_type: int
    #: the handler's ``module:attribute``
    handler_name: str
    #: the handler object, or None when it cannot be imported (then ``handler_error`` says why)
    handler: Any
    #: what the handler's ``read_command`` returned (None without a handler)
    command: Any
    handler_error: Optional[BaseException] = None
    faulthandler_folder: str = ""
    settings: TaskSettings = TaskSettings()


def _str(inp: protocol.Readable, what: str, max_length: int = MAX_HEADER_STR) -> str:
    return protocol.read_str(inp, max_length, _HEADER, what)


def _count(inp: protocol.Readable, high: int, what: str, low: int = 0) -> int:
    return protocol.read_count(inp, low, high, what, _HEADER)


def _read_pairs(inp: protocol.Readable, high: int, what: str) -> Dict[str, str]:
    count = _count(inp, high, "%s count" % what)
    return dict((_str(inp, "%s key" % what), _str(inp, "%s value" % what)) for _ in range(count))


class _Bytes:
    """A readable over the command bytes; ``read`` never blocks, ``b""`` at the end."""

    def __init__(self, data: bytes) -> None:
        self._view = memoryview(data)
        self._offset = 0

    def read(self, n: int) -> bytes:
        start = self._offset
        self._offset = min(start + n, len(self._view))
        return bytes(self._view[start:self._offset])

    def left(self) -> int:
        return len(self._view) - self._offset


def _read_command(eval_type: int, handler: Any, data: bytes) -> Any:
    """The handler reads its command from exactly ``data``; running out or leaving bytes is a protocol error."""
    inp = _Bytes(data)
    try:
        command = handler.read_command(inp)
    except EOFError as e:
        raise ProtocolError("the command of eval type %d (%d bytes) in %s ends too early: %s" % (
            eval_type, len(data), _HEADER, e)) from None
    if inp.left():
        raise ProtocolError("the command of eval type %d in %s has %d of its %d bytes left over after its handler "
                            "read it" % (eval_type, _HEADER, inp.left(), len(data)))
    return command


def _read_settings(inp: protocol.Readable) -> TaskSettings:
    """``int`` n, n × (``int`` key, value of that key's type); an unknown or repeated key is a protocol error (a
    setting silently dropped, a memory limit say, would be worse than a failed task)."""
    values: Dict[int, int] = {}
    for _ in range(_count(inp, _MAX_SETTINGS, "task setting count")):
        key = protocol.read_int(inp, "task setting key in %s" % _HEADER)
        if key in values:
            raise ProtocolError("task setting key %d appears twice in %s: each key is sent at most once" % (
                key, _HEADER))
        if key == SETTING_MEMORY_LIMIT_MB:
            megabytes = protocol.read_int(inp, "memory limit (task setting %d) in %s" % (key, _HEADER))
            if megabytes <= 0:
                raise ProtocolError("memory limit (task setting %d) %d MiB must be > 0 in %s: the JVM leaves the "
                                    "setting out for no limit" % (key, megabytes, _HEADER))
            values[key] = megabytes
        else:
            raise ProtocolError("task setting key %d is unknown in %s: this worker knows %d (memory limit, MiB); "
                                "use the same pyworkers release on the JVM and in the worker's bundle"
                                % (key, _HEADER, SETTING_MEMORY_LIMIT_MB))
    return TaskSettings(memory_limit_mb=values.get(SETTING_MEMORY_LIMIT_MB, 0))


def read_task_header(inp: protocol.Readable, partition_index: int) -> TaskHeader:
    """Read the rest of the header (the partition index was the command); every bound is checked as it is read.

    The eval type's handler is imported here, on the first task of its type; one that cannot be imported leaves
    ``handler`` None and ``handler_error`` set (its command is skipped), so that only this task fails."""
    python_version = _str(inp, "python version")
    stage_id = protocol.read_int(inp, "stage id in %s" % _HEADER)
    partition_id = protocol.read_int(inp, "partition id in %s" % _HEADER)
    attempt_number = protocol.read_int(inp, "attempt number in %s" % _HEADER)
    task_attempt_id = protocol.read_long(inp, "task attempt id in %s" % _HEADER)
    cpus = protocol.read_int(inp, "cpus in %s" % _HEADER)
    resources: Dict[str, List[str]] = {}
    for _ in range(_count(inp, 1000, "resource count")):
        name = _str(inp, "resource name")
        addresses = _count(inp, 10000, "address count of resource %r" % name)
        resources[name] = [_str(inp, "address of resource %r" % name) for _ in range(addresses)]
    local_properties = _read_pairs(inp, 10000, "local property")
    files_folder = _str(inp, "files folder")
    faulthandler_folder = _str(inp, "faulthandler folder")
    settings = _read_settings(inp)
    includes = tuple(_str(inp, "include") for _ in range(_count(inp, 10000, "include count")))
    removed = tuple(
        protocol.read_long(inp, "removed broadcast id in %s" % _HEADER)
        for _ in range(_count(inp, 100000, "removed broadcast count"))
    )
    added = tuple(
        (protocol.read_long(inp, "added broadcast id in %s" % _HEADER), _str(inp, "broadcast path"))
        for _ in range(_count(inp, 100000, "added broadcast count"))
    )
    conf = _read_pairs(inp, 10000, "conf")
    # the eval type's block: number, handler name, command
    eval_value = protocol.read_int(inp, "eval type in %s" % _HEADER)
    name = evaltypes.handler_name(eval_value, _str(inp, "handler of eval type %d" % eval_value))
    data = protocol.read_bytes(inp, MAX_COMMAND, _HEADER, "command of eval type %d" % eval_value)
    try:
        eval_type: int = EvalType(eval_value)
    except ValueError:
        eval_type = eval_value
    handler: Any = None
    command: Any = None
    error: Optional[BaseException] = None
    try:
        handler = evaltypes.resolve(eval_value, name)
    except evaltypes.HandlerUnavailable as e:
        error = e
    if handler is not None:
        command = _read_command(eval_value, handler, data)
    return TaskHeader(
        partition_index, python_version, stage_id, partition_id, attempt_number, task_attempt_id, cpus, resources,
        local_properties, files_folder, includes, removed, added, conf, eval_type, name, handler, command, error,
        faulthandler_folder=faulthandler_folder, settings=settings,
    )


# ---------------------------------------------------------------------------------------------------------------------
# 5.3 Output frames


def _now_ms() -> int:
    return int(time.time() * 1000)


def _pack_text(text: str) -> bytes:
    """A ``str`` of an exception frame: at most 1 MiB of UTF-8, cut in the middle with a note of how much."""
    data = text.encode("utf-8", "backslashreplace")
    if len(data) > MAX_EXCEPTION_STR:
        half = (MAX_EXCEPTION_STR - 64) // 2
        head = data[:half].decode("utf-8", "ignore")
        tail = data[-half:].decode("utf-8", "ignore")
        cut = len(data.decode("utf-8")) - len(head) - len(tail)
        data = ("%s... (%d characters cut) ...%s" % (head, cut, tail)).encode("utf-8")
    return protocol.pack_int(len(data)) + data


def _type_name(error: BaseException) -> str:
    cls = type(error)
    module = cls.__module__ or ""
    if module == "builtins" or module == "pyworkers" or module.startswith("pyworkers."):
        return cls.__qualname__
    return "%s.%s" % (module, cls.__qualname__)


def _message(error: BaseException) -> str:
    try:
        return str(error)
    except Exception as e:  # a user exception whose __str__ fails must not hide the exception itself
        return "<str() of the %s failed: %s: %r>" % (type(error).__name__, type(e).__name__, e)


def _is_own(file_name: str) -> bool:
    """Whether a frame's file is this package's (its built-in eval type handlers included)."""
    folder = os.path.dirname(os.path.abspath(file_name))
    return folder == _PACKAGE_DIR or folder.startswith(_PACKAGE_DIR + os.sep)


def _traceback_text(error: BaseException) -> str:
    """The traceback without this package's frames at its head (they only show how the task called user code)."""
    tb = error.__traceback__
    head = tb
    while head is not None and _is_own(head.tb_frame.f_code.co_filename):
        head = head.tb_next
    if head is not None:
        tb = head
    try:
        return "".join(traceback.format_exception(type(error), error, tb))
    except Exception as e:
        return "<formatting the traceback failed: %s: %r>" % (type(e).__name__, e)


def encode_exception(type_name: str, message: str, traceback_text: str) -> bytes:
    return b"".join([
        protocol.pack_int(SpecialLength.PYTHON_EXCEPTION_THROWN), _pack_text(type_name), _pack_text(message),
        _pack_text(traceback_text),
    ])


def encode_timing(boot: int, start: int, ready: int, finish: int) -> bytes:
    times = (boot, start, ready, finish)
    return protocol.pack_int(SpecialLength.TIMING_DATA) + b"".join(protocol.pack_long(t) for t in times)


def encode_end(updates: List[bytes]) -> bytes:
    parts = [protocol.pack_int(SpecialLength.END_OF_DATA_SECTION), protocol.pack_int(len(updates))]
    parts.extend(protocol.pack_bytes(u) for u in updates)
    return b"".join(parts)


# ---------------------------------------------------------------------------------------------------------------------
# 5.4 Per-task settings

_MiB = 1024 * 1024
THREAD_VARIABLES = ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS")


class _MemoryLimit:
    """The header's memory limit as the soft ``RLIMIT_AS`` of each task. The hard limit is never lowered, so a pooled
    worker can raise the soft limit back for its next task: to that task's limit, or with none to the soft limit the
    worker started with (normally the hard limit). Confined to the session's thread."""

    def __init__(self) -> None:
        self._start_soft: Optional[int] = None  # the soft limit before this worker first changed it

    def apply(self, megabytes: int, log: _Log) -> None:
        if megabytes <= 0 and self._start_soft is None:
            return  # never changed: nothing to raise back
        try:
            import resource
        except ImportError:
            log("WARN", "cannot apply the task's memory limit of %d MiB: this platform has no resource module"
                % megabytes)
            return
        infinity = resource.RLIM_INFINITY
        soft, hard = resource.getrlimit(resource.RLIMIT_AS)
        if self._start_soft is None:
            self._start_soft = soft
        start = self._start_soft
        target = start
        if megabytes > 0:
            limit = megabytes * _MiB
            if start == infinity or limit < start:
                target = limit
            if hard != infinity and target > hard:
                target = hard
        if target == soft:
            return
        try:
            resource.setrlimit(resource.RLIMIT_AS, (target, hard))
        except (ValueError, OSError) as e:
            log("WARN", "cannot set the soft RLIMIT_AS to %s bytes (task memory limit %d MiB, hard limit %s): %s"
                % (_rlimit_text(target, infinity), megabytes, _rlimit_text(hard, infinity), e))
            return
        why = "task memory limit %d MiB" % megabytes if megabytes > 0 else "the task has no memory limit"
        log("INFO", "set the soft RLIMIT_AS to %s bytes (%s); it was %s, hard %s" % (
            _rlimit_text(target, infinity), why, _rlimit_text(soft, infinity), _rlimit_text(hard, infinity)))


def _rlimit_text(value: int, infinity: int) -> str:
    return "unlimited" if value == infinity else str(value)


_threadpoolctl_module: Any = None  # threadpoolctl once found
_threadpoolctl_missing_on: Optional[Tuple[str, ...]] = None  # the sys.path on which it was last not found


def _threadpoolctl() -> Any:
    """The threadpoolctl module, or None where it is not importable. A failed import costs a scan of sys.path (some
    hundred microseconds), so it is tried again only once sys.path has changed (a task's includes, say)."""
    global _threadpoolctl_module, _threadpoolctl_missing_on
    if _threadpoolctl_module is None:
        path = tuple(sys.path)
        if path == _threadpoolctl_missing_on:
            return None
        try:
            import threadpoolctl  # optional: never a dependency of the worker
        except ImportError:
            _threadpoolctl_missing_on = path
            return None
        _threadpoolctl_module = threadpoolctl
    return _threadpoolctl_module


class _ThreadLimits:
    """The task's cpus as thread counts: ``OMP_NUM_THREADS``, ``MKL_NUM_THREADS`` and ``OPENBLAS_NUM_THREADS`` in
    ``os.environ`` (read by native libraries loaded from now on) unless the worker's own environment sets them (the
    user's value wins), and threadpoolctl's limits for the libraries already loaded, where threadpoolctl is importable
    (OpenMP unless the user set ``OMP_NUM_THREADS``, BLAS unless the user set MKL's or OpenBLAS's variable).
    :meth:`close` restores all of it, so the next task on a pooled worker sees its own cpus."""

    def __init__(self, cpus: int, log: _Log) -> None:
        self._set = [name for name in THREAD_VARIABLES if name not in os.environ]
        for name in self._set:
            os.environ[name] = str(cpus)
        self._limits: Any = None
        apis = []
        if "OMP_NUM_THREADS" in self._set:
            apis.append("openmp")
        if "MKL_NUM_THREADS" in self._set and "OPENBLAS_NUM_THREADS" in self._set:
            apis.append("blas")
        if not apis:
            return
        threadpoolctl = _threadpoolctl()
        if threadpoolctl is None:
            return
        try:
            self._limits = threadpoolctl.threadpool_limits(limits=cpus, user_api=None if len(apis) == 2 else apis[0])
        except Exception as e:  # a broken optional package must not fail the task
            log("WARN", "threadpoolctl.threadpool_limits(%d) failed: %s: %s; the task's libraries keep their own "
                        "thread counts" % (cpus, type(e).__name__, e))

    def close(self, log: _Log) -> None:
        for name in self._set:
            os.environ.pop(name, None)
        if self._limits is None:
            return
        try:
            self._limits.restore_original_limits()
        except Exception as e:
            log("WARN", "threadpoolctl could not restore the thread limits after the task: %s: %s"
                % (type(e).__name__, e))


class _FaultHandler:
    """The header's faulthandler folder: fatal-error tracebacks go to ``<folder>/<pid>`` while a task runs. The file
    is created anew (``O_CREAT|O_EXCL|O_NOFOLLOW``, mode 0600), so a planted file or symbolic link at that path is
    never followed nor truncated: the task runs without a traceback file and says so in one WARN. A task that ends
    (in any way the worker survives) disables it and deletes the file; a hard crash leaves it for the JVM."""

    _FLAGS = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)

    def __init__(self, folder: str, log: _Log) -> None:
        self._file: Optional[BinaryIO] = None
        self._path = ""
        self._was_enabled = False
        if not folder:
            return
        self._path = os.path.join(folder, str(os.getpid()))
        try:
            fd = os.open(self._path, self._FLAGS, 0o600)
        except OSError as e:
            log("WARN", "cannot create the faulthandler file %s: %s; this task runs without a fatal-error traceback "
                        "file (an existing file or link there is left untouched; remove it if it is not a "
                        "pyworkers leftover)" % (self._path, e))
            return
        self._file = os.fdopen(fd, "wb")
        self._was_enabled = faulthandler.is_enabled()
        faulthandler.enable(file=self._file, all_threads=True)

    def close(self, log: _Log) -> None:
        if self._file is None:
            return
        faulthandler.disable()
        if self._was_enabled and sys.stderr is not None:
            faulthandler.enable(file=sys.stderr, all_threads=True)
        self._file.close()
        self._file = None
        try:
            os.unlink(self._path)
        except OSError as e:
            log("WARN", "cannot delete the faulthandler file %s: %s" % (self._path, e))


def _extend_sys_path(folder: str, includes: Tuple[str, ...]) -> None:
    """The files folder and each include (joined to it) go into sys.path once; caches are reset if any was new."""
    paths = ([folder] if folder else []) + [os.path.join(folder, name) for name in includes if name]
    changed = False
    for path in paths:
        if path not in sys.path:
            sys.path.insert(1 if sys.path else 0, path)
            changed = True
    if changed:
        importlib.invalidate_caches()


def _check_python_version(expected: str) -> None:
    if not expected:
        return
    actual = "%d.%d" % sys.version_info[:2]
    if ".".join(expected.split(".")[:2]) != actual:
        raise PythonVersionMismatch(
            "the worker runs Python %s (%s) but the task expects Python %s; point the python executable setting at "
            "a Python %s interpreter, or expect %s (an empty version skips this check)"
            % (actual, sys.executable, expected, expected, actual)
        )


# ---------------------------------------------------------------------------------------------------------------------
# The runner


class TaskRunner:
    """Runs the tasks of one session. Not thread-safe; confined to the session's thread."""

    def __init__(self, inp: SocketInput, out: BinaryIO, boot_time_ms: int, log: _Log, peer: str) -> None:
        self._inp = inp
        self._out = out
        self._boot_time_ms = boot_time_ms
        self._log = log
        self._peer = peer
        self._memory_limit = _MemoryLimit()

    def run(self, partition_index: int) -> Optional[int]:
        """One task; None to stay in the session, or the exit code."""
        start = _now_ms()
        self._inp.data_ended = False
        try:
            header = read_task_header(self._inp, partition_index)
        except ProtocolError as e:
            return self._protocol_error(e, "in the header of task partition %d" % partition_index)
        except EOFError as e:
            return self._truncated(e, "the header of task partition %d" % partition_index)
        self._memory_limit.apply(header.settings.memory_limit_mb, self._log)
        threads = _ThreadLimits(header.cpus, self._log)
        fault_handler = _FaultHandler(header.faulthandler_folder, self._log)
        try:
            failure, updates, ready = self._execute(header)
        finally:
            threads.close(self._log)
            fault_handler.close(self._log)  # before the end block: once the JVM has it, the file is gone
        return self._finish(header, start, ready, failure, updates)

    def _execute(self, header: TaskHeader) -> Tuple[Optional[BaseException], List[bytes], int]:
        """Set up the task's state and run its functions: (what they raised, accumulator updates, ready time)."""
        context._update_broadcasts(header.removed_broadcasts, header.added_broadcasts)
        _extend_sys_path(header.files_folder, header.includes)
        context._begin_task(context.TaskContext(
            header.stage_id, header.partition_id, header.attempt_number, header.task_attempt_id, header.cpus,
            header.resources, header.local_properties))
        failure: Optional[BaseException] = None
        ready = 0
        try:
            _check_python_version(header.python_version)
            body = self._load(header)
            ready = _now_ms()
            body()
        except BaseException as e:  # user code may raise anything; it is reported, never lost
            failure = e
        finally:
            updates = context._end_task()
        return failure, updates, ready

    def _finish(self, header: TaskHeader, start: int, ready: int, failure: Optional[BaseException],
                updates: List[bytes]) -> Optional[int]:
        """Exception frame (if any), timing, end, then the end handshake."""
        finish = _now_ms()
        task = "task partition %d (stage %d, task attempt %d)" % (
            header.partition_index, header.stage_id, header.task_attempt_id)
        broken = self._inp.failure
        if broken is not None:
            if isinstance(broken, ProtocolError):
                return self._protocol_error(broken, "in the data of %s" % task)
            if isinstance(broken, EOFError):
                return self._truncated(broken, "the data of %s" % task)
            raise broken  # a socket error: the session ends as for any other
        parts = []
        if failure is not None:
            if isinstance(failure, StopIteration):
                error = stop_iteration_error(failure, "the task's function")
                error.__cause__ = failure
                failure = error
            parts.append(encode_exception(_type_name(failure), _message(failure), _traceback_text(failure)))
        parts.append(encode_timing(self._boot_time_ms, start, ready or finish, finish))
        parts.append(encode_end(updates))
        self._out.write(b"".join(parts))
        self._out.flush()
        return self._end_handshake(header, task)

    def _load(self, header: TaskHeader) -> Callable[[], None]:
        """Load the functions through the eval type's handler; returns the body that streams the task's data."""
        if header.handler is None:
            assert header.handler_error is not None
            raise header.handler_error
        return header.handler.load(header.command, evaltypes.TaskIO(
            header.partition_index, self._inp, self._out, MappingProxyType(header.conf)))

    def _end_handshake(self, header: TaskHeader, task: str) -> Optional[int]:
        """Drain the input to ``-1``, then read the JVM's verdict: ``-4`` keeps the worker."""
        handler = header.handler
        allow_null = handler is None or handler.accepts_null_input
        try:
            while not self._inp.data_ended:
                if self._inp.read_frame() is None and not allow_null:
                    raise ProtocolError("NULL frame (-5) in the data of a %s task" % handler.name)
            verdict = protocol.read_int_or_eof(self._inp, "end of stream marker")
        except ProtocolError as e:
            return self._not_reusable("protocol error while draining the input of %s: %s" % (task, e))
        except EOFError as e:
            return self._truncated(e, "the rest of the input of %s" % task)
        if verdict is None:
            self._log("INFO", "the JVM closed the connection after %s instead of sending -4; ending the worker (%s)"
                      % (task, self._peer))
            return ExitCode.OK
        if verdict != SpecialLength.END_OF_STREAM:
            return self._not_reusable("expected -4 (END_OF_STREAM) after %s ended, got %d" % (task, verdict))
        protocol.write_int(self._out, SpecialLength.END_OF_STREAM)
        self._out.flush()
        return None

    def _not_reusable(self, reason: str) -> int:
        self._log("ERROR", "protocol error: %s (%s); answering -1 and exiting: this worker is not reusable"
                  % (reason, self._peer))
        protocol.write_int(self._out, SpecialLength.END_OF_DATA_SECTION)
        self._out.flush()
        return ExitCode.PROTOCOL_ERROR

    def _protocol_error(self, error: ProtocolError, where: str) -> int:
        message = "protocol error %s: %s" % (where, error)
        self._log("ERROR", "%s (%s); the stream is out of sync, exiting" % (message, self._peer))
        self._out.write(encode_exception("ProtocolError", message, ""))
        self._out.flush()
        return ExitCode.PROTOCOL_ERROR

    def _truncated(self, error: BaseException, what: str) -> int:
        self._log("ERROR", "protocol error: the connection ended inside %s: %s (%s)" % (what, error, self._peer))
        return ExitCode.PROTOCOL_ERROR
