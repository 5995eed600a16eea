"""PWIT_PREFIX (9000): each UTF-8 record ``s`` becomes ``prefix + f(s)``; then marker -6 and the record count.

Command: ``str`` prefix, then a chain of one function. Built only on ``pyworkers.evaltypes`` and
``pyworkers.protocol``, as a module author's handler would be.
"""
from typing import Any, Callable, Tuple

from pyworkers import evaltypes, protocol

__all__ = ["PrefixHandler", "HANDLER", "COUNT_MARKER"]

COUNT_MARKER = -6


class PrefixHandler:
    name = "PWIT_PREFIX"
    accepts_null_input = False

    def read_command(self, inp: protocol.Readable) -> Tuple[str, Any]:
        prefix = evaltypes.read_str(inp, "PWIT_PREFIX prefix")
        chain = evaltypes.read_chain(inp, "the PWIT_PREFIX function")
        return prefix, chain

    def load(self, command: Tuple[str, Any], task: evaltypes.TaskIO) -> Callable[[], None]:
        prefix, chain = command
        function = evaltypes.load_function(chain[0], "the PWIT_PREFIX function")

        def body() -> None:
            answered = 0
            while True:
                frame = task.inp.read_frame()
                if frame is evaltypes.END_OF_DATA:
                    break
                if frame is None:
                    task.inp.failure = evaltypes.ProtocolError("NULL frame (-5) in the data of a PWIT_PREFIX task")
                    raise task.inp.failure
                result = prefix + function(bytes(frame).decode("utf-8"))
                evaltypes.write_frame(task.write, result.encode("utf-8"))
                answered += 1
            task.write(protocol.pack_int(COUNT_MARKER) + protocol.pack_int(answered))

        return body


HANDLER = PrefixHandler()
