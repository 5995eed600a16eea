"""Shared helpers of the fake peers: raw framing with struct, nothing from pyworkers."""
import os
import struct
import sys


def read_exact(fd, n):
    data = b""
    while len(data) < n:
        chunk = os.read(fd, n - len(data))
        if not chunk:
            raise EOFError("stdin closed after %d of %d bytes" % (len(data), n))
        data += chunk
    return data


def read_int(fd):
    return struct.unpack("!i", read_exact(fd, 4))[0]


def read_daemon_init(fd=0):
    """Returns (transport, socket path) from a PWKI init block."""
    assert read_exact(fd, 4) == b"PWKI"
    read_int(fd)  # version
    read_exact(fd, read_int(fd))  # secret
    transport = read_exact(fd, 1)[0]
    path = read_exact(fd, read_int(fd)).decode()
    read_int(fd)  # auth timeout
    read_int(fd)  # buffer size
    for _ in range(read_int(fd)):
        read_exact(fd, read_int(fd))
    return transport, path


def write_hello(transport, path, port):
    out = b"PWKD" + struct.pack("!iiiiB", 1, os.getpid(), sys.version_info[0], sys.version_info[1], transport)
    if transport == 1:
        raw = path.encode()
        out += struct.pack("!i", len(raw)) + raw
    else:
        out += struct.pack("!i", port)
    os.write(1, out)


def wait_for_eof(sock):
    while sock.recv(4096):
        pass
