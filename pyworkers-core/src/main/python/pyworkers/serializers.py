"""NON_UDF serializers: data frames to records and records to data frames (``docs/protocol.md`` section 5).

Kinds (:class:`~pyworkers.protocol.SerializerKind`): ``1`` pickled batches (a frame is a pickled list of records;
output groups up to the task's output batch size per frame, pickle protocol 4), ``2`` UTF-8 (a frame is one ``str``),
``3`` raw bytes (a frame is one ``bytes``). A NULL frame (``-5``) is the record ``None`` in every input kind; on
output, ``None`` becomes a NULL frame for UTF-8 and raw bytes, and an element of the list for pickled batches.

Input is a generator that reads frames only as the task's function asks for records, so a partition streams through
the worker in bounded memory. Standard library only; one serializer belongs to one task on the session's thread.
"""
import io
import operator
import pickle
import struct
from array import array
from itertools import chain, islice
from typing import Any, Callable, Dict, Generator, Iterable, Iterator, List, Union

from .protocol import END_OF_DATA, MAX_FRAME, SerializerKind, SocketInput, SpecialLength

__all__ = ["read_records", "write_records", "write_frame", "frame_too_large", "BatchPickler", "Int64BatchPickler",
           "dumps_batch", "loads_batch"]

_INT = struct.Struct(">i")
_NULL_FRAME = _INT.pack(SpecialLength.NULL)
_SMALL_FRAME = 16 * 1024  # below this, length and payload go out in one write

_Write = Callable[[Union[bytes, bytearray, memoryview]], Any]


_Records = Generator[Any, None, None]

# The typed form of a pickled list from the JVM (docs/protocol.md section 5.2): head, type code, BINBYTES, raw, tail.
_TYPED_HEAD = b"\x80\x04\x8c\x05array\x8c\x0carray.tolist\x93\x8c\x05array\x8c\x05array\x93\x8c\x01"
_TYPED_RAW = len(_TYPED_HEAD) + 6  # the code, then BINBYTES and its u32 length
_TYPED_TAIL = b"\x86R\x85R."
_TYPED_CODES = {ord("q"): "q", ord("d"): "d"}


def loads_batch(frame: Any) -> Any:
    """A pickled list from the JVM. The typed form becomes an ``array`` of the same values without going through the
    unpickler (the list it describes would be built only to be iterated once); anything else is ``pickle.loads``.
    Either way the result is a sequence whose items are the batch's values, as ``int`` or ``float``."""
    if frame[:len(_TYPED_HEAD)] == _TYPED_HEAD:
        size = len(frame)
        code = _TYPED_CODES.get(frame[len(_TYPED_HEAD)])
        raw = int.from_bytes(frame[_TYPED_RAW - 4:_TYPED_RAW], "little")
        if (code is not None and frame[_TYPED_RAW - 5] == 0x42 and raw % 8 == 0
                and size == _TYPED_RAW + raw + len(_TYPED_TAIL) and frame[size - len(_TYPED_TAIL):] == _TYPED_TAIL):
            values = array(code)
            values.frombytes(frame[_TYPED_RAW:_TYPED_RAW + raw])
            return values
    return pickle.loads(frame)


def read_records(inp: SocketInput, kind: SerializerKind) -> Iterator[Any]:
    """The records of the task's data section, read lazily up to ``-1``."""
    if kind is SerializerKind.PICKLED_BATCHES:
        return _pickled_records(inp)
    if kind is SerializerKind.UTF8:
        return _utf8_records(inp)
    return _raw_records(inp)


def _pickled_records(inp: SocketInput) -> Iterator[Any]:
    # chain.from_iterable walks each batch in C: no Python-level step per record.
    return chain.from_iterable(_pickled_batches(inp))


def _frames(inp: SocketInput) -> Generator[Any, None, None]:
    """The data section's frames up to ``-1``: bytes-like, or ``None`` for a NULL frame."""
    read_frame = inp.read_frame
    while True:
        frame = read_frame()
        if frame is END_OF_DATA:
            return
        yield frame


def _pickled_batches(inp: SocketInput) -> Generator[Any, None, None]:
    loads = loads_batch
    for index, frame in enumerate(_frames(inp)):
        if frame is None:
            yield (None,)
            continue
        records = loads(frame)
        if records.__class__ is not list and not isinstance(records, (list, tuple, array)):
            raise TypeError(
                "input frame %d unpickled to %s, not a list of records: the pickled-batches serializer needs "
                "each frame to be a pickled list" % (index, type(records).__name__)
            )
        yield records


def _utf8_records(inp: SocketInput) -> _Records:
    for index, frame in enumerate(_frames(inp)):
        if frame is None:
            yield None
            continue
        try:
            text = str(frame, "utf-8")
        except UnicodeDecodeError as e:
            raise ValueError("input record %d is not valid UTF-8: %s" % (index, e)) from e
        yield text


def _raw_records(inp: SocketInput) -> _Records:
    for frame in _frames(inp):
        yield None if frame is None else bytes(frame)


def frame_too_large(size: int, what: str) -> ValueError:
    return ValueError(
        "%s is %d bytes, over the max data frame of %d bytes; produce smaller records or batches"
        % (what, size, MAX_FRAME)
    )


def write_frame(write: _Write, data: Union[bytes, bytearray]) -> None:
    """One data frame: ``int`` length, then the bytes."""
    size = len(data)
    if size < _SMALL_FRAME:
        write(_INT.pack(size) + data)
        return
    if size > MAX_FRAME:
        raise frame_too_large(size, "an output frame")
    write(_INT.pack(size))
    write(data)


def write_records(write: _Write, records: Iterable[Any], kind: SerializerKind, batch_size: int) -> None:
    """Write every record of ``records`` as data frames of ``kind``."""
    if kind is SerializerKind.PICKLED_BATCHES:
        _write_pickled(write, records, batch_size)
    elif kind is SerializerKind.UTF8:
        _write_utf8(write, records)
    else:
        _write_raw(write, records)


class BatchPickler:
    """Pickles (protocol 4) batches of results; batches of strings go without the memo (no MEMOIZE per string, less
    to write and to read).

    One pickler and buffer serve every batch of a task. A batch that refers to itself cannot go without the memo; it
    falls back to the ordinary pickler. Confined to the task's thread.
    """

    def __init__(self) -> None:
        self._buffer = io.BytesIO()
        self._pickler = pickle.Pickler(self._buffer, 4)
        self._pickler.fast = True

    def dumps(self, batch: List[Any]) -> bytes:
        if not batch or batch[0].__class__ is not str:
            # Numbers are never memoised anyway, and pickle.dumps is a little cheaper than a reused pickler for them.
            return pickle.dumps(batch, 4)
        buffer = self._buffer
        buffer.seek(0)
        buffer.truncate()
        try:
            self._pickler.dump(batch)
        except (ValueError, RecursionError):
            return pickle.dumps(batch, 4)
        return buffer.getvalue()


class Int64BatchPickler:
    """Pickles the results of a UDF declared to return 64-bit ints (result layout 2, ``docs/protocol.md`` 5.1).

    A batch of int-like results (``int``, ``bool``, or anything with ``__index__``, such as numpy integers) in the
    64-bit range goes in the typed form of section 5.2 (code ``q``), packed by ``struct`` in one C call. Any other
    batch (one holding a ``None``, a value out of range or of another type) is pickled as usual, with its int-like
    values made ``int`` first, so the JVM gets the same values whichever form a batch takes, and itself reports what
    it cannot take as a long. Confined to the task's thread.
    """

    def __init__(self) -> None:
        self._structs: Dict[int, struct.Struct] = {}
        self._length = struct.Struct("<I")
        self._buffer = io.BytesIO()
        self._pickler = _IntLikeSpotter(self._buffer)

    def dumps(self, batch: List[Any]) -> bytes:
        size = len(batch)
        packer = self._structs.get(size)
        if packer is None:
            if len(self._structs) >= 8:
                self._structs.clear()
            packer = self._structs[size] = struct.Struct("=%dq" % size)
        try:
            raw = packer.pack(*batch)
        except (struct.error, TypeError, OverflowError):
            return self._pickled(batch)
        return b"".join((_TYPED_HEAD, b"qB", self._length.pack(len(raw)), raw, _TYPED_TAIL))

    def _pickled(self, batch: List[Any]) -> bytes:
        """The batch pickled; the pickler consults its hook only for values that are not None, bool, int or float,
        so a batch of ints and Nones pays nothing to learn that it holds no other int-like value."""
        buffer = self._buffer
        buffer.seek(0)
        buffer.truncate()
        self._pickler.clear_memo()
        try:
            self._pickler.dump(batch)
        except _IntLike:
            return pickle.dumps([_as_int(v) for v in batch], 4)
        return buffer.getvalue()


class _IntLike(Exception):
    """Stops :class:`_IntLikeSpotter` at the first int-like value that is not an ``int``."""


class _IntLikeSpotter(pickle.Pickler):
    """A pickler (protocol 4) that stops with :class:`_IntLike` at an int-like value that is not an ``int``."""

    def __init__(self, file: io.BytesIO) -> None:
        super().__init__(file, 4)

    def reducer_override(self, obj: Any) -> Any:
        if not isinstance(obj, int) and hasattr(type(obj), "__index__"):
            raise _IntLike()
        return NotImplemented


def _as_int(value: Any) -> Any:
    """``int`` for an int-like value other than an ``int``; anything else as it is."""
    if value is None or value.__class__ is int:
        return value
    try:
        return operator.index(value)
    except TypeError:
        return value


def dumps_batch(batch: List[Any]) -> bytes:
    """One batch through a fresh :class:`BatchPickler`."""
    return BatchPickler().dumps(batch)


def _write_pickled(write: _Write, records: Iterable[Any], batch_size: int) -> None:
    iterator = iter(records)
    dumps = BatchPickler().dumps
    while True:
        batch = list(islice(iterator, batch_size))
        if not batch:
            return
        write_frame(write, dumps(batch))


def _write_utf8(write: _Write, records: Iterable[Any]) -> None:
    pack = _INT.pack
    for index, record in enumerate(records):
        if record.__class__ is str or isinstance(record, str):
            try:
                data = record.encode("utf-8")
            except UnicodeEncodeError as e:
                raise ValueError("output record %d cannot be encoded as UTF-8: %s" % (index, e)) from e
            if len(data) < _SMALL_FRAME:
                write(pack(len(data)) + data)
            else:
                write_frame(write, data)
        elif record is None:
            write(_NULL_FRAME)
        else:
            raise TypeError(
                "output record %d is %s, not str: the UTF-8 output serializer writes str records (or None)"
                % (index, _describe(record))
            )


def _write_raw(write: _Write, records: Iterable[Any]) -> None:
    pack = _INT.pack
    for index, record in enumerate(records):
        if record.__class__ is bytes:
            data = record
        elif record is None:
            write(_NULL_FRAME)
            continue
        else:
            try:
                data = memoryview(record).tobytes()
            except TypeError:
                raise TypeError(
                    "output record %d is %s, not bytes-like: the raw-bytes output serializer writes bytes, bytearray "
                    "or memoryview records (or None)" % (index, _describe(record))
                ) from None
        if len(data) < _SMALL_FRAME:
            write(pack(len(data)) + data)
        else:
            write_frame(write, data)


def _describe(value: Any) -> str:
    text = repr(value)
    return "%s %s" % (type(value).__name__, text if len(text) <= 80 else text[:80] + "...")
