"""The Python side of ``pyworkers run``: a user function FUNC from a file FILE.py applied to every record of a file.

The JVM runs :func:`make_job`'s result as a NON_UDF function with raw-bytes frames in and out:

* input frame: an 8-byte big-endian number, the input line number of the frame's first line, then whole lines of
  the input file separated by ``\\n`` (the last one may lack its ``\\n``: the file's last line). For CSV, the first
  frame of every task holds the header record.
* output frame, one per input frame: a 4-byte big-endian count of records, then one JSON line per record, each
  ending in ``\\n``, in input order.
* a task with no input frame at all is the check the JVM runs before it reads any data: it loads FUNC and yields one
  JSON record ``{"python": ..., "executable": ..., "load_ms": ...}``.

A record is, per format: ``jsonl`` the parsed JSON value (blank lines are skipped); ``csv`` a dict of column name to
string (excel dialect, ``,`` delimiter, quoted fields may span lines; blank lines are skipped); ``text`` the line as a
``str`` without its line ending. Input must be UTF-8. FUNC's result is written with the default ``json.dumps``.

Failures are exceptions whose message the JVM prints as is; their type names tell it the exit code:

* :class:`UdfLoadError`: FILE.py cannot be loaded, or FUNC is missing or not callable;
* :class:`UdfRecordError`: FUNC raised on a record, or returned a value that is not JSON-serialisable; the message
  names the input line and carries FUNC's own traceback (the frames of this module left out);
* :class:`MalformedRecordError`: an input line cannot be parsed; the message names the line and shows its start.

A ``KeyboardInterrupt`` (Ctrl-C reaches the workers too) is raised as it is: the run is being interrupted.

FILE.py is loaded once per worker process (keyed by path, size and modification time), as a module named
``_pyworkers_udf_<stem>`` with its folder on ``sys.path``, like ``python FILE.py`` would see it. Standard library only.
Not thread-safe: a worker runs one task at a time.
"""
import csv
import importlib.util
import inspect
import io
import json
import os
import struct
import sys
import time
import traceback
from typing import Any, Callable, Dict, Iterable, Iterator, List, Tuple, cast

__all__ = ["FORMATS", "JobError", "UdfLoadError", "UdfRecordError", "MalformedRecordError", "make_job", "load_udf"]

FORMATS = ("jsonl", "csv", "text")

_LINE_NUMBER = struct.Struct(">q")
_COUNT = struct.Struct(">i")
_EXCERPT_CHARS = 80
_MAX_NAMES_SHOWN = 30
# A loaded FUNC, or the UdfLoadError loading it raised, per (path, name, size, mtime); one entry per run in practice.
_loaded: Dict[Tuple[str, str, int, int], Tuple[Any, float]] = {}
_decode = json.JSONDecoder().decode  # what json.loads(str) runs, minus its keyword checks
_encode = json.JSONEncoder().encode  # what json.dumps(value) runs, minus its keyword checks
_DECODE_CODE = json.JSONDecoder.decode.__code__
_ENCODE_CODE = json.JSONEncoder.encode.__code__


class JobError(Exception):
    """A failure of the job that the JVM reports with this message alone (no traceback of this module)."""


class UdfLoadError(JobError):
    """FILE.py could not be loaded, or FUNC is missing, not callable, or does not take one argument."""


class UdfRecordError(JobError):
    """FUNC raised on a record, or returned something ``json.dumps`` rejects."""


class MalformedRecordError(JobError):
    """An input line is not valid in the input format."""


def make_job(udf_path: str, func_name: str, fmt: str) -> Callable[[int, Iterator[bytes]], Iterator[bytes]]:
    """The NON_UDF function of a run. Loads FUNC now, so a task's init time covers it; a load failure is raised when
    the task calls the job, with its own message."""
    if fmt not in FORMATS:
        raise ValueError("unknown input format %r; expected one of %s" % (fmt, ", ".join(FORMATS)))
    _entry(udf_path, func_name)  # a failure stays in the cache and is raised when the task calls the job

    def job(partition_index: int, frames: Iterator[bytes]) -> Iterator[bytes]:
        return _run(udf_path, func_name, fmt, frames)

    return job


def load_udf(udf_path: str, func_name: str) -> Callable[[Any], Any]:
    """FUNC from FILE.py, loaded once per process; raises :class:`UdfLoadError` with a message naming the fix."""
    return cast(Callable[[Any], Any], _load_cached(udf_path, func_name)[0])


def _run(udf_path: str, func_name: str, fmt: str, frames: Iterator[bytes]) -> Iterator[bytes]:
    func, load_ms = _load_cached(udf_path, func_name)
    first = next(frames, None)
    if first is None:
        info = {"python": "%d.%d.%d" % sys.version_info[:3], "executable": sys.executable, "load_ms": load_ms}
        yield json.dumps(info).encode("utf-8")
        return
    if fmt == "csv":
        yield from _csv_frames(func, func_name, _csv_header(first), frames)
        return
    mapper = _jsonl_block if fmt == "jsonl" else _text_block
    for frame in _chain(first, frames):
        line, text = _open_frame(frame)
        yield mapper(func, func_name, line, text)


def _chain(first: bytes, rest: Iterator[bytes]) -> Iterator[bytes]:
    yield first
    yield from rest


# ---------------------------------------------------------------------------------------------------------------------
# Loading FUNC


def _load_cached(udf_path: str, func_name: str) -> Tuple[Any, float]:
    """FUNC and its load time in milliseconds; raises the :class:`UdfLoadError` of a failed load."""
    entry = _entry(udf_path, func_name)
    if isinstance(entry[0], UdfLoadError):
        raise entry[0]
    return entry


def _entry(udf_path: str, func_name: str) -> Tuple[Any, float]:
    """The cache entry of FUNC: (function, load ms) or (UdfLoadError, 0). Never raises."""
    try:
        st = os.stat(udf_path)
    except OSError as e:
        return UdfLoadError("cannot read the --udf file %s: %s" % (udf_path, e.strerror or e)), 0.0
    key = (udf_path, func_name, st.st_size, st.st_mtime_ns)
    entry = _loaded.get(key)
    if entry is None:
        started = time.perf_counter()
        try:
            entry = (_load(udf_path, func_name), (time.perf_counter() - started) * 1000.0)
        except UdfLoadError as e:
            entry = (e, 0.0)
        _loaded[key] = entry
    return entry


def _load(udf_path: str, func_name: str) -> Callable[[Any], Any]:
    folder, file_name = os.path.split(udf_path)
    stem = os.path.splitext(file_name)[0]
    module_name = "_pyworkers_udf_" + "".join(c if c.isalnum() else "_" for c in stem)
    try:
        with open(udf_path, "rb") as f:
            source = f.read()
        code = compile(source, udf_path, "exec", dont_inherit=True)
    except SyntaxError as e:
        text = (e.text or "").strip()
        raise UdfLoadError("syntax error in %s line %s: %s%s"
                           % (udf_path, e.lineno, e.msg, " (%r)" % text if text else "")) from None
    except (OSError, ValueError) as e:
        raise UdfLoadError("cannot read or compile %s: %s" % (udf_path, e)) from None
    if folder and folder not in sys.path:
        sys.path.insert(0, folder)
    spec = importlib.util.spec_from_file_location(module_name, udf_path)
    module = importlib.util.module_from_spec(spec)  # type: ignore[arg-type]
    sys.modules[module_name] = module
    try:
        exec(code, module.__dict__)
    except BaseException as e:
        sys.modules.pop(module_name, None)
        raise UdfLoadError("running %s raised %s: %s\n%s" % (udf_path, _type_name(e), e, _user_traceback(e))) from None
    if not hasattr(module, func_name):
        public = sorted(n for n, v in vars(module).items() if not n.startswith("_") and callable(v))
        shown = ", ".join(public[:_MAX_NAMES_SHOWN]) + (", ..." if len(public) > _MAX_NAMES_SHOWN else "")
        raise UdfLoadError("%s defines no function %r; its functions are: %s"
                           % (udf_path, func_name, shown or "none"))
    func = getattr(module, func_name)
    if not callable(func):
        raise UdfLoadError("%r in %s is not callable: it is %s %s; give --udf FILE.py:FUNC with a function of one "
                           "argument" % (func_name, udf_path, type(func).__name__, _excerpt(repr(func))))
    _check_arity(func, func_name, udf_path)
    return cast(Callable[[Any], Any], func)


def _check_arity(func: Any, func_name: str, udf_path: str) -> None:
    try:
        signature = inspect.signature(func)
    except (TypeError, ValueError):
        return  # some builtins have no signature; a wrong call then fails on the first record
    try:
        signature.bind(None)
    except TypeError as e:
        raise UdfLoadError("%s%s in %s cannot be called with one argument (%s); FUNC receives one record at a time"
                           % (func_name, signature, udf_path, e)) from None


# ---------------------------------------------------------------------------------------------------------------------
# Formats


def _open_frame(frame: bytes) -> Tuple[int, str]:
    """The first line number and the text of a frame; a frame that is not UTF-8 names its first bad line."""
    line = _LINE_NUMBER.unpack_from(frame)[0]
    try:
        return line, str(memoryview(frame)[8:], "utf-8")
    except UnicodeDecodeError:
        raise _bad_utf8(frame, line) from None


def _lines(text: str) -> List[str]:
    lines = text.split("\n")
    if lines[-1] == "":
        lines.pop()
    return lines


def _frame(out: List[str]) -> bytes:
    if not out:
        return _COUNT.pack(0)
    return _COUNT.pack(len(out)) + ("\n".join(out) + "\n").encode("utf-8")


def _jsonl_block(func: Callable[[Any], Any], func_name: str, first_line: int, text: str) -> bytes:
    lines = _lines(text)
    out: List[str] = []
    append, decode, encode = out.append, _decode, _encode
    skipped = 0
    rest = iter(lines)
    while True:
        try:
            for line in rest:
                append(encode(func(decode(line))))
            return _frame(out)
        except BaseException as e:
            if isinstance(e, KeyboardInterrupt):
                raise  # Ctrl-C reached the worker too: the run is being interrupted, not failing on a record
            index = len(out) + skipped
            line = lines[index]
            stage = _failed_stage(e)
            if stage == "decode" and not line.strip():
                skipped += 1  # a blank line: not a record
                continue
            raise _record_error(e, stage, func_name, first_line + index, line, "JSON") from None


def _text_block(func: Callable[[Any], Any], func_name: str, first_line: int, text: str) -> bytes:
    lines = _lines(text)
    if "\r" in text:
        lines = [line[:-1] if line.endswith("\r") else line for line in lines]
    out: List[str] = []
    append, encode = out.append, _encode
    try:
        for line in lines:
            append(encode(func(line)))
    except BaseException as e:
        if isinstance(e, KeyboardInterrupt):
            raise
        index = len(out)
        raise _record_error(e, _failed_stage(e), func_name, first_line + index, lines[index], "text") from None
    return _frame(out)


def _csv_header(frame: bytes) -> List[str]:
    line, text = _open_frame(frame)
    try:
        rows = list(csv.reader(io.StringIO(text, newline="")))
    except csv.Error as e:
        raise MalformedRecordError("input line %d (the CSV header) is not valid CSV: %s: %s"
                                   % (line, e, _excerpt(text))) from None
    header = rows[0] if rows else []
    seen = set()
    for name in header:
        if name in seen:
            raise MalformedRecordError("input line %d (the CSV header) names column %r twice: %s"
                                       % (line, name, _excerpt(text)))
        seen.add(name)
    return header


def _csv_frames(func: Callable[[Any], Any], func_name: str, header: List[str],
                frames: Iterable[bytes]) -> Iterator[bytes]:
    width = len(header)
    encode = _encode
    for frame in frames:
        first_line, text = _open_frame(frame)
        reader = csv.reader(io.StringIO(text, newline=""))
        out: List[str] = []
        append = out.append
        while True:
            start = reader.line_num
            try:
                row = next(reader)
            except StopIteration:
                break
            except csv.Error as e:
                line = first_line + start
                raise MalformedRecordError("input line %d is not valid CSV: %s: %s"
                                           % (line, e, _excerpt(_line_of(text, start)))) from None
            if not row:
                continue
            line = first_line + start
            if len(row) != width:
                raise MalformedRecordError("input line %d has %d field(s) but the CSV header has %d: %s"
                                           % (line, len(row), width, _excerpt(_line_of(text, start))))
            try:
                append(encode(func(dict(zip(header, row)))))
            except BaseException as e:
                if isinstance(e, KeyboardInterrupt):
                    raise
                raise _record_error(e, _failed_stage(e), func_name, line, _line_of(text, start), "CSV") from None
        yield _frame(out)


def _line_of(text: str, index: int) -> str:
    """Line ``index`` (0-based) of ``text``."""
    lines = text.split("\n", index + 1)
    return lines[index] if index < len(lines) else ""


# ---------------------------------------------------------------------------------------------------------------------
# Errors


def _failed_stage(e: BaseException) -> str:
    """Which step of ``encode(func(decode(line)))`` raised: the frame right below this module's says it."""
    tb = e.__traceback__
    below = tb.tb_next if tb is not None else None
    code = below.tb_frame.f_code if below is not None else None
    if code is _DECODE_CODE:
        return "decode"
    if code is _ENCODE_CODE:
        return "encode"
    return "func"


def _record_error(e: BaseException, stage: str, func_name: str, line_number: int, line: str,
                  fmt: str) -> JobError:
    if stage == "decode":
        return MalformedRecordError("input line %d is not valid %s (%s): %s" % (line_number, fmt, e, _excerpt(line)))
    if stage == "encode":
        return UdfRecordError("the result of %s for input line %d cannot be written as JSON: %s: %s; return "
                              "dicts, lists, strings, numbers, booleans or None. The line: %s"
                              % (func_name, line_number, _type_name(e), e, _excerpt(line)))
    return UdfRecordError("%s raised %s on input line %d: %s\nThe line: %s\n%s"
                          % (func_name, _type_name(e), line_number, e, _excerpt(line), _user_traceback(e)))


def _bad_utf8(frame: bytes, first_line: int) -> MalformedRecordError:
    for index, raw in enumerate(bytes(memoryview(frame)[8:]).split(b"\n")):
        try:
            raw.decode("utf-8")
        except UnicodeDecodeError as e:
            return MalformedRecordError("input line %d is not valid UTF-8 (%s at byte %d): %s" % (
                first_line + index, e.reason, e.start, _excerpt(raw.decode("utf-8", "backslashreplace"))))
    return MalformedRecordError("input near line %d is not valid UTF-8" % first_line)


def _user_traceback(e: BaseException) -> str:
    """The traceback of ``e`` from the first frame outside this module on, as Python prints it."""
    tb = e.__traceback__
    while tb is not None and tb.tb_frame.f_code.co_filename == __file__:
        tb = tb.tb_next
    return "".join(traceback.format_exception(type(e), e, tb)).rstrip("\n")


def _excerpt(text: str) -> str:
    text = text.rstrip("\r\n")
    return repr(text) if len(text) <= _EXCERPT_CHARS else repr(text[:_EXCERPT_CHARS]) + "..."


def _type_name(e: BaseException) -> str:
    cls = type(e)
    module = getattr(cls, "__module__", "builtins")
    return cls.__qualname__ if module in ("builtins", "__main__") else "%s.%s" % (module, cls.__qualname__)
