"""The harness must itself catch a leaked process, or every other test's cleanup proof would be worthless."""
import subprocess
import sys

import pytest

from pyworkers_testing.harness import ProcessTracker


def test_tracker_processThatOutlivesTheTest_failsAndIsKilled():
    tracker = ProcessTracker()
    stubborn = subprocess.Popen(
        [sys.executable, "-c", "import signal, sys; signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGTERM}); "
                               "sys.stdin.read(); signal.pause()"],
        stdin=subprocess.PIPE,
    )
    tracker.track_popen(stubborn, "stubborn child")
    with pytest.raises(AssertionError, match=r"stubborn child pid %d (did not exit|still alive)" % stubborn.pid):
        tracker.finish(timeout=0.5)
    assert stubborn.returncode == -9


def test_tracker_processThatExitsOnStdinEof_passes():
    tracker = ProcessTracker()
    polite = subprocess.Popen([sys.executable, "-c", "import sys; sys.stdin.read()"], stdin=subprocess.PIPE)
    tracker.track_popen(polite, "polite child")
    tracker.finish()
    assert polite.returncode == 0
