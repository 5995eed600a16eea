"""SQL_COGROUPED_MAP_ARROW_UDF (210, cogroup(...).applyInArrow): a function over each cogroup whole
(``docs/protocol.md`` 7.8).

A cogroup is one key's rows of two inputs, the left and the right side, each of its own schema. The function gets
the two sides as ``pyarrow.Table``s (``f(left, right)``, or ``f(key, left, right)`` with ``key`` a tuple of
``pyarrow.Scalar``, the key columns of the left side's first row, or of the right side's when the left has no row)
and returns a ``pyarrow.Table`` (or a ``RecordBatch``) with any number of rows, matched to the declared result
schema by column name or by position, and checked as a grouped map result (:mod:`pyworkers.arrow.grouped`). A side
without rows is an empty table of its side's columns. SQL_COGROUPED_MAP_PANDAS_UDF (206,
:mod:`pyworkers.arrow.cogrouped_pandas`) shares the command and the framing; only the arguments and the conversion
of the result differ.

Command: ``int`` k left key columns (0..1000), k × ``int`` column (>= 0); ``int`` k right key columns (the same k),
k × ``int`` column; ``int`` key argument (0: ``f(left, right)``, 1: ``f(key, left, right)``); ``int`` column match
(0: by name, 1: by position); ``int`` max records per result batch (>= 1); the chain of one function (``int`` 1,
fn); ``int`` length (1..16 MiB) and the result schema as one IPC message.

Data, JVM to worker: nothing for a task without a row. Else the left and then the right input schema message, once,
then per cogroup with a row on either side: GROUP_START (``int`` 1, ``int`` cogroup index), the left side's record
batches, LEFT_END (``int`` 3, ``int`` left row count), the right side's record batches, GROUP_END (``int`` 2,
``int`` right row count). Worker to JVM: before the first result batch the result schema message, then per cogroup
its result batches (each at most max-records rows) and GROUP_END (``int`` 2, ``int`` result row count).
"""
from dataclasses import dataclass
from typing import Any, Callable, List, Optional

from pyworkers import protocol
from pyworkers.evaltypes import END_OF_DATA, ProtocolError, TaskIO

from .grouped import (GROUP_END, GROUP_START, _CONTROL, MapHandlerBase, _arrow_argument, _arrow_key, _arrow_result,
                      _key_text, _show, protocol_failure, read_key_columns, read_map_function, result_sender)
from .scalar import CONTINUATION, ArrowResultError, _note, pa

__all__ = ["CogroupedCommand", "CogroupedMapHandler", "HANDLER", "LEFT_END", "read_cogrouped_command",
           "cogroup_body"]

HEADER = "task header"
LEFT_END = 3


@dataclass(frozen=True)
class CogroupedCommand:
    left_keys: tuple
    right_keys: tuple
    key_argument: bool
    by_name: bool
    max_records: int
    function: Any  # FunctionSpec
    result_schema: Any  # pyarrow.Schema


def read_cogrouped_command(inp: protocol.Readable, eval_name: str) -> CogroupedCommand:
    left = read_key_columns(inp, eval_name, "left ")
    right = read_key_columns(inp, eval_name, "right ")
    if len(left) != len(right):
        raise ProtocolError("%s has %d left key columns and %d right ones in %s; both sides have the same number" % (
            eval_name, len(left), len(right), HEADER))
    return CogroupedCommand(left, right, *read_map_function(inp, eval_name))


def _arrow_table(result: Any, schema: Any, by_name: bool, where: str) -> Any:
    """A Table or RecordBatch of the declared schema (grouped map's checks), else :class:`ArrowResultError`."""
    if not isinstance(result, (pa.Table, pa.RecordBatch)):
        raise ArrowResultError("%s returned a %s; a SQL_COGROUPED_MAP_ARROW_UDF function returns a pyarrow.Table "
                               "of schema %s" % (where, type(result).__name__, _show(schema)))
    return _arrow_result(result, schema, by_name, where)


class CogroupedMapHandler(MapHandlerBase):
    """Stateless; one instance serves every task of its eval type in the worker. ``to_arg``, ``key_of`` and
    ``to_table`` are :class:`~pyworkers.arrow.grouped.MapHandlerBase`'s, over each side's table."""

    def read_command(self, inp: protocol.Readable) -> CogroupedCommand:
        return read_cogrouped_command(inp, self.name)

    def load(self, command: CogroupedCommand, task: TaskIO) -> Callable[[], None]:
        function, label = self._load_function(command)
        schema = command.result_schema
        left_keys, right_keys = command.left_keys, command.right_keys
        by_name, key_argument = command.by_name, command.key_argument
        partition = task.partition_index
        to_arg, key_of, to_table = self._to_arg, self._key_of, self._to_table

        def run(left: Any, right: Any, cogroup: int) -> Any:
            key = key_of(left, left_keys) if left.num_rows else key_of(right, right_keys)
            where = "%s on cogroup %d (key %s) of partition %d" % (label, cogroup, _key_text(key), partition)
            try:
                a, b = to_arg(left), to_arg(right)
                result = function(key, a, b) if key_argument else function(a, b)
            except Exception as e:
                _note(e, "while running " + where)
                raise
            return to_table(result, schema, by_name, where)

        return cogroup_body(self.name, task, schema, (left_keys, right_keys), command.max_records, run)


def cogroup_body(name: str, task: TaskIO, schema: Any, keys: tuple, max_records: int,
                 run: Callable[[Any, Any, int], Any]) -> Callable[[], None]:
    """The body of a cogrouped task: reads the framing of the module docstring, calls ``run(left, right, cogroup
    index)`` once per cogroup (each side one ``pyarrow.Table`` of its schema, empty when it has no row), and sends
    the ``pyarrow.Table`` it returns (of ``schema``) in batches of at most ``max_records`` rows, then GROUP_END.
    ``keys`` are the left and the right key columns, checked against the input schemas."""
    sides = ("left", "right")
    fail = protocol_failure(task)
    send = result_sender(task, schema, max_records)

    def body() -> None:
        schemas: List[Any] = []  # the left and the right input schema
        batches: Optional[List[List[Any]]] = None  # the open cogroup's batches, per side
        side = 0  # the side being read: 0 left, 1 right
        rows = [0, 0]
        cogroup = -1
        while True:
            frame = task.inp.read_frame()
            if frame is END_OF_DATA:
                if batches is not None:
                    fail("the data of a %s task ended inside cogroup %d (on its %s side, no %s)" % (
                        name, cogroup, sides[side], "LEFT_END" if side == 0 else "GROUP_END"))
                if len(schemas) == 1:
                    fail("the data of a %s task ended after the left input schema, without the right one" % name)
                return
            if frame is None:
                fail("NULL frame (-5) in the data of a %s task" % name)
            is_message = bytes(frame[:4]) == CONTINUATION
            if len(schemas) < 2:
                if not is_message:
                    fail("data frame %d of a %s task is not the %s input schema message (it starts with %s, not "
                         "0xFFFFFFFF): the two input schemas come first" % (
                             len(schemas), name, sides[len(schemas)], bytes(frame[:4]).hex()))
                s = pa.ipc.read_schema(pa.py_buffer(bytes(frame)))
                for c in keys[len(schemas)]:
                    if c >= len(s):
                        fail("%s key column %d of %s is not a column of the %s input schema (%d columns: %s)" % (
                            sides[len(schemas)], c, name, sides[len(schemas)], len(s), ", ".join(s.names)))
                schemas.append(s)
                continue
            if is_message:
                if batches is None:
                    fail("a record batch of a %s task arrived outside a cogroup (after cogroup %d)" % (name, cogroup))
                # a cogroup's batches outlive the read buffer: one copy of the frame each
                batch = pa.ipc.read_record_batch(pa.py_buffer(bytes(frame)), schemas[side])
                batches[side].append(batch)
                rows[side] += batch.num_rows
                continue
            if len(frame) != _CONTROL.size:
                fail("a data frame of %d bytes of a %s task is neither an Arrow IPC message nor an 8-byte "
                     "control frame" % (len(frame), name))
            kind, payload = _CONTROL.unpack(bytes(frame))
            if kind == GROUP_START:
                if batches is not None:
                    fail("GROUP_START of cogroup %d in a %s task inside cogroup %d" % (payload, name, cogroup))
                batches, side, rows, cogroup = [[], []], 0, [0, 0], payload
                continue
            if kind not in (LEFT_END, GROUP_END):
                fail("control frame kind %d in a %s task: expected 1 (GROUP_START), 3 (LEFT_END) or 2 "
                     "(GROUP_END)" % (kind, name))
            if batches is None:
                fail("%s in a %s task outside a cogroup (after cogroup %d)" % (
                    "LEFT_END" if kind == LEFT_END else "GROUP_END", name, cogroup))
            if (kind == LEFT_END) != (side == 0):
                fail("%s of cogroup %d of a %s task on its %s side: a cogroup is GROUP_START, the left batches, "
                     "LEFT_END, the right batches, GROUP_END" % (
                         "LEFT_END" if kind == LEFT_END else "GROUP_END", cogroup, name, sides[side]))
            if rows[side] != payload:
                fail("%s of cogroup %d of a %s task says %d rows on the %s side, but %d arrived" % (
                    "LEFT_END" if kind == LEFT_END else "GROUP_END", cogroup, name, payload, sides[side],
                    rows[side]))
            if kind == LEFT_END:
                side = 1
                continue
            if rows[0] == 0 and rows[1] == 0:
                fail("cogroup %d of a %s task has no row on either side: such a cogroup is not sent" % (
                    cogroup, name))
            left = pa.Table.from_batches(batches[0], schema=schemas[0])
            right = pa.Table.from_batches(batches[1], schema=schemas[1])
            batches = None
            send(run(left, right, cogroup))
            del left, right

    return body


HANDLER = CogroupedMapHandler("SQL_COGROUPED_MAP_ARROW_UDF", _arrow_argument, _arrow_key, _arrow_table)
