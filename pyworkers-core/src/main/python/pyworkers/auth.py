"""Mutual HMAC-SHA256 challenge and response between the JVM and a worker (``docs/protocol.md`` section 2).

The worker sends ``PWKW``, its pid and a nonce ``Nw``; the JVM answers with its nonce ``Nj`` and
``Mj = HMAC(secret, "pyworkers-jvm" || Nw || Nj)``; the worker checks ``Mj`` and answers ``u8 0`` and
``Mw = HMAC(secret, "pyworkers-worker" || Nj || Nw)`` (or ``u8 1`` when ``Mj`` is wrong); the JVM checks ``Mw``.
The direction labels stop a reflected proof from passing. Proofs are compared with ``hmac.compare_digest``; every read
has a fixed size and must complete within the timeout the caller passes (a deadline for the whole read, not per
``recv``).

:func:`authenticate_to_jvm` is the worker role. :func:`authenticate_worker` is the JVM role; pyworkers only uses it in
tests and as a reference client, the real JVM role is written in Java. Stateless and thread-safe.
"""
import hashlib
import hmac
import secrets
import socket
import time
from typing import Optional

from . import protocol

__all__ = [
    "JVM_LABEL",
    "WORKER_LABEL",
    "ACCEPTED",
    "REJECTED",
    "AuthenticationError",
    "WorkerForkFailed",
    "new_nonce",
    "jvm_mac",
    "worker_mac",
    "encode_jvm_proof",
    "encode_worker_proof",
    "authenticate_to_jvm",
    "authenticate_worker",
]

JVM_LABEL = b"pyworkers-jvm"
WORKER_LABEL = b"pyworkers-worker"
ACCEPTED = protocol.ProofStatus.ACCEPTED
REJECTED = protocol.ProofStatus.REJECTED

_PROOF_LENGTH = protocol.NONCE_LENGTH + protocol.MAC_LENGTH


class AuthenticationError(Exception):
    """A proof did not match the secret, or the peer rejected ours. The message never contains the secret."""


class WorkerForkFailed(Exception):
    """JVM role: the daemon answered a connection with a negative pid (``-errno``) because it could not fork."""

    def __init__(self, code: int, message: str) -> None:
        super().__init__("the daemon could not start a worker (code %d): %s" % (code, message))
        self.code = code
        self.message = message


def new_nonce() -> bytes:
    return secrets.token_bytes(protocol.NONCE_LENGTH)


def jvm_mac(secret: bytes, worker_nonce: bytes, jvm_nonce: bytes) -> bytes:
    """``Mj = HMAC-SHA256(secret, "pyworkers-jvm" || Nw || Nj)``."""
    return hmac.new(secret, JVM_LABEL + worker_nonce + jvm_nonce, hashlib.sha256).digest()


def worker_mac(secret: bytes, jvm_nonce: bytes, worker_nonce: bytes) -> bytes:
    """``Mw = HMAC-SHA256(secret, "pyworkers-worker" || Nj || Nw)``."""
    return hmac.new(secret, WORKER_LABEL + jvm_nonce + worker_nonce, hashlib.sha256).digest()


def encode_jvm_proof(secret: bytes, worker_nonce: bytes, jvm_nonce: bytes) -> bytes:
    """Step 2: ``Nj`` followed by ``Mj``."""
    return bytes(jvm_nonce) + jvm_mac(secret, worker_nonce, jvm_nonce)


def encode_worker_proof(secret: bytes, jvm_nonce: bytes, worker_nonce: bytes) -> bytes:
    """Step 3 when the JVM's proof is good: ``u8 0`` followed by ``Mw``."""
    return protocol.pack_u8(ACCEPTED) + worker_mac(secret, jvm_nonce, worker_nonce)


def authenticate_to_jvm(
    sock: socket.socket, secret: bytes, pid: int, timeout_s: float, nonce: Optional[bytes] = None
) -> None:
    """Worker role. Returns once both sides are proven; the socket's timeout is left at ``timeout_s``.

    Raises AuthenticationError after sending ``u8 1`` when the JVM's proof is wrong, ``EOFError`` when the JVM closes
    the connection mid-handshake, ``socket.timeout`` when a read exceeds ``timeout_s``, and ``OSError`` on a socket
    error.
    """
    sock.settimeout(timeout_s)
    worker_nonce = new_nonce() if nonce is None else nonce
    sock.sendall(protocol.encode_worker_hello(pid, worker_nonce))
    reader = protocol.SocketReader(sock, time.monotonic() + timeout_s)
    proof = protocol.read_exact(reader, _PROOF_LENGTH, "the JVM's proof (Nj and Mj)")
    sock.settimeout(timeout_s)
    jvm_nonce, mac = proof[: protocol.NONCE_LENGTH], proof[protocol.NONCE_LENGTH:]
    if not hmac.compare_digest(mac, jvm_mac(secret, worker_nonce, jvm_nonce)):
        reason = "the JVM's proof does not match the secret"
        try:
            sock.sendall(protocol.pack_u8(REJECTED))
        except OSError as e:
            raise AuthenticationError("%s (and telling the JVM failed: %s)" % (reason, e)) from e
        raise AuthenticationError(reason)
    sock.sendall(encode_worker_proof(secret, jvm_nonce, worker_nonce))


def authenticate_worker(
    sock: socket.socket, secret: bytes, timeout_s: float, nonce: Optional[bytes] = None
) -> int:
    """JVM role. Returns the worker's pid once both sides are proven; the socket's timeout is left at ``timeout_s``.

    Raises WorkerForkFailed when the daemon sent a negative pid, AuthenticationError when the worker rejected our proof
    or its own proof is wrong, ProtocolError on a bad tag or status byte, ``EOFError``, ``socket.timeout``, ``OSError``.
    """
    sock.settimeout(timeout_s)
    reader = protocol.SocketReader(sock, time.monotonic() + timeout_s)
    hello = protocol.read_worker_hello(reader)
    if isinstance(hello, protocol.ForkFailure):
        raise WorkerForkFailed(hello.code, hello.message)
    jvm_nonce = new_nonce() if nonce is None else nonce
    sock.settimeout(timeout_s)
    sock.sendall(encode_jvm_proof(secret, hello.nonce, jvm_nonce))
    reader = protocol.SocketReader(sock, time.monotonic() + timeout_s)
    status = protocol.read_u8(reader, "handshake status from worker pid %d" % hello.pid)
    if status == REJECTED:
        raise AuthenticationError(
            "worker pid %d rejected our proof: the JVM and the worker do not share the secret" % hello.pid
        )
    if status != ACCEPTED:
        raise protocol.ProtocolError(
            "handshake status %d from worker pid %d is neither 0 (accepted) nor 1 (rejected)" % (status, hello.pid)
        )
    mac = protocol.read_exact(reader, protocol.MAC_LENGTH, "proof Mw of worker pid %d" % hello.pid)
    sock.settimeout(timeout_s)
    if not hmac.compare_digest(mac, worker_mac(secret, jvm_nonce, hello.nonce)):
        raise AuthenticationError(
            "worker pid %d's proof does not match the secret: it is not a worker started for this JVM" % hello.pid
        )
    return hello.pid
