"""One task on a worker session (``docs/protocol.md`` section 5): header, functions, data, output, end handshake.

The session calls :meth:`TaskRunner.run` with the partition index (the command). The runner reads and bounds-checks
the whole header, applies its worker-level state (broadcasts, ``sys.path``), sets the task context, checks the Python
version, loads the functions, and streams: it reads input frames only as the functions ask for them and writes
output frames as they are produced. Then it sends timing and the end block (with the accumulator updates), drains
the input up to ``-1`` and answers the JVM's ``-4`` with ``-4``, and the session goes on.

Outcomes, and what the session does next:

* success, or any ``BaseException`` from user code or from loading the functions, or a Python version mismatch:
  the exception frame (when there is one), timing, end, drain, ``-4``/``-4``; the worker stays in the session;
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
from typing import Any, BinaryIO, Callable, Dict, List, Optional, Tuple

from . import context, protocol
from .functions import (
    FunctionSpec, Udf, batch_mapper, chain_label, compose_non_udf, load_function, stop_iteration_error,
)
from .protocol import (
    END_OF_DATA, MAX_CLOUDPICKLE_PAYLOAD, MAX_EXCEPTION_STR, MAX_HEADER_STR, MAX_SOURCE_STR, EvalType, ExitCode,
    FunctionKind, ProtocolError, SerializerKind, SocketInput, SpecialLength,
)
from .serializers import BatchPickler, Int64BatchPickler, loads_batch, read_records, write_frame, write_records

__all__ = [
    "PythonVersionMismatch", "NonUdfCommand", "UdfCommand", "TaskSettings", "TaskHeader", "read_task_header",
    "encode_exception", "encode_timing", "encode_end", "TaskRunner",
]

_HEADER = "task header"
_INT_MAX = 2 ** 31 - 1
_PACKAGE_DIR = os.path.dirname(os.path.abspath(__file__))
_Log = Callable[[str, str], None]


class PythonVersionMismatch(Exception):
    """The task expects another Python ``major.minor`` than the worker runs."""


# ---------------------------------------------------------------------------------------------------------------------
# 5.1 Header


@dataclass(frozen=True)
class NonUdfCommand:
    functions: Tuple[FunctionSpec, ...]
    input_serializer: SerializerKind
    output_serializer: SerializerKind
    output_batch_size: int


@dataclass(frozen=True)
class UdfCommand:
    offsets: Tuple[int, ...]
    functions: Tuple[FunctionSpec, ...]


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
    eval_type: EvalType
    conf: Dict[str, str]
    non_udf: Optional[NonUdfCommand]
    udfs: Tuple[UdfCommand, ...]
    bare_rows: bool = False
    int64_results: bool = False
    faulthandler_folder: str = ""
    settings: TaskSettings = TaskSettings()


ROW_LAYOUT_TUPLES = 1
ROW_LAYOUT_BARE = 2
RESULT_LAYOUT_PICKLED = 1
RESULT_LAYOUT_INT64 = 2


def _str(inp: protocol.Readable, what: str, max_length: int = MAX_HEADER_STR) -> str:
    return protocol.read_str(inp, max_length, _HEADER, what)


def _count(inp: protocol.Readable, high: int, what: str, low: int = 0) -> int:
    return protocol.read_count(inp, low, high, what, _HEADER)


def _read_function(inp: protocol.Readable, where: str) -> FunctionSpec:
    kind = protocol.read_u8(inp, "function kind of %s in %s" % (where, _HEADER))
    if kind == FunctionKind.CLOUDPICKLE:
        payload = protocol.read_bytes(inp, MAX_CLOUDPICKLE_PAYLOAD, _HEADER, "cloudpickle payload of %s" % where)
        return FunctionSpec(FunctionKind.CLOUDPICKLE, payload=payload)
    if kind == FunctionKind.REFERENCE:
        return FunctionSpec(FunctionKind.REFERENCE, reference=_str(inp, "function reference of %s" % where))
    if kind == FunctionKind.SOURCE:
        file_name = _str(inp, "source file name of %s" % where)
        source = _str(inp, "source text of %s" % where, MAX_SOURCE_STR)
        name = _str(inp, "source function name of %s" % where)
        return FunctionSpec(FunctionKind.SOURCE, file_name=file_name, source=source, name=name)
    raise ProtocolError(
        "function kind %d of %s is unknown in %s: expected 1 (cloudpickle), 2 (reference) or 3 (source)"
        % (kind, where, _HEADER)
    )


def _read_chain(inp: protocol.Readable, owner: str) -> Tuple[FunctionSpec, ...]:
    count = _count(inp, 100, "chained function count of %s" % owner, low=1)
    return tuple(_read_function(inp, "function %d of %d of %s" % (i + 1, count, owner)) for i in range(count))


def _read_serializer(inp: protocol.Readable, what: str) -> SerializerKind:
    value = protocol.read_u8(inp, "%s in %s" % (what, _HEADER))
    try:
        return SerializerKind(value)
    except ValueError:
        raise ProtocolError(
            "%s %d is unknown in %s: expected 1 (pickled batches), 2 (UTF-8) or 3 (raw bytes)" % (what, value, _HEADER)
        ) from None


def _read_udf(inp: protocol.Readable, owner: str) -> UdfCommand:
    count = _count(inp, 1000, "argument count of %s" % owner)
    offsets = []
    for _ in range(count):
        offset = protocol.read_int(inp, "argument offset of %s in %s" % (owner, _HEADER))
        if offset < 0:
            raise ProtocolError("argument offset %d of %s must be >= 0 in %s" % (offset, owner, _HEADER))
        offsets.append(offset)
    return UdfCommand(tuple(offsets), _read_chain(inp, owner))


def _read_pairs(inp: protocol.Readable, high: int, what: str) -> Dict[str, str]:
    count = _count(inp, high, "%s count" % what)
    return dict((_str(inp, "%s key" % what), _str(inp, "%s value" % what)) for _ in range(count))


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
    """Read the rest of the header (the partition index was the command); every bound is checked as it is read."""
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
    eval_value = protocol.read_int(inp, "eval type in %s" % _HEADER)
    try:
        eval_type = EvalType(eval_value)
    except ValueError:
        raise ProtocolError(
            "eval type %d is unknown in %s: expected 0 (NON_UDF) or 100 (SQL_BATCHED_UDF)" % (eval_value, _HEADER)
        ) from None
    conf = _read_pairs(inp, 10000, "conf")
    non_udf: Optional[NonUdfCommand] = None
    udfs: Tuple[UdfCommand, ...] = ()
    if eval_type is EvalType.NON_UDF:
        functions = _read_chain(inp, "the NON_UDF chain")
        input_serializer = _read_serializer(inp, "input serializer")
        output_serializer = _read_serializer(inp, "output serializer")
        batch_size = _count(inp, 1000000, "output batch size", low=1)
        non_udf = NonUdfCommand(functions, input_serializer, output_serializer, batch_size)
    else:
        count = _count(inp, 1000, "UDF count", low=1)
        udfs = tuple(_read_udf(inp, "UDF %d" % (i + 1)) for i in range(count))
        layout = protocol.read_u8(inp, "row layout in %s" % _HEADER)
        if layout not in (ROW_LAYOUT_TUPLES, ROW_LAYOUT_BARE):
            raise ProtocolError("row layout %d is unknown in %s: expected 1 (tuples) or 2 (bare values)" % (
                layout, _HEADER))
        bare_rows = layout == ROW_LAYOUT_BARE
        if bare_rows:
            for i, udf in enumerate(udfs):
                if any(offset != 0 for offset in udf.offsets):
                    raise ProtocolError("UDF %d has argument offsets %s, but with row layout 2 (bare values) every "
                                        "offset must be 0 in %s" % (i + 1, list(udf.offsets), _HEADER))
        results = protocol.read_u8(inp, "result layout in %s" % _HEADER)
        if results not in (RESULT_LAYOUT_PICKLED, RESULT_LAYOUT_INT64):
            raise ProtocolError("result layout %d is unknown in %s: expected 1 (pickled) or 2 (64-bit ints)" % (
                results, _HEADER))
        if results == RESULT_LAYOUT_INT64 and len(udfs) != 1:
            raise ProtocolError("result layout 2 (64-bit ints) needs exactly one UDF, but %s has %d" % (
                _HEADER, len(udfs)))
        return TaskHeader(
            partition_index, python_version, stage_id, partition_id, attempt_number, task_attempt_id, cpus,
            resources, local_properties, files_folder, includes, removed, added, eval_type, conf, non_udf, udfs,
            bare_rows, results == RESULT_LAYOUT_INT64, faulthandler_folder=faulthandler_folder, settings=settings,
        )
    return TaskHeader(
        partition_index, python_version, stage_id, partition_id, attempt_number, task_attempt_id, cpus, resources,
        local_properties, files_folder, includes, removed, added, eval_type, conf, non_udf, udfs,
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


def _traceback_text(error: BaseException) -> str:
    """The traceback without this package's frames at its head (they only show how the task called user code)."""
    tb = error.__traceback__
    head = tb
    while head is not None and os.path.dirname(os.path.abspath(head.tb_frame.f_code.co_filename)) == _PACKAGE_DIR:
        head = head.tb_next
    if head is not None:
        tb = head
    try:
        return "".join(traceback.format_exception(type(error), error, tb))
    except Exception as e:
        return "<formatting the traceback failed: %s: %r>" % (type(e).__name__, e)


def encode_exception(type_name: str, message: str, traceback_text: str) -> bytes:
    return b"".join([
        protocol.pack_int(SpecialLength.EXCEPTION), _pack_text(type_name), _pack_text(message),
        _pack_text(traceback_text),
    ])


def encode_timing(boot: int, start: int, ready: int, finish: int) -> bytes:
    times = (boot, start, ready, finish)
    return protocol.pack_int(SpecialLength.TIMING) + b"".join(protocol.pack_long(t) for t in times)


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
        """Load the functions; returns the body that streams the task's data through them."""
        if header.non_udf is not None:
            command = header.non_udf
            count = len(command.functions)
            chain = [
                load_function(spec, "function %d of %d of the NON_UDF chain" % (i + 1, count))
                for i, spec in enumerate(command.functions)
            ]
            return self._non_udf_body(header.partition_index, compose_non_udf(chain), command)
        udfs = []
        for i, udf in enumerate(header.udfs):
            count = len(udf.functions)
            functions = tuple(
                load_function(spec, "function %d of %d of UDF %d" % (j + 1, count, i + 1))
                for j, spec in enumerate(udf.functions)
            )
            udfs.append(Udf(udf.offsets, functions, chain_label(i + 1, functions)))
        dumps = Int64BatchPickler().dumps if header.int64_results else BatchPickler().dumps
        return self._udf_body(batch_mapper(udfs, bare=header.bare_rows), dumps)

    def _non_udf_body(self, index: int, function: Callable[[int, Any], Any], command: NonUdfCommand
                      ) -> Callable[[], None]:
        def body() -> None:
            records = read_records(self._inp, command.input_serializer)
            output = None
            try:
                output = function(index, records)
                if output is None:
                    raise TypeError("the NON_UDF function returned None; it must return an iterable of records "
                                    "(a list, a generator, ...)")
                try:
                    iterator = iter(output)
                except TypeError:
                    raise TypeError("the NON_UDF function returned %s, which is not iterable; it must return an "
                                    "iterable of records" % type(output).__name__) from None
                write_records(self._out.write, iterator, command.output_serializer, command.output_batch_size)
            finally:
                close = getattr(output, "close", None)
                if close is not None:
                    close()
                close = getattr(records, "close", None)
                if close is not None:
                    close()

        return body

    def _udf_body(self, mapper: Callable[[List[Any]], List[Any]], dumps: Callable[[List[Any]], bytes]
                  ) -> Callable[[], None]:
        def body() -> None:
            read_frame, loads, write = self._inp.read_frame, loads_batch, self._out.write
            while True:
                frame = read_frame()
                if frame is END_OF_DATA:
                    return
                if frame is None:
                    self._inp.failure = ProtocolError(
                        "NULL frame (-5) in the data of a SQL_BATCHED_UDF task: its frames are pickled lists of rows")
                    raise self._inp.failure
                write_frame(write, dumps(mapper(loads(frame))))

        return body

    def _end_handshake(self, header: TaskHeader, task: str) -> Optional[int]:
        """Drain the input to ``-1``, then read the JVM's verdict: ``-4`` keeps the worker."""
        allow_null = header.eval_type is EvalType.NON_UDF
        try:
            while not self._inp.data_ended:
                if self._inp.read_frame() is None and not allow_null:
                    raise ProtocolError("NULL frame (-5) in the data of a SQL_BATCHED_UDF task")
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
