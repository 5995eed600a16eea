"""The Python side of ``pyworkers run --pandas``: FUNC from FILE.py gets a pandas DataFrame per input frame and returns
a DataFrame with any number of rows, as Spark's ``mapInPandas`` does.

The JVM runs :func:`make_pandas_job`'s result as a NON_UDF function with raw-bytes frames in and out
(docs/protocol.md section 8):

* input frame, JSONL and CSV: an 8-byte big-endian number, the input line number of the frame's first line, then
  whole records of the input file, as for ``pyworkers.jobs``. For CSV, the first frame of every task is the header
  record. The frame is parsed here, with pyarrow's C++ readers, into one DataFrame.
* input frame, Arrow IPC file: 28 bytes, big-endian: the 1-based number of the frame's first row in the file (8), the
  record batch's index in the file (4), the first row within that batch (8) and the row count (8). The rows are read
  from the memory-mapped file; no data crosses the socket.
* output frame, one per input frame: a 4-byte big-endian count of the *input* records the frame answers (for the
  progress bar and the summary), then FUNC's result: JSON lines (``jsonl``) or Arrow IPC messages (``arrow``): the
  result's schema message, then one record batch message per chunk (none for an empty result), each padded to 8 bytes.
* a task with no input frame is the check the JVM runs before it reads any data: it imports pandas and pyarrow
  (an ImportError names the package and the pip command), checks ``--schema``, loads FUNC and yields one JSON record.

Types: FUNC gets the dtypes that pandas' own readers give with ``dtype_backend="numpy_nullable"``: ``Int64`` (and
the other widths), ``boolean``, ``Float64``, ``string``, each with ``pd.NA`` for null, so a frame with a null in an
int column keeps its ints (never float64, which would change values above 2**53) and the result's types do not hang
on whether a frame happens to hold a null; timestamps, dates and durations as pyarrow converts them. Each frame's
types are inferred from its own records.

JSON output, written by ``DataFrame.to_json(orient="records", lines=True)``: NaN, None, NaT and pandas' NA are
``null``; an infinite float is an error (JSON has no Infinity); floats have 15 significant digits (pandas' most);
timestamps and dates are ISO 8601 strings with nanoseconds (``...Z`` when time-zone aware), durations ISO 8601
durations; numpy ints are plain numbers; nested lists and dicts stay nested. Arrow output keeps every value exactly.

Failures are :mod:`pyworkers.jobs`' exception types, so the JVM's exit codes stay the same. Imports pandas and
pyarrow lazily: ``pyworkers.jobs`` stays standard-library only. Not thread-safe: a worker runs one task at a time.
"""
import json
import re
import struct
import sys
import time
import traceback
from typing import Any, Callable, Dict, Iterator, List, Optional, Tuple

from pyworkers import jobs
from pyworkers.jobs import MalformedRecordError, UdfLoadError, UdfRecordError

__all__ = ["INPUT_FORMATS", "OUTPUT_FORMATS", "JobArgumentError", "make_pandas_job", "parse_schema"]

INPUT_FORMATS = ("jsonl", "csv", "arrow")
OUTPUT_FORMATS = ("jsonl", "arrow")

_LINE_NUMBER = struct.Struct(">q")
_ARROW_FRAME = struct.Struct(">qiqq")
_COUNT = struct.Struct(">i")
_ROW = re.compile(r"\bin row (\d+)")
_EXCERPT_CHARS = 80
_MISSING_HINT = ("pyworkers run --pandas needs pandas and pyarrow in the workers' Python (%s): %s; install them "
                 "with: %s -m pip install pandas pyarrow")


class JobArgumentError(jobs.JobError):
    """An option of the run is wrong in a way only Python can tell (``--schema``), or pandas or pyarrow is missing;
    the JVM exits as for a bad argument."""


def make_pandas_job(udf_path: str, func_name: str, in_fmt: str, out_fmt: str, schema: str = "",
                    arrow_path: str = "") -> Callable[[int, Iterator[bytes]], Iterator[bytes]]:
    """The NON_UDF function of a pandas run. ``schema`` (``--schema``, "" for none): every result is cast to it
    (Arrow output). ``arrow_path``: the Arrow IPC input file, for ``in_fmt == "arrow"``. Loads FUNC now; a failure to
    load it, or to import pandas and pyarrow, is raised when the task calls the job."""
    if in_fmt not in INPUT_FORMATS:
        raise ValueError("unknown input format %r; expected one of %s" % (in_fmt, ", ".join(INPUT_FORMATS)))
    if out_fmt not in OUTPUT_FORMATS:
        raise ValueError("unknown output format %r; expected one of %s" % (out_fmt, ", ".join(OUTPUT_FORMATS)))
    jobs._entry(udf_path, func_name)  # a failure stays in the cache and is raised when the task calls the job
    jobs._note_sigint()

    def job(partition_index: int, frames: Iterator[bytes]) -> Iterator[bytes]:
        return _run(partition_index, udf_path, func_name, in_fmt, out_fmt, schema, arrow_path, frames)

    return job


def _run(partition: int, udf_path: str, func_name: str, in_fmt: str, out_fmt: str, schema_text: str,
         arrow_path: str, frames: Iterator[bytes]) -> Iterator[bytes]:
    jobs._sigint_received = False
    started = time.perf_counter()
    lib = _Libraries.load()
    schema = parse_schema(schema_text) if schema_text else None
    func, load_ms = jobs._load_cached(udf_path, func_name)
    first = next(frames, None)
    if first is None:
        info = {"python": "%d.%d.%d" % sys.version_info[:3], "executable": sys.executable,
                "load_ms": load_ms + (time.perf_counter() - started) * 1000.0,
                "pandas": lib.pd.__version__, "pyarrow": lib.pa.__version__}
        if arrow_path:
            info["arrow_batches"] = _arrow_file(lib, arrow_path).num_record_batches
        yield json.dumps(info).encode("utf-8")
        return
    writer = _ArrowWriter(lib, schema) if out_fmt == "arrow" else _JsonWriter(lib)
    ctx = _Context(partition, func, func_name, writer)
    if in_fmt == "arrow":
        reader = _arrow_file(lib, arrow_path)
        for frame in _chain(first, frames):
            yield ctx.call(*_arrow_frame(lib, arrow_path, reader, frame))
    elif in_fmt == "csv":
        line, header = _open(first)
        for frame in frames:
            yield ctx.call(*_csv_frame(lib, line, header, frame))
    else:
        for frame in _chain(first, frames):
            yield ctx.call(*_jsonl_frame(lib, frame))


def _chain(first: bytes, rest: Iterator[bytes]) -> Iterator[bytes]:
    yield first
    yield from rest


class _Libraries:
    """pandas, pyarrow and its readers, imported once per worker; a missing one is a :class:`JobArgumentError`."""

    _loaded: Optional["_Libraries"] = None

    def __init__(self) -> None:
        try:
            import numpy as np
            import pandas as pd
            import pyarrow as pa
            import pyarrow.csv as pa_csv
            import pyarrow.json as pa_json
        except ImportError as e:
            raise JobArgumentError(_MISSING_HINT % (sys.executable, e, sys.executable)) from None
        self.np, self.pd, self.pa, self.csv, self.json = np, pd, pa, pa_csv, pa_json
        nullable = {pa.int8(): pd.Int8Dtype(), pa.int16(): pd.Int16Dtype(), pa.int32(): pd.Int32Dtype(),
                    pa.int64(): pd.Int64Dtype(), pa.uint8(): pd.UInt8Dtype(), pa.uint16(): pd.UInt16Dtype(),
                    pa.uint32(): pd.UInt32Dtype(), pa.uint64(): pd.UInt64Dtype(), pa.bool_(): pd.BooleanDtype(),
                    pa.float32(): pd.Float32Dtype(), pa.float64(): pd.Float64Dtype(),
                    pa.string(): pd.StringDtype(), pa.large_string(): pd.StringDtype()}
        self.types_mapper = nullable.get

    @classmethod
    def load(cls) -> "_Libraries":
        if cls._loaded is None:
            cls._loaded = _Libraries()
        return cls._loaded


def parse_schema(text: str) -> Any:
    """``--schema``: ``name:type,name:type...`` with pyarrow's type names (int64, float64, string, bool, date32,
    timestamp[us], ...), as a pyarrow schema; a bad one is a :class:`JobArgumentError` naming the part."""
    pa = _Libraries.load().pa
    fields = []
    seen = set()
    for part in text.split(","):
        name, colon, type_name = part.strip().rpartition(":")
        if not colon or not name:
            raise JobArgumentError("bad --schema %r: %r is not NAME:TYPE; give e.g. --schema id:int64,name:string"
                                   % (text, part))
        try:
            arrow_type = pa.type_for_alias(type_name.strip())
        except ValueError:
            raise JobArgumentError("bad --schema %r: %r is not a pyarrow type name; use e.g. int64, float64, string, "
                                   "bool, date32, timestamp[us], duration[s]" % (text, type_name)) from None
        if name in seen:
            raise JobArgumentError("bad --schema %r: column %r is named twice" % (text, name))
        seen.add(name)
        fields.append(pa.field(name, arrow_type))
    return pa.schema(fields)


# ---------------------------------------------------------------------------------------------------------------------
# Input frames -> (DataFrame, what they are for messages, the input records they hold)


def _open(frame: bytes) -> Tuple[int, memoryview]:
    return _LINE_NUMBER.unpack_from(frame)[0], memoryview(frame)[8:]


def _last_line(first: int, frame: bytes) -> int:
    """The input line of the frame's last record's last line (a frame ends with a line end, but the file's last)."""
    return first + frame.count(b"\n", 8) - (1 if frame.endswith(b"\n") else 0)


def _lines_text(first: int, last: int) -> str:
    return "input line %d" % first if first == last else "input lines %d-%d" % (first, last)


def _jsonl_frame(lib: _Libraries, frame: bytes) -> Tuple[Any, str, int]:
    first, body = _open(frame)
    where = _lines_text(first, _last_line(first, frame))
    options = lib.json.ReadOptions(use_threads=False, block_size=max(len(body) + 1, 1 << 16))
    try:
        table = lib.json.read_json(lib.pa.BufferReader(body), read_options=options)
    except lib.pa.ArrowInvalid as e:
        raise _malformed_json(e, first, body, where) from None
    return table.to_pandas(types_mapper=lib.types_mapper), where, table.num_rows


def _malformed_json(e: Exception, first: int, body: memoryview, where: str) -> MalformedRecordError:
    """pyarrow's error names a row, counted without blank lines: name its input line and show it."""
    message = str(e)
    match = _ROW.search(message)
    if match:
        row = int(match.group(1))
        seen = -1
        for index, line in enumerate(bytes(body).split(b"\n")):
            if line.strip():
                seen += 1
                if seen == row:
                    text = line.decode("utf-8", "backslashreplace")
                    return MalformedRecordError("input line %d is not a JSON object that fits the table of its frame "
                                                "(%s): %s: %s" % (first + index, where, message, _excerpt(text)))
    return MalformedRecordError("%s are not JSON objects pyarrow can read as one table: %s" % (where, message))


def _csv_frame(lib: _Libraries, header_line: int, header: memoryview, frame: bytes) -> Tuple[Any, str, int]:
    first, body = _open(frame)
    where = _lines_text(first, _last_line(first, frame))
    head = bytes(header)
    if not head.endswith(b"\n"):
        head += b"\n"
    options = lib.csv.ReadOptions(use_threads=False, block_size=max(len(head) + len(body) + 1, 1 << 16))
    parse = lib.csv.ParseOptions(newlines_in_values=True)
    convert = lib.csv.ConvertOptions(strings_can_be_null=True)  # an empty field is null, as pandas.read_csv has it
    try:
        table = lib.csv.read_csv(lib.pa.BufferReader(head + bytes(body)), read_options=options, parse_options=parse,
                                 convert_options=convert)
    except lib.pa.ArrowInvalid as e:
        raise MalformedRecordError("%s (with the CSV header at input line %d) are not CSV pyarrow can read as one "
                                   "table: %s" % (where, header_line, e)) from None
    return table.to_pandas(types_mapper=lib.types_mapper), where, table.num_rows


_files: Dict[str, Any] = {}


def _arrow_file(lib: _Libraries, path: str) -> Any:
    """The IPC file reader of ``path``, memory-mapped, once per worker and path."""
    reader = _files.get(path)
    if reader is None:
        try:
            reader = lib.pa.ipc.open_file(lib.pa.memory_map(path, "r"))
        except (OSError, lib.pa.ArrowInvalid) as e:
            raise MalformedRecordError("--input %s is not an Arrow IPC file (Arrow file format, or Feather version "
                                       "2): %s" % (path, e)) from None
        _files[path] = reader
    return reader


def _arrow_frame(lib: _Libraries, path: str, reader: Any, frame: bytes) -> Tuple[Any, str, int]:
    """The frame's rows as a DataFrame. The JVM read the batch's metadata, not its body: a body that pyarrow cannot
    decode (compression), or whose buffers break Arrow's rules (offsets out of range, a wrong null count, invalid
    UTF-8: what full validation checks), is a damaged input, found before pandas reads memory it points at."""
    first_row, batch, offset, rows = _ARROW_FRAME.unpack(frame)
    where = "input record batch %d rows %d-%d" % (batch, first_row, first_row + rows - 1)
    try:
        data = reader.get_batch(batch).slice(offset, rows)
        data.validate(full=True)
    except (OSError, lib.pa.ArrowException) as e:
        raise MalformedRecordError("--input %s: record batch %d (rows %d-%d) cannot be read: %s; the file is damaged: "
                                   "write it again from its source"
                                   % (path, batch, first_row, first_row + rows - 1, " ".join(str(e).split()))) from None
    return data.to_pandas(types_mapper=lib.types_mapper), where, rows


# ---------------------------------------------------------------------------------------------------------------------
# FUNC and the results


class _Context:
    """What one task calls FUNC with and writes its results through."""

    def __init__(self, partition: int, func: Callable[[Any], Any], func_name: str, writer: Any) -> None:
        self.partition = partition
        self.func = func
        self.func_name = func_name
        self.writer = writer

    def call(self, df: Any, where: str, records: int) -> bytes:
        try:
            result = self.func(df)
        except BaseException as e:
            if isinstance(e, KeyboardInterrupt) and jobs._sigint_received:
                raise
            raise UdfRecordError("%s raised %s on the DataFrame of partition %d (%s, %d rows): %s\n%s"
                                 % (self.func_name, jobs._type_name(e), self.partition, where, records, e,
                                    _user_traceback(e))) from None
        pd = _Libraries.load().pd
        if not isinstance(result, pd.DataFrame):
            raise UdfRecordError("%s returned %s for partition %d (%s); in --pandas mode FUNC takes a pandas "
                                 "DataFrame and returns one (with any number of rows)"
                                 % (self.func_name, _describe(result), self.partition, where))
        try:
            payload = self.writer.write(result)
        except _ResultError as e:
            raise UdfRecordError("the result of %s for partition %d (%s) cannot be written: %s"
                                 % (self.func_name, self.partition, where, e)) from None
        return _COUNT.pack(records) + payload


class _ResultError(Exception):
    """FUNC's DataFrame cannot be written to OUT; the message says why and what to do."""


def _check_columns(df: Any) -> None:
    """Column names once each; a named index (``groupby(...).sum()``'s) is data that OUT would lose: refused. An
    unnamed index (a filter's leftover row numbers) is dropped, as in Spark."""
    index_names = [n for n in df.index.names if n is not None]
    if index_names:
        raise _ResultError("its index is named %s: OUT holds columns only; call reset_index() to keep the index as "
                           "columns, or reset_index(drop=True) to drop it" % [str(n) for n in index_names])
    names = [str(c) for c in df.columns]
    if len(set(names)) != len(names):
        twice = sorted({n for n in names if names.count(n) > 1})
        raise _ResultError("it names column(s) %s more than once; give every column its own name" % twice)


class _JsonWriter:
    """JSON lines, the bytes ``DataFrame.to_json`` writes (see the module's docstring); an infinite float is an
    error. A result whose columns are all ints, bools or strings without a character that to_json escapes is
    written by pyarrow's vectorized string kernels instead, about three times as fast, to the same bytes (the
    pytest checks both ways against each other); anything else goes through to_json."""

    def __init__(self, lib: _Libraries) -> None:
        self.lib = lib
        import pyarrow.compute as pc
        self.pc = pc

    def write(self, df: Any) -> bytes:
        _check_columns(df)
        np = self.lib.np
        for name in df.columns:
            column = df[name]
            if column.dtype.kind == "f" or str(column.dtype).startswith("Float"):
                values = column.to_numpy(dtype="float64", na_value=np.nan)
                bad = np.isinf(values)
                if bad.any():
                    row = int(np.argmax(bad))
                    raise _ResultError("column %r holds %r at result row %d (from 0); JSON (RFC 8259) has no "
                                       "Infinity: replace it (e.g. with None), or write Arrow output (.arrow), which "
                                       "keeps it" % (str(name), float(values[row]), row))
        if len(df) == 0:
            return b""
        fast = self._vectorized(df)
        if fast is not None:
            return fast
        try:
            text = df.to_json(orient="records", lines=True, date_format="iso", date_unit="ns", double_precision=15,
                              force_ascii=False)
        except (TypeError, ValueError, OverflowError) as e:
            raise _ResultError("pandas' to_json failed: %s: %s; return columns of numbers, strings, bools, "
                               "timestamps, lists or dicts" % (jobs._type_name(e), e)) from None
        data = text.encode("utf-8")
        return data if data.endswith(b"\n") else data + b"\n"

    def _vectorized(self, df: Any) -> Optional[bytes]:
        """The JSON lines of ``df`` built column-wise with pyarrow: ``{"a":1,"b":"x"}\n`` per row, or None when a
        column is of another type (floats included: to_json writes 15 digits, pyarrow the shortest form) or holds a
        character to_json escapes."""
        pa, pc, np = self.lib.pa, self.pc, self.lib.np
        names = [str(c) for c in df.columns]
        if any(_NEEDS_ESCAPE.search(n) for n in names):
            return None
        kinds = {str(t) for t in df.dtypes}
        if not kinds <= _FAST_DTYPES:
            return None
        try:
            table = pa.Table.from_pandas(df, preserve_index=False).combine_chunks()
        except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError):
            return None
        text_type = pa.large_string()  # one string type for every part (the kernels take no mix), 64-bit offsets

        def literal(value: str) -> Any:
            return pa.scalar(value, text_type)

        parts: List[Any] = []
        for i, column in enumerate(table.columns):
            array = column.chunk(0) if column.num_chunks == 1 else pa.concat_arrays(column.chunks)
            kind = array.type
            if pa.types.is_integer(kind):
                text = pc.cast(array, text_type)
            elif pa.types.is_boolean(kind):
                text = pc.if_else(array, literal("true"), literal("false"))
            elif pa.types.is_string(kind) or pa.types.is_large_string(kind):
                if pc.any(pc.match_substring_regex(array, _NEEDS_ESCAPE_RE2)).as_py():
                    return None
                text = pc.binary_join_element_wise(literal('"'), pc.cast(array, text_type), literal('"'), literal(""))
            elif pa.types.is_null(kind):
                text = pa.nulls(len(array), text_type)
            else:
                return None
            parts.append(literal(('{"%s":' if i == 0 else ',"%s":') % names[i]))
            parts.append(pc.fill_null(text, literal("null")))
        parts.append(literal("}\n"))
        lines = pc.binary_join_element_wise(*parts, literal(""))
        offsets = np.frombuffer(lines.buffers()[1], dtype=np.int64)[lines.offset:lines.offset + len(lines) + 1]
        return lines.buffers()[2][int(offsets[0]):int(offsets[-1])].to_pybytes()


# What to_json escapes in a string (and, to be safe, the separators JavaScript treats as line ends): such a column
# goes through to_json.
_NEEDS_ESCAPE = re.compile("[\x00-\x1f\"\\\\/\x7f\u2028\u2029]")
_NEEDS_ESCAPE_RE2 = r'[\x00-\x1f"\\/\x7f\x{2028}\x{2029}]'  # the same class in pyarrow's (RE2) syntax
_FAST_DTYPES = {"Int8", "Int16", "Int32", "Int64", "UInt8", "UInt16", "UInt32", "UInt64", "int8", "int16", "int32",
                "int64", "uint8", "uint16", "uint32", "uint64", "bool", "boolean", "string", "str", "object"}


class _ArrowWriter:
    """Arrow IPC messages: the schema, then the batches. Categories are written as their values (no dictionary
    messages); with ``--schema`` every result is cast to it, safely (an overflow or a lossy cast fails)."""

    def __init__(self, lib: _Libraries, schema: Any) -> None:
        self.lib = lib
        self.schema = schema

    def write(self, df: Any) -> bytes:
        _check_columns(df)
        pa = self.lib.pa
        try:
            if self.schema is not None:
                names = [str(c) for c in df.columns]
                missing = [f.name for f in self.schema if f.name not in names]
                extra = [n for n in names if self.schema.get_field_index(n) < 0]
                if missing or extra:
                    raise _ResultError("its columns %s do not match --schema %s:%s%s" % (
                        names, self.schema.names, " missing %s" % missing if missing else "",
                        " extra %s" % extra if extra else ""))
                table = pa.Table.from_pandas(df, schema=self.schema, preserve_index=False, safe=True)
            else:
                table = pa.Table.from_pandas(df, preserve_index=False)
        except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError) as e:
            raise _ResultError("pyarrow cannot convert it%s: %s" % (
                " to --schema" if self.schema is not None else "", e)) from None
        table = table.replace_schema_metadata(None)
        fields = table.schema
        if any(pa.types.is_dictionary(f.type) for f in fields):
            table = table.cast(pa.schema([pa.field(f.name, f.type.value_type if pa.types.is_dictionary(f.type)
                                                   else f.type, f.nullable) for f in fields]))
        parts = [table.schema.serialize().to_pybytes()]
        for batch in table.to_batches():
            if batch.num_rows:
                parts.append(batch.serialize().to_pybytes())
        return b"".join(parts)


# ---------------------------------------------------------------------------------------------------------------------
# Messages


def _describe(value: Any) -> str:
    text = " ".join(repr(value).split())
    if len(text) > _EXCERPT_CHARS:
        text = text[:_EXCERPT_CHARS] + "..."
    return "%s %s" % (type(value).__name__, text)


def _excerpt(text: str) -> str:
    text = text.rstrip("\r\n")
    return repr(text) if len(text) <= _EXCERPT_CHARS else repr(text[:_EXCERPT_CHARS]) + "..."


def _user_traceback(e: BaseException) -> str:
    """The traceback of ``e`` from the first frame outside pyworkers' job modules on, as Python prints it."""
    ours = (__file__, jobs.__file__)
    tb = e.__traceback__
    while tb is not None and tb.tb_frame.f_code.co_filename in ours:
        tb = tb.tb_next
    return "".join(traceback.format_exception(type(e), e, tb)).rstrip("\n")

