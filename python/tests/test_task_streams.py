"""The worker's input stream (protocol.SocketInput) and output framing, in-process over a socket pair, plus the
end-to-end guarantee they exist for: output is flushed before the worker blocks on input, so a JVM that feeds one
batch at a time and waits for its result never deadlocks."""
import pickle
import socket
import struct
import threading

import pytest

from pyworkers_testing.harness import TIMEOUT, TaskSpec, WorkerSource, encode_task, fn_ref
from pyworkers import protocol, serializers
from pyworkers.protocol import END_OF_DATA, ProtocolError, SerializerKind, SocketInput
from pyworkers.task import _pack_text


def frame(data: bytes) -> bytes:
    return struct.pack(">i", len(data)) + data


@pytest.fixture
def pair():
    a, b = socket.socketpair()
    yield a, b
    a.close()
    b.close()


def feed(sock, data, chunk=1):
    """Send ``data`` ``chunk`` bytes at a time from a named thread, like a slow peer."""
    def run():
        for i in range(0, len(data), chunk):
            sock.sendall(data[i:i + chunk])
    thread = threading.Thread(target=run, name="pwtest-feeder", daemon=True)
    thread.start()
    return thread


@pytest.mark.parametrize("chunk", [1, 3, 65536], ids=["one-byte", "three-bytes", "whole"])
def test_readFrame_smallLargeNullAndEnd_whateverTheChunking(pair, chunk):
    a, b = pair
    big = bytes(range(256)) * 1000  # larger than the 1024-byte buffer
    stream = frame(b"abc") + frame(b"") + struct.pack(">i", -5) + frame(big) + frame(b"z") + struct.pack(">i", -1)
    feeder = feed(a, stream + b"tail", chunk)
    inp = SocketInput(b, 1024)
    got = []
    for _ in range(6):
        payload = inp.read_frame()  # a view into the buffer: valid until the next read
        got.append(payload if payload is None or payload is END_OF_DATA else bytes(payload))
    assert got == [b"abc", b"", None, big, b"z", END_OF_DATA]
    assert inp.data_ended and protocol.read_exact(inp, 4) == b"tail"
    feeder.join(TIMEOUT)


def test_readFrame_badLengths_areStickyProtocolErrors(pair):
    a, b = pair
    a.sendall(struct.pack(">i", -7) + frame(b"never"))
    inp = SocketInput(b, 1024)
    with pytest.raises(ProtocolError, match=r"data frame length -7 is invalid"):
        inp.read_frame()
    with pytest.raises(ProtocolError):  # user code that swallowed it cannot read on out of sync
        inp.read_frame()
    a2, b2 = socket.socketpair()
    with a2, b2:
        a2.sendall(struct.pack(">i", (1 << 30) + 1))
        with pytest.raises(ProtocolError, match=r"data frame length 1073741825 exceeds max 1073741824"):
            SocketInput(b2, 1024).read_frame()


def test_readFrame_eofInsideAFrame_isAnEofError(pair):
    a, b = pair
    a.sendall(struct.pack(">i", 10) + b"12345")
    a.shutdown(socket.SHUT_WR)
    inp = SocketInput(b, 1024)
    with pytest.raises(EOFError, match=r"end of stream inside a data frame: expected 10 bytes, got 5"):
        inp.read_frame()
    assert isinstance(inp.failure, EOFError)


def test_beforeBlock_isCalledOnlyWhenNoInputIsWaiting(pair):
    a, b = pair
    calls = []

    def before_block():  # the worker flushes its output here; this peer answers only once it was called
        calls.append(1)
        a.sendall(frame(b"late"))

    inp = SocketInput(b, 1024, before_block=before_block)
    a.sendall(frame(b"x") * 3)
    assert [bytes(inp.read_frame()) for _ in range(3)] == [b"x"] * 3
    assert calls == []  # the bytes were already there: no flush needed
    assert bytes(inp.read_frame()) == b"late"
    assert calls == [1]  # nothing was waiting, so it flushed before blocking


def test_readRecords_eachSerializer_stopsAtEndOfData(pair):
    a, b = pair
    a.sendall(frame(pickle.dumps([1, 2], 2)) + struct.pack(">i", -5) + frame(pickle.dumps([], 2)) +
              struct.pack(">i", -1) + frame("ü".encode()) + struct.pack(">i", -5) + struct.pack(">i", -1) +
              frame(b"\x00") + struct.pack(">i", -1))
    inp = SocketInput(b, 1024)
    assert list(serializers.read_records(inp, SerializerKind.PICKLED_BATCHES)) == [1, 2, None]
    assert list(serializers.read_records(inp, SerializerKind.UTF8)) == ["ü", None]
    assert list(serializers.read_records(inp, SerializerKind.RAW_BYTES)) == [b"\x00"]


def test_exceptionText_over1MiB_isCutInTheMiddleNeverSplittingACharacter():
    text = "é" * 600_000 + "MIDDLE" + "ü" * 600_000
    data = _pack_text(text)
    length = struct.unpack(">i", data[:4])[0]
    assert length <= 1 << 20 and length == len(data) - 4
    cut = data[4:].decode("utf-8")
    assert cut.startswith("éé") and cut.endswith("üü") and "MIDDLE" not in cut
    kept = len(cut) - len(" characters cut) ...") - len("... (") - len(str(len(text) - len(cut)))
    assert "... (%d characters cut) ..." % (len(text) - kept) in cut
    assert _pack_text("short") == struct.pack(">i", 5) + b"short"


def test_lockstepJvm_feedingOneBatchOnlyAfterTheLastResult_neverDeadlocks(workers):
    """A JVM whose writer waits for each batch's result before it sends the next one."""
    worker = workers.open()
    worker.sock.sendall(encode_task(TaskSpec.udf(([0], [fn_ref("pwfake_task_functions:plus_one")]))))
    for i in range(50):
        worker.sock.sendall(frame(pickle.dumps([(i,), (i * 10,)], 2)))
        length = worker.read_int()  # bounded by the socket timeout: a held-back result fails the test
        assert pickle.loads(worker.read_exact(length)) == [i + 1, i * 10 + 1]
    worker.sock.sendall(struct.pack(">ii", -1, -4))
    assert worker.read_int() == -3
    [worker.read_long() for _ in range(4)]
    assert (worker.read_int(), worker.read_int(), worker.read_int()) == (-1, 0, -4)
    worker.ping()


def test_lockstepJvm_nonUdfRecordByRecord_neverDeadlocks(workers):
    worker = workers.open()
    task = TaskSpec.non_udf(fn_ref("pwfake_task_functions:upper"), input_serializer=2, output_serializer=2)
    worker.sock.sendall(encode_task(task))
    for word in ("alpha", "beta", "gamma"):
        worker.sock.sendall(frame(word.encode()))
        assert worker.read_exact(worker.read_int()) == word.upper().encode()
    worker.sock.sendall(struct.pack(">ii", -1, -4))
    assert worker.read_int() == -3


def test_smallBufferFromTheInitBlock_framesAroundAndOverItsSize_allRoundTrip(mode, procs, sock_dir):
    workers = WorkerSource(mode, procs, sock_dir, buffer_size=1500)
    worker = workers.open()
    records = [bytes([i % 256]) * size for i, size in enumerate([0, 1, 1019, 1020, 1021, 1495, 1496, 1497, 5000, 3])]
    task = TaskSpec.non_udf(fn_ref("pwfake_task_functions:echo"), input_serializer=3, output_serializer=3)
    assert worker.run_task(task, records * 20).ok().frames == records * 20


def test_frameReady_isTrueOnlyWhenAReadWouldNotWaitForThePeer(pair):
    a, b = pair
    inp = SocketInput(b, 1024)
    assert not inp.frame_ready()  # nothing sent
    a.sendall(frame(b"abc")[:5])
    assert not inp.frame_ready()  # half a frame: its end may take any time
    a.sendall(frame(b"abc")[5:] + frame(b"de"))
    assert inp.frame_ready()
    assert bytes(inp.read_frame()) == b"abc"
    assert inp.frame_ready() and bytes(inp.read_frame()) == b"de"
    assert not inp.frame_ready()
    a.sendall(struct.pack(">i", 5000)[:4])  # larger than the buffer: arriving
    assert inp.frame_ready()
    a.sendall(b"x" * 5000 + struct.pack(">i", -1))
    assert bytes(inp.read_frame()) == b"x" * 5000
    assert inp.frame_ready() and inp.read_frame() is END_OF_DATA
    a.close()
    assert inp.frame_ready()  # the end of the stream: the next read fails at once, it does not wait
    with pytest.raises(EOFError):
        inp.read_frame()
    assert inp.frame_ready()


def test_frameReady_compactsAFullBuffer_andKeepsTheBytesInOrder(pair):
    a, b = pair
    inp = SocketInput(b, 1024)
    frames = [bytes([i]) * 300 for i in range(8)]
    a.sendall(b"".join(frame(f) for f in frames))
    got = []
    for _ in frames:
        assert inp.frame_ready()  # all in the kernel already; the buffer holds three frames at a time
        got.append(bytes(inp.read_frame()))
    assert got == frames
    assert not inp.frame_ready()
