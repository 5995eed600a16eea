"""Daemon start-up against a real ``python -m pyworkers.daemon``: hello, preload, and every start failure."""
import os
import re
import stat
import sys

import pytest

from pyworkers_testing.harness import DaemonProcess, ipv6_available
from pyworkers import protocol
from pyworkers.protocol import DaemonError, Transport

TRANSPORTS = [
    Transport.UNIX,
    Transport.TCP_IPV4,
    pytest.param(Transport.TCP_IPV6, marks=pytest.mark.skipif(not ipv6_available(), reason="no IPv6 loopback")),
]
TRANSPORT_IDS = ["unix", "tcp-ipv4", "tcp-ipv6"]


def assert_start_failed(daemon: DaemonProcess, message: str) -> None:
    assert isinstance(daemon.reply, DaemonError), daemon.reply
    assert daemon.reply.message == message
    assert daemon.wait() == 3
    assert daemon.stdout_rest() == b""
    daemon.stderr.wait_for(r"^\[daemon\] ERROR " + re.escape(message) + "$")


@pytest.mark.parametrize("transport", TRANSPORTS, ids=TRANSPORT_IDS)
def test_start_sendsHelloWithPidVersionAndAddress(procs, sock_dir, transport):
    daemon = DaemonProcess(procs, sock_dir, transport)
    hello = daemon.hello
    assert hello.pid == daemon.pid
    if daemon.popen.args[0] == sys.executable:
        assert (hello.python_major, hello.python_minor) == sys.version_info[:2]
    assert hello.transport is transport
    if transport is Transport.UNIX:
        assert hello.address == daemon.socket_path
        mode = os.stat(daemon.socket_path).st_mode
        assert stat.S_ISSOCK(mode) and stat.S_IMODE(mode) == 0o600
    else:
        assert 1 <= hello.address <= 65535
    worker = daemon.open_worker()
    worker.ping()
    daemon.close_stdin()
    assert daemon.wait() == 0
    # The only bytes after the hello: the exit report of the worker the shutdown killed.
    assert [(r.pid, r.describe()) for r in daemon.worker_exits_to_eof()] == [
        (worker.pid, "killed by signal 9 (SIGKILL)")
    ]


def test_preload_missingModule_repliesPWKEWithTypeAndMessage_exits3(procs, sock_dir):
    daemon = DaemonProcess(procs, sock_dir, preload=["json", "pwfake_does_not_exist"])
    assert_start_failed(
        daemon, "failed to preload module 'pwfake_does_not_exist': ModuleNotFoundError: "
                "No module named 'pwfake_does_not_exist'"
    )
    assert not os.path.exists(daemon.socket_path)


def test_preload_presentModules_areImportedOnceInTheDaemonBeforeForking(procs, sock_dir):
    daemon = DaemonProcess(procs, sock_dir, preload=["json", "os.path", "pwfake_preload_marker"])
    assert daemon.hello.pid == daemon.pid  # the marker's print() went to stderr, not into the hello
    daemon.stderr.wait_for(r"^pwfake_preload_marker imported in pid %d$" % daemon.pid)
    first, second = daemon.open_worker(), daemon.open_worker()
    first.ping()
    second.ping()
    assert len(daemon.stderr.wait_for("pwfake_preload_marker imported")) == 1


def test_badMagic_repliesPWKENamingTheBytes_exits3(procs, sock_dir):
    daemon = DaemonProcess(procs, sock_dir, init_bytes=b"HTTP/1.1 200 OK\r\n")
    assert_start_failed(
        daemon, "bad daemon init block on stdin: bad magic 48545450 (b'HTTP') in daemon init block: expected PWKI"
    )


def test_oversizeStr_repliesPWKENamingLengthAndMax_exits3(procs, sock_dir):
    data = b"PWKI" + protocol.pack_int(1) + protocol.pack_bytes(bytes(32)) + protocol.pack_u8(1)
    data += protocol.pack_int(70000)  # socket path length; the body never comes
    daemon = DaemonProcess(procs, sock_dir, init_bytes=data)
    assert_start_failed(
        daemon, "bad daemon init block on stdin: socket path length 70000 exceeds max 4096 in daemon init block"
    )


def test_truncatedInitBlock_repliesPWKESayingWhatWasMissing_exits3(procs, sock_dir):
    daemon = DaemonProcess(procs, sock_dir, init_bytes=b"PWKI\x00\x00", close_stdin_after_init=True)
    assert_start_failed(
        daemon, "bad daemon init block on stdin: end of stream while reading version in daemon init block: "
                "expected 4 bytes, got 2"
    )


def test_missingWorkerModule_repliesPWKE_exits3(procs, sock_dir):
    daemon = DaemonProcess(procs, sock_dir, worker_module="pwfake_no_such_worker")
    assert_start_failed(
        daemon, "cannot import worker module 'pwfake_no_such_worker': ModuleNotFoundError: No module named "
                "'pwfake_no_such_worker'; check the worker module setting and PYTHONPATH"
    )


def test_workerModuleWithoutServeForked_repliesPWKE_exits3(procs, sock_dir):
    daemon = DaemonProcess(procs, sock_dir, worker_module="pwfake_no_serve")
    assert isinstance(daemon.reply, DaemonError)
    assert daemon.reply.message.startswith("worker module 'pwfake_no_serve' (")
    assert daemon.reply.message.endswith(
        ") has no function serve_forked(sock, secret, auth_timeout_s, buffer_size)"
    )
    assert daemon.wait() == 3


def test_bindFailure_repliesPWKENamingAddressAndOsError_exits3(procs, sock_dir):
    taken = os.path.join(sock_dir, "d.sock")
    with open(taken, "w") as f:
        f.write("not a socket")
    daemon = DaemonProcess(procs, sock_dir)
    assert isinstance(daemon.reply, DaemonError)
    assert daemon.reply.message.startswith(
        "cannot listen on unix socket %s: [Errno 98] Address already in use; check that" % taken
    )
    assert daemon.wait() == 3
    with open(taken) as f:
        assert f.read() == "not a socket"  # never removes a file it did not create


def test_bindOverAPlantedSymlink_failsAndNeverFollowsIt(procs, sock_dir, tmp_path):
    victim = tmp_path / "victim.txt"
    victim.write_text("precious")
    planted = os.path.join(sock_dir, "d.sock")
    os.symlink(str(victim), planted)
    daemon = DaemonProcess(procs, sock_dir)
    assert isinstance(daemon.reply, DaemonError)
    assert daemon.reply.message.startswith(
        "cannot listen on unix socket %s: [Errno 98] Address already in use; check that" % planted
    )
    assert daemon.wait() == 3
    assert os.path.islink(planted) and os.readlink(planted) == str(victim)
    assert victim.read_text() == "precious"
    dangling = os.path.join(sock_dir, "d.sock")
    os.unlink(dangling)
    os.symlink(str(tmp_path / "missing"), dangling)  # a dangling link does not let bind create its target either
    daemon = DaemonProcess(procs, sock_dir)
    assert isinstance(daemon.reply, DaemonError)
    assert daemon.wait() == 3
    assert not (tmp_path / "missing").exists()
