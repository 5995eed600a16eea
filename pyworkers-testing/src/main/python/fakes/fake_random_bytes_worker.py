"""Worker module whose forked child sends random bytes instead of a hello; also runnable as a simple worker."""
import os
import socket
import sys

from fake_peer import read_exact, read_int, wait_for_eof


def serve_forked(sock, secret, auth_timeout_s, buffer_size):
    sock.sendall(b"\x13\x37garbage" + os.urandom(56))
    wait_for_eof(sock)
    return 0


if __name__ == "__main__":
    assert read_exact(0, 4) == b"PWKS"
    read_int(0)
    read_exact(0, read_int(0))
    transport = read_exact(0, 1)[0]
    if transport == 1:
        s = socket.socket(socket.AF_UNIX)
        s.connect(read_exact(0, read_int(0)).decode())
    else:
        family = socket.AF_INET6 if transport == 3 else socket.AF_INET
        s = socket.socket(family)
        s.connect(("::1" if transport == 3 else "127.0.0.1", read_int(0)))
    serve_forked(s, None, 10, 65536)
    sys.exit(0)
