"""Worker module whose forked child runs the real worker but drops its second SQL_BATCHED_UDF output frame."""
from pyworkers import worker
from pyworkers.evaltypes import batched

_real_write_frame = batched.write_frame
_frames = [0]


def _drop_the_second(write, data):
    _frames[0] += 1
    if _frames[0] != 2:
        _real_write_frame(write, data)


batched.write_frame = _drop_the_second


def serve_forked(sock, secret, auth_timeout_s, buffer_size):
    return worker.serve_forked(sock, secret, auth_timeout_s, buffer_size)
