"""Bounds and validation rules of the protocol codecs: every violation names the rule and the value."""
import io

import pytest

import make_golden
from pyworkers import protocol
from pyworkers.protocol import Transport


def init_bytes(**overrides) -> bytes:
    """A daemon init block assembled field by field, so tests can break any one field."""
    fields = dict(
        magic=b"PWKI", version=1, secret=bytes(32), transport=1, path="/tmp/x.sock", auth=10000, buffer=65536,
        preload=["json"], count=None,
    )
    fields.update(overrides)
    out = io.BytesIO()
    out.write(fields["magic"])
    protocol.write_int(out, fields["version"])
    protocol.write_bytes(out, fields["secret"])
    protocol.write_u8(out, fields["transport"])
    protocol.write_str(out, fields["path"])
    protocol.write_int(out, fields["auth"])
    protocol.write_int(out, fields["buffer"])
    protocol.write_int(out, len(fields["preload"]) if fields["count"] is None else fields["count"])
    for name in fields["preload"]:
        protocol.write_str(out, name)
    return out.getvalue()


def read_init(data: bytes) -> protocol.DaemonInit:
    return protocol.read_daemon_init(io.BytesIO(data))


def test_validInitBlock_decodes():
    init = read_init(init_bytes())
    assert init.transport is Transport.UNIX and init.socket_path == "/tmp/x.sock" and init.preload_modules == ("json",)


@pytest.mark.parametrize(
    "overrides,message",
    [
        (dict(magic=b"PWKX"), r"bad magic 50574b58 \(b'PWKX'\) in daemon init block: expected PWKI"),
        (dict(version=2), r"protocol version 2 is not supported in daemon init block"),
        (dict(secret=bytes(31)), r"secret length 31 must be exactly 32 in daemon init block"),
        (dict(transport=9), r"transport 9 is unknown in daemon init block"),
        (dict(path="p" * 70000), r"socket path length 70000 exceeds max 4096 in daemon init block"),
        (dict(path=""), r"socket path is empty in daemon init block but transport is 1"),
        (dict(transport=2), r"socket path '/tmp/x.sock' must be empty in daemon init block when transport is 2"),
        (dict(auth=0), r"auth timeout ms 0 must be positive in daemon init block"),
        (dict(buffer=-1), r"buffer size -1 must be positive in daemon init block"),
        (dict(count=1001, preload=[]), r"preload count 1001 is outside 0\.\.1000 in daemon init block"),
        (dict(count=-1, preload=[]), r"preload count -1 is outside 0\.\.1000 in daemon init block"),
        (dict(preload=["m" * 4097]), r"preload module name length 4097 exceeds max 4096 in daemon init block"),
    ],
)
def test_badInitBlock_raisesProtocolErrorNamingRuleAndValue(overrides, message):
    with pytest.raises(protocol.ProtocolError, match=message):
        read_init(init_bytes(**overrides))


def test_oversizeLength_isRejectedBeforeReadingTheBody():
    data = b"PWKI" + protocol.pack_int(1) + protocol.pack_int(2_000_000_000)  # claims a 2 GB secret, sends nothing
    with pytest.raises(protocol.ProtocolError, match="secret length 2000000000 must be exactly 32"):
        read_init(data)


def test_negativeStrLength_isRejected():
    with pytest.raises(protocol.ProtocolError, match="str length -5 is negative in test"):
        protocol.read_str(io.BytesIO(protocol.pack_int(-5)), 4096, "test")


def test_invalidUtf8_isRejectedWithItsBytes():
    with pytest.raises(protocol.ProtocolError, match=r"not valid UTF-8 in test.*bytes fffe"):
        protocol.read_str(io.BytesIO(protocol.pack_bytes(b"\xff\xfe")), 4096, "test")


def test_readExact_onShortStream_saysExpectedAndGot():
    with pytest.raises(EOFError, match="end of stream while reading thing: expected 8 bytes, got 3"):
        protocol.read_exact(io.BytesIO(b"abc"), 8, "thing")


def test_readIntOrEof_distinguishesCleanEofFromTruncation():
    assert protocol.read_int_or_eof(io.BytesIO(b"")) is None
    assert protocol.read_int_or_eof(io.BytesIO(protocol.pack_int(-10))) == -10
    with pytest.raises(EOFError, match="expected 2 bytes, got 0"):
        protocol.read_int_or_eof(io.BytesIO(b"\x00\x01"))


def test_primitives_areBigEndian():
    assert protocol.pack_u8(200) == b"\xc8"
    assert protocol.pack_int(-2) == b"\xff\xff\xff\xfe"
    assert protocol.pack_long(1) == b"\x00" * 7 + b"\x01"
    assert protocol.pack_str("\u00e9") == b"\x00\x00\x00\x02\xc3\xa9"
    assert protocol.read_long(io.BytesIO(protocol.pack_long(-(2 ** 40)))) == -(2 ** 40)
    with pytest.raises(ValueError, match="does not fit in a 32-bit signed int"):
        protocol.pack_int(2 ** 31)


def test_daemonError_longMessage_isCutToMaxWithoutSplittingCharacters():
    encoded = protocol.encode_daemon_error("\u00e9" * 3000)  # 6000 bytes of UTF-8
    reply = protocol.read_daemon_reply(io.BytesIO(encoded))
    assert len(reply.message.encode("utf-8")) <= protocol.MAX_CONTROL_STR
    assert reply.message.endswith("...")


@pytest.mark.parametrize("port", [0, 65536])
def test_hello_withPortOutOfRange_isRejected(port):
    data = make_golden.golden_files()["daemon_hello_tcp.bin"][:-4] + protocol.pack_int(port)
    with pytest.raises(protocol.ProtocolError, match="port %d is outside 1..65535 in daemon hello" % port):
        protocol.read_daemon_reply(io.BytesIO(data))


def test_simpleInit_badMagic_isRejected():
    data = b"PWKI" + make_golden.golden_files()["simple_init.bin"][4:]
    with pytest.raises(protocol.ProtocolError, match="bad magic .* in simple worker init block: expected PWKS"):
        protocol.read_simple_init(io.BytesIO(data))


def test_encoders_refuseInvalidValues():
    with pytest.raises(ValueError, match="secret must be exactly 32 bytes, got 3"):
        protocol.encode_daemon_init(protocol.DaemonInit(b"abc", Transport.UNIX, "/x", 1, 1))
    with pytest.raises(ValueError, match="must be negative"):
        protocol.encode_fork_failure(11, "x")
    with pytest.raises(ValueError, match="port in 1..65535"):
        protocol.encode_daemon_hello(protocol.DaemonHello(1, 3, 8, Transport.TCP_IPV4, 0))
