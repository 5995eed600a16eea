"""The iterator Arrow eval types (``docs/protocol.md`` section 7.4): the function gets an iterator over the task's
input batches and yields its results, streamed both ways (the worker never collects the partition).

* SQL_MAP_ARROW_ITER_UDF (207, mapInArrow): ``Iterator[pyarrow.RecordBatch] -> Iterator[pyarrow.RecordBatch]``,
  any number of batches of any number of rows, each of exactly the declared result schema (names and Arrow types
  equal; nothing is cast).
* SQL_SCALAR_ARROW_ITER_UDF (251): one UDF, ``Iterator[pyarrow.Array]`` (a tuple of arrays for several argument
  columns) ``-> Iterator[pyarrow.Array]``; the rows out must equal the rows in, as Spark checks them: a result
  that takes the output past the input consumed so far fails at once, and the function must consume its whole
  input.

The pandas forms (204, 205) are :mod:`pyworkers.arrow.iterators_pandas`. The framing is slice 1's plain framing
(:mod:`pyworkers.arrow.scalar`): JVM to worker the input's schema message, then one record batch message per
frame; worker to JVM the result schema message before the first result batch, written only once the function has
yielded one (a function that yields nothing sends no frame), then one frame per result batch.

Map command: the chain (``int`` 1, the function), then ``int`` length (1..16 MiB) and the result schema message.
Scalar iterator command: the scalar command (:func:`pyworkers.arrow.scalar.read_scalar_command`) with one UDF of
one function.
"""
from dataclasses import dataclass
from typing import Any, Callable, Iterator

from pyworkers import evaltypes, protocol
from pyworkers.evaltypes import END_OF_DATA, ProtocolError, TaskIO

from .scalar import (
    CONTINUATION, MAX_SCHEMA_MESSAGE, ArrowResultError, _arrow_result, _check_ipc, _note, pa, read_scalar_command,
)

__all__ = ["MapCommand", "BatchInput", "MapHandler", "ScalarIterHandler", "MAP_ARROW", "SCALAR_ARROW_ITER",
           "check_arrow_batch"]

HEADER = "task header"


@dataclass(frozen=True)
class MapCommand:
    function: Any  # FunctionSpec
    result_schema: Any  # pyarrow.Schema


def read_map_command(inp: protocol.Readable, eval_name: str) -> MapCommand:
    chain = evaltypes.read_chain(inp, "the UDF of %s" % eval_name)
    if len(chain) != 1:
        raise ProtocolError("the UDF of %s in %s chains %d functions; an iterator UDF is one function" % (
            eval_name, HEADER, len(chain)))
    size = evaltypes.read_count(inp, MAX_SCHEMA_MESSAGE, "length of the %s result schema" % eval_name, low=1)
    message = protocol.read_exact(inp, size)
    if not message.startswith(CONTINUATION):
        raise ProtocolError("the %s result schema in %s does not start with the Arrow IPC continuation marker "
                            "0xFFFFFFFF (it starts with %s)" % (eval_name, HEADER, message[:4].hex()))
    return MapCommand(chain[0], pa.ipc.read_schema(pa.py_buffer(message)))


class BatchInput:
    """The task's input batches as an iterator, each read from the socket only when the function asks for it. Each
    batch owns a copy of its frame (the function may keep it past the next read, which reuses the read buffer).
    Confined to the worker's task thread."""

    def __init__(self, task: TaskIO, name: str) -> None:
        self._task = task
        self._name = name
        self.schema: Any = None
        self.batches = 0
        self.rows = 0
        self.exhausted = False

    def __iter__(self) -> "BatchInput":
        return self

    def __next__(self) -> Any:
        if self.exhausted:
            raise StopIteration
        while True:
            frame = self._task.inp.read_frame()
            if frame is END_OF_DATA:
                self.exhausted = True
                raise StopIteration
            if frame is None:
                self._task.inp.failure = ProtocolError("NULL frame (-5) in the data of a %s task" % self._name)
                raise self._task.inp.failure
            if self.schema is None:
                _check_ipc(frame, "the first data frame (the input schema) of a %s task" % self._name)
                self.schema = pa.ipc.read_schema(pa.py_buffer(bytes(frame)))
                continue
            _check_ipc(frame, "data frame %d (input batch %d) of a %s task" % (
                self.batches + 1, self.batches, self._name))
            batch = pa.ipc.read_record_batch(pa.py_buffer(bytes(frame)), self.schema)
            self.batches += 1
            self.rows += batch.num_rows
            return batch


class _Output:
    """Writes the result schema before the first result batch, then each batch, flushed. Confined to the task
    thread."""

    def __init__(self, task: TaskIO, schema: Any) -> None:
        self._task = task
        self._schema = schema
        self.batches = 0
        self.rows = 0

    def write(self, batch: Any) -> None:
        if self.batches == 0:
            evaltypes.write_frame(self._task.write, memoryview(self._schema.serialize()))
        evaltypes.write_frame(self._task.write, memoryview(batch.serialize()))
        # out now: the function may compute a long time before it yields again or reads its input (a read that
        # would block flushes too)
        self._task.out.flush()
        self.batches += 1
        self.rows += batch.num_rows


def _iterate(results: Any, where: Callable[[], str], kind: str) -> Iterator[Any]:
    """The function's results, with the UDF and position added to an exception raised while producing one."""
    try:
        iterator = iter(results)
    except TypeError:
        raise ArrowResultError("%s returned a %s; it must return an iterator of %s (write it as a generator with "
                               "yield)" % (where(), type(results).__name__, kind)) from None
    while True:
        try:
            value = next(iterator)
        except StopIteration:
            return
        except Exception as e:
            _note(e, "while running " + where())
            raise
        yield value


def check_arrow_batch(batch: Any, schema: Any, where: str) -> Any:
    """A mapInArrow result: a record batch whose names and Arrow types equal the declared schema's, nothing cast."""
    if not isinstance(batch, pa.RecordBatch):
        raise ArrowResultError("%s yielded a %s; a SQL_MAP_ARROW_ITER_UDF function yields pyarrow.RecordBatch "
                               "objects of the declared schema (%s)" % (where, type(batch).__name__, _fields(schema)))
    if batch.schema.names != schema.names or any(a.type != b.type for a, b in zip(batch.schema, schema)):
        raise ArrowResultError("%s yielded a batch of schema (%s), but the declared result schema is (%s): the "
                               "names, their order and the Arrow types must be equal (cast the columns or declare "
                               "the schema the function returns)" % (where, _fields(batch.schema), _fields(schema)))
    return pa.RecordBatch.from_arrays(batch.columns, schema=schema)


def _fields(schema: Any) -> str:
    return ", ".join("%s: %s" % (f.name, f.type) for f in schema)


class MapHandler:
    """mapInArrow / mapInPandas. ``to_arg`` turns an input batch into what the function gets; ``to_batch`` turns
    what it yields into a record batch of the declared schema or raises :class:`ArrowResultError`. Stateless."""

    accepts_null_input = False

    def __init__(self, name: str, to_arg: Callable[[Any], Any], to_batch: Callable[[Any, Any, str], Any],
                 kind: str) -> None:
        self.name = name
        self._to_arg = to_arg
        self._to_batch = to_batch
        self._kind = kind

    def read_command(self, inp: protocol.Readable) -> MapCommand:
        return read_map_command(inp, self.name)

    def load(self, command: MapCommand, task: TaskIO) -> Callable[[], None]:
        function = evaltypes.load_function(command.function, "the UDF of %s" % self.name)
        label = "the UDF (%s) of %s" % (getattr(function, "__name__", "?"), self.name)
        schema = command.result_schema
        partition = task.partition_index

        def body() -> None:
            inp = BatchInput(task, self.name)
            out = _Output(task, schema)

            def where() -> str:
                return "%s at result batch %d of partition %d (after input batch %d)" % (
                    label, out.batches, partition, inp.batches - 1)

            args = (self._to_arg(b) for b in inp)
            try:
                results = function(args)
            except Exception as e:
                _note(e, "while running " + where())
                raise
            for value in _iterate(results, where, self._kind):
                out.write(self._to_batch(value, schema, where()))

        return body


class ScalarIterHandler:
    """The scalar iterator eval types (204, 251). ``to_arg`` and ``to_array`` as
    :class:`~pyworkers.arrow.scalar.ScalarHandler`'s. Stateless."""

    accepts_null_input = False

    def __init__(self, name: str, to_arg: Callable[[Any], Any], to_array: Callable[[Any, Any, str], Any],
                 kind: str) -> None:
        self.name = name
        self._to_arg = to_arg
        self._to_array = to_array
        self._kind = kind

    def read_command(self, inp: protocol.Readable) -> Any:
        command = read_scalar_command(inp, self.name)
        if len(command.udfs) != 1 or len(command.udfs[0].functions) != 1:
            raise ProtocolError("a %s task runs one UDF of one function, got %d UDFs (the first chains %d) in %s" % (
                self.name, len(command.udfs), len(command.udfs[0].functions), HEADER))
        return command

    def load(self, command: Any, task: TaskIO) -> Callable[[], None]:
        udf = command.udfs[0]
        function = evaltypes.load_function(udf.functions[0], "UDF 1 of %s" % self.name)
        label = "UDF 1 (%s) of %s" % (getattr(function, "__name__", "?"), self.name)
        schema = command.result_schema
        declared = schema[0].type
        offsets = udf.offsets
        partition = task.partition_index

        def body() -> None:
            inp = BatchInput(task, self.name)
            out = _Output(task, schema)

            def where() -> str:
                return "%s at result batch %d of partition %d (after input batch %d)" % (
                    label, out.batches, partition, inp.batches - 1)

            def args() -> Iterator[Any]:
                for batch in inp:
                    if any(o >= batch.num_columns for o in offsets):
                        raise ProtocolError("%s reads columns %s, but the input schema has %d columns (%s)" % (
                            label, list(offsets), batch.num_columns, ", ".join(batch.schema.names)))
                    columns = [self._to_arg(batch.column(o)) for o in offsets]
                    yield columns[0] if len(columns) == 1 else tuple(columns)

            try:
                results = function(args())
            except Exception as e:
                _note(e, "while running " + where())
                raise
            for value in _iterate(results, where, self._kind):
                array = self._to_array(value, declared, where())
                if out.rows + len(array) > inp.rows:
                    raise ArrowResultError(
                        "%s returned %d rows in total so far, more than the %d rows of the %d input batches it has "
                        "read: an iterator UDF returns one value per input row, in order" % (
                            where(), out.rows + len(array), inp.rows, inp.batches))
                out.write(pa.RecordBatch.from_arrays([array], schema=schema))
            if not inp.exhausted and next(inp, None) is not None:
                raise ArrowResultError("%s stopped after reading %d of its input batches: an iterator UDF must "
                                       "consume its whole input" % (label + " of partition %d" % partition,
                                                                    inp.batches - 1))
            if out.rows != inp.rows:
                raise ArrowResultError("%s of partition %d returned %d rows for %d input rows: an iterator UDF "
                                       "returns one value per input row" % (label, partition, out.rows, inp.rows))

        return body


MAP_ARROW = MapHandler("SQL_MAP_ARROW_ITER_UDF", lambda batch: batch, check_arrow_batch, "pyarrow.RecordBatch")
SCALAR_ARROW_ITER = ScalarIterHandler("SQL_SCALAR_ARROW_ITER_UDF", lambda column: column, _arrow_result,
                                      "pyarrow.Array")
