"""SQL_BATCHED_UDF (eval type 100): UDFs called once per row over pickled batches (``docs/protocol.md`` section 5).

Command: ``int`` n UDFs; per UDF its argument offsets and chain; ``u8`` row layout (1 tuples, 2 bare values);
``u8`` result layout (1 pickled, 2 raw 64-bit ints for one UDF). Standard library only.
"""
from dataclasses import dataclass
from typing import Any, Callable, List, Tuple

from .. import protocol
from ..functions import FunctionSpec, Udf, batch_mapper, chain_label, load_function
from ..protocol import END_OF_DATA, ProtocolError, ResultLayout, RowLayout
from ..serializers import BatchPickler, Int64BatchPickler, loads_batch, write_frame
from . import HEADER, TaskIO, read_chain, read_count, read_int, read_u8

__all__ = ["UdfCommand", "BatchedCommand", "BatchedUdfHandler", "HANDLER"]


@dataclass(frozen=True)
class UdfCommand:
    offsets: Tuple[int, ...]
    functions: Tuple[FunctionSpec, ...]


@dataclass(frozen=True)
class BatchedCommand:
    udfs: Tuple[UdfCommand, ...]
    bare_rows: bool = False
    int64_results: bool = False


def _read_udf(inp: protocol.Readable, owner: str) -> UdfCommand:
    count = read_count(inp, 1000, "argument count of %s" % owner)
    offsets = []
    for _ in range(count):
        offset = read_int(inp, "argument offset of %s" % owner)
        if offset < 0:
            raise ProtocolError("argument offset %d of %s must be >= 0 in %s" % (offset, owner, HEADER))
        offsets.append(offset)
    return UdfCommand(tuple(offsets), read_chain(inp, owner))


class BatchedUdfHandler:
    """Stateless; one instance serves every SQL_BATCHED_UDF task of the worker."""

    name = "SQL_BATCHED_UDF"
    accepts_null_input = False

    def read_command(self, inp: protocol.Readable) -> BatchedCommand:
        count = read_count(inp, 1000, "UDF count", low=1)
        udfs = tuple(_read_udf(inp, "UDF %d" % (i + 1)) for i in range(count))
        layout = read_u8(inp, "row layout")
        if layout not in (RowLayout.TUPLES, RowLayout.BARE):
            raise ProtocolError("row layout %d is unknown in %s: expected 1 (tuples) or 2 (bare values)" % (
                layout, HEADER))
        bare_rows = layout == RowLayout.BARE
        if bare_rows:
            for i, udf in enumerate(udfs):
                if any(offset != 0 for offset in udf.offsets):
                    raise ProtocolError("UDF %d has argument offsets %s, but with row layout 2 (bare values) every "
                                        "offset must be 0 in %s" % (i + 1, list(udf.offsets), HEADER))
        results = read_u8(inp, "result layout")
        if results not in (ResultLayout.PICKLED, ResultLayout.INT64):
            raise ProtocolError("result layout %d is unknown in %s: expected 1 (pickled) or 2 (64-bit ints)" % (
                results, HEADER))
        if results == ResultLayout.INT64 and len(udfs) != 1:
            raise ProtocolError("result layout 2 (64-bit ints) needs exactly one UDF, but %s has %d" % (
                HEADER, len(udfs)))
        return BatchedCommand(udfs, bare_rows, results == ResultLayout.INT64)

    def load(self, command: BatchedCommand, task: TaskIO) -> Callable[[], None]:
        udfs = []
        for i, udf in enumerate(command.udfs):
            count = len(udf.functions)
            functions = tuple(
                load_function(spec, "function %d of %d of UDF %d" % (j + 1, count, i + 1))
                for j, spec in enumerate(udf.functions)
            )
            udfs.append(Udf(udf.offsets, functions, chain_label(i + 1, functions)))
        dumps: Callable[[List[Any]], bytes] = (
            Int64BatchPickler().dumps if command.int64_results else BatchPickler().dumps)
        mapper = batch_mapper(udfs, bare=command.bare_rows)
        inp = task.inp

        def body() -> None:
            read_frame, loads, write = inp.read_frame, loads_batch, task.out.write
            while True:
                frame = read_frame()
                if frame is END_OF_DATA:
                    return
                if frame is None:
                    inp.failure = ProtocolError(
                        "NULL frame (-5) in the data of a SQL_BATCHED_UDF task: its frames are pickled lists of rows")
                    raise inp.failure
                write_frame(write, dumps(mapper(loads(frame))))

        return body


HANDLER = BatchedUdfHandler()
