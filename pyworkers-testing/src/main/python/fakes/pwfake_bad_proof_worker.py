"""A worker that skips checking the JVM's proof and answers with a MAC made from the wrong secret."""
import os
import socket

from pyworkers import auth, protocol

WRONG_SECRET = b"\x00" * 32


def serve_forked(sock: socket.socket, secret: bytes, auth_timeout_s: float, buffer_size: int) -> int:
    sock.settimeout(auth_timeout_s)
    nonce = auth.new_nonce()
    sock.sendall(protocol.encode_worker_hello(os.getpid(), nonce))
    proof = protocol.read_exact(protocol.SocketReader(sock), 64, "the JVM's proof")
    sock.sendall(auth.encode_worker_proof(WRONG_SECRET, proof[:32], nonce))
    while sock.recv(4096):  # wait for the JVM to give up on us
        continue
    sock.close()
    return 0
