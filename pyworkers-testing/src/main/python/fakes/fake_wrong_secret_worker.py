"""Worker module whose forked child runs the real worker with a different secret than the JVM's."""
from pyworkers import worker


def serve_forked(sock, secret, auth_timeout_s, buffer_size):
    wrong = bytes(b ^ 0xFF for b in secret)
    return worker.serve_forked(sock, wrong, auth_timeout_s, buffer_size)
