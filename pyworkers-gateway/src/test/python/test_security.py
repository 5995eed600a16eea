"""Tokens and secrets: wrong ones are refused, and the real ones never show in argv or the environment."""
import os
import socket
import time

import pytest

from pyworkers import auth

from conftest import wait_for
from fns import square


def _connect_unix(path):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(10)
    s.connect(path)
    return s


def test_wrong_token_on_the_py4j_socket_is_refused(shared):
    with _connect_unix(shared._launched.socket_path) as s:
        s.sendall(b"A\nwrong\n")
        reply = b""
        while True:
            data = s.recv(4096)
            if not data:
                break
            reply += data
    assert reply.startswith(b"!"), "the gateway answered a wrong token with %r, not an error" % (reply,)
    assert shared.jvm.java.lang.Math.abs(-5) == 5


class _WrongSecretFirst:
    """The gateway's entry point, with one impostor connecting to each map job's data socket before the driver."""

    def __init__(self, real):
        self._real = real
        self.refused = []

    def map(self, *args):
        job = self._real.map(*args)
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            s.connect(job.socketPath())
            try:
                auth.authenticate_to_jvm(s, b"\x00" * 32, os.getpid(), 5)
            except Exception as e:
                self.refused.append(e)
        finally:
            s.close()
        return job

    def __getattr__(self, name):
        return getattr(self._real, name)


def test_wrong_secret_on_the_data_socket_is_refused(shared, monkeypatch):
    wrapper = _WrongSecretFirst(shared.entry_point)
    monkeypatch.setattr(shared, "entry_point", wrapper)
    assert list(shared.map(square, range(100), chunk_size=7)) == [x * x for x in range(100)]
    assert len(wrapper.refused) == 1, "a wrong secret was accepted on the data socket"


def test_token_not_in_cmdline_or_environ(shared):
    token = shared._launched.token.encode()
    assert len(token) >= 32
    for name in ("cmdline", "environ"):
        with open("/proc/%d/%s" % (shared.pid, name), "rb") as f:
            assert token not in f.read(), "the token is in /proc/<jvm>/%s" % name


def test_a_connection_that_sends_no_token_is_closed_and_logged(leakcheck, capfd):
    from pyworkers.driver import connect

    with connect(jvm_options=["-Dpyworkers.gateway.authTimeoutMillis=300"]) as gw:
        with _connect_unix(gw._launched.socket_path) as s:
            t0 = time.monotonic()
            data = s.recv(4096)  # nothing sent: the gateway closes it when the timer fires
            waited = time.monotonic() - t0
        assert data == b"", "the gateway answered a silent connection with %r" % (data,)
        assert 0.2 < waited < 5, "the silent connection was closed after %.2f s, not about 0.3 s" % waited
        assert gw.jvm.java.lang.Math.abs(-5) == 5  # calls still work, on connections that stay blocking
        seen = []
        wait_for(lambda: seen.append(capfd.readouterr().err) or "sent no token within 300 ms" in "".join(seen), 5,
                 lambda: "no log line about the silent connection in %r" % "".join(seen))


def test_a_bad_auth_timeout_property_stops_the_start_with_its_name(leakcheck, capfd):
    from pyworkers.driver import GatewayStartError, connect

    with pytest.raises(GatewayStartError, match="exited with code 2"):
        connect(jvm_options=["-Dpyworkers.gateway.authTimeoutMillis=5"])
    err = capfd.readouterr().err
    assert "pyworkers.gateway.authTimeoutMillis must be a whole number of milliseconds from 100 to 600000, got '5'" \
        in err, err


def _listening_tcp_inodes():
    inodes = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            with open(table) as f:
                next(f)
                for line in f:
                    fields = line.split()
                    if fields[3] == "0A":  # LISTEN
                        inodes.add(fields[9])
        except FileNotFoundError:
            pass
    return inodes


def _socket_inodes(pid):
    found = set()
    for fd in os.listdir("/proc/%d/fd" % pid):
        try:
            target = os.readlink("/proc/%d/fd/%s" % (pid, fd))
        except OSError:
            continue
        if target.startswith("socket:["):
            found.add(target[8:-1])
    return found


def test_the_gateway_listens_on_a_private_unix_socket_and_no_tcp_port(leakcheck):
    import stat

    from pyworkers.driver import connect

    with connect() as gw:
        assert gw.jvm.java.lang.Math.abs(-2) == 2
        path = gw._launched.socket_path
        folder = os.path.dirname(path)
        assert stat.S_ISSOCK(os.stat(path).st_mode)
        assert stat.S_IMODE(os.stat(folder).st_mode) == 0o700, oct(os.stat(folder).st_mode)
        assert os.stat(folder).st_uid == os.getuid()
        listening = _socket_inodes(gw.pid) & _listening_tcp_inodes()
        assert not listening, "the gateway JVM listens on TCP sockets %s" % (listening,)
    wait_for(lambda: not os.path.exists(folder), 10, "the gateway's socket folder %s after close" % folder)
