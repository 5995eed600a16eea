"""Fixtures shared by the pyworkers tests: a process tracker that fails the test if anything it started survives,
and a short private folder for Unix socket files."""
import shutil
import tempfile

import pytest

from harness import ProcessTracker


@pytest.fixture
def procs():
    """Every process and socket a test starts goes through this tracker; teardown proves they are all gone."""
    tracker = ProcessTracker()
    yield tracker
    tracker.finish()


@pytest.fixture
def sock_dir():
    """A 0700 folder with a short path (Unix socket paths must stay under 108 bytes)."""
    path = tempfile.mkdtemp(prefix="pwk-")
    yield path
    shutil.rmtree(path)
