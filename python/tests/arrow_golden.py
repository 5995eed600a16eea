"""The scalar Arrow eval types' golden files (protocol/golden/arrow; docs/protocol.md section 7) and an in-process
runner of their real handler over a data section, shared by make_golden_arrow.py and test_arrow_golden.py.

The JVM's files (the command and the data section it sends) are written by the JUnit ArrowGoldenTest; the worker's
file (the result frames) by make_golden_arrow.py, with the handler run over the JVM's data section.
"""
import io
import struct
from pathlib import Path
from typing import Any, Iterable, List, Optional

from pyworkers import evaltypes, protocol

__all__ = ["ARROW_GOLDEN_DIR", "FrameInput", "split_frames", "run_handler", "golden_output", "grouped_golden_output"]

ARROW_GOLDEN_DIR = Path(__file__).resolve().parents[2] / "protocol" / "golden" / "arrow"


def split_frames(data: bytes) -> List[bytes]:
    """A data section (``int`` length, bytes; ... ``int -1``) as its frames."""
    frames, pos = [], 0
    while True:
        (n,) = struct.unpack_from(">i", data, pos)
        pos += 4
        if n < 0:
            assert n == -1 and pos == len(data), "a data section ends with -1 and nothing after it"
            return frames
        frames.append(data[pos:pos + n])
        pos += n


class FrameInput:
    """``task.inp`` over a list of frames: each as a ``memoryview`` at ``offset`` bytes into a buffer of its own
    (to try alignments), then END_OF_DATA."""

    def __init__(self, frames: List[bytes], offset: int = 0, waits: Iterable[int] = ()) -> None:
        self._frames = list(frames)
        self._offset = offset
        self._waits = set(waits)
        self._read = 0
        self.failure: Optional[BaseException] = None
        self.views: List[memoryview] = []
        self.unready_after: List[int] = []

    def frame_ready(self) -> bool:
        """As the socket's: False after frame k (counting from 1) for each k in ``waits``, as if the peer had not
        sent the next one yet; the frames read so far are noted in ``unready_after``."""
        if self._read in self._waits:
            self.unready_after.append(self._read)
            return False
        return True

    def read_frame(self) -> Any:
        if not self._frames:
            return evaltypes.END_OF_DATA
        self._read += 1
        frame = self._frames.pop(0)
        buf = bytearray(self._offset + len(frame))
        buf[self._offset:] = frame
        view = memoryview(buf)[self._offset:]
        self.views.append(view)
        return view


def run_handler(handler: Any, command: bytes, frames: List[bytes], partition: int = 0, offset: int = 0) -> bytes:
    """The handler's output (its data frames) for ``frames``, run in this process as the worker runs it."""
    cmd = handler.read_command(io.BytesIO(command))
    out = io.BytesIO()
    task = evaltypes.TaskIO(partition, FrameInput(frames, offset), out)  # type: ignore[arg-type]
    handler.load(cmd, task)()
    return out.getvalue()


def golden_output() -> bytes:
    """What make_golden_arrow.py writes: the pandas handler's result frames for the JVM's golden input, then -1."""
    from pyworkers.arrow import scalar_pandas
    command = (ARROW_GOLDEN_DIR / "scalar_pandas_command.bin").read_bytes()
    frames = split_frames((ARROW_GOLDEN_DIR / "scalar_input.bin").read_bytes())
    return run_handler(scalar_pandas.HANDLER, command, frames) + protocol.pack_int(-1)


def grouped_golden_output() -> bytes:
    """The grouped golden worker file: the SQL_GROUPED_MAP_ARROW_UDF handler's frames for the JVM's grouped input."""
    from pyworkers.arrow import grouped
    command = (ARROW_GOLDEN_DIR / "grouped_arrow_command.bin").read_bytes()
    frames = split_frames((ARROW_GOLDEN_DIR / "grouped_input.bin").read_bytes())
    return run_handler(grouped.HANDLER, command, frames) + protocol.pack_int(-1)
