"""Every reader of the worker side gives the same results when each receive returns at most one byte (okio's
OneByteAtATimeSource): the session's buffered socket input (commands, task header, data frames, records and
batches), the handshake in both roles, and the daemon's stdin commands. The task output golden files hold exactly
the frames of docs/protocol.md section 5.3. No processes: sockets are in-memory fakes."""
import pickle
import struct
from typing import List

import pytest

import make_golden
from pyworkers_testing.harness import encode_typed_batch
from pyworkers import auth, protocol, serializers, task
from pyworkers._daemon import _Kill, _StdinCommands
from pyworkers.protocol import END_OF_DATA, Command, SerializerKind, SocketInput, SpecialLength


def golden(name: str) -> bytes:
    return (make_golden.GOLDEN_DIR / name).read_bytes()


class FakeSocket:
    """A blocking socket over fixed bytes: each ``recv``/``recv_into`` returns at most ``chunk`` bytes (``0``/``b""``
    at the end); ``sendall`` collects what is sent."""

    def __init__(self, data: bytes, chunk: int) -> None:
        self._data = memoryview(bytes(data))
        self._pos = 0
        self._chunk = chunk
        self.sent = bytearray()
        self.receives = 0

    def gettimeout(self):
        return 5.0  # not None: SocketInput then never tries MSG_DONTWAIT

    def settimeout(self, value) -> None:
        pass

    def recv(self, n: int) -> bytes:
        self.receives += 1
        got = bytes(self._data[self._pos:self._pos + min(n, self._chunk)])
        self._pos += len(got)
        return got

    def recv_into(self, view, nbytes: int = 0, flags: int = 0) -> int:
        got = self.recv(min(len(view), nbytes or len(view)))
        view[:len(got)] = got
        return len(got)

    def sendall(self, data: bytes) -> None:
        self.sent += data


def sockets():
    return pytest.mark.parametrize("chunk", [1 << 20, 1], ids=["whole", "one-byte"])


@sockets()
def test_dataSectionGolden_readsTheSameRecords(chunk):
    sock = FakeSocket(golden("data_section_records.bin"), chunk)
    inp = SocketInput(sock, 1024)
    assert list(serializers.read_records(inp, SerializerKind.RAW_BYTES)) == make_golden.DATA_RECORDS
    assert inp.data_ended
    assert protocol.read_int(inp) == SpecialLength.END_OF_STREAM
    assert inp.read(1) == b""
    if chunk == 1:
        assert sock.receives >= len(golden("data_section_records.bin"))


@sockets()
def test_dataFrames_largerThanTheBuffer_readTheSame(chunk):
    big = bytes(range(256)) * 12  # 3072 bytes, over the 1024-byte buffer
    data = b"".join(struct.pack(">i", len(f)) + f for f in (b"x", big, b"")) + struct.pack(">ii", -5, -1)
    inp = SocketInput(FakeSocket(data, chunk), 1024)
    frames = []
    while True:
        frame = inp.read_frame()
        if frame is END_OF_DATA:
            break
        frames.append(None if frame is None else bytes(frame))
    assert frames == [b"x", big, b"", None]


@sockets()
def test_pickledBatches_andTypedBatches_readTheSame(chunk):
    batches = [pickle.dumps([1, "a", None], 2), encode_typed_batch(make_golden.TYPED_LONGS), pickle.dumps([], 2)]
    data = b"".join(struct.pack(">i", len(b)) + b for b in batches) + struct.pack(">i", -1)
    inp = SocketInput(FakeSocket(data, chunk), 1024)
    records = list(serializers.read_records(inp, SerializerKind.PICKLED_BATCHES))
    assert records == [1, "a", None] + make_golden.TYPED_LONGS


@sockets()
def test_utf8Records_readTheSame(chunk):
    records = ["h\u00e9", None, "", "\u20ac" * 700]
    data = b"".join(struct.pack(">i", -5) if r is None else struct.pack(">i", len(r.encode())) + r.encode()
                    for r in records) + struct.pack(">i", -1)
    inp = SocketInput(FakeSocket(data, chunk), 1024)
    assert list(serializers.read_records(inp, SerializerKind.UTF8)) == records


@sockets()
@pytest.mark.parametrize("name, index", [("task_header_udf.bin", 7), ("task_header_non_udf.bin", 0)])
def test_sessionCommandAndTaskHeader_readTheSame(chunk, name, index):
    inp = SocketInput(FakeSocket(pack_ping() + golden(name), chunk), 1024)
    assert protocol.read_int_or_eof(inp) == Command.PING
    assert protocol.read_int_or_eof(inp) == index
    whole = task.read_task_header(SocketInput(FakeSocket(golden(name)[4:], 1 << 20), 1024), index)
    assert task.read_task_header(inp, index) == whole
    assert protocol.read_int_or_eof(inp) is None


def pack_ping() -> bytes:
    return protocol.pack_int(Command.PING)


@sockets()
def test_handshake_workerRole_readsTheJvmProof_andSendsTheGoldenBytes(chunk):
    sock = FakeSocket(golden("jvm_proof.bin"), chunk)
    auth.authenticate_to_jvm(sock, make_golden.SECRET, 4242, 5.0, nonce=make_golden.WORKER_NONCE)
    assert bytes(sock.sent) == golden("worker_hello.bin") + golden("worker_proof.bin")


@sockets()
def test_handshake_jvmRole_readsHelloAndProof_andSendsTheGoldenBytes(chunk):
    sock = FakeSocket(golden("worker_hello.bin") + golden("worker_proof.bin"), chunk)
    assert auth.authenticate_worker(sock, make_golden.SECRET, 5.0, nonce=make_golden.JVM_NONCE) == 4242
    assert bytes(sock.sent) == golden("jvm_proof.bin")


@sockets()
def test_handshake_jvmRole_readsAForkFailure(chunk):
    sock = FakeSocket(golden("fork_failed.bin"), chunk)
    with pytest.raises(auth.WorkerForkFailed, match="Resource temporarily unavailable"):
        auth.authenticate_worker(sock, make_golden.SECRET, 5.0)


@pytest.mark.parametrize("chunk", [1 << 20, 1, 3], ids=["whole", "one-byte", "three-bytes"])
def test_daemonStdinCommands_parseTheSame(chunk):
    data = golden("kill_cmd.bin") * 2 + protocol.encode_kill(-1)
    parser = _StdinCommands()
    events: List[object] = []
    for i in range(0, len(data), chunk):
        events.extend(parser.feed(data[i:i + chunk]))
    assert events == [_Kill(4242), _Kill(4242), _Kill(-1)]
    assert parser.finish() == b""


# The task output golden files against the layout of docs/protocol.md 5.3, independent of the encoders.

def test_outputGoldens_holdTheDocumentedLayout():
    def text(s: str) -> bytes:
        b = s.encode("utf-8")
        return struct.pack(">i", len(b)) + b

    record = make_golden.OUTPUT_RECORD.encode("utf-8")
    assert golden("output_data.bin") == struct.pack(">i", len(record)) + record
    assert golden("output_null.bin") == struct.pack(">i", -5)
    assert golden("output_exception.bin") == struct.pack(">i", -2) + b"".join(
        text(s) for s in make_golden.OUTPUT_EXCEPTION)
    assert golden("output_timing.bin") == struct.pack(">iqqqq", -3, *make_golden.OUTPUT_TIMING)
    updates = make_golden.OUTPUT_UPDATES
    assert updates == [b"\x80\x04K\x05.", b"\x80\x04\x95\x05\x00\x00\x00\x00\x00\x00\x00\x8c\x01x\x94."]
    assert golden("output_end.bin") == struct.pack(">ii", -1, 2) + b"".join(
        struct.pack(">i", len(u)) + u for u in updates)
    assert golden("output_end_of_stream.bin") == struct.pack(">i", -4)
    assert golden("data_section_records.bin") == make_golden.encode_data_section(make_golden.DATA_RECORDS)


def test_specialLengths_areSparksValues():
    assert {m.name: m.value for m in SpecialLength} == {
        "END_OF_DATA_SECTION": -1, "PYTHON_EXCEPTION_THROWN": -2, "TIMING_DATA": -3, "END_OF_STREAM": -4, "NULL": -5}
