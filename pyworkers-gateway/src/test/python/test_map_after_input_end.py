"""A map job whose input has all been sent, cancelled while its workers are still busy.

Once the driver has sent its last chunk and -1, the JVM reads nothing more from the data socket; these tests prove
that it still notices the driver going away (results closed, a real Ctrl-C) at once, and not only when it next
writes a result, which for a slow function may be minutes later.
"""
import os
import signal
import threading
import time

import pytest

from conftest import alive, wait_for, wait_gone

BUSY_S = 60  # far longer than any bound below: a worker still alive at the bound was not killed


def _started_job(gw, folder):
    """A job over 3 one-element chunks in 3 partitions: all input is sent at once. Element 0's partition ends at once
    (its result arrives, and its worker goes back to the pool, as a finished task's does); elements 1 and 2 sleep,
    each noting its worker's pid in ``folder`` first. The function is local, so that cloudpickle sends it by value
    (the workers cannot import this module: it imports conftest, which imports the driver)."""
    busy_s = BUSY_S
    folder = str(folder)

    def busy_unless_zero(x):
        if x:
            with open(os.path.join(folder, str(os.getpid())), "w"):
                pass
            time.sleep(busy_s)
        return x

    results = gw.map(busy_unless_zero, range(3), partitions=3, chunk_size=1)
    assert next(results) == 0
    wait_for(lambda: len(os.listdir(folder)) == 2, 10,
             lambda: "expected the 2 busy workers to note their pids, found %s" % os.listdir(folder))
    busy = {int(name): None for name in os.listdir(folder)}
    assert all(alive(pid) for pid in busy)
    return results, busy


def test_closing_results_after_the_input_ended_kills_the_busy_workers(gw, tmp_path):
    results, workers = _started_job(gw, tmp_path)
    results.close()
    wait_gone(workers, 2, "a worker of a map job closed after its input ended")
    assert list(gw.map(abs, [-1, -2, -3])) == [1, 2, 3]


def test_ctrl_c_after_the_input_ended_kills_the_busy_workers(gw, tmp_path):
    """A real SIGINT to the main thread, blocked in the socket read for result 1 (not _thread.interrupt_main, which
    a blocking read never sees)."""
    results, workers = _started_job(gw, tmp_path)
    main = threading.main_thread().ident
    timer = threading.Timer(0.3, signal.pthread_kill, (main, signal.SIGINT))
    timer.start()
    try:
        with pytest.raises(KeyboardInterrupt):
            next(results)
    finally:
        timer.cancel()
        timer.join()
    wait_gone(workers, 2, "a worker of a map job interrupted after its input ended")
    assert list(gw.map(abs, [-1, -2, -3])) == [1, 2, 3]
