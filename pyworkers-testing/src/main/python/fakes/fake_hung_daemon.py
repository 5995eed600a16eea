"""A daemon that reports a valid hello, listens, and never accepts a connection."""
import os
import socket
import time

from fake_peer import read_daemon_init, write_hello

transport, path = read_daemon_init()
if transport == 1:
    listener = socket.socket(socket.AF_UNIX)
    listener.bind(path)
    port = 0
else:
    listener = socket.socket(socket.AF_INET6 if transport == 3 else socket.AF_INET)
    listener.bind(("::1" if transport == 3 else "127.0.0.1", 0))
    port = listener.getsockname()[1]
listener.listen(16)
write_hello(transport, path, port)
os.dup2(2, 1)
while os.read(0, 4096):
    pass
if transport == 1:
    os.unlink(path)
