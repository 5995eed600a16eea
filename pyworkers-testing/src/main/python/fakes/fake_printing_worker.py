"""Worker module whose forked child prints to stdout and stderr, then serves like the real worker."""
import os
import sys

from pyworkers import worker


def serve_forked(sock, secret, auth_timeout_s, buffer_size):
    print("hello on stdout from a worker")
    sys.stdout.flush()
    sys.stderr.write("hello on stderr from a worker\n")
    sys.stderr.flush()
    return worker.serve_forked(sock, secret, auth_timeout_s, buffer_size)
