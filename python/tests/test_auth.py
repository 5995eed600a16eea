"""Both roles of the handshake, in-process over a socketpair (the process tests drive the real worker)."""
import socket
import threading

import pytest

from pyworkers import auth, protocol

SECRET = bytes(range(100, 132))
TIMEOUT = 5.0


class WorkerThread:
    """Runs the worker role on one end of a socketpair and records how it ended."""

    def __init__(self, sock: socket.socket, secret: bytes) -> None:
        self.error = None
        self._thread = threading.Thread(target=self._run, args=(sock, secret), name="pwtest-auth-worker", daemon=True)
        self._thread.start()

    def _run(self, sock, secret):
        try:
            auth.authenticate_to_jvm(sock, secret, 4242, TIMEOUT)
        except Exception as e:  # recorded for the test to assert on
            self.error = e

    def join(self):
        self._thread.join(TIMEOUT)
        assert not self._thread.is_alive()


@pytest.fixture
def pair():
    jvm, worker = socket.socketpair()
    yield jvm, worker
    jvm.close()
    worker.close()


def test_sameSecret_bothSidesProven(pair):
    jvm, worker = pair
    w = WorkerThread(worker, SECRET)
    assert auth.authenticate_worker(jvm, SECRET, TIMEOUT) == 4242
    w.join()
    assert w.error is None


def test_jvmWithWrongSecret_workerRejectsWithStatus1(pair):
    jvm, worker = pair
    w = WorkerThread(worker, SECRET)
    with pytest.raises(auth.AuthenticationError, match="worker pid 4242 rejected our proof"):
        auth.authenticate_worker(jvm, bytes(32), TIMEOUT)
    w.join()
    assert isinstance(w.error, auth.AuthenticationError)
    assert str(w.error) == "the JVM's proof does not match the secret"


def test_workerWithWrongSecret_jvmRoleDetectsBadProof(pair):
    jvm, worker = pair

    def fake_worker():  # accepts anything, answers with a MAC made from another secret
        nw = bytes(range(32))
        worker.sendall(protocol.encode_worker_hello(4242, nw))
        proof = protocol.read_exact(protocol.SocketReader(worker), 64)
        worker.sendall(auth.encode_worker_proof(bytes(32), proof[:32], nw))

    t = threading.Thread(target=fake_worker, name="pwtest-fake-worker", daemon=True)
    t.start()
    with pytest.raises(auth.AuthenticationError, match="worker pid 4242's proof does not match the secret"):
        auth.authenticate_worker(jvm, SECRET, TIMEOUT)
    t.join(TIMEOUT)


def test_reflectedJvmProof_isNotAValidWorkerProof(pair):
    """A worker that echoes the JVM's own MAC back (a reflection) must fail: the labels differ."""
    jvm, worker = pair

    def reflecting_worker():
        nw = bytes(range(32))
        worker.sendall(protocol.encode_worker_hello(4242, nw))
        proof = protocol.read_exact(protocol.SocketReader(worker), 64)
        worker.sendall(b"\x00" + proof[32:])

    t = threading.Thread(target=reflecting_worker, name="pwtest-reflecting-worker", daemon=True)
    t.start()
    with pytest.raises(auth.AuthenticationError, match="proof does not match"):
        auth.authenticate_worker(jvm, SECRET, TIMEOUT)
    t.join(TIMEOUT)


def test_workerRole_jvmSilent_timesOut(pair):
    jvm, worker = pair
    with pytest.raises(socket.timeout):
        auth.authenticate_to_jvm(worker, SECRET, 4242, 0.2)
    assert protocol.read_worker_hello(protocol.SocketReader(jvm)).pid == 4242


def test_workerRole_jvmClosesMidProof_raisesEOFError(pair):
    jvm, worker = pair
    jvm.sendall(bytes(10))
    jvm.shutdown(socket.SHUT_WR)
    with pytest.raises(EOFError, match="expected 64 bytes, got 10"):
        auth.authenticate_to_jvm(worker, SECRET, 4242, TIMEOUT)


def test_jvmRole_badStatusByte_isProtocolError(pair):
    jvm, worker = pair
    worker.sendall(protocol.encode_worker_hello(4242, bytes(32)) + b"\x07")
    with pytest.raises(protocol.ProtocolError, match="handshake status 7 from worker pid 4242"):
        auth.authenticate_worker(jvm, SECRET, TIMEOUT)


def test_jvmRole_forkFailure_raisesWorkerForkFailedWithCode(pair):
    jvm, worker = pair
    worker.sendall(protocol.encode_fork_failure(-11, "fork failed: [Errno 11] Resource temporarily unavailable"))
    with pytest.raises(auth.WorkerForkFailed, match=r"code -11\): fork failed") as info:
        auth.authenticate_worker(jvm, SECRET, TIMEOUT)
    assert info.value.code == -11


def test_workerRole_tricklingJvm_cannotStretchTheAuthTimeout(pair):
    """The auth timeout bounds the whole 64-byte proof read, not each recv."""
    import time

    jvm, worker = pair
    stop = threading.Event()

    def trickle():
        while not stop.is_set():
            jvm.sendall(b"\x00")
            stop.wait(0.05)

    t = threading.Thread(target=trickle, name="pwtest-trickling-jvm", daemon=True)
    t.start()
    started = time.monotonic()
    try:
        with pytest.raises(socket.timeout):
            auth.authenticate_to_jvm(worker, SECRET, 4242, 0.3)
    finally:
        stop.set()
        t.join(TIMEOUT)
    assert time.monotonic() - started < 1.5
