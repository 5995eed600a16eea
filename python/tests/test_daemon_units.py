"""In-process unit tests of the daemon's stdin command parser and output relay (the process tests cover the rest)."""
import os

import pytest

from pyworkers import daemon
from pyworkers._daemon import _Garbage, _Kill, _Log, _Relay, _StdinCommands


def kill(pid: int) -> bytes:
    return b"KILL" + pid.to_bytes(4, "big", signed=True)


def feed_all(chunks):
    parser = _StdinCommands()
    events = []
    for chunk in chunks:
        events += parser.feed(chunk)
    return events, parser.finish()


def test_commands_wholeRecords():
    assert feed_all([kill(1) + kill(2)]) == ([_Kill(1), _Kill(2)], b"")


def test_commands_oneByteAtATime():
    data = kill(4242) + kill(7)
    assert feed_all([data[i:i + 1] for i in range(len(data))]) == ([_Kill(4242), _Kill(7)], b"")


def test_commands_garbageBeforeKill_isReportedThenResynchronised():
    assert feed_all([b"hello" + kill(5)]) == ([_Garbage(b"hello"), _Kill(5)], b"")


def test_commands_garbageEndingWithTagPrefix_keepsPrefixForNextChunk():
    events, rest = feed_all([b"xxKI", b"LL" + (9).to_bytes(4, "big")])
    assert events == [_Garbage(b"xx"), _Kill(9)] and rest == b""


def test_commands_truncatedCommandAtEof_isLeftOver():
    assert feed_all([kill(3)[:6]]) == ([], kill(3)[:6])


def test_commands_negativePid_isParsedAndLeftToTheDaemonToIgnore():
    assert feed_all([kill(-1)]) == ([_Kill(-1)], b"")


@pytest.fixture
def relay_and_log(tmp_path):
    """A relay reading a pipe (non-blocking, like the daemon's) and logging to a file."""
    log_path = tmp_path / "stderr.log"
    log_fd = os.open(str(log_path), os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    src_r, src_w = os.pipe()
    os.set_blocking(src_r, False)
    relay = _Relay(77, src_r, _Log(log_fd))
    yield relay, src_w, log_path
    os.close(log_fd)
    os.close(src_r)


def test_relay_splitsLines_keepsPartial_flushesAtEof(relay_and_log):
    relay, src_w, log_path = relay_and_log
    os.write(src_w, b"one\ntwo\npart")
    assert relay.pump(16) == _Relay.EMPTY
    os.write(src_w, b"ial\nlast")
    os.close(src_w)
    assert relay.pump(16) == _Relay.EOF
    relay.flush_partial()
    assert log_path.read_bytes() == b"[pid 77] one\n[pid 77] two\n[pid 77] partial\n[pid 77] last\n"


def test_relay_longLine_isCutAt64KiB(relay_and_log):
    relay, src_w, log_path = relay_and_log
    os.write(src_w, b"y" * 40000)
    relay.pump(16)
    os.write(src_w, b"y" * 40000 + b"\n")
    os.close(src_w)
    while relay.pump(16) != _Relay.EOF:
        continue
    lines = log_path.read_bytes().split(b"\n")
    assert lines == [b"[pid 77] " + b"y" * 65536, b"[pid 77] " + b"y" * (80000 - 65536), b""]


def test_relay_invalidUtf8_isReplaced(relay_and_log):
    relay, src_w, log_path = relay_and_log
    os.write(src_w, b"bad \xff\xfe end\n")
    relay.pump(16)
    assert log_path.read_bytes() == "[pid 77] bad \ufffd\ufffd end\n".encode("utf-8")
    os.close(src_w)


def test_daemonModule_exposesMain():
    assert callable(daemon.main) and daemon.__all__ == ["main", "DEFAULT_WORKER_MODULE"]


def test_workerModule_exposesWhatTheDaemonCalls():
    from pyworkers import _worker, worker
    assert worker.serve_forked is _worker.serve_forked and worker.__all__ == ["serve", "serve_forked", "main"]
