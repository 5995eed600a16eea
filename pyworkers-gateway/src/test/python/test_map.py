"""Gateway.map: results, order, chunking, early close, errors, and Ctrl-C."""
import itertools
import os
import signal
import threading
import time
from fractions import Fraction

import pytest

from pyworkers.driver import PythonTaskError, WorkerCrashedError

from conftest import alive, wait_gone, workers_of
from fns import exit_on_7, fail_on_250, slow, square, worker_pid

CHUNK = 100


@pytest.mark.parametrize("partitions", [1, 2, 3])
@pytest.mark.parametrize("size", [0, 1, CHUNK - 1, CHUNK, 3 * CHUNK + 7])
def test_map_sizes_and_partitions(shared, size, partitions):
    data = list(range(size))
    assert list(shared.map(square, data, partitions=partitions, chunk_size=CHUNK)) == [square(x) for x in data]


@pytest.mark.parametrize("partitions", [1, 3])
def test_map_large_input_default_chunks(shared, partitions):
    n = 200_000
    got = list(shared.map(square, range(n), partitions=partitions))
    assert len(got) == n
    assert got == [x * x for x in range(n)]


def test_map_non_int_elements(shared):
    data = ["a", None, (1, "b"), {"k": [1.5]}, b"\x00\xff", Fraction(1, 3), 2 ** 100, float("inf"), "é" * 5]
    assert list(shared.map(repr, data, chunk_size=2, partitions=2)) == [repr(x) for x in data]


def test_map_lambda_and_closure(shared):
    assert list(shared.map(lambda x: x + 1, range(50), chunk_size=7)) == list(range(1, 51))
    offset = {"n": 1000}
    suffix = "!"

    def f(x):
        return str(x + offset["n"]) + suffix

    assert list(shared.map(f, range(30), chunk_size=4, partitions=3)) == [str(x + 1000) + "!" for x in range(30)]


def test_map_close_early_over_infinite_input(gw):
    results = gw.map(square, itertools.count(), partitions=2, chunk_size=50)
    got = [next(results) for _ in range(500)]
    assert got == [x * x for x in range(500)]
    workers = workers_of(gw)
    assert workers, "no workers seen for a running map job"
    results.close()
    wait_gone(workers, 2, "a worker of the closed map job")
    # the gateway still works
    assert list(gw.map(square, range(5))) == [0, 1, 4, 9, 16]


def test_map_function_raises(gw, noted):
    chunk = 100
    before = time.monotonic()
    with pytest.raises(PythonTaskError) as info:
        for _ in gw.map(fail_on_250, itertools.count(), partitions=2, chunk_size=chunk):
            pass
    e = info.value
    assert e.python_type == "ValueError"
    assert "raise ValueError(\"no 250 here\")" in e.worker_traceback
    assert "no 250 here" in str(e)
    assert e.chunk == 2
    assert e.partition == 2 % 2  # chunks are dealt to the partitions in turn
    assert e.first_element == 200
    assert time.monotonic() - before < 30
    # a worker whose function raised stays reusable (README, "the worker stays reusable"); the others were in the
    # middle of the job and are killed
    _still_works_and_failed_workers_gone(gw, noted, keep={noted.raiser()})


def test_map_worker_crash(gw, noted):
    with pytest.raises(WorkerCrashedError) as info:
        list(gw.map(exit_on_7, itertools.count(), partitions=2, chunk_size=5))
    assert info.value.chunk == 1
    assert info.value.partition == 1
    _still_works_and_failed_workers_gone(gw, noted)


class InputBroke(Exception):
    pass


def broken_input(noted):
    yield from range(30)
    deadline = time.monotonic() + 10  # raise once both partitions' workers are running the function
    while len(noted.pids()) < 2 and time.monotonic() < deadline:
        yield 0
    raise InputBroke("the input ended badly")


def test_map_input_raises(gw, noted):
    with pytest.raises(InputBroke, match="the input ended badly"):
        list(gw.map(square, broken_input(noted), partitions=2, chunk_size=10))
    _still_works_and_failed_workers_gone(gw, noted)


def _still_works_and_failed_workers_gone(gw, noted, keep=()):
    """After a failed job, the workers it ran on end (the input is endless, so no partition had finished and given
    its worker back to the pool), and a new job runs."""
    workers = {p: t for p, t in noted.pids().items() if p not in keep}
    assert workers, "the failed job's function never ran on a worker that should end"
    wait_gone(workers, 2, "a worker of the failed map job")
    assert list(gw.map(square, range(5))) == [0, 1, 4, 9, 16]


def test_keyboard_interrupt_while_reading(gw, noted):
    results = gw.map(slow, range(100_000), partitions=2, chunk_size=10)
    # a real SIGINT at the main thread, as Ctrl-C is: _thread.interrupt_main() only sets a flag, which a read
    # blocked in recv() never sees
    stop = threading.Event()

    def interrupt_once_running():
        deadline = time.monotonic() + 20
        while len(noted.pids()) < 2 and time.monotonic() < deadline and not stop.is_set():
            time.sleep(0.02)
        if not stop.is_set():
            signal.pthread_kill(threading.main_thread().ident, signal.SIGINT)

    timer = threading.Thread(target=interrupt_once_running, daemon=True)
    timer.start()
    try:
        with pytest.raises(KeyboardInterrupt):
            for _ in results:
                pass
    finally:
        stop.set()
        timer.join(25)
    interrupted = time.monotonic()
    workers = noted.pids()
    assert workers, "the function never ran before the interrupt"
    wait_gone(workers, 2 - (time.monotonic() - interrupted), "a worker of the interrupted map job")
    assert list(gw.map(square, range(5))) == [0, 1, 4, 9, 16]


def test_first_results_arrive_while_a_slow_function_runs(shared):
    """Results stream back as they are made: with a slow function and small results, the first chunk's results
    must not wait until a worker's output buffer fills (thousands of chunks later)."""
    results = shared.map(slow, range(20_000), partitions=2, chunk_size=10)
    got = []
    finished = threading.Event()

    def read_one():
        try:
            got.append(next(results))
        except Exception as e:  # the results closed under it, below
            got.append(e)
        finished.set()

    t = threading.Thread(target=read_one, daemon=True)
    t.start()
    try:
        assert finished.wait(5), ("no result 5 s into a map whose first chunk takes 0.5 s: the worker's "
                                   "results of a slow function sit in its output buffer until it fills")
        assert got == [0]
    finally:
        results.close()
        t.join(10)


def test_input_that_waits_on_the_results(shared):
    """Each element exists only once the result of the one before has come back: every chunk must reach its worker
    while the next is still unknown, not wait in the JVM's buffer for more input."""
    import queue

    fed = queue.Queue()
    fed.put(0)

    def elements():
        for _ in range(30):
            try:
                yield fed.get(timeout=10)
            except queue.Empty:
                raise AssertionError("no result came back for 10 s: the last element never reached a worker")

    got = []
    for r in shared.map(square, elements(), partitions=2, chunk_size=1):
        got.append(r)
        fed.put(len(got))
    assert got == [i * i for i in range(30)]


def test_function_from_a_module_importing_the_driver(shared):
    """A function defined in a module that imports pyworkers.driver (uses_driver.py), pickled by reference, as
    cloudpickle does for importable modules: the workers import that module, and the driver with it, from the
    jar's bundle (never from the installed wheel)."""
    import uses_driver

    results = shared.map(uses_driver.plus_one, range(3), partitions=1)
    try:
        got = list(results)
    except PythonTaskError as e:
        pytest.fail("a function from a module that imports pyworkers.driver cannot run in the workers: %s"
                    % str(e).splitlines()[0][:300])
    assert got == [1, 2, 3]
    where = list(shared.map(lambda _: __import__("uses_driver").driver_file(), [0], partitions=1))[0]
    assert "site-packages" not in where, "a worker imported the installed driver, not the bundle's: %s" % where
