"""Simple mode against a real ``python -m pyworkers.worker``: the test listens like the JVM, the worker connects back."""
import os
import signal

import pytest

from pyworkers_testing.harness import TIMEOUT, SimpleWorkerProcess, ipv6_available
from pyworkers import auth, protocol
from pyworkers.protocol import Transport

TRANSPORTS = [
    Transport.UNIX,
    Transport.TCP_IPV4,
    pytest.param(Transport.TCP_IPV6, marks=pytest.mark.skipif(not ipv6_available(), reason="no IPv6 loopback")),
]
TRANSPORT_IDS = ["unix", "tcp-ipv4", "tcp-ipv6"]


@pytest.mark.parametrize("transport", TRANSPORTS, ids=TRANSPORT_IDS)
def test_simpleWorker_connectsBack_handshakes_pings_andDiesOnStdinEofWithin2s(procs, sock_dir, transport):
    simple = SimpleWorkerProcess(procs, sock_dir, transport)
    simple.send_init()
    worker = simple.accept()
    assert worker.pid == simple.popen.pid
    for _ in range(5):
        worker.ping()
    assert os.readlink("/proc/%d/fd/0" % worker.pid) == "/dev/null"
    simple.popen.stdin.close()  # the JVM died
    assert simple.popen.wait(2.0) == 0
    assert worker.read_eof() == b""


def test_simpleWorker_socketEof_exits0(procs, sock_dir):
    simple = SimpleWorkerProcess(procs, sock_dir, Transport.UNIX)
    simple.send_init()
    worker = simple.accept()
    worker.ping()
    worker.close()
    assert simple.popen.wait(TIMEOUT) == 0
    assert simple.popen.stdout.read() == b""


def test_simpleWorker_unknownCommand_answersError_exits4(procs, sock_dir):
    simple = SimpleWorkerProcess(procs, sock_dir, Transport.TCP_IPV4)
    simple.send_init()
    worker = simple.accept()
    worker.send_int(-7)
    assert worker.read_int() == -2
    assert worker.read_str() == "protocol error: unknown command -7"
    assert simple.popen.wait(TIMEOUT) == 4
    simple.stderr.wait_for(r"^\[worker\] ERROR protocol error: unknown command -7 \(peer 127\.0\.0\.1:\d+\)")


def test_simpleWorker_wrongSecret_answersRejected_exits5(procs, sock_dir):
    simple = SimpleWorkerProcess(procs, sock_dir, Transport.UNIX)
    simple.send_init()
    with pytest.raises(auth.AuthenticationError, match="rejected our proof"):
        simple.accept(secret=bytes(32))
    assert simple.popen.wait(TIMEOUT) == 5
    simple.stderr.wait_for(r"^\[worker\] ERROR authentication failed: the JVM's proof does not match the secret")


def test_simpleWorker_nobodyListening_exits4NamingTheAddress(procs, sock_dir):
    simple = SimpleWorkerProcess(procs, sock_dir, Transport.UNIX)
    path = simple.init.address
    simple.listener.close()
    os.unlink(path)
    simple.send_init()
    assert simple.popen.wait(TIMEOUT) == 4
    simple.stderr.wait_for(
        r"^\[worker\] ERROR cannot connect to the JVM at unix socket %s: \[Errno 2\] No such file or directory"
        % path
    )


def test_simpleWorker_badInitBlock_exits4NamingTheValue(procs, sock_dir):
    simple = SimpleWorkerProcess(procs, sock_dir, Transport.UNIX)
    simple.send_init(b"PWKS" + protocol.pack_int(1) + protocol.pack_int(9999))
    assert simple.popen.wait(TIMEOUT) == 4
    simple.stderr.wait_for(
        r"^\[worker\] ERROR bad simple worker init block on stdin: secret length 9999 must be exactly 32 in "
        r"simple worker init block"
    )


def test_simpleWorker_sigusr2_writesEveryThreadsStackToStderr_andKeepsServing(procs, sock_dir):
    simple = SimpleWorkerProcess(procs, sock_dir, Transport.UNIX)
    simple.send_init()
    worker = simple.accept()
    worker.ping()
    os.kill(worker.pid, signal.SIGUSR2)
    simple.stderr.wait_for(r"^Current thread 0x[0-9a-f]+ \(most recent call first\):$")
    simple.stderr.wait_for(r'^  File ".*worker\.py", line \d+ in _loop$')
    simple.stderr.wait_for(r"^Thread 0x[0-9a-f]+ \(most recent call first\):$")  # the stdin watchdog
    worker.ping()
    worker.close()
    assert simple.popen.wait(TIMEOUT) == 0
