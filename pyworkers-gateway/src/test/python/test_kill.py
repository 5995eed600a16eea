"""The JVM or the driver killed: errors instead of hangs, and no process left behind."""
import os
import signal
import subprocess
import sys
import textwrap
import threading
import time

import pytest

from pyworkers.driver import GatewayDiedError

from conftest import alive, descendants, wait_for, wait_gone
from fns import square


def test_jvm_killed_during_a_long_call(tracked):
    gw = tracked.gw
    assert list(gw.map(square, range(100), partitions=2, chunk_size=10)) == [x * x for x in range(100)]
    tracked.collect()
    pooled = descendants(gw.pid)
    assert pooled, "no workers after a map job"
    tracked.killed = True
    killer = threading.Timer(0.5, os.kill, (gw.pid, signal.SIGKILL))
    killer.start()
    start = time.monotonic()
    try:
        with pytest.raises(GatewayDiedError):
            gw.jvm.java.lang.Thread.sleep(30000)
    finally:
        killer.cancel()
    assert time.monotonic() - start < 5, "the dead gateway took %.1f s to notice" % (time.monotonic() - start)
    wait_gone(pooled, 2, "a worker of the killed JVM")


DRIVER = textwrap.dedent("""
    import sys, time
    sys.path.insert(0, %(here)r)
    import pyworkers.driver
    from fns import slow
    gw = pyworkers.driver.connect()
    print(gw.pid, flush=True)
    for x in gw.map(slow, range(10 ** 6), partitions=2, chunk_size=10):
        pass
""")


def test_driver_killed_takes_its_jvm_and_workers(tmp_path):
    script = tmp_path / "driver.py"
    script.write_text(DRIVER % {"here": os.path.dirname(os.path.abspath(__file__))})
    driver = subprocess.Popen([sys.executable, str(script)], stdout=subprocess.PIPE)
    try:
        line = driver.stdout.readline()
        assert line.strip().isdigit(), "the driver printed %r, not its JVM's pid" % (line,)
        jvm = int(line)
        seen = {}

        def workers_running():
            seen.update(descendants(jvm))
            return len(seen) >= 3  # a daemon and the two partitions' workers

        wait_for(workers_running, 30, lambda: "the driver's map never got its workers: %s" % seen)
        jvm_proc = {jvm: None}
        driver.send_signal(signal.SIGKILL)
        driver.wait(5)
        wait_gone(jvm_proc, 2, "the JVM of the killed driver")
        wait_gone(seen, 2, "a worker of the killed driver's JVM")
    finally:
        if driver.poll() is None:
            driver.kill()
            driver.wait(5)
        driver.stdout.close()
