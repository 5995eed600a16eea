"""A map job whose input has all been sent, cancelled while its workers are still busy.

Once the driver has sent its last chunk and -1, the JVM reads nothing more from the data socket; these tests prove
that it still notices the driver going away (results closed, a real Ctrl-C) at once, and not only when it next
writes a result, which for a slow function may be minutes later.
"""
import signal
import threading
import time

import pytest

from conftest import wait_gone, workers_of

BUSY_S = 60  # far longer than any bound below: a worker still alive at the bound was not killed


def _started_job(gw):
    """A job over 4 one-element chunks: all input sent at once; result 0 arrives, every other element sleeps. The
    function is local, so that cloudpickle sends it by value (the workers cannot import this module: it imports
    conftest, which imports the driver)."""
    busy_s = BUSY_S

    def busy_after_first(x):
        if x:
            time.sleep(busy_s)
        return x

    results = gw.map(busy_after_first, range(4), partitions=2, chunk_size=1)
    assert next(results) == 0
    workers = workers_of(gw)
    assert len(workers) == 2, "expected the job's 2 workers, found %s" % workers
    return results, workers


def test_closing_results_after_the_input_ended_kills_the_busy_workers(gw):
    results, workers = _started_job(gw)
    print("T", time.monotonic()); results.close(); print("T", time.monotonic())
    wait_gone(workers, 2, "a worker of a map job closed after its input ended")
    print("T", time.monotonic()); assert list(gw.map(abs, [-1, -2, -3])) == [1, 2, 3]; print("T", time.monotonic())


def test_ctrl_c_after_the_input_ended_kills_the_busy_workers(gw):
    """A real SIGINT to the main thread, blocked in the socket read for result 1 (not _thread.interrupt_main, which
    a blocking read never sees)."""
    results, workers = _started_job(gw)
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
    print("T", time.monotonic()); assert list(gw.map(abs, [-1, -2, -3])) == [1, 2, 3]; print("T", time.monotonic())
