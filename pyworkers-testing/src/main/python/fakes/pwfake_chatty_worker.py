"""A worker whose 'user code' prints to stdout and stderr before serving normally."""
import os
import sys

from pyworkers import worker

LONG_LINE = 70000


def serve_forked(sock, secret, auth_timeout_s, buffer_size):
    print("hello from stdout in pid %d" % os.getpid())
    print("hello from stderr in pid %d" % os.getpid(), file=sys.stderr)
    sys.stdout.write("x" * LONG_LINE + "\n")
    sys.stdout.flush()
    os.write(1, "caf\u00e9 bytes ".encode("utf-8") + b"\xff\xfe\n")  # invalid UTF-8 at the end
    code = worker.serve_forked(sock, secret, auth_timeout_s, buffer_size)
    sys.stdout.write("goodbye without a newline")
    return code
