"""NON_UDF (eval type 0): ``func(partition_index, iterator)`` over framed records (``docs/protocol.md`` section 5).

Command: the chain (innermost first), ``u8`` input serializer, ``u8`` output serializer, ``int`` output batch size.
Chained functions compose as ``f(index, g(index, iterator))``. Standard library only.
"""
from dataclasses import dataclass
from typing import Any, Callable, Tuple

from .. import protocol
from ..functions import FunctionSpec, compose_non_udf, load_function
from ..protocol import ProtocolError, SerializerKind
from ..serializers import read_records, write_records
from . import HEADER, TaskIO, read_chain, read_count

__all__ = ["NonUdfCommand", "NonUdfHandler", "HANDLER"]


@dataclass(frozen=True)
class NonUdfCommand:
    functions: Tuple[FunctionSpec, ...]
    input_serializer: SerializerKind
    output_serializer: SerializerKind
    output_batch_size: int


def _read_serializer(inp: protocol.Readable, what: str) -> SerializerKind:
    value = protocol.read_u8(inp, "%s in %s" % (what, HEADER))
    try:
        return SerializerKind(value)
    except ValueError:
        raise ProtocolError(
            "%s %d is unknown in %s: expected 1 (pickled batches), 2 (UTF-8) or 3 (raw bytes)" % (what, value, HEADER)
        ) from None


class NonUdfHandler:
    """Stateless; one instance serves every NON_UDF task of the worker."""

    name = "NON_UDF"
    accepts_null_input = True

    def read_command(self, inp: protocol.Readable) -> NonUdfCommand:
        functions = read_chain(inp, "the NON_UDF chain")
        input_serializer = _read_serializer(inp, "input serializer")
        output_serializer = _read_serializer(inp, "output serializer")
        batch_size = read_count(inp, 1000000, "output batch size", low=1)
        return NonUdfCommand(functions, input_serializer, output_serializer, batch_size)

    def load(self, command: NonUdfCommand, task: TaskIO) -> Callable[[], None]:
        count = len(command.functions)
        chain = [
            load_function(spec, "function %d of %d of the NON_UDF chain" % (i + 1, count))
            for i, spec in enumerate(command.functions)
        ]
        function = compose_non_udf(chain)
        index = task.partition_index
        write = task.out.write
        if any(getattr(f, "flush_each_record", False) for f in chain):
            # A function that answers each input record with one large record (the driver's map chunks) asks for
            # each answer to go out at once: otherwise a slow function's results would wait in the buffer until it
            # fills or the input runs dry (docs/protocol.md 9.2).
            out = task.out

            def write(data: bytes) -> None:
                out.write(data)
                out.flush()

        def body() -> None:
            records = read_records(task.inp, command.input_serializer)
            output: Any = None
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
                write_records(write, iterator, command.output_serializer, command.output_batch_size)
            finally:
                close = getattr(output, "close", None)
                if close is not None:
                    close()
                close = getattr(records, "close", None)
                if close is not None:
                    close()

        return body


HANDLER = NonUdfHandler()
