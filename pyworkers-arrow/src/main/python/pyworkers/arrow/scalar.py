"""SQL_SCALAR_ARROW_UDF (250): scalar UDFs over Arrow record batches (``docs/protocol.md`` section 7).

Each UDF gets its argument columns of one input batch as ``pyarrow.Array`` s and returns one ``pyarrow.Array`` of
the batch's length and of its declared type; the results of all UDFs go back as one record batch, columns
``_0.._{n-1}``. SQL_SCALAR_PANDAS_UDF (200, :mod:`pyworkers.arrow.scalar_pandas`) shares the command, the framing
and the checks, and differs only in how a column reaches the function and how its result comes back.

Command: ``int`` n UDFs (1..1000); per UDF ``int`` k argument offsets (0..1000), k × ``int`` offset (>= 0) and its
chain (``int`` m, m × fn, innermost first); then ``int`` length (1..16 MiB) and the result schema as one Arrow IPC
schema message, n fields ``_0.._{n-1}`` of the declared types.

Data, JVM to worker: no frame at all for a task without input; else the first data frame is the input's schema
message and each further one a record batch message. Worker to JVM: before the first result batch one frame with
the result schema message, then one frame per input batch with its result batch. Every frame is an encapsulated IPC
message (it starts with the continuation marker ``0xFFFFFFFF``); a frame that starts otherwise is kept for the
control frames of the grouped eval types and is a protocol error here, except the shared-memory frames of section
7.10 (:mod:`pyworkers.arrow.shm`): an SHM_FOLDER before the schema, and SHM_BATCH in place of a batch, both ways.
"""
import sys
from dataclasses import dataclass
from typing import Any, Callable, List, Optional, Sequence, Tuple

from pyworkers import evaltypes, protocol
from pyworkers.evaltypes import END_OF_DATA, MissingDependency, ProtocolError, TaskIO

from . import shm

try:
    import pyarrow as pa
except ImportError as e:  # only this task fails, with the hint (docs/spi.md, step 5)
    raise MissingDependency("pyarrow", "pip install pyarrow (pyworkers-arrow needs it in the workers' Python)") from e

__all__ = ["ScalarCommand", "ScalarUdf", "ArrowResultError", "ScalarHandler", "HANDLER", "CONTINUATION",
           "read_scalar_command", "aligned_buffer"]

HEADER = "task header"
#: The first four bytes of every encapsulated Arrow IPC message.
CONTINUATION = b"\xff\xff\xff\xff"
MAX_SCHEMA_MESSAGE = 16 * 1024 * 1024


class ArrowResultError(Exception):
    """A UDF's result is not of its batch's length or does not fit its declared Arrow type."""


@dataclass(frozen=True)
class ScalarUdf:
    offsets: Tuple[int, ...]
    functions: Tuple[Any, ...]


@dataclass(frozen=True)
class ScalarCommand:
    udfs: Tuple[ScalarUdf, ...]
    result_schema: Any  # pyarrow.Schema


def read_scalar_command(inp: protocol.Readable, eval_name: str) -> ScalarCommand:
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
        udfs.append(ScalarUdf(tuple(offsets), evaltypes.read_chain(inp, owner)))
    size = evaltypes.read_count(inp, MAX_SCHEMA_MESSAGE, "length of the %s result schema" % eval_name, low=1)
    message = protocol.read_exact(inp, size)
    if not message.startswith(CONTINUATION):
        raise ProtocolError("the %s result schema in %s does not start with the Arrow IPC continuation marker "
                            "0xFFFFFFFF (it starts with %s)" % (eval_name, HEADER, message[:4].hex()))
    schema = pa.ipc.read_schema(pa.py_buffer(message))
    if len(schema) != count:
        raise ProtocolError("the %s result schema in %s has %d fields, but there are %d UDFs" % (
            eval_name, HEADER, len(schema), count))
    return ScalarCommand(tuple(udfs), schema)


def aligned_buffer(frame: Any) -> Any:
    """The frame as a pyarrow buffer, without a copy when it starts on an 8-byte boundary (the IPC message pads its
    metadata and body buffers to 8 bytes, so pyarrow then reads every buffer in place). A frame larger than the
    worker's read buffer arrives in a buffer of its own and is always aligned; a smaller one starts wherever the
    previous frames left the read buffer, and is copied once, whole, when that is not 8-aligned."""
    buf = pa.py_buffer(frame)
    if buf.address % 8 == 0:
        return buf
    return pa.py_buffer(bytes(frame))  # CPython's bytes payload is 8-aligned: one copy, never per column


def _check_ipc(frame: Any, what: str) -> None:
    if bytes(frame[:4]) != CONTINUATION:
        raise ProtocolError("%s does not start with the Arrow IPC continuation marker 0xFFFFFFFF but with %s: "
                            "control frames are not valid in a scalar Arrow task" % (what, bytes(frame[:4]).hex()))


def _compose(functions: Sequence[Callable[..., Any]]) -> Callable[..., Any]:
    inner, outer = functions[0], functions[1:]
    if not outer:
        return inner

    def chained(*args: Any) -> Any:
        value = inner(*args)
        for f in outer:
            value = f(value)
        return value

    return chained


def _note(error: BaseException, text: str) -> None:
    """Adds the batch and UDF to the traceback of a user's exception, whose type and message stay its own."""
    if sys.version_info >= (3, 11):
        error.add_note(text)


class ScalarHandler:
    """Stateless; one instance serves every task of its eval type in the worker. ``to_arg`` turns one input column
    (a ``pyarrow.Array``) into the function's argument; ``call(function, args, rows)`` calls the UDF over one batch
    (by default ``function(*args)``, once per batch); ``to_array`` turns a result into a ``pyarrow.Array`` of the
    declared type or raises :class:`ArrowResultError`."""

    accepts_null_input = False

    def __init__(self, name: str, to_arg: Callable[[Any], Any],
                 to_array: Callable[[Any, Any, str], Any],
                 call: Optional[Callable[[Callable[..., Any], List[Any], int], Any]] = None) -> None:
        self.name = name
        self._to_arg = to_arg
        self._to_array = to_array
        self._call = call

    def read_command(self, inp: protocol.Readable) -> ScalarCommand:
        return read_scalar_command(inp, self.name)

    def load(self, command: ScalarCommand, task: TaskIO) -> Callable[[], None]:
        udfs = []
        for i, udf in enumerate(command.udfs):
            count = len(udf.functions)
            functions = [evaltypes.load_function(spec, "function %d of %d of UDF %d of %s" % (
                j + 1, count, i + 1, self.name)) for j, spec in enumerate(udf.functions)]
            label = "UDF %d (%s)" % (i + 1, getattr(functions[-1], "__name__", "?"))
            udfs.append((udf.offsets, _compose(functions), label))
        schema = command.result_schema
        partition = task.partition_index
        call = self._call

        def run(folders: List[Any]) -> None:
            input_schema = None
            folder = None
            index = 0
            sent_schema = False
            while True:
                frame = task.inp.read_frame()
                if frame is END_OF_DATA:
                    return
                if frame is None:
                    task.inp.failure = ProtocolError("NULL frame (-5) in the data of a %s task" % self.name)
                    raise task.inp.failure
                kind = None if frame[:4] == CONTINUATION else shm.control_kind(frame)
                if kind == shm.SHM_FOLDER and folder is None and input_schema is None:
                    folder = shm.SharedMemoryFolder(frame, "the first data frame of a %s task" % self.name)
                    folders.append(folder)
                    continue
                if input_schema is None:
                    _check_ipc(frame, "the first data frame (the input schema) of a %s task" % self.name)
                    input_schema = pa.ipc.read_schema(aligned_buffer(frame))
                    _check_offsets(udfs, input_schema, self.name)
                    continue
                what = "data frame %d (input batch %d) of a %s task" % (index + 1, index, self.name)
                if kind == shm.SHM_BATCH and folder is not None:
                    batch = folder.read(frame, input_schema, what)
                else:
                    _check_ipc(frame, what)
                    batch = pa.ipc.read_record_batch(aligned_buffer(frame), input_schema)
                arrays = []
                for (offsets, function, label), field in zip(udfs, schema):
                    where = "%s on input batch %d of partition %d" % (label, index, partition)
                    args = [self._to_arg(batch.column(o)) for o in offsets]
                    try:
                        result = function(*args) if call is None else call(function, args, batch.num_rows)
                    except Exception as e:
                        _note(e, "while running " + where)
                        raise
                    array = self._to_array(result, field.type, where)
                    if len(array) != batch.num_rows:
                        raise ArrowResultError("%s returned %d values for a batch of %d rows: a scalar UDF returns "
                                               "one value per row" % (where, len(array), batch.num_rows))
                    arrays.append(array)
                out = pa.RecordBatch.from_arrays(arrays, schema=schema)
                if not sent_schema:
                    evaltypes.write_frame(task.write, memoryview(schema.serialize()))
                    sent_schema = True
                if folder is None or not folder.write(task.write, out, index):
                    evaltypes.write_frame(task.write, memoryview(out.serialize()))
                if folder is not None:
                    task.out.flush()  # the JVM sends batch i + SLOTS only once it has this answer (section 7.10)
                index += 1
                del batch, arrays, out, args  # they may point into the input buffer, valid until the next read

        def body() -> None:
            folders: List[Any] = []
            try:
                run(folders)
            finally:
                for f in folders:
                    f.close()

        return body


def _check_offsets(udfs: List[Tuple[Tuple[int, ...], Any, str]], schema: Any, name: str) -> None:
    for offsets, _, label in udfs:
        for o in offsets:
            if o >= len(schema):
                raise ProtocolError("%s of %s reads column %d, but the input schema has %d columns (%s)" % (
                    label, name, o, len(schema), ", ".join(schema.names)))


def _arrow_result(result: Any, declared: Any, where: str) -> Any:
    if isinstance(result, pa.ChunkedArray):
        result = result.combine_chunks()
    if not isinstance(result, pa.Array):
        raise ArrowResultError("%s returned a %s; a SQL_SCALAR_ARROW_UDF function returns a pyarrow.Array of type %s"
                               % (where, type(result).__name__, declared))
    if result.type != declared:
        raise ArrowResultError("%s returned a pyarrow.Array of type %s, but its declared result type is %s: cast it "
                               "(array.cast(...)) or declare %s" % (where, result.type, declared, result.type))
    return result


HANDLER = ScalarHandler("SQL_SCALAR_ARROW_UDF", lambda column: column, _arrow_result)
