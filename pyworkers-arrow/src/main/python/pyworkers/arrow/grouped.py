"""SQL_GROUPED_MAP_ARROW_UDF (209, applyInArrow): a function over each group whole (``docs/protocol.md`` 7.5).

The function gets the group as one ``pyarrow.Table`` (``f(table)``, or ``f(key, table)`` with ``key`` a tuple of
``pyarrow.Scalar``, the key columns of the group's first row) and returns a ``pyarrow.Table`` (or a
``RecordBatch``) with any number of rows, matched to the declared result schema by column name (Spark's
``assignColumnsByName``) or by position. SQL_GROUPED_MAP_PANDAS_UDF (201, :mod:`pyworkers.arrow.grouped_pandas`)
shares the command, the framing and the matching; only the argument and the conversion of the result differ.

Command: ``int`` k key columns (0..1000), k × ``int`` column (>= 0); ``int`` key argument (0: ``f(data)``, 1:
``f(key, data)``); ``int`` column match (0: by name, 1: by position); ``int`` max records per result batch (>= 1);
the chain of one function (``int`` 1, fn); ``int`` length (1..16 MiB) and the result schema as one IPC message.

Data, JVM to worker: nothing for a task without a row. Else the input schema message once, then per group with
rows: the control frame GROUP_START (8 bytes: ``int`` 1, ``int`` group index), its record batches, GROUP_END
(``int`` 2, ``int`` row count). Worker to JVM: before the first result batch the result schema message, then per
group its result batches (none when it returned no row, each at most max-records rows) and GROUP_END (``int`` 2,
``int`` result row count). Control frames are big-endian; their kind is never -1, so they never start like an IPC
message (``0xFFFFFFFF``).
"""
import struct
from dataclasses import dataclass
from typing import Any, Callable, List, Optional, Tuple

from pyworkers import evaltypes, protocol
from pyworkers.evaltypes import END_OF_DATA, ProtocolError, TaskIO

from .scalar import CONTINUATION, MAX_SCHEMA_MESSAGE, ArrowResultError, _note, pa

__all__ = ["GroupedCommand", "GroupedMapHandler", "GroupPlace", "MapHandlerBase", "HANDLER", "GROUP_START",
           "GROUP_END", "control_frame", "read_grouped_command", "read_key_columns", "read_map_function",
           "match_columns", "group_body", "protocol_failure", "result_batches", "result_sender"]

HEADER = "task header"
GROUP_START = 1
GROUP_END = 2
_CONTROL = struct.Struct(">ii")
MAX_KEY_COLUMNS = 1000


def control_frame(kind: int, payload: int) -> bytes:
    """The 8 bytes of a control frame."""
    return _CONTROL.pack(kind, payload)


@dataclass(frozen=True)
class GroupedCommand:
    key_columns: tuple
    key_argument: bool
    by_name: bool
    max_records: int
    function: Any  # FunctionSpec
    result_schema: Any  # pyarrow.Schema


def read_key_columns(inp: protocol.Readable, eval_name: str, side: str = "") -> tuple:
    """``int`` k key columns (0..1000), k × ``int`` column (>= 0); ``side`` ("left ", "right ") starts each
    message."""
    k = evaltypes.read_count(inp, MAX_KEY_COLUMNS, "%skey column count of %s" % (side, eval_name))
    keys = []
    for _ in range(k):
        c = evaltypes.read_int(inp, "%skey column of %s" % (side, eval_name))
        if c < 0:
            raise ProtocolError("%skey column %d of %s must be >= 0 in %s" % (side, c, eval_name, HEADER))
        keys.append(c)
    return tuple(keys)


def read_map_function(inp: protocol.Readable, eval_name: str) -> Tuple[bool, bool, int, Any, Any]:
    """What follows the key columns in a grouped or cogrouped map command: the key argument flag, the column match
    (True: by name), the max records per batch, the function and the result schema."""
    key_argument = evaltypes.read_count(inp, 1, "key argument flag of %s" % eval_name)
    match = evaltypes.read_count(inp, 1, "column match of %s (0 by name, 1 by position)" % eval_name)
    max_records = evaltypes.read_count(inp, 2 ** 31 - 1, "max records per batch of %s" % eval_name, low=1)
    chain = evaltypes.read_chain(inp, eval_name)
    if len(chain) != 1:
        raise ProtocolError("%s runs one function, but %s holds a chain of %d" % (eval_name, HEADER, len(chain)))
    size = evaltypes.read_count(inp, MAX_SCHEMA_MESSAGE, "length of the %s result schema" % eval_name, low=1)
    message = protocol.read_exact(inp, size)
    if not message.startswith(CONTINUATION):
        raise ProtocolError("the %s result schema in %s does not start with the Arrow IPC continuation marker "
                            "0xFFFFFFFF (it starts with %s)" % (eval_name, HEADER, message[:4].hex()))
    return key_argument == 1, match == 0, max_records, chain[0], pa.ipc.read_schema(pa.py_buffer(message))


def read_grouped_command(inp: protocol.Readable, eval_name: str) -> GroupedCommand:
    keys = read_key_columns(inp, eval_name)
    return GroupedCommand(keys, *read_map_function(inp, eval_name))


def match_columns(names: List[str], schema: Any, by_name: bool, where: object, what: str) -> List[int]:
    """The index in ``names`` (the result's columns) of each declared field, or :class:`ArrowResultError` naming
    both sides."""
    declared = schema.names
    if by_name:
        missing = [n for n in declared if n not in names]
        extra = [n for n in names if n not in declared]
        if missing or extra:
            raise ArrowResultError("%s returned a %s with columns %s, but the declared result schema has %s "
                                   "(matched by name): missing %s, unexpected %s" % (
                                       where, what, names, declared, missing, extra))
        if len(set(names)) != len(names):
            raise ArrowResultError("%s returned a %s with duplicate column names %s" % (where, what, names))
        return [names.index(n) for n in declared]
    if len(names) != len(declared):
        raise ArrowResultError("%s returned a %s with %d columns %s, but the declared result schema has %d %s "
                               "(matched by position)" % (where, what, len(names), names, len(declared), declared))
    return list(range(len(declared)))


def _arrow_argument(table: Any) -> Any:
    return table


def _arrow_key(table: Any, keys: tuple) -> tuple:
    return tuple(table.column(c)[0] for c in keys)


def _arrow_result(result: Any, schema: Any, by_name: bool, where: object) -> Any:
    if isinstance(result, pa.RecordBatch):
        result = pa.Table.from_batches([result])
    if isinstance(result, pa.Table) and result.schema.equals(schema):
        return result  # names, order, types and nullability already declared: either match is the identity
    if not isinstance(result, pa.Table):
        raise ArrowResultError("%s returned a %s; a SQL_GROUPED_MAP_ARROW_UDF function returns a pyarrow.Table of "
                               "schema %s" % (where, type(result).__name__, _show(schema)))
    columns = match_columns(result.column_names, schema, by_name, where, "pyarrow.Table")
    arrays = []
    for field, i in zip(schema, columns):
        column = result.column(i)
        if column.type != field.type:
            raise ArrowResultError("%s returned column %r of type %s, but the declared result schema has %r of type "
                                   "%s: cast it (column.cast(...)) or declare %s" % (
                                       where, result.column_names[i], column.type, field.name, field.type,
                                       column.type))
        arrays.append(column)
    return pa.Table.from_arrays(arrays, schema=schema)


def _show(schema: Any) -> str:
    return "(%s)" % ", ".join("%s: %s" % (f.name, f.type) for f in schema)


class GroupPlace:
    """Where a grouped UDF ran, for messages (``"%s" % place``): the text, with the group's key, is made only when a
    message needs it, since making it costs about as much as the rest of the call on a small group. It holds the
    group's table until then."""

    __slots__ = ("_label", "_group", "_table", "_keys", "_key_of", "_key", "_partition")

    def __init__(self, label: str, group: int, table: Any, keys: tuple, key_of: Callable[[Any, tuple], tuple],
                 key: Optional[tuple], partition: int) -> None:
        self._label, self._group, self._table, self._keys = label, group, table, keys
        self._key_of, self._key, self._partition = key_of, key, partition

    def __str__(self) -> str:
        key = self._key if self._key is not None else self._key_of(self._table, self._keys)
        return "%s on group %d (key %s) of partition %d" % (self._label, self._group, _key_text(key),
                                                            self._partition)


class MapHandlerBase:
    """What the grouped and the cogrouped map handlers share. ``to_arg`` turns a group's (or a cogroup side's)
    ``pyarrow.Table`` into the function's argument, ``key_of`` gives the key tuple from a table and its key columns,
    ``to_table`` checks the result and returns a ``pyarrow.Table`` of the declared schema or raises
    :class:`ArrowResultError`. Stateless."""

    accepts_null_input = False

    def __init__(self, name: str, to_arg: Callable[[Any], Any], key_of: Callable[[Any, tuple], tuple],
                 to_table: Callable[[Any, Any, bool, object], Any]) -> None:
        self.name = name
        self._to_arg = to_arg
        self._key_of = key_of
        self._to_table = to_table

    def _load_function(self, command: Any) -> Tuple[Any, str]:
        """The command's function and its label for messages, ``UDF <name> of <eval type>``."""
        function = evaltypes.load_function(command.function, "the function of %s" % self.name)
        return function, "UDF %s of %s" % (getattr(function, "__name__", "?"), self.name)


class GroupedMapHandler(MapHandlerBase):
    """Stateless; one instance serves every task of its eval type in the worker. ``to_arg``, ``key_of`` and
    ``to_table`` are :class:`MapHandlerBase`'s, over a group's table. ``batched``, if given, makes the ``run_many``
    of :func:`group_body` from ``call(table, group, arg)`` (the function's call on one group, returning the result
    and the group's description for messages; ``arg`` None means ``to_arg(table)``), the schema, the column match
    and the per-group ``run``; it may return None to handle each group alone."""

    def __init__(self, name: str, to_arg: Callable[[Any], Any], key_of: Callable[[Any, tuple], tuple],
                 to_table: Callable[[Any, Any, bool, object], Any], batched: Optional[Callable[..., Any]] = None
                 ) -> None:
        super().__init__(name, to_arg, key_of, to_table)
        self._batched = batched

    def read_command(self, inp: protocol.Readable) -> GroupedCommand:
        return read_grouped_command(inp, self.name)

    def load(self, command: GroupedCommand, task: TaskIO) -> Callable[[], None]:
        function, label = self._load_function(command)
        schema = command.result_schema
        keys, by_name, key_argument = command.key_columns, command.by_name, command.key_argument
        partition = task.partition_index
        to_arg, key_of, to_table = self._to_arg, self._key_of, self._to_table

        def call(table: Any, group: int, arg: Any) -> Tuple[Any, Any]:
            key = key_of(table, keys) if key_argument else None
            where = GroupPlace(label, group, table, keys, key_of, key, partition)
            try:
                if arg is None:
                    arg = to_arg(table)
                return (function(key, arg) if key_argument else function(arg)), where
            except Exception as e:
                _note(e, "while running %s" % where)
                raise

        def run(table: Any, group: int) -> Any:
            result, where = call(table, group, None)
            return to_table(result, schema, by_name, where)

        run_many = self._batched(call, schema, by_name, run) if self._batched is not None else None
        return group_body(self.name, task, schema, keys, command.max_records, run, run_many)


#: Result batches are cut at about this many bytes too (by the table's average row size), Spark's
#: ``spark.sql.execution.arrow.maxBytesPerBatch`` default; the JVM's own limit applies to the input it sends.
MAX_BATCH_BYTES = 64 << 20


def result_batches(table: Any, max_records: int) -> List[Any]:
    """``table``'s rows as record batches of at most ``max_records`` rows and about :data:`MAX_BATCH_BYTES` bytes
    (one row at least), without a copy."""
    rows = table.num_rows
    if rows == 0:
        return []
    if rows <= max_records and table.get_total_buffer_size() <= MAX_BATCH_BYTES:
        return table.to_batches()  # the buffers' whole size bounds the rows' bytes: no cut needed, nor nbytes's cost
    per_row = max(1, -(-table.nbytes // rows))
    return table.to_batches(max_chunksize=max(1, min(max_records, MAX_BATCH_BYTES // per_row)))


def result_sender(task: TaskIO, schema: Any, max_records: int) -> Callable[[Any], None]:
    """``send(table)`` for one task: the result schema message before the first result batch of the task, the rows
    of ``table`` (a group's or a cogroup's result, of ``schema``) in batches of :func:`result_batches`, then
    GROUP_END with its row count."""
    schema_frame = memoryview(schema.serialize())
    sent_schema = False

    def send(out: Any) -> None:
        nonlocal sent_schema
        rows = out.num_rows
        if rows:
            if not sent_schema:
                evaltypes.write_frame(task.write, schema_frame)
                sent_schema = True
            for batch in result_batches(out, max_records):
                if batch.num_rows:
                    evaltypes.write_frame(task.write, memoryview(batch.serialize()))
        evaltypes.write_frame(task.write, control_frame(GROUP_END, rows))

    return send


def protocol_failure(task: TaskIO) -> Callable[[str], None]:
    """``fail(message)`` for one task: records a :class:`ProtocolError` of ``message`` as the input's failure and
    raises it."""
    def fail(message: str) -> None:
        task.inp.failure = ProtocolError(message)
        raise task.inp.failure

    return fail


#: At most this many groups wait for one batched call of ``run_many`` (besides the max-records bound on their rows).
MAX_PENDING_GROUPS = 4096


def group_body(name: str, task: TaskIO, schema: Any, keys: tuple, max_records: int,
               run: Callable[[Any, int], Any],
               run_many: Optional[Callable[[List[Tuple[Any, int]], Callable[[Any], None]], None]] = None
               ) -> Callable[[], None]:
    """The body of a grouped task: reads the framing of the module docstring, calls ``run(table, group index)``
    once per group (``table`` the group's rows, one ``pyarrow.Table``), and sends the ``pyarrow.Table`` it returns
    (of ``schema``) in batches of at most ``max_records`` rows, then GROUP_END.

    With ``run_many``, groups that arrive back to back are handled together: while the next frame is already
    there (:meth:`~pyworkers.protocol.SocketInput.frame_ready`) and fewer than ``max_records`` rows (and
    :data:`MAX_PENDING_GROUPS` groups) wait, a finished group waits too; then ``run_many(pending, emit)`` gets the
    waiting ``(table, group index)`` pairs and must call ``emit(result table)`` once per group, in order, for every
    group it finished before it raises, if it raises. The worker never waits for input with finished groups unsent,
    so a JVM that feeds a group only after it has read the last one's answer cannot deadlock."""
    fail = protocol_failure(task)
    emit = result_sender(task, schema, max_records)

    def body() -> None:
        input_schema = None
        batches = None  # the batches of the open group
        group = -1
        pending: List[Tuple[Any, int]] = []
        pending_rows = 0
        while True:
            frame = task.inp.read_frame()
            if frame is END_OF_DATA:
                if batches is not None:
                    fail("the data of a %s task ended inside group %d (no GROUP_END)" % (name, group))
                if pending:
                    run_many(pending, emit)
                return
            if frame is None:
                fail("NULL frame (-5) in the data of a %s task" % name)
            if input_schema is None:
                if bytes(frame[:4]) != CONTINUATION:
                    fail("the first data frame of a %s task is not the input schema message (it starts with "
                         "%s, not 0xFFFFFFFF)" % (name, bytes(frame[:4]).hex()))
                input_schema = pa.ipc.read_schema(pa.py_buffer(bytes(frame)))
                for c in keys:
                    if c >= len(input_schema):
                        fail("column %d of %s is not a column of the input schema (%d columns: %s)" % (
                            c, name, len(input_schema), ", ".join(input_schema.names)))
                continue
            if bytes(frame[:4]) == CONTINUATION:
                if batches is None:
                    fail("a record batch of a %s task arrived outside a group (after group %d)" % (name, group))
                # the group's batches outlive the read buffer: one copy of the frame each
                batches.append(pa.ipc.read_record_batch(pa.py_buffer(bytes(frame)), input_schema))
                continue
            if len(frame) != _CONTROL.size:
                fail("a data frame of %d bytes of a %s task is neither an Arrow IPC message nor an 8-byte "
                     "control frame" % (len(frame), name))
            kind, payload = _CONTROL.unpack(bytes(frame))
            if kind == GROUP_START:
                if batches is not None:
                    fail("GROUP_START of group %d in a %s task inside group %d" % (payload, name, group))
                batches, group = [], payload
                continue
            if kind != GROUP_END:
                fail("control frame kind %d in a %s task: expected 1 (GROUP_START) or 2 (GROUP_END)" % (
                    kind, name))
            if batches is None:
                fail("GROUP_END in a %s task outside a group (after group %d)" % (name, group))
            table = pa.Table.from_batches(batches, schema=input_schema)
            batches = None
            if table.num_rows != payload:
                fail("GROUP_END of group %d of a %s task says %d rows, but %d arrived" % (
                    group, name, payload, table.num_rows))
            if run_many is None:
                emit(run(table, group))
                del table
                continue
            pending.append((table, group))
            pending_rows += table.num_rows
            del table
            if pending_rows >= max_records or len(pending) >= MAX_PENDING_GROUPS or not task.inp.frame_ready():
                run_many(pending, emit)
                pending = []
                pending_rows = 0

    return body


def _key_text(key: tuple) -> str:
    return "(%s)" % ", ".join(repr(k.as_py() if hasattr(k, "as_py") else k) for k in key)


HANDLER = GroupedMapHandler("SQL_GROUPED_MAP_ARROW_UDF", _arrow_argument, _arrow_key, _arrow_result)
