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
``str`` without its line ending. Input must be UTF-8. FUNC's result is written with ``json.dumps``.

JSON is strict both ways unless ``allow_nan`` is set: ``NaN``, ``Infinity`` and ``-Infinity`` in an input line make it
malformed, and a result holding a NaN or infinite float is a UDF error (RFC 8259 has neither). With ``allow_nan`` both
are accepted and written as those non-standard literals, as Python's ``json`` module does by default.
``max_record_bytes`` (0: no limit) bounds the JSON of one record's result, so that one huge result is a UDF error
here instead of a frame that exhausts the JVM's heap; it is also the CSV field size limit.

Failures are exceptions whose message the JVM prints as is; their type names tell it the exit code:

* :class:`UdfLoadError`: FILE.py cannot be loaded, or FUNC is missing or not callable;
* :class:`UdfRecordError`: FUNC raised on a record (any ``BaseException``: ``SystemExit``, ``GeneratorExit`` and a
  ``KeyboardInterrupt`` that FUNC raised itself included), or returned a value that is not JSON (not serialisable,
  NaN or infinite, or longer than ``max_record_bytes``); the message names the input line and carries FUNC's own
  traceback (the frames of this module left out);
* :class:`MalformedRecordError`: an input line cannot be parsed; the message names the line and shows its start.

A ``KeyboardInterrupt`` that comes from a SIGINT this process received is raised as it is: the run is being
interrupted. (Workers lead process groups of their own, so a terminal's Ctrl-C reaches the JVM, which stops them;
this covers a SIGINT sent to a worker itself.) The job tells the two apart with a SIGINT handler of its own that notes the
signal before it raises ``KeyboardInterrupt``, as Python's default handler does.

FILE.py is loaded once per worker process (keyed by path, size and modification time), as a module named
``_pyworkers_udf_<stem>`` with its folder on ``sys.path``, like ``python FILE.py`` would see it. Standard library only.
Not thread-safe: a worker runs one task at a time.

Why one module of some 500 lines: loading FUNC, the three formats' hot loops and the errors that name a line all
share the frame layout and the line numbering, and the hot loops stay flat (no calls between modules per record).
"""
import csv
import importlib.util
import inspect
import io
import json
import math
import os
import signal
import struct
import sys
import threading
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
_DECODE_CODE = json.JSONDecoder.decode.__code__
_ENCODE_CODE = json.JSONEncoder.encode.__code__
_NON_FINITE = {"NaN": "NaN", "Infinity": "Infinity", "-Infinity": "-Infinity"}
# Set by the job's SIGINT handler: a KeyboardInterrupt is then a Ctrl-C, not something FUNC raised.
_sigint_received = False


class JobError(Exception):
    """A failure of the job that the JVM reports with this message alone (no traceback of this module)."""


class UdfLoadError(JobError):
    """FILE.py could not be loaded, or FUNC is missing, not callable, or does not take one argument."""


class UdfRecordError(JobError):
    """FUNC raised on a record, or returned something ``json.dumps`` rejects."""


class MalformedRecordError(JobError):
    """An input line is not valid in the input format."""


class _Codec:
    """The JSON decoder and encoder of a run (what ``json.loads(str)`` and ``json.dumps(value)`` run, minus their
    keyword checks), strict or not about NaN and Infinity, and the longest result allowed. Immutable."""

    __slots__ = ("decode", "encode", "allow_nan", "max_result")

    def __init__(self, allow_nan: bool, max_result: int) -> None:
        if allow_nan:
            self.decode = json.JSONDecoder().decode
        else:
            self.decode = json.JSONDecoder(parse_constant=_reject_constant).decode
        self.encode = json.JSONEncoder(allow_nan=allow_nan).encode
        self.allow_nan = allow_nan
        self.max_result = max_result


def make_job(udf_path: str, func_name: str, fmt: str, allow_nan: bool = False,
             max_record_bytes: int = 0) -> Callable[[int, Iterator[bytes]], Iterator[bytes]]:
    """The NON_UDF function of a run. Loads FUNC now, so a task's init time covers it; a load failure is raised when
    the task calls the job, with its own message. ``allow_nan``: accept and write NaN and Infinity (non-standard
    JSON); ``max_record_bytes``: the record size limit (0: none), which bounds the JSON of one result and lifts the
    ``csv`` module's field size limit (128 KiB by default) to the record's, since the JVM already bounds records."""
    if fmt not in FORMATS:
        raise ValueError("unknown input format %r; expected one of %s" % (fmt, ", ".join(FORMATS)))
    if max_record_bytes < 0:
        raise ValueError("max_record_bytes must be >= 0 (0: no limit), got %d" % max_record_bytes)
    _entry(udf_path, func_name)  # a failure stays in the cache and is raised when the task calls the job
    _note_sigint()
    codec = _Codec(bool(allow_nan), int(max_record_bytes))
    if fmt == "csv":
        csv.field_size_limit(max(csv.field_size_limit(), max_record_bytes or sys.maxsize))

    def job(partition_index: int, frames: Iterator[bytes]) -> Iterator[bytes]:
        return _run(udf_path, func_name, fmt, codec, frames)

    return job


def load_udf(udf_path: str, func_name: str) -> Callable[[Any], Any]:
    """FUNC from FILE.py, loaded once per process; raises :class:`UdfLoadError` with a message naming the fix."""
    return cast(Callable[[Any], Any], _load_cached(udf_path, func_name)[0])


def _run(udf_path: str, func_name: str, fmt: str, codec: _Codec, frames: Iterator[bytes]) -> Iterator[bytes]:
    global _sigint_received
    _sigint_received = False
    func, load_ms = _load_cached(udf_path, func_name)
    first = next(frames, None)
    if first is None:
        info = {"python": "%d.%d.%d" % sys.version_info[:3], "executable": sys.executable, "load_ms": load_ms}
        yield json.dumps(info).encode("utf-8")
        return
    if fmt == "csv":
        yield from _csv_frames(func, func_name, codec, _csv_header(first), frames)
        return
    mapper = _jsonl_block if fmt == "jsonl" else _text_block
    for frame in _chain(first, frames):
        line, text = _open_frame(frame)
        yield mapper(func, func_name, codec, line, text)


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


def _frame(out: List[str], max_result: int) -> bytes:
    """The output frame of ``out``; raises :class:`_ResultTooLarge` naming the first result over ``max_result``."""
    if not out:
        return _COUNT.pack(0)
    body = "\n".join(out)
    if max_result and len(body) > max_result:  # ASCII (json's ensure_ascii): characters are bytes
        for index, result in enumerate(out):
            if len(result) > max_result:
                raise _ResultTooLarge(index, len(result))
    return _COUNT.pack(len(out)) + (body + "\n").encode("utf-8")


class _ResultTooLarge(Exception):
    """Result ``index`` of a frame is ``size`` bytes of JSON, over the limit; the caller names its input line."""

    def __init__(self, index: int, size: int) -> None:
        super().__init__(index, size)
        self.index = index
        self.size = size


def _jsonl_block(func: Callable[[Any], Any], func_name: str, codec: _Codec, first_line: int, text: str) -> bytes:
    lines = _lines(text)
    out: List[str] = []
    append, decode, encode = out.append, codec.decode, codec.encode
    skipped = 0
    rest = iter(lines)
    while True:
        try:
            for line in rest:
                append(encode(func(decode(line))))
            break
        except BaseException as e:
            if isinstance(e, KeyboardInterrupt) and _sigint_received:
                raise  # a SIGINT reached the worker: the run is being interrupted, not failing on a record
            index = len(out) + skipped
            line = lines[index]
            stage = _failed_stage(e)
            if stage == "decode" and not line.strip():
                skipped += 1  # a blank line: not a record
                continue
            raise _record_error(e, stage, func_name, codec, first_line + index, line, "JSON") from None
    try:
        return _frame(out, codec.max_result)
    except _ResultTooLarge as e:
        # out[k] is the result of the k-th line that is not blank (only blank lines are skipped)
        index = [i for i, line in enumerate(lines) if line.strip()][e.index]
        raise _too_large(e, func_name, codec, first_line + index, lines[index]) from None


def _text_block(func: Callable[[Any], Any], func_name: str, codec: _Codec, first_line: int, text: str) -> bytes:
    lines = _lines(text)
    if "\r" in text:
        lines = [line[:-1] if line.endswith("\r") else line for line in lines]
    out: List[str] = []
    append, encode = out.append, codec.encode
    try:
        for line in lines:
            append(encode(func(line)))
    except BaseException as e:
        if isinstance(e, KeyboardInterrupt) and _sigint_received:
            raise
        index = len(out)
        raise _record_error(e, _failed_stage(e), func_name, codec, first_line + index, lines[index], "text") from None
    try:
        return _frame(out, codec.max_result)
    except _ResultTooLarge as e:
        raise _too_large(e, func_name, codec, first_line + e.index, lines[e.index]) from None


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


def _csv_frames(func: Callable[[Any], Any], func_name: str, codec: _Codec, header: List[str],
                frames: Iterable[bytes]) -> Iterator[bytes]:
    width = len(header)
    encode = codec.encode
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
                if isinstance(e, KeyboardInterrupt) and _sigint_received:
                    raise
                raise _record_error(e, _failed_stage(e), func_name, codec, line, _line_of(text, start),
                                    "CSV") from None
        try:
            yield _frame(out, codec.max_result)
        except _ResultTooLarge as e:
            start = _csv_record_start(text, e.index)
            raise _too_large(e, func_name, codec, first_line + start, _line_of(text, start)) from None


def _csv_record_start(text: str, index: int) -> int:
    """The 0-based line in ``text`` where its record ``index`` starts (blank lines are not records)."""
    reader = csv.reader(io.StringIO(text, newline=""))
    seen = 0
    while True:
        start = reader.line_num
        if next(reader):
            if seen == index:
                return start
            seen += 1


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


def _record_error(e: BaseException, stage: str, func_name: str, codec: _Codec, line_number: int, line: str,
                  fmt: str) -> JobError:
    if stage == "decode":
        return MalformedRecordError("input line %d is not valid %s (%s): %s" % (line_number, fmt, e, _excerpt(line)))
    if stage == "encode":
        where = None if codec.allow_nan or not isinstance(e, ValueError) else _non_finite(_encoded_value(e))
        if where is not None:
            return UdfRecordError("the result of %s for input line %d is not JSON: it holds %s; JSON (RFC 8259) has "
                                  "no NaN or Infinity: return None for a missing number, or pass --allow-nan to "
                                  "write NaN and Infinity as non-standard JSON. The line: %s"
                                  % (func_name, line_number, where, _excerpt(line)))
        return UdfRecordError("the result of %s for input line %d cannot be written as JSON: %s: %s; return "
                              "dicts, lists, strings, numbers, booleans or None. The line: %s"
                              % (func_name, line_number, _type_name(e), e, _excerpt(line)))
    return UdfRecordError("%s raised %s on input line %d: %s\nThe line: %s\n%s"
                          % (func_name, _type_name(e), line_number, e, _excerpt(line), _user_traceback(e)))


def _too_large(e: _ResultTooLarge, func_name: str, codec: _Codec, line_number: int, line: str) -> UdfRecordError:
    return UdfRecordError("the result of %s for input line %d is %s of JSON, over the record size limit of %s; "
                          "return less per record, or raise --max-record-size. The line: %s"
                          % (func_name, line_number, _size(e.size), _size(codec.max_result), _excerpt(line)))


def _size(size: int) -> str:
    """``1536`` as "1.5 KiB (1536 bytes)"; below 1 KiB just "12 bytes"."""
    if size < 1 << 10:
        return "%d bytes" % size
    unit, name = (1 << 20, "MiB") if size >= 1 << 20 else (1 << 10, "KiB")
    return "%.1f %s (%d bytes)" % (size / float(unit), name, size)


def _reject_constant(name: str) -> Any:
    """``parse_constant`` of the strict decoder: NaN, Infinity and -Infinity are not JSON."""
    raise ValueError("%s is not JSON: RFC 8259 has no NaN or Infinity; fix the input, or pass --allow-nan to accept "
                     "them as non-standard JSON" % name)


def _encoded_value(e: BaseException) -> Any:
    """The value the failed ``JSONEncoder.encode`` call was given: its first argument after ``self``."""
    tb = e.__traceback__
    below = tb.tb_next if tb is not None else None
    if below is None or below.tb_frame.f_code is not _ENCODE_CODE:
        return None
    return below.tb_frame.f_locals.get(_ENCODE_CODE.co_varnames[1])


def _non_finite(value: Any) -> Any:
    """Where the first NaN or infinite float in ``value`` is, as "the float nan at result['a'][2]", or None. Each
    list or dict is looked at once, so a circular one (which the encoder rejects too) ends the walk."""
    stack: List[Tuple[Any, str]] = [(value, "result")]
    seen = set()
    while stack:
        item, path = stack.pop()
        if isinstance(item, float):
            if not math.isfinite(item):
                return "the float %r %s" % (item, "as the result" if path == "result" else "at " + path)
        elif isinstance(item, (dict, list, tuple)):
            if id(item) in seen:
                continue
            seen.add(id(item))
            if isinstance(item, dict):
                for key in reversed(list(item)):
                    if isinstance(key, float) and not math.isfinite(key):
                        return "the float %r as a key of %s" % (key, path)
                    stack.append((item[key], "%s[%r]" % (path, key)))
            else:
                for i in range(len(item) - 1, -1, -1):
                    stack.append((item[i], "%s[%d]" % (path, i)))
    return None


def _note_sigint() -> None:
    """Replace Python's default SIGINT handler (the worker's, in the main thread) by one that notes the signal."""
    if threading.current_thread() is not threading.main_thread():
        return
    if signal.getsignal(signal.SIGINT) is signal.default_int_handler:
        signal.signal(signal.SIGINT, _on_sigint)


def _on_sigint(signum: int, frame: Any) -> None:
    global _sigint_received
    _sigint_received = True
    raise KeyboardInterrupt


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
