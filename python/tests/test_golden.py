"""Encoders must produce exactly the golden bytes in protocol/golden, and decoders must read them back, also when
the bytes arrive one at a time."""
import datetime
import io
import math
import pickle
import sys

import pytest

import make_golden
from pyworkers_testing.harness import encode_typed_batch
from pyworkers import auth, protocol

GOLDEN = make_golden.golden_files()


class OneByteAtATime:
    """A stream that returns at most one byte per read, like okio's OneByteAtATimeSource."""

    def __init__(self, data: bytes) -> None:
        self._data = io.BytesIO(data)

    def read(self, n: int) -> bytes:
        return self._data.read(min(n, 1))


def stream_kinds():
    return pytest.mark.parametrize("make_stream", [io.BytesIO, OneByteAtATime], ids=["whole", "one-byte"])


def golden(name: str) -> bytes:
    return (make_golden.GOLDEN_DIR / name).read_bytes()


@pytest.mark.parametrize("name", sorted(GOLDEN))
def test_encoder_matchesGoldenFile(name):
    assert GOLDEN[name] == golden(name), "regenerate with python tests/make_golden.py only for a deliberate change"


def test_goldenReadme_isUpToDate():
    readme = (make_golden.GOLDEN_DIR / "README.md").read_text(encoding="utf-8")
    assert readme == make_golden.readme_text(GOLDEN)


@stream_kinds()
def test_daemonInit_decodesGoldenFile(make_stream):
    stream = make_stream(golden("daemon_init.bin"))
    init = protocol.read_daemon_init(stream)
    assert init == make_golden.DAEMON_INIT
    assert init.preload_modules == ("json", "os.path")
    assert init.secret == bytes(range(100, 132))
    assert "secret" not in repr(init) and init.secret.hex() not in repr(init)


@stream_kinds()
@pytest.mark.parametrize(
    "name,expected", [("daemon_hello_unix.bin", make_golden.HELLO_UNIX), ("daemon_hello_tcp.bin", make_golden.HELLO_TCP)]
)
def test_daemonHello_decodesGoldenFile(make_stream, name, expected):
    assert protocol.read_daemon_reply(make_stream(golden(name))) == expected


@stream_kinds()
def test_daemonError_decodesGoldenFile(make_stream):
    reply = protocol.read_daemon_reply(make_stream(golden("daemon_error.bin")))
    assert reply == protocol.DaemonError(make_golden.PRELOAD_ERROR)


@stream_kinds()
def test_simpleInit_decodesGoldenFile(make_stream):
    assert protocol.read_simple_init(make_stream(golden("simple_init.bin"))) == make_golden.SIMPLE_INIT


@stream_kinds()
def test_workerHello_decodesGoldenFile(make_stream):
    hello = protocol.read_worker_hello(make_stream(golden("worker_hello.bin")))
    assert hello == protocol.WorkerHello(4242, bytes(range(32)))


@stream_kinds()
def test_forkFailed_decodesGoldenFile_asNegativeCodeAndMessage(make_stream):
    reply = protocol.read_worker_hello(make_stream(golden("fork_failed.bin")))
    assert reply == protocol.ForkFailure(-11, "fork failed: [Errno 11] Resource temporarily unavailable")


@stream_kinds()
@pytest.mark.parametrize("name, expected, words", [
    ("worker_exit_code.bin", make_golden.EXIT_CODE, "exited with code 3"),
    ("worker_exit_signal.bin", make_golden.EXIT_SIGNAL, "killed by signal 9 (SIGKILL)"),
])
def test_workerExit_decodesGoldenFile(make_stream, name, expected, words):
    report = protocol.read_worker_exit(make_stream(golden(name)))
    assert report == expected and report.describe() == words


def test_workerExit_atEndOfStream_isNone_andBadBytesAreProtocolErrors():
    assert protocol.read_worker_exit(OneByteAtATime(b"")) is None
    with pytest.raises(protocol.ProtocolError, match=r"bad magic 4b494c4c \(b'KILL'\) in worker exit report"):
        protocol.read_worker_exit(OneByteAtATime(golden("kill_cmd.bin")))
    bad_how = bytearray(golden("worker_exit_code.bin"))
    bad_how[8] = 7
    with pytest.raises(protocol.ProtocolError, match=r"how 7 is not 1, 2 or 3 in worker exit report"):
        protocol.read_worker_exit(OneByteAtATime(bytes(bad_how)))


def test_killCommand_isTagAndPid():
    assert golden("kill_cmd.bin") == b"KILL" + (4242).to_bytes(4, "big")


def test_proofs_matchHmacOverLabelsAndNonces():
    import hashlib
    import hmac

    secret, nw, nj = make_golden.SECRET, make_golden.WORKER_NONCE, make_golden.JVM_NONCE
    jvm_proof = golden("jvm_proof.bin")
    assert jvm_proof[:32] == nj
    assert jvm_proof[32:] == hmac.new(secret, b"pyworkers-jvm" + nw + nj, hashlib.sha256).digest()
    worker_proof = golden("worker_proof.bin")
    assert worker_proof[:1] == b"\x00"
    assert worker_proof[1:] == hmac.new(secret, b"pyworkers-worker" + nj + nw, hashlib.sha256).digest()
    assert auth.jvm_mac(secret, nw, nj) != auth.worker_mac(secret, nj, nw)


DECODERS = {
    "daemon_init.bin": protocol.read_daemon_init,
    "daemon_hello_unix.bin": protocol.read_daemon_reply,
    "daemon_hello_tcp.bin": protocol.read_daemon_reply,
    "daemon_error.bin": protocol.read_daemon_reply,
    "simple_init.bin": protocol.read_simple_init,
    "worker_hello.bin": protocol.read_worker_hello,
    "fork_failed.bin": protocol.read_worker_hello,
    "worker_exit_code.bin": protocol.read_worker_exit,
    "worker_exit_signal.bin": protocol.read_worker_exit,
}


@pytest.mark.parametrize("name", sorted(DECODERS))
def test_truncatedGoldenFile_raisesEOFErrorNamingExpectedAndGot(name):
    data = golden(name)
    with pytest.raises(EOFError, match=r"expected \d+ bytes, got \d+"):
        DECODERS[name](OneByteAtATime(data[:-1]))


@pytest.mark.parametrize("name", sorted(DECODERS))
def test_decoders_consumeExactlyTheMessage(name):
    stream = OneByteAtATime(golden(name) + b"NEXT")
    DECODERS[name](stream)
    assert stream.read(1) == b"N"


@stream_kinds()
def test_taskHeaders_decodeGoldenFiles(make_stream):
    from pyworkers import task as task_module
    from pyworkers.protocol import EvalType

    stream = make_stream(golden("task_header_udf.bin"))
    assert protocol.read_int(stream) == 7
    header = task_module.read_task_header(stream, 7)
    assert (header.python_version, header.stage_id, header.partition_id, header.attempt_number) == ("3.11", 3, 7, 1)
    assert (header.task_attempt_id, header.cpus, header.resources) == (42, 2, {"gpu": ["0", "1"]})
    assert (header.local_properties, header.files_folder, header.includes) == ({"who": "golden"}, "/tmp/files", ("lib",))
    assert (header.removed_broadcasts, header.added_broadcasts) == ((3,), ((4, "/tmp/b4.pickle"),))
    assert header.settings == task_module.TaskSettings(memory_limit_mb=512)
    assert header.eval_type is EvalType.SQL_BATCHED_UDF and header.conf == {"k": "v"} and header.command.bare_rows
    assert [u.offsets for u in header.command.udfs] == [(0,), (0, 0)]
    assert [len(u.functions) for u in header.command.udfs] == [1, 2]

    stream = make_stream(golden("task_header_non_udf.bin"))
    assert protocol.read_int(stream) == 0
    header = task_module.read_task_header(stream, 0)
    assert header.eval_type is EvalType.NON_UDF and header.python_version == ""
    assert header.settings == task_module.TaskSettings()
    assert (header.command.output_batch_size, len(header.command.functions)) == (500, 1)


@pytest.mark.parametrize("name, values", [("typed_batch_q.bin", make_golden.TYPED_LONGS),
                                          ("typed_batch_d.bin", make_golden.TYPED_DOUBLES)])
def test_typedBatches_unpickleToPlainListsOfTheirValues(name, values):
    data = make_golden.golden_files()[name] if sys.byteorder == "little" else encode_typed_batch(values)
    back = pickle.loads(data)
    assert type(back) is list and back == values
    assert [type(v) for v in back] == [type(v) for v in values]
    assert [math.copysign(1, v) for v in back if type(v) is float] == [
        math.copysign(1, v) for v in values if type(v) is float]  # -0.0 stays negative


def test_jvmValues_unpickleToExactStandardLibraryValues_withoutPytz(monkeypatch):
    # The JVM's pickle of row values (docs/protocol.md 5.5) needs nothing beyond the standard library.
    monkeypatch.setitem(sys.modules, "pytz", None)  # any import of pytz now fails
    back = pickle.loads(golden("jvm_values.bin"))
    expected = make_golden.JVM_VALUES
    assert back == expected
    assert [type(v) for v in back] == [type(v) for v in expected]
    assert math.copysign(1, back[4]) == -1  # -0.0
    assert back[5] == "a\ud800\u00e9" and len(back[5]) == 3  # the lone surrogate is kept, not '?'
    assert back[6].__class__ is bytes
    assert back[7].as_tuple() == expected[7].as_tuple()  # the exponent too
    assert back[9].tzinfo is None and back[9].microsecond == 999999
    assert back[10].tzinfo is datetime.timezone.utc
