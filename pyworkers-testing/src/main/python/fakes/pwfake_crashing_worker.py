"""A worker whose code raises before the handshake."""


def serve_forked(sock, secret, auth_timeout_s, buffer_size):
    raise RuntimeError("boom from the fake worker")
