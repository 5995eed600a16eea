"""Fixtures shared by the pyworkers tests: a process tracker that fails the test if anything it started survives,
a short private folder for Unix socket files, and workers for task tests in both modes (daemon and simple)."""
import shutil
import sys
import tempfile

import pytest

import pyworkers
import pyworkers_testing.harness
from pyworkers_testing.harness import ARROW_SRC_DIR, CLI_SRC_DIR, FAKES_DIR, ProcessTracker, WorkerSource, bundle_env

# The harness moved to the pyworkers-testing module (on pytest's pythonpath); tests written against its old place
# (`from harness import ...`) still find it under that name.
sys.modules.setdefault("harness", pyworkers_testing.harness)

# The differential task tests evaluate the fakes' functions in-process too.
if str(FAKES_DIR) not in sys.path:
    sys.path.append(str(FAKES_DIR))

# The package pyworkers spans two source folders: core's (pyworkers-core/src/main/python, on pytest's pythonpath)
# and the CLI's (pyworkers-cli/src/main/python, with pyworkers/jobs.py). The jars' bundle extracts both into one
# tree; here the CLI's folder joins the package's path, so that `from pyworkers import jobs` finds it in these tests.
if str(CLI_SRC_DIR / "pyworkers") not in pyworkers.__path__:
    pyworkers.__path__.append(str(CLI_SRC_DIR / "pyworkers"))
# pyworkers-arrow's handlers (pyworkers/arrow) join it the same way, from that module's source folder.
if str(ARROW_SRC_DIR / "pyworkers") not in pyworkers.__path__:
    pyworkers.__path__.append(str(ARROW_SRC_DIR / "pyworkers"))


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


@pytest.fixture(params=["daemon", "simple"])
def mode(request):
    """Run the test once with a daemon's forked workers and once with simple workers."""
    return request.param


@pytest.fixture
def workers(mode, procs, sock_dir):
    """Workers for task tests, in the parametrized mode, with the default environment."""
    return WorkerSource(mode, procs, sock_dir)


@pytest.fixture
def bundled_workers(mode, procs, sock_dir):
    """Workers for task tests, in the parametrized mode, that see every module's Python, as the jars' workers do
    (core's package with pyworkers.jobs and pyworkers.arrow)."""
    return WorkerSource(mode, procs, sock_dir, env=bundle_env())
