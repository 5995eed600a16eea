"""SQL_WINDOW_AGG_ARROW_UDF (253): aggregate UDFs over window frames, one value per input row
(``docs/protocol.md`` 7.7).

A window partition is one group of the grouped framing (:mod:`pyworkers.arrow.grouped`: GROUP_START, its record
batches, GROUP_END with its row count). Each UDF has its own frame, and is called per partition or per row:

- unbounded (kind 0): once with its argument columns of the whole partition (``pyarrow.Array`` s); the one value
  it returns is the result of every row of the partition;
- ROWS (kind 1, ``start``, ``end`` relative to the current row; ``-2**31`` is UNBOUNDED PRECEDING, ``2**31 - 1``
  UNBOUNDED FOLLOWING): once per row ``i`` over the rows ``[i + start, i + end + 1)`` clamped to the partition,
  computed here from the command (no bytes on the wire);
- caller bounds (kind 2, two int32 columns of the input): once per row over ``[lower, upper)``, row indices into
  the partition, checked ``0 <= lower <= upper <= rows`` and non-null (:class:`WindowBoundsError` otherwise).

A frame may be empty (``lower == upper``): the function then gets zero-length arrays. The function returns one
value (a ``pyarrow.Scalar`` of the declared type, no cast, or a Python value that converts to it); the answer to a
partition is its rows' values in input order, column ``_i`` for UDF i, in record batches of at most max-records
rows (a batch never holds rows of two partitions), then GROUP_END with the partition's row count.
SQL_WINDOW_AGG_PANDAS_UDF (203, :mod:`pyworkers.arrow.window_pandas`) shares all of this; it passes
``pandas.Series`` and converts the results back as 7.3 says.

Command: ``int`` n UDFs (1..1000); per UDF ``int`` k argument offsets (0..1000), k × ``int`` offset (>= 0), its
chain (``int`` m, m × fn, innermost first), ``int`` frame kind, and for kinds 1 and 2 two ``int`` s (start and end,
or the lower and upper bound columns); then ``int`` max records per result batch (>= 1); then ``int`` length
(1..16 MiB) and the result schema (``_0.._{n-1}``) as one IPC schema message.
"""
from dataclasses import dataclass
from typing import Any, Callable, List, Sequence, Tuple

from pyworkers import evaltypes, protocol
from pyworkers.evaltypes import MissingDependency, ProtocolError, TaskIO

from .grouped import group_body
from .scalar import CONTINUATION, MAX_SCHEMA_MESSAGE, ArrowResultError, _compose, _note, pa

try:
    import numpy as np  # pyarrow runs without it; the frames' bounds are numpy vectors
except ImportError as e:  # only this task fails, with the hint (docs/spi.md, step 5)
    raise MissingDependency("numpy", "pip install numpy (pyworkers-arrow's window UDFs need it in the workers' "
                                     "Python)") from e

__all__ = ["WindowCommand", "WindowUdf", "WindowBoundsError", "WindowHandler", "HANDLER", "UNBOUNDED", "ROWS",
           "BOUNDS", "UNBOUNDED_PRECEDING", "UNBOUNDED_FOLLOWING", "read_window_command", "rows_bounds"]

HEADER = "task header"
UNBOUNDED, ROWS, BOUNDS = 0, 1, 2
UNBOUNDED_PRECEDING = -2 ** 31
UNBOUNDED_FOLLOWING = 2 ** 31 - 1
_NON_SCALAR_ARROW = (pa.Array, pa.ChunkedArray, pa.Table, pa.RecordBatch)


class WindowBoundsError(ValueError):
    """The caller's bound columns of a window frame are not row indices ``0 <= lower <= upper <= rows``."""


@dataclass(frozen=True)
class WindowUdf:
    offsets: Tuple[int, ...]
    functions: Tuple[Any, ...]
    kind: int
    first: int  # ROWS: start; BOUNDS: the lower bound column
    second: int  # ROWS: end; BOUNDS: the upper bound column


@dataclass(frozen=True)
class WindowCommand:
    udfs: Tuple[WindowUdf, ...]
    max_records: int
    result_schema: Any  # pyarrow.Schema


def read_window_command(inp: protocol.Readable, eval_name: str) -> WindowCommand:
    count = evaltypes.read_count(inp, 1000, "%s UDF count" % eval_name, low=1)
    udfs = []
    for i in range(count):
        owner = "UDF %d of %s" % (i + 1, eval_name)
        k = evaltypes.read_count(inp, 1000, "argument count of %s" % owner)
        offsets = []
        for _ in range(k):
            offset = evaltypes.read_int(inp, "argument offset of %s" % owner)
            if offset < 0:
                raise ProtocolError("argument offset %d of %s must be >= 0 in %s" % (offset, owner, HEADER))
            offsets.append(offset)
        chain = evaltypes.read_chain(inp, owner)
        kind = evaltypes.read_count(inp, 2, "frame kind of %s (0 unbounded, 1 rows, 2 bound columns)" % owner)
        first = second = 0
        if kind == ROWS:
            first = evaltypes.read_int(inp, "frame start of %s" % owner)
            second = evaltypes.read_int(inp, "frame end of %s" % owner)
            if first == UNBOUNDED_FOLLOWING or second == UNBOUNDED_PRECEDING or first > second:
                raise ProtocolError("the ROWS frame of %s in %s starts at %d and ends at %d: the start must be <= "
                                    "the end, neither UNBOUNDED FOLLOWING nor UNBOUNDED PRECEDING on the wrong side"
                                    % (owner, HEADER, first, second))
        elif kind == BOUNDS:
            first = evaltypes.read_int(inp, "lower bound column of %s" % owner)
            second = evaltypes.read_int(inp, "upper bound column of %s" % owner)
            if first < 0 or second < 0:
                raise ProtocolError("the bound columns %d and %d of %s in %s must be >= 0" % (
                    first, second, owner, HEADER))
        udfs.append(WindowUdf(tuple(offsets), chain, kind, first, second))
    max_records = evaltypes.read_count(inp, 2 ** 31 - 1, "max records per batch of %s" % eval_name, low=1)
    size = evaltypes.read_count(inp, MAX_SCHEMA_MESSAGE, "length of the %s result schema" % eval_name, low=1)
    message = protocol.read_exact(inp, size)
    if not message.startswith(CONTINUATION):
        raise ProtocolError("the %s result schema in %s does not start with the Arrow IPC continuation marker "
                            "0xFFFFFFFF (it starts with %s)" % (eval_name, HEADER, message[:4].hex()))
    schema = pa.ipc.read_schema(pa.py_buffer(message))
    if len(schema) != count:
        raise ProtocolError("the %s result schema in %s has %d fields, but there are %d UDFs" % (
            eval_name, HEADER, len(schema), count))
    return WindowCommand(tuple(udfs), max_records, schema)


def rows_bounds(rows: int, start: int, end: int) -> Tuple[List[int], List[int]]:
    """The frame ``[lower, upper)`` of every row of a partition of ``rows`` rows for ``ROWS BETWEEN start AND
    end`` (relative to the current row), clamped to the partition: ``lower <= upper`` as ``start <= end``."""
    i = np.arange(rows, dtype=np.int64)
    lower = [0] * rows if start == UNBOUNDED_PRECEDING else np.clip(i + start, 0, rows).tolist()
    upper = [rows] * rows if end == UNBOUNDED_FOLLOWING else np.clip(i + end + 1, 0, rows).tolist()
    return lower, upper


def column_bounds(table: Any, lower_column: int, upper_column: int, where: str) -> Tuple[List[int], List[int]]:
    """The caller's bounds of every row, checked: int32, non-null, ``0 <= lower <= upper <= rows``."""
    rows = table.num_rows
    sides = []
    for side, c in (("lower", lower_column), ("upper", upper_column)):
        column = table.column(c).combine_chunks()
        name = table.schema.names[c]
        if column.type != pa.int32():
            raise WindowBoundsError("the %s bound column %d (%r) of %s is of type %s; window bounds are int32 row "
                                    "indices into the partition" % (side, c, name, where, column.type))
        if column.null_count:
            row = int(np.argmax(column.is_null().to_numpy(zero_copy_only=False)))
            raise WindowBoundsError("the %s bound column %d (%r) of %s is null at row %d of the partition; every "
                                    "row needs both bounds (give an empty frame as lower == upper)" % (
                                        side, c, name, where, row))
        sides.append(column.to_numpy())
    lower, upper = sides
    bad = (lower < 0) | (lower > upper) | (upper > rows)
    if bad.any():
        row = int(np.argmax(bad))
        raise WindowBoundsError("%s has the frame [%d, %d) at row %d (bound columns %d and %d), but bounds must be "
                                "0 <= lower <= upper <= %d, the partition's row count" % (
                                    where, lower[row], upper[row], row, lower_column, upper_column, rows))
    return lower.tolist(), upper.tolist()


def call_frames(function: Callable[..., Any], args: Sequence[Any], lower: List[int], upper: List[int],
                slicer: Callable[[Any, int, int], Any], where_row: Callable[[int], str]) -> List[Any]:
    """``function`` once per row over its frame's slices of ``args``: the hot path of bounded frames, so the
    slices are views (``slicer``) and the one-argument case has a loop of its own."""
    out: List[Any] = []
    append = out.append
    i = 0
    try:
        if len(args) == 1:
            arg = args[0]
            for i in range(len(lower)):
                append(function(slicer(arg, lower[i], upper[i])))
        else:
            for i in range(len(lower)):
                lo, hi = lower[i], upper[i]
                append(function(*[slicer(a, lo, hi) for a in args]))
    except Exception as e:
        _note(e, "while running " + where_row(i))
        raise
    return out


def _arrow_slice(array: Any, lower: int, upper: int) -> Any:
    return array.slice(lower, upper - lower)


def _arrow_values(values: List[Any], declared: Any, where_row: Callable[[int], str]) -> Any:
    # pyarrow.array truncates a float declared as an int (0.5 becomes 0) without a word: only integral ones pass
    integer = pa.types.is_integer(declared)
    plain = []
    for i, r in enumerate(values):
        if isinstance(r, pa.Scalar):
            if r.type != declared:
                raise ArrowResultError("%s returned a pyarrow.Scalar of type %s, but its declared result type is %s: "
                                       "cast it or declare %s" % (where_row(i), r.type, declared, r.type))
            r = r.as_py()
        elif isinstance(r, _NON_SCALAR_ARROW):
            raise ArrowResultError("%s returned a %s; a SQL_WINDOW_AGG_ARROW_UDF function returns one value (a "
                                   "pyarrow.Scalar of type %s) per frame" % (where_row(i), type(r).__name__, declared))
        elif integer and isinstance(r, (float, np.floating)) and not (np.isfinite(r) and float(r).is_integer()):
            raise ArrowResultError("%s returned %r (a %s), which does not convert to its declared result type %s "
                                   "without loss: return an integral value, or declare a floating point type" % (
                                       where_row(i), r, type(r).__name__, declared))
        plain.append(r)
    try:
        return pa.array(plain, type=declared)
    except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError, TypeError, ValueError) as e:
        for i, r in enumerate(plain):  # the failure path only: find the row
            try:
                pa.array([r], type=declared)
            except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError, TypeError, ValueError) as one:
                raise ArrowResultError("%s returned %r (a %s), which does not convert to its declared result type "
                                       "%s: %s" % (where_row(i), values[i], type(values[i]).__name__, declared,
                                                   one)) from one
        raise ArrowResultError("%s returned values that do not convert together to the declared result type %s: %s"
                               % (where_row(0), declared, e)) from e


class WindowHandler:
    """Stateless; one instance serves every task of its eval type in the worker. ``to_arg`` turns one argument
    column (a partition's ``pyarrow.ChunkedArray``) into the function's argument, ``slicer(arg, lower, upper)``
    gives the rows ``[lower, upper)`` of one as a view, and ``to_values(values, declared, where_row)`` turns the
    values of a partition's rows into one ``pyarrow.Array`` of the declared type or raises
    :class:`~pyworkers.arrow.scalar.ArrowResultError` naming the row (``where_row(i)``)."""

    accepts_null_input = False

    def __init__(self, name: str, to_arg: Callable[[Any], Any], slicer: Callable[[Any, int, int], Any],
                 to_values: Callable[[List[Any], Any, Callable[[int], str]], Any]) -> None:
        self.name = name
        self._to_arg = to_arg
        self._slicer = slicer
        self._to_values = to_values

    def read_command(self, inp: protocol.Readable) -> WindowCommand:
        return read_window_command(inp, self.name)

    def load(self, command: WindowCommand, task: TaskIO) -> Callable[[], None]:
        udfs = []
        columns = set()
        for i, udf in enumerate(command.udfs):
            count = len(udf.functions)
            functions = [evaltypes.load_function(spec, "function %d of %d of UDF %d of %s" % (
                j + 1, count, i + 1, self.name)) for j, spec in enumerate(udf.functions)]
            label = "UDF %d (%s) of %s" % (i + 1, getattr(functions[-1], "__name__", "?"), self.name)
            udfs.append((udf, _compose(functions), label))
            columns.update(udf.offsets)
            if udf.kind == BOUNDS:
                columns.update((udf.first, udf.second))
        schema = command.result_schema
        partition = task.partition_index
        to_arg, slicer, to_values = self._to_arg, self._slicer, self._to_values
        indices = pa.array(np.zeros(0, dtype=np.int64))

        def run(table: Any, group: int) -> Any:
            nonlocal indices
            rows = table.num_rows
            arrays = []
            for (udf, function, label), field in zip(udfs, schema):
                args = [to_arg(table.column(o)) for o in udf.offsets]
                if udf.kind == UNBOUNDED:
                    where = "%s on window partition %d (its %d rows whole) of partition %d" % (
                        label, group, rows, partition)
                    try:
                        value = function(*args)
                    except Exception as e:
                        _note(e, "while running " + where)
                        raise
                    one = to_values([value], field.type, lambda i: where)
                    if len(indices) != rows:
                        indices = pa.array(np.zeros(rows, dtype=np.int64))
                    arrays.append(one.take(indices))
                    continue
                if udf.kind == ROWS:
                    lower, upper = rows_bounds(rows, udf.first, udf.second)
                else:
                    lower, upper = column_bounds(table, udf.first, udf.second, "%s on window partition %d of "
                                                 "partition %d" % (label, group, partition))

                def where_row(i: int) -> str:
                    return "%s on row %d (frame [%d, %d)) of window partition %d of partition %d" % (
                        label, i, lower[i], upper[i], group, partition)

                values = call_frames(function, args, lower, upper, slicer, where_row)
                arrays.append(to_values(values, field.type, where_row))
            return pa.Table.from_arrays(arrays, schema=schema)

        return group_body(self.name, task, schema, tuple(sorted(columns)), command.max_records, run)


HANDLER = WindowHandler("SQL_WINDOW_AGG_ARROW_UDF", lambda column: column.combine_chunks(), _arrow_slice,
                        _arrow_values)
