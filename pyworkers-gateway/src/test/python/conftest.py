"""Fixtures for the Python driver's tests: real gateway JVMs and real workers, and a teardown that proves nothing
a gateway started is left (processes, temp folders, file descriptors, threads)."""
import os
import shutil
import sys
import tempfile
import threading
import time

import pytest

import pyworkers.driver
from pyworkers.driver import connect

# The suite tests the installed driver (the wheel, with its bundled jar), never the source folder.
assert "site-packages" in pyworkers.driver.__file__, (
    "pyworkers.driver comes from %s, not an installed wheel: run 'pip install ./pyworkers-gateway' into the venv "
    "and run pytest with that venv's python" % pyworkers.driver.__file__)

# A private temp folder for this process (and the driver subprocesses it starts), so that the leak checks below see
# only what these tests made. The JVM keeps its default java.io.tmpdir (/tmp); its entries carry its pid.
_PRIVATE_TMP = tempfile.mkdtemp(prefix="pyw-tests-")
os.environ["TMPDIR"] = _PRIVATE_TMP
tempfile.tempdir = None
JAVA_TMP = "/tmp"
# fns.py's functions note each worker's pid here (the workers inherit the environment through the JVM).
PIDS_DIR = os.path.join(_PRIVATE_TMP, "worker-pids")
os.mkdir(PIDS_DIR)
os.environ["PYW_TEST_PIDS"] = PIDS_DIR


class NotedWorkers:
    """The workers fns.py's functions ran on from now on."""

    def __init__(self):
        for name in os.listdir(PIDS_DIR):
            os.unlink(os.path.join(PIDS_DIR, name))

    def pids(self):
        result = {}
        for name in os.listdir(PIDS_DIR):
            if not name.isdigit():
                continue
            with open(os.path.join(PIDS_DIR, name)) as f:
                result[int(name)] = int(f.read())
        return result

    def raiser(self):
        with open(os.path.join(PIDS_DIR, "raiser")) as f:
            return int(f.read())
DRIVER_PREFIXES = ("pyworkers-driver-", "pyworkers-runfile-", "pyw-data-")


def pytest_unconfigure(config):
    shutil.rmtree(_PRIVATE_TMP, ignore_errors=True)


# -- processes ---------------------------------------------------------------------------------------------------

def _stat(pid):
    """(ppid, starttime, state) of ``pid``, or None when it is gone."""
    try:
        with open("/proc/%d/stat" % pid, "rb") as f:
            text = f.read().decode("utf-8", "replace")
    except (FileNotFoundError, ProcessLookupError):
        return None
    rest = text[text.rindex(")") + 2:].split()
    return int(rest[1]), int(rest[19]), rest[0]


def descendants(root):
    """{pid: starttime} of every live descendant of ``root``, from the parent pids in /proc/*/stat."""
    children = {}
    start = {}
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        s = _stat(int(name))
        if s is None or s[2] == "Z":
            continue
        children.setdefault(s[0], []).append(int(name))
        start[int(name)] = s[1]
    found = {}
    stack = [root]
    while stack:
        for child in children.get(stack.pop(), ()):
            if child not in found:
                found[child] = start[child]
                stack.append(child)
    return found


def alive(pid, starttime=None):
    s = _stat(pid)
    if s is None or s[2] in ("Z", "X"):
        return False
    return starttime is None or s[1] == starttime


def wait_gone(procs, timeout, what="process"):
    """Waits up to ``timeout`` s for every (pid, starttime) of ``procs`` to end; fails naming the survivors."""
    procs = dict(procs)
    deadline = time.monotonic() + timeout
    while True:
        left = {p: t for p, t in procs.items() if alive(p, t)}
        if not left:
            return
        if time.monotonic() > deadline:
            pytest.fail("%s still alive %.1f s later: %s" % (what, timeout, {p: cmdline(p) for p in left}))
        time.sleep(0.02)


def wait_for(predicate, timeout, message):
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            pytest.fail(message() if callable(message) else message)
        time.sleep(0.02)


def cmdline(pid):
    try:
        with open("/proc/%d/cmdline" % pid, "rb") as f:
            return f.read().replace(b"\0", b" ").decode("utf-8", "replace")[:200]
    except OSError:
        return "?"


def workers_of(gw):
    """{pid: starttime} of the gateway's Python processes that run tasks: the ones whose parent is not the JVM
    (a daemon's forked workers), plus any direct Python child that has no children (a simple worker)."""
    tree = descendants(gw.pid)
    result = {}
    for pid, t in tree.items():
        s = _stat(pid)
        if s is None:
            continue
        if s[0] != gw.pid:
            result[pid] = t
    return result


# -- leak checks -------------------------------------------------------------------------------------------------

def _fds():
    return set(os.listdir("/proc/self/fd"))


def _driver_temp_entries():
    return set(e for e in os.listdir(tempfile.gettempdir()) if e.startswith(DRIVER_PREFIXES))


def _java_temp_entries(jvm_pid):
    stamp = "p%d-" % jvm_pid
    try:
        return set(e for e in os.listdir(JAVA_TMP) if e.startswith("pyw-") and stamp in e)
    except OSError:
        return set()


def _non_daemon_threads():
    return set(t for t in threading.enumerate() if not t.daemon and t is not threading.main_thread())


_OPEN = []  # the Tracked gateways open now


class Tracked:
    """A gateway whose JVM descendants are collected while it lives, and whose teardown proves all is gone. The fd
    check needs this to be the only open gateway at both ends (another one's Py4J connections come and go); the
    module-scoped gateways, opened first and closed last, always get it."""

    def __init__(self, **kwargs):
        self.alone = not _OPEN
        self.fds = _fds()
        self.temp = _driver_temp_entries()
        self.threads = _non_daemon_threads()
        self.gw = connect(**kwargs)
        _OPEN.append(self)
        self.jvm = {self.gw.pid: _stat(self.gw.pid)[1]}
        self.seen = {}
        self.killed = False  # a SIGKILLed JVM cannot remove its own folders (the next JVM sweeps them)
        self._stop = threading.Event()
        self._poller = threading.Thread(target=self._poll, name="test-proc-poller", daemon=True)
        self._poller.start()

    def _poll(self):
        while not self._stop.wait(0.05):
            self.collect()

    def collect(self):
        if alive(self.gw.pid):
            self.seen.update(descendants(self.gw.pid))

    def finish(self):
        gw = self.gw
        self.collect()
        self._stop.set()
        self._poller.join(5)
        self.collect()
        gw.close()
        _OPEN.remove(self)
        assert gw.closed
        wait_gone(self.jvm, 10, "the gateway JVM")
        wait_gone(self.seen, 5, "a descendant of the gateway JVM")
        wait_for(lambda: self.killed or not _java_temp_entries(gw.pid), 5,
                 lambda: "the JVM left %s in %s" % (_java_temp_entries(gw.pid), JAVA_TMP))
        wait_for(lambda: _driver_temp_entries() <= self.temp, 5,
                 lambda: "new temp entries left: %s" % (_driver_temp_entries() - self.temp))
        if self.alone and not _OPEN:
            wait_for(lambda: _fds() <= self.fds, 5,
                     lambda: "new file descriptors left open: %s" % {
                         fd: _readlink(fd) for fd in _fds() - self.fds})
        wait_for(lambda: _non_daemon_threads() <= self.threads, 5,
                 lambda: "new non-daemon threads left: %s" % (_non_daemon_threads() - self.threads))


def _readlink(fd):
    try:
        return os.readlink("/proc/self/fd/%s" % fd)
    except OSError:
        return "?"


@pytest.fixture(scope="module")
def shared():
    """One gateway for a module's many cheap tests; its teardown runs the full leak check."""
    t = Tracked()
    yield t.gw
    t.finish()


@pytest.fixture
def tracked():
    """A fresh gateway per test (for tests that kill things), as a Tracked; teardown runs the full leak check."""
    t = Tracked()
    yield t
    t.finish()


@pytest.fixture
def gw(tracked):
    return tracked.gw


@pytest.fixture
def noted():
    return NotedWorkers()


@pytest.fixture
def leakcheck():
    """For tests that make their own gateways (or fail to): nothing new is left in temp, fds or threads."""
    alone = not _OPEN
    fds, temp, threads = _fds(), _driver_temp_entries(), _non_daemon_threads()
    yield
    wait_for(lambda: _driver_temp_entries() <= temp, 5,
             lambda: "new temp entries left: %s" % (_driver_temp_entries() - temp))
    wait_for(lambda: not (alone and not _OPEN) or _fds() <= fds, 5,
             lambda: "new file descriptors left open: %s" % {fd: _readlink(fd) for fd in _fds() - fds})
    wait_for(lambda: _non_daemon_threads() <= threads, 5,
             lambda: "new non-daemon threads left: %s" % (_non_daemon_threads() - threads))
