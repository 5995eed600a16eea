"""Forked workers of a real daemon, driven like the JVM drives them: handshake, session, KILL, shutdown, faults."""
import os
import re
import signal
import socket

import pytest

from pyworkers_testing.harness import TIMEOUT, DaemonProcess, ipv6_available
from pyworkers import auth, protocol
from pyworkers.protocol import Transport

TRANSPORTS = [
    Transport.UNIX,
    Transport.TCP_IPV4,
    pytest.param(Transport.TCP_IPV6, marks=pytest.mark.skipif(not ipv6_available(), reason="no IPv6 loopback")),
]
TRANSPORT_IDS = ["unix", "tcp-ipv4", "tcp-ipv6"]


@pytest.fixture
def daemon(procs, sock_dir):
    return DaemonProcess(procs, sock_dir)


def assert_alive(daemon: DaemonProcess) -> None:
    assert daemon.popen.poll() is None, "daemon died:\n" + daemon.stderr.text()
    daemon.open_worker().ping()


@pytest.mark.parametrize("transport", TRANSPORTS, ids=TRANSPORT_IDS)
def test_handshake_thenPing_answersPong(procs, sock_dir, transport):
    daemon = DaemonProcess(procs, sock_dir, transport)
    worker = daemon.open_worker()
    assert worker.pid != daemon.pid
    worker.ping()
    worker.close()
    daemon.worker_exit_line(worker.pid, "exited with code 0")


def test_sameWorker_answersManyPings(daemon):
    worker = daemon.open_worker()
    for _ in range(200):
        worker.ping()
    worker.send_int(protocol.Command.PING)
    worker.send_int(protocol.Command.PING)  # pipelined: both answered in order
    assert [worker.read_int(), worker.read_int()] == [-10, -10]
    daemon.stderr.wait_for(r"^\[daemon\] DEBUG forked worker pid %d$" % worker.pid)
    assert daemon.forked_pids() == [worker.pid]


def test_workerChild_hasStdinOnDevNull_andOutputOnAPipe(daemon):
    worker = daemon.open_worker()
    assert os.readlink("/proc/%d/fd/0" % worker.pid) == "/dev/null"
    out, err = os.readlink("/proc/%d/fd/1" % worker.pid), os.readlink("/proc/%d/fd/2" % worker.pid)
    assert out == err and out.startswith("pipe:")
    daemon_fds = {os.readlink("/proc/%d/fd/%s" % (daemon.pid, fd)) for fd in os.listdir("/proc/%d/fd" % daemon.pid)}
    assert out in daemon_fds  # the daemon holds the read end and relays it


def test_jvmWithWrongSecret_workerAnswersRejected_exits5_andSaysWhy(daemon):
    with pytest.raises(auth.AuthenticationError, match=r"worker pid (\d+) rejected our proof") as info:
        daemon.open_worker(secret=bytes(32))
    pid = int(re.search(r"pid (\d+)", str(info.value)).group(1))
    daemon.worker_exit_line(pid, "exited with code 5")
    daemon.stderr.wait_for(
        r"^\[pid %d\] \[worker\] ERROR authentication failed: the JVM's proof does not match the secret "
        r"\(peer pid %d uid \d+\)" % (pid, os.getpid())
    )
    assert_alive(daemon)


def test_workerWithWrongSecret_jvmRoleDetectsTheBadProof(procs, sock_dir):
    daemon = DaemonProcess(procs, sock_dir, worker_module="pwfake_bad_proof_worker")
    with pytest.raises(auth.AuthenticationError, match=r"worker pid \d+'s proof does not match the secret"):
        daemon.open_worker()


def test_randomBytesOnTheSocket_failTheHandshake_daemonKeepsServing(daemon):
    for garbage in (os.urandom(64), os.urandom(7), os.urandom(200_000)):
        sock = daemon.connect()
        hello = daemon.read_worker_hello(sock)
        try:
            sock.sendall(garbage)
            sock.shutdown(socket.SHUT_WR)
            rest = sock.recv(1)
        except (ConnectionResetError, BrokenPipeError):
            rest = b"\x01"  # the worker rejected us and closed with our surplus bytes unread
        sock.close()
        assert rest in (b"\x01", b""), rest  # rejected, or EOF when fewer than 64 bytes came
        daemon.worker_exit_line(hello.pid, "exited with code 5")
    assert_alive(daemon)


def test_clientDisconnectingMidHandshake_workerExits5_daemonKeepsServing(daemon):
    sock = daemon.connect()
    hello = daemon.read_worker_hello(sock)
    sock.sendall(os.urandom(20))
    sock.close()
    daemon.worker_exit_line(hello.pid, "exited with code 5")
    daemon.stderr.wait_for(
        r"^\[pid %d\] \[worker\] ERROR authentication failed: the JVM closed the connection during the handshake: "
        r"end of stream while reading the JVM's proof \(Nj and Mj\): expected 64 bytes, got 20" % hello.pid
    )
    bare = daemon.connect()  # connects and closes before reading anything
    bare.close()
    assert_alive(daemon)


def test_silentClient_workerGivesUpAfterAuthTimeout_exits5(procs, sock_dir):
    daemon = DaemonProcess(procs, sock_dir, auth_timeout_ms=300)
    sock = daemon.connect()
    hello = daemon.read_worker_hello(sock)
    daemon.worker_exit_line(hello.pid, "exited with code 5")
    daemon.stderr.wait_for(
        r"^\[pid %d\] \[worker\] ERROR authentication failed: no proof from the JVM within the auth timeout of "
        r"0.3 s" % hello.pid
    )


def test_unknownCommand_answersErrorAndMessage_exits4(daemon):
    worker = daemon.open_worker()
    worker.send_int(-12345)
    assert worker.read_int() == protocol.Command.ERROR
    assert worker.read_str() == "protocol error: unknown command -12345"
    assert worker.read_eof() == b""
    daemon.worker_exit_line(worker.pid, "exited with code 4")


def test_connectionEndingInsideACommand_exits4(daemon):
    worker = daemon.open_worker()
    worker.sock.sendall(b"\xff\xff")
    worker.sock.shutdown(socket.SHUT_WR)
    assert worker.read_eof() == b""
    daemon.worker_exit_line(worker.pid, "exited with code 4")


def test_kill_killsExactlyThatWorker(daemon):
    victim, bystander = daemon.open_worker(), daemon.open_worker()
    daemon.kill_worker(victim.pid)
    assert victim.read_eof() == b""
    daemon.worker_exit_line(victim.pid, "killed by signal 9 (SIGKILL)")
    bystander.ping()
    assert daemon.popen.poll() is None


def test_workerExits_areReportedOnStdout_inOrder_withHowValueAndLogLines(daemon):
    closed, killed = daemon.open_worker(), daemon.open_worker()
    closed.close()
    first = daemon.worker_exit(closed.pid)
    daemon.kill_worker(killed.pid)
    second = daemon.worker_exit(killed.pid)  # read after the first: the reports come in the order workers end
    assert (first.how, first.value, first.signal_name) == (protocol.ExitHow.EXITED, 0, "")
    assert (second.how, second.value, second.signal_name) == (protocol.ExitHow.SIGNALED, 9, "SIGKILL")
    for report in (first, second):
        line = daemon.worker_exit_line(report.pid, report.describe())  # the same words on the log line
        assert report.log_lines == daemon.stderr.lines().index(line) + 1
    assert daemon.popen.poll() is None


@pytest.mark.parametrize("target", ["daemon", "init", "minus-one", "zero", "stranger"])
def test_killForPidNotAChild_isIgnoredAndLogged(procs, daemon, target):
    pids = {"daemon": daemon.pid, "init": 1, "minus-one": -1, "zero": 0, "stranger": os.getpid()}
    worker = daemon.open_worker()
    daemon.kill_worker(pids[target])
    daemon.stderr.wait_for(r"^\[daemon\] DEBUG ignoring KILL for unknown pid %d$" % pids[target])
    worker.ping()
    assert daemon.popen.poll() is None


def test_stdinGarbage_isLoggedInHex_thenAKillStillWorks(daemon):
    worker = daemon.open_worker()
    daemon.write_stdin(b"\x00\x01hello!")
    daemon.stderr.wait_for(r"^\[daemon\] WARN ignoring 8 bytes of garbage on stdin: 00016865")
    daemon.write_stdin(b"Z" * 100 + protocol.encode_kill(worker.pid))
    daemon.stderr.wait_for(r"^\[daemon\] WARN ignoring 100 bytes of garbage on stdin: (5a){64}\.\.\.$")
    assert worker.read_eof() == b""
    daemon.worker_exit_line(worker.pid, "killed by signal 9 (SIGKILL)")
    assert_alive(daemon)


def test_stdinEof_killsEveryWorker_removesSocket_exits0(daemon):
    workers = [daemon.open_worker() for _ in range(3)]
    daemon.close_stdin()
    assert daemon.wait() == 0
    for worker in workers:
        daemon.worker_exit_line(worker.pid, "killed by signal 9 (SIGKILL)")
        assert worker.read_eof() == b""
    assert not os.path.exists(daemon.socket_path)
    daemon.stderr.wait_for(r"^\[daemon\] INFO stdin closed: the JVM is gone")


def test_sigterm_killsEveryWorker_removesSocket_exits0(daemon):
    workers = [daemon.open_worker() for _ in range(2)]
    daemon.popen.send_signal(signal.SIGTERM)
    assert daemon.wait() == 0
    for worker in workers:
        daemon.worker_exit_line(worker.pid, "killed by signal 9 (SIGKILL)")
    assert not os.path.exists(daemon.socket_path)


def test_sighup_isIgnored(daemon):
    worker = daemon.open_worker()
    daemon.popen.send_signal(signal.SIGHUP)
    worker.ping()
    assert_alive(daemon)


def test_daemonKilledBySigkill_workersDieWithin2s(procs, daemon):
    workers = [daemon.open_worker() for _ in range(3)]
    daemon.popen.kill()
    assert daemon.wait() == -signal.SIGKILL
    for worker in workers:
        assert procs.wait_gone(worker.pid, timeout=2.0), "worker pid %d outlived the daemon" % worker.pid


def test_workerOutput_isRelayedAsPidLines_andNeverReachesTheProtocol(procs, sock_dir):
    daemon = DaemonProcess(procs, sock_dir, worker_module="pwfake_chatty_worker")
    worker = daemon.open_worker()  # the prints came before the handshake: it still succeeds
    worker.ping()
    prefix = r"^\[pid %d\] " % worker.pid
    daemon.stderr.wait_for(prefix + r"hello from stdout in pid %d$" % worker.pid)
    daemon.stderr.wait_for(prefix + r"hello from stderr in pid %d$" % worker.pid)
    daemon.stderr.wait_for(prefix + "x{65536}$")
    daemon.stderr.wait_for(prefix + "x{%d}$" % (70000 - 65536))
    daemon.stderr.wait_for(prefix + "caf\u00e9 bytes \ufffd\ufffd$")
    worker.close()
    exit_line = daemon.worker_exit_line(worker.pid, "exited with code 0")
    last = daemon.stderr.wait_for(prefix + "goodbye without a newline$")[0]
    lines = daemon.stderr.lines()
    assert lines.index(last) < lines.index(exit_line)  # a worker's last output comes before its exit line
    report = daemon.worker_exit(worker.pid)
    assert report.describe() == "exited with code 0"
    assert report.log_lines == lines.index(exit_line) + 1  # it counts every line up to its exit line
    daemon.close_stdin()
    assert daemon.wait() == 0
    assert daemon.stdout_rest() == b""


def test_workerRaising_printsTracebackThroughRelay_exits1(procs, sock_dir):
    daemon = DaemonProcess(procs, sock_dir, worker_module="pwfake_crashing_worker")
    sock = daemon.connect()
    assert sock.recv(1) == b""
    pid = int(daemon.stderr.wait_for(r"^\[daemon\] DEBUG forked worker pid (\d+)$")[0].rsplit(" ", 1)[1])
    daemon.worker_exit_line(pid, "exited with code 1")
    daemon.stderr.wait_for(r"^\[pid %d\] RuntimeError: boom from the fake worker$" % pid)
    second = daemon.connect()  # the daemon still forks a (crashing) worker for the next connection
    assert second.recv(1) == b""
    daemon.stderr.wait_for(r"^\[daemon\] DEBUG worker pid \d+ exited with code 1$", count=2)
    assert daemon.popen.poll() is None


FAIL_FIRST_FORK = """
import errno, os, sys
real_fork = os.fork
calls = []
def failing_fork():
    calls.append(1)
    if len(calls) == 1:
        raise OSError(errno.EAGAIN, os.strerror(errno.EAGAIN))
    return real_fork()
os.fork = failing_fork
from pyworkers import daemon
sys.exit(daemon.main(sys.argv[1:]))
"""


def test_forkFailure_answersNegativeErrnoAndMessage_thenKeepsServing(procs, sock_dir):
    daemon = DaemonProcess(procs, sock_dir, launcher=FAIL_FIRST_FORK, worker_module="pyworkers.worker")
    sock = daemon.connect()
    with pytest.raises(auth.WorkerForkFailed) as info:
        auth.authenticate_worker(sock, daemon.secret, TIMEOUT)
    assert info.value.code == -11
    assert info.value.message == "fork failed: [Errno 11] Resource temporarily unavailable"
    assert sock.recv(1) == b""
    daemon.stderr.wait_for(r"^\[daemon\] ERROR fork failed: \[Errno 11\] Resource temporarily unavailable; answered")
    assert_alive(daemon)


MANY_FDS = """
import os, resource, sys
soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
target = 4096 if hard == resource.RLIM_INFINITY else min(hard, 4096)
resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
held = [os.open(os.devnull, os.O_RDONLY) for _ in range(1100)]
from pyworkers import daemon
sys.exit(daemon.main(sys.argv[1:]))
"""


def test_descriptorsAbove1024_stillWork(procs, sock_dir):
    import resource

    hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
    if hard != resource.RLIM_INFINITY and hard < 1200:
        pytest.skip("hard RLIMIT_NOFILE %d is too low to open 1100 descriptors" % hard)
    daemon = DaemonProcess(procs, sock_dir, launcher=MANY_FDS)
    workers = [daemon.open_worker() for _ in range(3)]
    for worker in workers:
        worker.ping()
    fd_dir = "/proc/%d/fd" % daemon.pid
    high = {int(fd): os.readlink(os.path.join(fd_dir, fd)) for fd in os.listdir(fd_dir) if int(fd) > 1024}
    assert any(t.startswith("socket:") for t in high.values()), high  # the listening socket
    assert sum(t.startswith("pipe:") for t in high.values()) >= 3, high  # wakeup pipe and relays
    daemon.kill_worker(workers[0].pid)
    daemon.worker_exit_line(workers[0].pid, "killed by signal 9 (SIGKILL)")
    workers[1].close()
    daemon.worker_exit_line(workers[1].pid, "exited with code 0")
    workers[2].ping()
    daemon.close_stdin()
    assert daemon.wait() == 0


def test_sigusr2_workerRelaysItsStackAsPidLines_andKeepsServing(daemon):
    worker = daemon.open_worker()
    worker.ping()
    os.kill(worker.pid, signal.SIGUSR2)
    daemon.stderr.wait_for(r"^\[pid %d\] Current thread 0x[0-9a-f]+ \(most recent call first\):$" % worker.pid)
    daemon.stderr.wait_for(r'^\[pid %d\]   File ".*worker\.py", line \d+ in _loop$' % worker.pid)
    worker.ping()
    assert_alive(daemon)
