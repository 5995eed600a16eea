"""Worker module whose forked child skips checking the JVM's proof and answers with a random proof."""
import os
import struct

from fake_peer import wait_for_eof


def serve_forked(sock, secret, auth_timeout_s, buffer_size):
    sock.sendall(b"PWKW" + struct.pack("!i", os.getpid()) + os.urandom(32))
    got = b""
    while len(got) < 64:
        chunk = sock.recv(64 - len(got))
        if not chunk:
            return 5
        got += chunk
    sock.sendall(b"\x00" + os.urandom(32))
    wait_for_eof(sock)
    return 0
