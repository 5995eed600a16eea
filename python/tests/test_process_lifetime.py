"""Processes that user code starts end with the worker that started them (docs/configuration.md, "Process lifetime"):
a plain child, one in a new session, an orphan in a new session and an os.fork() copy, for every way a worker ends:
daemon mode (its session ends, the JVM kills it, the daemon stops) and simple mode (its session ends, the JVM is
gone). Each sleeper must be gone within 2 s of the worker's end; the tracker kills any that is not and fails the test.
"""
import os

import pytest

from pyworkers_testing.harness import DaemonProcess, SimpleWorkerProcess, TaskSpec, Transport, fn_ref, pickled_frames
from pwfake_spawners import SPAWNERS

GONE_WITHIN_S = 2.0


def is_running(pid):
    """True while ``pid`` exists and has not ended (a zombie has ended)."""
    try:
        with open("/proc/%d/stat" % pid) as f:
            state = f.read().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError):
        return False
    return state not in ("Z", "X")


def start_sleeper(procs, worker, spawner):
    """Run one task whose function starts ``sleep 1000`` the way ``spawner`` does; returns the sleeper's pid."""
    result = worker.run_task(TaskSpec.non_udf(fn_ref("pwfake_spawners:" + spawner)), pickled_frames([1])).ok()
    [pid] = result.records()
    procs.track_pid(pid, "sleeper started by %s in worker pid %d" % (spawner, worker.pid))
    assert is_running(pid), "the sleeper pid %d is not running" % pid
    return pid


def assert_gone(procs, pid, after):
    assert procs.wait_gone(pid, GONE_WITHIN_S), \
        "sleeper pid %d still runs %.0f s after %s" % (pid, GONE_WITHIN_S, after)


@pytest.fixture
def daemon(procs, sock_dir):
    return DaemonProcess(procs, sock_dir)


@pytest.mark.parametrize("spawner", SPAWNERS)
@pytest.mark.parametrize("ending", ["session ends", "jvm kills it", "daemon stops"])
def test_daemonWorker_thatStartedAProcess_takesItAlongWhenItEnds(procs, daemon, spawner, ending):
    worker = daemon.open_worker()
    sleeper = start_sleeper(procs, worker, spawner)
    if ending == "session ends":
        worker.close()
        daemon.worker_exit_line(worker.pid, "exited with code 0")
    elif ending == "jvm kills it":
        daemon.kill_worker(worker.pid)
        daemon.worker_exit_line(worker.pid, "killed by signal 9 (SIGKILL)")
    else:
        daemon.close_stdin()
        assert daemon.wait() == 0
    assert_gone(procs, sleeper, "its worker ended (%s)" % ending)


@pytest.mark.parametrize("spawner", SPAWNERS)
@pytest.mark.parametrize("ending", ["session ends", "jvm is gone"])
def test_simpleWorker_thatStartedAProcess_takesItAlongWhenItEnds(procs, sock_dir, spawner, ending):
    simple = SimpleWorkerProcess(procs, sock_dir, Transport.UNIX)
    simple.send_init()
    worker = simple.accept()
    sleeper = start_sleeper(procs, worker, spawner)
    if ending == "session ends":
        worker.close()
    else:
        simple.popen.stdin.close()
    assert simple.popen.wait(GONE_WITHIN_S * 5) == 0
    assert_gone(procs, sleeper, "its worker ended (%s)" % ending)


def test_workers_leadTheirOwnProcessGroup_inBothModes(procs, daemon, sock_dir):
    forked = daemon.open_worker()
    assert os.getpgid(forked.pid) == forked.pid
    assert os.getpgid(daemon.pid) != forked.pid
    simple = SimpleWorkerProcess(procs, sock_dir, Transport.UNIX)
    simple.send_init()
    worker = simple.accept()
    assert os.getpgid(worker.pid) == worker.pid != os.getpgrp()


def test_orphanOfALiveWorker_outlivesOtherWorkers_andItsTasks_thenEndsWithItsWorker(procs, daemon):
    owner = daemon.open_worker()
    sleeper = start_sleeper(procs, owner, "orphan_in_new_session")
    other = daemon.open_worker()
    other.close()
    daemon.worker_exit_line(other.pid, "exited with code 0")
    daemon.open_worker().ping()  # served after the daemon handled that exit, its kills included
    assert is_running(sleeper), "the daemon killed an orphan of a live worker when another worker ended"
    owner.run_task(TaskSpec.non_udf(fn_ref("pwfake_task_functions:echo")), pickled_frames([1, 2])).ok()
    assert is_running(sleeper), "a reused worker keeps what an earlier task started until the worker ends"
    owner.close()
    daemon.worker_exit_line(owner.pid, "exited with code 0")
    assert_gone(procs, sleeper, "its worker ended")
    daemon.stderr.wait_for(r"^\[daemon\] INFO killed 1 processes left behind by workers that ended: pids \[%d\]$"
                           % sleeper)


def test_processTable_readsTheParent_evenWhenTheNameHoldsSpacesAndParentheses(procs, tmp_path):
    import shutil
    import subprocess
    from pyworkers import _proctree

    odd = tmp_path / "s) (1 Z"
    odd.symlink_to(shutil.which("sleep"))
    child = subprocess.Popen([str(odd), "1000"])
    procs.track_popen(child, "sleep with an odd name")
    try:
        table = _proctree.process_table()
        assert table.parents[child.pid] == os.getpid()
        assert child.pid in _proctree.descendants([os.getpid()], table)
        assert child.pid not in table.zombies
    finally:
        child.kill()


def test_helperStartedByAPreloadedModule_outlivesWorkers_andEndsWhenTheDaemonStops(procs, sock_dir):
    daemon = DaemonProcess(procs, sock_dir, preload=["pwfake_preload_spawner"])
    line = daemon.stderr.wait_for(r"^pwfake_preload_spawner started helper pid \d+$")[0]
    helper = int(line.rsplit(" ", 1)[1])
    procs.track_pid(helper, "helper of a preloaded module")
    worker = daemon.open_worker()
    worker.close()
    daemon.worker_exit_line(worker.pid, "exited with code 0")
    daemon.open_worker().ping()  # served after the daemon handled that exit, its kills included
    assert is_running(helper), "the daemon killed a process that a preloaded module started"
    daemon.close_stdin()
    assert daemon.wait() == 0
    assert_gone(procs, helper, "the daemon stopped")
