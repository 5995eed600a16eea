"""Wire format of pyworkers: primitives, tags, limits, and the fixed control messages of ``docs/protocol.md``.

Everything is big-endian and length-prefixed; every length read from the wire is checked against a bound before any
bytes are read, and a violation raises :class:`ProtocolError` naming the rule, the value and the message it was in.
Encoders return ``bytes`` (so tests can compare them with the golden files in ``protocol/golden``); decoders read from
any object whose ``read(n)`` returns up to ``n`` bytes and ``b""`` at end of stream (a raw or buffered file, or
:class:`FdReader` / :class:`SocketReader`).

The task exchange of section 5 adds its markers and enums (:class:`SpecialLength`, :class:`EvalType`,
:class:`SerializerKind`, :class:`FunctionKind`), its bounds, and :class:`SocketInput`, the buffered socket reader a
worker session reads commands, task headers and data frames with; the task header itself is decoded in
``pyworkers.task``. The module is over 500 lines because it holds every byte-level rule of the protocol in one place.

Standard library only. Stateless and thread-safe; a reader object is confined to one thread.
"""
import enum
import os
import signal
import socket
import struct
import time
from dataclasses import dataclass
from typing import Any, Callable, Optional, Protocol, Tuple, Union

__all__ = [
    "PROTOCOL_VERSION",
    "TAG_DAEMON_INIT",
    "TAG_DAEMON_HELLO",
    "TAG_DAEMON_ERROR",
    "TAG_SIMPLE_INIT",
    "TAG_WORKER_HELLO",
    "TAG_KILL",
    "MAX_CONTROL_STR",
    "SECRET_LENGTH",
    "MAX_PRELOAD_MODULES",
    "NONCE_LENGTH",
    "MAC_LENGTH",
    "KILL_COMMAND_LENGTH",
    "MAX_HEADER_STR",
    "MAX_SOURCE_STR",
    "MAX_CLOUDPICKLE_PAYLOAD",
    "MAX_FRAME",
    "MAX_EXCEPTION_STR",
    "Transport",
    "Command",
    "SpecialLength",
    "ProofStatus",
    "RowLayout",
    "ResultLayout",
    "EvalType",
    "SerializerKind",
    "FunctionKind",
    "ExitCode",
    "ProtocolError",
    "Readable",
    "Writable",
    "FdReader",
    "SocketReader",
    "SocketInput",
    "END_OF_DATA",
    "read_exact",
    "read_u8",
    "read_int",
    "read_int_or_eof",
    "read_long",
    "read_count",
    "read_bytes",
    "read_str",
    "read_tag",
    "pack_u8",
    "pack_int",
    "pack_long",
    "pack_bytes",
    "pack_str",
    "write_u8",
    "write_int",
    "write_long",
    "write_bytes",
    "write_str",
    "truncate_utf8",
    "DaemonInit",
    "DaemonHello",
    "DaemonError",
    "SimpleInit",
    "WorkerHello",
    "ForkFailure",
    "encode_daemon_init",
    "read_daemon_init",
    "encode_daemon_hello",
    "encode_daemon_error",
    "read_daemon_reply",
    "encode_kill",
    "TAG_WORKER_EXIT",
    "MAX_SIGNAL_NAME",
    "ExitHow",
    "WorkerExit",
    "encode_worker_exit",
    "read_worker_exit",
    "encode_simple_init",
    "read_simple_init",
    "encode_worker_hello",
    "encode_fork_failure",
    "read_worker_hello",
]

PROTOCOL_VERSION = 1

TAG_DAEMON_INIT = b"PWKI"
TAG_DAEMON_HELLO = b"PWKD"
TAG_DAEMON_ERROR = b"PWKE"
TAG_SIMPLE_INIT = b"PWKS"
TAG_WORKER_HELLO = b"PWKW"
TAG_KILL = b"KILL"
TAG_WORKER_EXIT = b"PWKX"

MAX_CONTROL_STR = 4096
SECRET_LENGTH = 32
MAX_PRELOAD_MODULES = 1000
NONCE_LENGTH = 32
MAC_LENGTH = 32
KILL_COMMAND_LENGTH = 8

# Section 5 bounds (bytes): header strs, function source text, cloudpickle payloads, data frames (both directions),
# and each str of an exception frame (longer strings are cut in the middle, never rejected).
MAX_HEADER_STR = 1 << 20
MAX_SOURCE_STR = 64 << 20
MAX_CLOUDPICKLE_PAYLOAD = 256 << 20
MAX_FRAME = 1 << 30
MAX_EXCEPTION_STR = 1 << 20

_U8 = struct.Struct(">B")
_INT = struct.Struct(">i")
_LONG = struct.Struct(">q")
_INT_MIN, _INT_MAX = -(2 ** 31), 2 ** 31 - 1


class Transport(enum.IntEnum):
    """How workers reach the JVM or the daemon (the ``transport`` byte)."""

    UNIX = 1
    TCP_IPV4 = 2
    TCP_IPV6 = 3

    @property
    def is_tcp(self) -> bool:
        return self is not Transport.UNIX

    def describe(self, address: Union[str, int]) -> str:
        """Human-readable address, e.g. ``unix socket /tmp/x/d.sock`` or ``TCP [::1] port 40000``."""
        if self is Transport.UNIX:
            return "unix socket %s" % (address,)
        host = "127.0.0.1" if self is Transport.TCP_IPV4 else "[::1]"
        return "TCP %s port %s" % (host, address)


class Command(enum.IntEnum):
    """Session commands and replies (section 3). Any command >= 0 is reserved for tasks (the partition index)."""

    PING = -10
    ERROR = -2


class SpecialLength(enum.IntEnum):
    """Negative ``int`` values that stand where a frame length would be (section 5), in both directions; Spark's
    ``SpecialLengths`` by name and value. The JVM's twin is ``dev.pyworkers.internal.protocol.SpecialLength``."""

    END_OF_DATA_SECTION = -1
    PYTHON_EXCEPTION_THROWN = -2
    TIMING_DATA = -3
    END_OF_STREAM = -4
    NULL = -5


class ProofStatus(enum.IntEnum):
    """The ``u8`` a worker sends in step 3 of the handshake (section 2)."""

    ACCEPTED = 0
    REJECTED = 1


class RowLayout(enum.IntEnum):
    """SQL_BATCHED_UDF header: what one row of the data is."""

    TUPLES = 1  # a tuple (or list) of column values
    BARE = 2  # the bare value of the one column every UDF reads


class ResultLayout(enum.IntEnum):
    """SQL_BATCHED_UDF header: how output batches travel."""

    PICKLED = 1  # every batch pickled
    INT64 = 2  # one UDF returning 64-bit ints: int-like batches in the typed form (code ``q``)


class EvalType(enum.IntEnum):
    """How a task applies its functions (the header's ``eval type``)."""

    NON_UDF = 0
    SQL_BATCHED_UDF = 100


class SerializerKind(enum.IntEnum):
    """NON_UDF input and output serializers: what one data frame holds."""

    PICKLED_BATCHES = 1
    UTF8 = 2
    RAW_BYTES = 3


class FunctionKind(enum.IntEnum):
    """How a function travels in a task header (the ``u8`` before each ``fn``)."""

    CLOUDPICKLE = 1
    REFERENCE = 2
    SOURCE = 3


class ExitCode(enum.IntEnum):
    """Exit codes of the daemon and the workers."""

    OK = 0
    INTERNAL_ERROR = 1
    DAEMON_START_FAILED = 3
    PROTOCOL_ERROR = 4
    AUTH_FAILED = 5
    PYTHON_TOO_OLD = 6


class ProtocolError(Exception):
    """The peer sent bytes that break a rule of the protocol; the message names the rule and the value."""


# ---------------------------------------------------------------------------------------------------------------------
# Streams


class Readable(Protocol):
    """Anything with ``read(n)`` returning up to ``n`` bytes, and ``b""`` only at end of stream."""

    def read(self, n: int) -> bytes:
        ...


class Writable(Protocol):
    """Anything with ``write(data)`` that writes all of ``data`` (a buffered file, ``io.BytesIO``)."""

    def write(self, data: bytes) -> int:
        ...


class FdReader:
    """Reads a file descriptor with ``os.read``; never reads more than asked, so later bytes stay in the pipe."""

    def __init__(self, fd: int) -> None:
        self._fd = fd

    def read(self, n: int) -> bytes:
        return os.read(self._fd, n)


class SocketReader:
    """Reads a socket with ``recv``. Without a deadline each ``recv`` honours the socket's own timeout; with
    ``deadline`` (a ``time.monotonic()`` value) every ``recv`` gets only the time left, so a peer trickling one byte
    at a time cannot stretch a fixed-size read past the deadline. ``socket.timeout`` propagates."""

    def __init__(self, sock: socket.socket, deadline: Optional[float] = None) -> None:
        self._sock = sock
        self._deadline = deadline

    def read(self, n: int) -> bytes:
        if self._deadline is not None:
            remaining = self._deadline - time.monotonic()
            if remaining <= 0:
                raise socket.timeout("timed out")
            self._sock.settimeout(remaining)
        return self._sock.recv(n)


class _EndOfData:
    """Type of :data:`END_OF_DATA`, what :meth:`SocketInput.read_frame` returns for ``-1``."""

    def __repr__(self) -> str:
        return "END_OF_DATA"


END_OF_DATA = _EndOfData()


class SocketInput:
    """Buffered reader of a worker's connection: commands, task headers and data frames.

    ``read(n)`` serves the generic decoders of this module. ``read_frame()`` is the hot path of a task's data
    section: it returns a frame's payload as a ``memoryview`` into the buffer (valid only until the next read; a frame
    larger than the buffer comes as its own ``bytearray``), ``None`` for NULL (-5) or :data:`END_OF_DATA` for -1, and
    raises ProtocolError for any other negative length or one over :data:`MAX_FRAME`.

    Before a receive that would block it calls ``before_block`` (the session flushes its output there), so output
    the worker produced never sits in a buffer while the worker waits for input: a peer that feeds input only as it
    consumes output cannot deadlock. (Without ``MSG_DONTWAIT``, or on a socket with a timeout, it calls it before
    every receive.)

    ``failure`` is the first error of :meth:`read_frame` (end of stream, an OS error, a bad length); once set, always
    set, and every later frame read raises it again, so user code that swallows it cannot go on reading a stream that
    is out of sync. ``data_ended`` is set when ``-1`` is read; the task clears it. Not thread-safe; confined to the
    session's thread.
    """

    def __init__(self, sock: socket.socket, buffer_size: int, before_block: Optional[Callable[[], None]] = None):
        self._sock = sock
        self._buf = bytearray(max(int(buffer_size), 1024))
        self._view = memoryview(self._buf)
        self._pos = 0
        self._end = 0
        self._before_block = before_block
        self._dontwait = getattr(socket, "MSG_DONTWAIT", 0)
        self.failure: Optional[BaseException] = None
        self.data_ended = False

    @property
    def capacity(self) -> int:
        return len(self._buf)

    def _receive(self, view: memoryview) -> int:
        """One receive into ``view`` (0 at end of stream); flushes the output first if it would block."""
        if self._dontwait and self._sock.gettimeout() is None:
            try:
                return self._sock.recv_into(view, 0, self._dontwait)
            except BlockingIOError:
                pass  # nothing buffered in the kernel: flush our output, then block
        if self._before_block is not None:
            self._before_block()
        return self._sock.recv_into(view)

    def _fill(self, need: int) -> bool:
        """Buffer at least ``need`` (<= capacity) bytes; False if the stream ends first."""
        pos, end = self._pos, self._end
        if pos == end:
            pos = end = 0
        elif len(self._buf) - pos < need:
            self._buf[: end - pos] = self._buf[pos:end]
            pos, end = 0, end - pos
        self._pos = pos
        while end - pos < need:
            got = self._receive(self._view[end:])
            if got == 0:
                self._end = end
                return False
            end += got
        self._end = end
        return True

    def read(self, n: int) -> bytes:
        """Up to ``n`` bytes (at least one), ``b""`` only at end of stream."""
        if n <= 0:
            return b""
        if self._pos == self._end and not self._fill(1):
            return b""
        start = self._pos
        stop = min(self._end, start + n)
        self._pos = stop
        return bytes(self._view[start:stop])

    def frame_ready(self) -> bool:
        """True when :meth:`read_frame` would not wait for the peer: a whole frame (or a special length) is buffered
        or already in the kernel, a frame too large for the buffer has begun to arrive, the stream has ended, or a
        read failed (the next read raises at once). A handler that batches its work reads ahead only while this
        holds, so it never waits for input with finished work unsent. One non-blocking receive at most; on a socket
        without ``MSG_DONTWAIT``, or with a timeout, only the buffer counts."""
        if self.failure is not None or self._has_frame():
            return True
        if not self._dontwait or self._sock.gettimeout() is not None:
            return False
        pos, end = self._pos, self._end
        if pos == end:
            pos = end = 0
        elif end == len(self._buf):
            self._buf[: end - pos] = self._buf[pos:end]
            pos, end = 0, end - pos
        self._pos = pos
        self._end = end
        try:
            got = self._sock.recv_into(self._view[end:], 0, self._dontwait)
        except BlockingIOError:
            return False
        except OSError:
            return True  # the read that follows fails with it
        if got == 0:
            return True
        self._end = end + got
        return self._has_frame()

    def _has_frame(self) -> bool:
        available = self._end - self._pos
        if available < 4:
            return False
        length = _INT.unpack_from(self._buf, self._pos)[0]
        return length < 0 or length <= available - 4 or length > len(self._buf)

    def read_frame(self) -> Any:
        """The next data frame: a ``memoryview`` (valid until the next read) or ``bytearray`` payload, ``None`` for
        NULL, or :data:`END_OF_DATA` (typed ``Any`` so callers can test identity and use the payload directly)."""
        pos = self._pos
        available = self._end - pos
        if available >= 4:
            length = _INT.unpack_from(self._buf, pos)[0]
            if 0 <= length <= available - 4:
                pos += 4
                self._pos = pos + length
                return self._view[pos: pos + length]
        return self._read_frame_slow()

    def _read_frame_slow(self) -> Any:
        if self.failure is not None:
            raise self.failure
        try:
            if not self._fill(4):
                raise EOFError("end of stream while reading a data frame length: %d of 4 bytes arrived"
                               % (self._end - self._pos))
            length = _INT.unpack_from(self._buf, self._pos)[0]
            self._pos += 4
            if length < 0:
                if length == SpecialLength.NULL:
                    return None
                if length == SpecialLength.END_OF_DATA_SECTION:
                    self.data_ended = True
                    return END_OF_DATA
                raise ProtocolError(
                    "data frame length %d is invalid: expected a length >= 0, -1 (end of data) or -5 (null)" % length
                )
            if length > MAX_FRAME:
                raise ProtocolError("data frame length %d exceeds max %d" % (length, MAX_FRAME))
            if length > len(self._buf):
                return self._read_large(length)
            if not self._fill(length):
                raise EOFError("end of stream inside a data frame: expected %d bytes, got %d"
                               % (length, self._end - self._pos))
            start = self._pos
            self._pos = start + length
            return self._view[start: start + length]
        except (EOFError, OSError, ProtocolError) as e:
            self.failure = e
            self._pos = self._end = 0
            raise

    def _read_large(self, length: int) -> bytearray:
        data = bytearray(length)
        view = memoryview(data)
        got = self._end - self._pos
        view[:got] = self._view[self._pos: self._end]
        self._pos = self._end = 0
        while got < length:
            n = self._receive(view[got:])
            if n == 0:
                raise EOFError("end of stream inside a data frame: expected %d bytes, got %d" % (length, got))
            got += n
        view.release()
        return data


def read_exact(stream: Readable, n: int, what: str = "data") -> bytes:
    """Read exactly ``n`` bytes or raise ``EOFError`` saying how many were expected and how many arrived."""
    if n < 0:
        raise ValueError("cannot read a negative number of bytes: %d" % n)
    chunks = []
    got = 0
    while got < n:
        chunk = stream.read(n - got)
        if not chunk:
            raise EOFError("end of stream while reading %s: expected %d bytes, got %d" % (what, n, got))
        chunks.append(chunk)
        got += len(chunk)
    return b"".join(chunks)


def read_u8(stream: Readable, what: str = "u8") -> int:
    return read_exact(stream, 1, what)[0]


def read_int(stream: Readable, what: str = "int") -> int:
    return _INT.unpack(read_exact(stream, 4, what))[0]


def read_int_or_eof(stream: Readable, what: str = "int") -> Optional[int]:
    """Read an ``int``; return None on end of stream before its first byte (EOFError if the stream ends inside it)."""
    first = stream.read(4)
    if not first:
        return None
    if len(first) < 4:
        first += read_exact(stream, 4 - len(first), what)
    return _INT.unpack(first)[0]


def read_long(stream: Readable, what: str = "long") -> int:
    return _LONG.unpack(read_exact(stream, 8, what))[0]


def read_count(stream: Readable, low: int, high: int, what: str, context: str) -> int:
    """Read an ``int`` in ``low..high``; else e.g. ``resource count 1001 is outside 0..1000 in task header``."""
    value = read_int(stream, "%s in %s" % (what, context))
    if not low <= value <= high:
        raise ProtocolError("%s %d is outside %d..%d in %s" % (what, value, low, high, context))
    return value


def _read_length(stream: Readable, kind: str, max_length: int, context: str, exact: bool) -> int:
    length = read_int(stream, "%s length in %s" % (kind, context))
    if exact and length != max_length:
        raise ProtocolError("%s length %d must be exactly %d in %s" % (kind, length, max_length, context))
    if length < 0:
        raise ProtocolError("%s length %d is negative in %s" % (kind, length, context))
    if length > max_length:
        raise ProtocolError("%s length %d exceeds max %d in %s" % (kind, length, max_length, context))
    return length


def read_bytes(stream: Readable, max_length: int, context: str, kind: str = "bytes", exact: bool = False) -> bytes:
    """Read a ``bytes`` field of at most (or, with ``exact``, exactly) ``max_length`` bytes."""
    length = _read_length(stream, kind, max_length, context, exact)
    return read_exact(stream, length, "%s in %s" % (kind, context))


def read_str(stream: Readable, max_length: int, context: str, kind: str = "str") -> str:
    """Read a UTF-8 ``str`` field of at most ``max_length`` bytes."""
    data = read_bytes(stream, max_length, context, kind)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as e:
        raise ProtocolError("%s is not valid UTF-8 in %s: %s (bytes %s)" % (kind, context, e, _hex(data)))


def read_tag(stream: Readable, expected: Tuple[bytes, ...], context: str) -> bytes:
    """Read a 4-byte tag and check it is one of ``expected``."""
    tag = read_exact(stream, 4, "magic of %s" % context)
    if tag not in expected:
        raise ProtocolError(
            "bad magic %s (%r) in %s: expected %s"
            % (_hex(tag), tag, context, " or ".join(t.decode("ascii") for t in expected))
        )
    return tag


def _hex(data: bytes, limit: int = 64) -> str:
    text = data[:limit].hex()
    return text + ("..." if len(data) > limit else "")


def _check_int(value: int, what: str) -> int:
    if not _INT_MIN <= value <= _INT_MAX:
        raise ValueError("%s %d does not fit in a 32-bit signed int" % (what, value))
    return value


def pack_u8(value: int) -> bytes:
    return _U8.pack(value)


def pack_int(value: int) -> bytes:
    return _INT.pack(_check_int(value, "int"))


def pack_long(value: int) -> bytes:
    return _LONG.pack(value)


def pack_bytes(value: bytes) -> bytes:
    return _INT.pack(len(value)) + bytes(value)


def pack_str(value: str) -> bytes:
    return pack_bytes(value.encode("utf-8"))


def write_u8(out: Writable, value: int) -> None:
    out.write(pack_u8(value))


def write_int(out: Writable, value: int) -> None:
    out.write(pack_int(value))


def write_long(out: Writable, value: int) -> None:
    out.write(pack_long(value))


def write_bytes(out: Writable, value: bytes) -> None:
    out.write(pack_bytes(value))


def write_str(out: Writable, value: str) -> None:
    out.write(pack_str(value))


def truncate_utf8(text: str, max_bytes: int = MAX_CONTROL_STR) -> str:
    """Cut ``text`` so its UTF-8 form fits in ``max_bytes``, never splitting a character; marks a cut with ``...``."""
    data = text.encode("utf-8", "replace")
    if len(data) <= max_bytes:
        return text
    return data[: max_bytes - 3].decode("utf-8", "ignore") + "..."


def _check_control_str(value: str, what: str) -> str:
    length = len(value.encode("utf-8"))
    if length > MAX_CONTROL_STR:
        raise ValueError("%s is %d bytes of UTF-8, over the max of %d" % (what, length, MAX_CONTROL_STR))
    return value


def _check_secret(secret: bytes) -> bytes:
    if len(secret) != SECRET_LENGTH:
        raise ValueError("secret must be exactly %d bytes, got %d" % (SECRET_LENGTH, len(secret)))
    return bytes(secret)


def _check_positive(value: int, what: str, context: str) -> int:
    if value <= 0:
        raise ProtocolError("%s %d must be positive in %s" % (what, value, context))
    return value


def _read_transport(stream: Readable, context: str) -> Transport:
    value = read_u8(stream, "transport in %s" % context)
    try:
        return Transport(value)
    except ValueError:
        raise ProtocolError(
            "transport %d is unknown in %s: expected 1 (unix), 2 (TCP 127.0.0.1) or 3 (TCP ::1)" % (value, context)
        ) from None


def _read_version(stream: Readable, context: str) -> None:
    version = read_int(stream, "version in %s" % context)
    if version != PROTOCOL_VERSION:
        raise ProtocolError(
            "protocol version %d is not supported in %s: this Python side speaks version %d; "
            "use the same pyworkers release on the JVM and the Python side" % (version, context, PROTOCOL_VERSION)
        )


def _read_address(stream: Readable, transport: Transport, context: str) -> Union[str, int]:
    if transport is Transport.UNIX:
        path = read_str(stream, MAX_CONTROL_STR, context, "socket path")
        if not path:
            raise ProtocolError("socket path is empty in %s but transport is 1 (unix)" % context)
        return path
    port = read_int(stream, "port in %s" % context)
    if not 1 <= port <= 65535:
        raise ProtocolError("port %d is outside 1..65535 in %s" % (port, context))
    return port


def _pack_address(transport: Transport, address: Union[str, int]) -> bytes:
    if transport is Transport.UNIX:
        if not isinstance(address, str) or not address:
            raise ValueError("a unix transport needs a non-empty socket path, got %r" % (address,))
        return pack_str(_check_control_str(address, "socket path"))
    if not isinstance(address, int) or not 1 <= address <= 65535:
        raise ValueError("a TCP transport needs a port in 1..65535, got %r" % (address,))
    return pack_int(address)


# ---------------------------------------------------------------------------------------------------------------------
# 1.1 Daemon init block (JVM -> daemon stdin)

_DAEMON_INIT = "daemon init block"


@dataclass(frozen=True)
class DaemonInit:
    """What the JVM tells a new daemon. ``socket_path`` is empty for TCP transports."""

    secret: bytes
    transport: Transport
    socket_path: str
    auth_timeout_ms: int
    buffer_size: int
    preload_modules: Tuple[str, ...] = ()

    def __repr__(self) -> str:  # never show the secret
        return "DaemonInit(transport=%s, socket_path=%r, auth_timeout_ms=%d, buffer_size=%d, preload_modules=%r)" % (
            self.transport.name, self.socket_path, self.auth_timeout_ms, self.buffer_size, self.preload_modules)


def encode_daemon_init(init: DaemonInit) -> bytes:
    transport = Transport(init.transport)
    if transport.is_tcp and init.socket_path:
        raise ValueError("socket path must be empty for a TCP transport, got %r" % (init.socket_path,))
    if not transport.is_tcp and not init.socket_path:
        raise ValueError("a unix transport needs a non-empty socket path")
    if len(init.preload_modules) > MAX_PRELOAD_MODULES:
        raise ValueError("%d preload modules, over the max of %d" % (len(init.preload_modules), MAX_PRELOAD_MODULES))
    parts = [
        TAG_DAEMON_INIT,
        pack_int(PROTOCOL_VERSION),
        pack_bytes(_check_secret(init.secret)),
        pack_u8(transport),
        pack_str(_check_control_str(init.socket_path, "socket path")),
        pack_int(init.auth_timeout_ms),
        pack_int(init.buffer_size),
        pack_int(len(init.preload_modules)),
    ]
    parts.extend(pack_str(_check_control_str(m, "preload module name")) for m in init.preload_modules)
    return b"".join(parts)


def read_daemon_init(stream: Readable) -> DaemonInit:
    """Read and validate the init block; raises ProtocolError (bad value) or EOFError (stream ended early)."""
    read_tag(stream, (TAG_DAEMON_INIT,), _DAEMON_INIT)
    _read_version(stream, _DAEMON_INIT)
    secret = read_bytes(stream, SECRET_LENGTH, _DAEMON_INIT, "secret", exact=True)
    transport = _read_transport(stream, _DAEMON_INIT)
    path = read_str(stream, MAX_CONTROL_STR, _DAEMON_INIT, "socket path")
    if transport is Transport.UNIX and not path:
        raise ProtocolError("socket path is empty in %s but transport is 1 (unix)" % _DAEMON_INIT)
    if transport.is_tcp and path:
        raise ProtocolError(
            "socket path %r must be empty in %s when transport is %d (TCP)" % (path, _DAEMON_INIT, transport)
        )
    auth_timeout_ms = _check_positive(read_int(stream, "auth timeout"), "auth timeout ms", _DAEMON_INIT)
    buffer_size = _check_positive(read_int(stream, "buffer size"), "buffer size", _DAEMON_INIT)
    count = read_int(stream, "preload count in %s" % _DAEMON_INIT)
    if not 0 <= count <= MAX_PRELOAD_MODULES:
        raise ProtocolError(
            "preload count %d is outside 0..%d in %s" % (count, MAX_PRELOAD_MODULES, _DAEMON_INIT)
        )
    modules = tuple(read_str(stream, MAX_CONTROL_STR, _DAEMON_INIT, "preload module name") for _ in range(count))
    return DaemonInit(secret, transport, path, auth_timeout_ms, buffer_size, modules)


# ---------------------------------------------------------------------------------------------------------------------
# 1.2 Daemon hello (daemon stdout -> JVM)

_DAEMON_HELLO = "daemon hello"


@dataclass(frozen=True)
class DaemonHello:
    """The daemon is up: its pid, its Python version, and where it listens (a path or a port)."""

    pid: int
    python_major: int
    python_minor: int
    transport: Transport
    address: Union[str, int]


@dataclass(frozen=True)
class DaemonError:
    """The daemon could not start; it exits with code 3 after sending this."""

    message: str


def encode_daemon_hello(hello: DaemonHello) -> bytes:
    transport = Transport(hello.transport)
    return b"".join([
        TAG_DAEMON_HELLO,
        pack_int(PROTOCOL_VERSION),
        pack_int(hello.pid),
        pack_int(hello.python_major),
        pack_int(hello.python_minor),
        pack_u8(transport),
        _pack_address(transport, hello.address),
    ])


def encode_daemon_error(message: str) -> bytes:
    """PWKE + message; a message over 4096 bytes of UTF-8 is cut (never split inside a character)."""
    return TAG_DAEMON_ERROR + pack_str(truncate_utf8(message))


def read_daemon_reply(stream: Readable) -> Union[DaemonHello, DaemonError]:
    """Read what a daemon writes on stdout after its init block: a hello or an error (the JVM role)."""
    tag = read_tag(stream, (TAG_DAEMON_HELLO, TAG_DAEMON_ERROR), _DAEMON_HELLO)
    if tag == TAG_DAEMON_ERROR:
        return DaemonError(read_str(stream, MAX_CONTROL_STR, "daemon error", "message"))
    _read_version(stream, _DAEMON_HELLO)
    pid = read_int(stream, "pid in %s" % _DAEMON_HELLO)
    if pid <= 0:
        raise ProtocolError("daemon pid %d must be positive in %s" % (pid, _DAEMON_HELLO))
    major = read_int(stream, "python major in %s" % _DAEMON_HELLO)
    minor = read_int(stream, "python minor in %s" % _DAEMON_HELLO)
    transport = _read_transport(stream, _DAEMON_HELLO)
    address = _read_address(stream, transport, _DAEMON_HELLO)
    return DaemonHello(pid, major, minor, transport, address)


# ---------------------------------------------------------------------------------------------------------------------
# 1.3 Commands (JVM -> daemon stdin, after the init block)


def encode_kill(pid: int) -> bytes:
    return TAG_KILL + pack_int(pid)


# ---------------------------------------------------------------------------------------------------------------------
# 1.4 Worker exit reports (daemon stdout -> JVM, after the hello)

_WORKER_EXIT = "worker exit report"
MAX_SIGNAL_NAME = 32


class ExitHow(enum.IntEnum):
    """How a worker ended, from its wait status: what the ``value`` of a :class:`WorkerExit` is."""

    EXITED = 1  # value: the exit code
    SIGNALED = 2  # value: the signal number
    OTHER = 3  # value: the raw wait status


@dataclass(frozen=True)
class WorkerExit:
    """A worker of the daemon ended: how, and how many lines the daemon had written to its stderr before it said so
    (every line the worker wrote among them), so that the JVM can wait for those before it quotes the tail."""

    pid: int
    how: ExitHow
    value: int
    signal_name: str
    log_lines: int

    @classmethod
    def of_status(cls, pid: int, status: int, log_lines: int) -> "WorkerExit":
        """The report for a wait status from ``os.waitpid``."""
        if os.WIFSIGNALED(status):
            number = os.WTERMSIG(status)
            try:
                name = signal.Signals(number).name
            except ValueError:
                name = "unknown"
            return cls(pid, ExitHow.SIGNALED, number, name, log_lines)
        if os.WIFEXITED(status):
            return cls(pid, ExitHow.EXITED, os.WEXITSTATUS(status), "", log_lines)
        return cls(pid, ExitHow.OTHER, status, "", log_lines)

    def describe(self) -> str:
        """``exited with code 1``, ``killed by signal 9 (SIGKILL)`` or ``ended with wait status 0x137f``."""
        if self.how is ExitHow.EXITED:
            return "exited with code %d" % self.value
        if self.how is ExitHow.SIGNALED:
            return "killed by signal %d (%s)" % (self.value, self.signal_name)
        return "ended with wait status 0x%x" % self.value


def encode_worker_exit(report: WorkerExit) -> bytes:
    """PWKX, pid, how, value, signal name (empty unless SIGNALED), log lines."""
    return b"".join([
        TAG_WORKER_EXIT,
        pack_int(report.pid),
        pack_u8(ExitHow(report.how)),
        pack_int(report.value),
        pack_str(_check_signal_name(report.signal_name)),
        pack_long(report.log_lines),
    ])


def _check_signal_name(name: str) -> str:
    if len(name.encode("utf-8")) > MAX_SIGNAL_NAME:
        raise ProtocolError("signal name %r is longer than %d bytes in %s" % (name, MAX_SIGNAL_NAME, _WORKER_EXIT))
    return name


def read_worker_exit(stream: Readable) -> Optional[WorkerExit]:
    """Read one report (the JVM role); None at end of stream before its tag."""
    first = stream.read(4)
    if not first:
        return None
    tag = first + (read_exact(stream, 4 - len(first), "magic of %s" % _WORKER_EXIT) if len(first) < 4 else b"")
    if tag != TAG_WORKER_EXIT:
        raise ProtocolError("bad magic %s (%r) in %s: expected PWKX" % (_hex(tag), tag, _WORKER_EXIT))
    pid = read_int(stream, "pid in %s" % _WORKER_EXIT)
    if pid <= 0:
        raise ProtocolError("worker pid %d must be positive in %s" % (pid, _WORKER_EXIT))
    how_code = read_u8(stream, "how in %s" % _WORKER_EXIT)
    try:
        how = ExitHow(how_code)
    except ValueError:
        raise ProtocolError("how %d is not 1, 2 or 3 in %s" % (how_code, _WORKER_EXIT)) from None
    value = read_int(stream, "value in %s" % _WORKER_EXIT)
    name = read_str(stream, MAX_SIGNAL_NAME, _WORKER_EXIT, "signal name")
    lines = read_long(stream, "log lines in %s" % _WORKER_EXIT)
    if lines < 0:
        raise ProtocolError("log lines %d must not be negative in %s" % (lines, _WORKER_EXIT))
    return WorkerExit(pid, how, value, name, lines)


# ---------------------------------------------------------------------------------------------------------------------
# 2.2 Simple-mode init block (JVM -> worker stdin)

_SIMPLE_INIT = "simple worker init block"


@dataclass(frozen=True)
class SimpleInit:
    """What the JVM tells a simple worker: the secret and where to connect back."""

    secret: bytes
    transport: Transport
    address: Union[str, int]
    auth_timeout_ms: int
    buffer_size: int

    def __repr__(self) -> str:  # never show the secret
        return "SimpleInit(transport=%s, address=%r, auth_timeout_ms=%d, buffer_size=%d)" % (
            self.transport.name, self.address, self.auth_timeout_ms, self.buffer_size)


def encode_simple_init(init: SimpleInit) -> bytes:
    transport = Transport(init.transport)
    return b"".join([
        TAG_SIMPLE_INIT,
        pack_int(PROTOCOL_VERSION),
        pack_bytes(_check_secret(init.secret)),
        pack_u8(transport),
        _pack_address(transport, init.address),
        pack_int(init.auth_timeout_ms),
        pack_int(init.buffer_size),
    ])


def read_simple_init(stream: Readable) -> SimpleInit:
    read_tag(stream, (TAG_SIMPLE_INIT,), _SIMPLE_INIT)
    _read_version(stream, _SIMPLE_INIT)
    secret = read_bytes(stream, SECRET_LENGTH, _SIMPLE_INIT, "secret", exact=True)
    transport = _read_transport(stream, _SIMPLE_INIT)
    address = _read_address(stream, transport, _SIMPLE_INIT)
    auth_timeout_ms = _check_positive(read_int(stream, "auth timeout"), "auth timeout ms", _SIMPLE_INIT)
    buffer_size = _check_positive(read_int(stream, "buffer size"), "buffer size", _SIMPLE_INIT)
    return SimpleInit(secret, transport, address, auth_timeout_ms, buffer_size)


# ---------------------------------------------------------------------------------------------------------------------
# 2 Worker hello (worker -> JVM, first bytes on a worker connection)

_WORKER_HELLO = "worker hello"


@dataclass(frozen=True)
class WorkerHello:
    """A worker's pid and its nonce ``Nw``."""

    pid: int
    nonce: bytes


@dataclass(frozen=True)
class ForkFailure:
    """The daemon could not fork a worker for this connection: ``code`` is ``-errno``."""

    code: int
    message: str


def encode_worker_hello(pid: int, nonce: bytes) -> bytes:
    if pid <= 0:
        raise ValueError("worker pid must be positive, got %d" % pid)
    if len(nonce) != NONCE_LENGTH:
        raise ValueError("nonce must be exactly %d bytes, got %d" % (NONCE_LENGTH, len(nonce)))
    return TAG_WORKER_HELLO + pack_int(pid) + bytes(nonce)


def encode_fork_failure(code: int, message: str) -> bytes:
    """PWKW + ``code`` (``-errno``, negative) + message, sent by the daemon instead of a worker hello."""
    if code >= 0:
        raise ValueError("a fork failure code must be negative (-errno), got %d" % code)
    return TAG_WORKER_HELLO + pack_int(code) + pack_str(truncate_utf8(message))


def read_worker_hello(stream: Readable) -> Union[WorkerHello, ForkFailure]:
    """Read step 1 of the handshake (the JVM role)."""
    read_tag(stream, (TAG_WORKER_HELLO,), _WORKER_HELLO)
    pid = read_int(stream, "pid in %s" % _WORKER_HELLO)
    if pid < 0:
        return ForkFailure(pid, read_str(stream, MAX_CONTROL_STR, "fork failure", "message"))
    if pid == 0:
        raise ProtocolError("worker pid 0 is invalid in %s" % _WORKER_HELLO)
    return WorkerHello(pid, read_exact(stream, NONCE_LENGTH, "nonce in %s" % _WORKER_HELLO))

