"""NON_UDF functions that start a process which would outlive the worker (``pwfake_spawners:name``): each reads its
input, starts ``sleep 1000`` in one way and yields that process's pid. The process-lifetime tests then end the worker
and prove the sleeper ends too."""
import os
import subprocess
import time

__all__ = ["SPAWNERS", "popen", "new_session", "orphan_in_new_session", "fork_in_new_session"]

SPAWNERS = ("popen", "new_session", "orphan_in_new_session", "fork_in_new_session")


def popen(index, iterator):
    """A plain child: same process group as the worker."""
    list(iterator)
    yield subprocess.Popen(["sleep", "1000"]).pid


def new_session(index, iterator):
    """A child that left the worker's process group and session."""
    list(iterator)
    yield subprocess.Popen(["sleep", "1000"], start_new_session=True).pid


def orphan_in_new_session(index, iterator):
    """A grandchild in a new session whose parent exits at once (a daemonised helper): an orphan while the worker
    still runs."""
    list(iterator)
    shell = subprocess.Popen(["sh", "-c", "sleep 1000 >/dev/null 2>&1 & echo $!"], start_new_session=True,
                             stdout=subprocess.PIPE)
    pid = int(shell.stdout.readline())
    shell.stdout.close()
    shell.wait()
    yield pid


def fork_in_new_session(index, iterator):
    """A copy of the worker made with os.fork() that leaves the session and sleeps; it holds the worker's socket."""
    list(iterator)
    pid = os.fork()
    if pid == 0:
        try:
            os.setsid()
            time.sleep(1000)
        finally:
            os._exit(0)
    yield pid
