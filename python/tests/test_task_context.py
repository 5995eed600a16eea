"""What a task sees around its functions: the task context, accumulators, broadcasts, includes on sys.path, and the
per-task settings (memory limit, cpus as thread counts, faulthandler file). Nothing of one task may leak into the
next on a reused worker."""
import os
import pickle
import re
import zipfile

import pytest

from pyworkers_testing.harness import FAKES_DIR, SRC_DIR, TaskSpec, WorkerSource, fn_ref, fn_source, pickled_frames, udf_frames
from pyworkers import context
from pyworkers.task import THREAD_VARIABLES
from pyworkers.context import TaskContext


def snapshot(worker, **header):
    task = TaskSpec.non_udf(fn_ref("pwfake_task_functions:context_snapshot"), **header)
    return worker.run_task(task, pickled_frames([None])).ok().records()[0]


def test_taskContext_carriesTheHeader_andTheNextTaskSeesNoneOfIt(workers):
    worker = workers.open()
    first = snapshot(worker, stage_id=3, partition_id=11, attempt_number=2, task_attempt_id=2 ** 40, cpus=4,
                     resources={"gpu": ["0", "1"]}, local_properties={"user": "ana", "job": "j1"})
    assert first == {
        "stage_id": 3, "partition_id": 11, "attempt_number": 2, "task_attempt_id": 2 ** 40, "cpus": 4,
        "resources": {"gpu": ["0", "1"]}, "local_properties": {"user": "ana", "job": "j1"}, "user": "ana",
    }
    second = snapshot(worker, stage_id=4)
    assert second == {
        "stage_id": 4, "partition_id": 0, "attempt_number": 0, "task_attempt_id": 100, "cpus": 1, "resources": {},
        "local_properties": {}, "user": "nobody",
    }


def test_taskContext_isReplacedAfterAFailedTask(workers):
    worker = workers.open()
    fail = TaskSpec.non_udf(fn_ref("pwfake_task_functions:remember_context_and_fail"),
                            local_properties={"from": "first"})
    assert worker.run_task(fail, []).failed()[:2] == ("ValueError", "after remembering the context")
    check = TaskSpec.non_udf(fn_ref("pwfake_task_functions:compare_with_remembered"))
    assert worker.run_task(check, []).ok().records() == [(False, {}, {"from": "first"})]


def test_contextModule_outsideATask():
    assert TaskContext.get() is None
    with pytest.raises(RuntimeError, match=r"accumulate\(\) was called outside a task"):
        context.accumulate(1)
    context._begin_task(TaskContext(1, 2, 3, 4, 5, {"r": ["a"]}, {"k": "v"}))
    context.accumulate([1])
    assert TaskContext.get().get_local_property("k") == "v" and TaskContext.get().get_local_property("x", 9) == 9
    assert [pickle.loads(u) for u in context._end_task()] == [[1]]
    assert TaskContext.get() is None and context._end_task() == []


def test_accumulatorUpdates_goBackWithTheEnd_andDoNotLeakIntoTheNextTask(workers):
    worker = workers.open()
    task = TaskSpec.non_udf(fn_ref("pwfake_task_functions:accumulate_each"))
    first = worker.run_task(task, pickled_frames([1, {"a": [2]}, "three"])).ok()
    assert first.accumulator_values() == [1, {"a": [2]}, "three"]
    assert all(a[:2] == b"\x80\x04" for a in first.accumulators)
    assert worker.run_task(task, pickled_frames([10])).ok().accumulator_values() == [10]
    assert worker.run_task(TaskSpec.non_udf(fn_ref("pwfake_task_functions:echo")), []).ok().accumulators == []


def test_failedTask_sendsTheUpdatesMadeBeforeTheFailure(workers):
    worker = workers.open()
    source = "from pyworkers.context import accumulate\ndef f(x):\n    accumulate(x)\n    if x == 2:\n" \
             "        raise ValueError(x)\n    return x\n"
    result = worker.run_task(TaskSpec.udf(([0], [fn_source("a.py", source, "f")])), udf_frames([(1,), (2,), (3,)]))
    assert result.failed()[0] == "ValueError"
    assert result.accumulator_values() == [1, 2]
    assert worker.run_task(TaskSpec.non_udf(fn_ref("pwfake_task_functions:echo")), []).ok().accumulators == []


def write_pickle(path, value):
    with open(path, "wb") as f:
        pickle.dump(value, f)
    return str(path)


def test_broadcasts_areAddedRemovedAndCachedAcrossTasks(workers, tmp_path):
    worker = workers.open()
    read = fn_ref("pwfake_task_functions:read_broadcasts")
    one = write_pickle(tmp_path / "b1", {"table": [1, 2, 3]})
    two = write_pickle(tmp_path / "b2", "two")
    task = TaskSpec.non_udf(read, added_broadcasts=[(1, one), (2, two), (3, str(tmp_path / "never-read"))])
    assert worker.run_task(task, pickled_frames([1, 2])).ok().records() == [("ok", {"table": [1, 2, 3]}), ("ok", "two")]
    os.unlink(one)  # loaded once, then cached in the worker
    assert worker.run_task(TaskSpec.non_udf(read), pickled_frames([1])).ok().records() == [("ok", {"table": [1, 2, 3]})]
    removed = worker.run_task(TaskSpec.non_udf(read, removed_broadcasts=[1, 3]), pickled_frames([1, 2])).ok()
    assert removed.records() == [("missing", "'broadcast 1 is not known to this worker; known broadcast ids: [2]'"),
                                 ("ok", "two")]
    again = write_pickle(tmp_path / "b1-again", "new value")
    task = TaskSpec.non_udf(read, added_broadcasts=[(1, again)])
    assert worker.run_task(task, pickled_frames([1])).ok().records() == [("ok", "new value")]


def test_filesFolderAndIncludes_goOnSysPathOnce_andModulesInThemImport(workers, tmp_path):
    worker = workers.open()
    files = tmp_path / "files"
    files.mkdir()
    (files / "shipped_mod.py").write_text("def f(x):\n    return 'shipped %s' % x\n")
    with zipfile.ZipFile(files / "deps.zip", "w") as z:
        z.writestr("zipped_mod.py", "def g(x):\n    return 'zipped %s' % x\n")
    header = dict(files_folder=str(files), includes=["deps.zip"])
    task = TaskSpec.udf(([0], [fn_ref("shipped_mod:f")]), ([0], [fn_ref("zipped_mod:g")]), **header)
    assert worker.run_task(task, udf_frames([(1,)])).ok().udf_results() == [("shipped 1", "zipped 1")]
    count = fn_source("c.py", "import sys\ndef c(p):\n    return sys.path.count(p)\n", "c")
    task = TaskSpec.udf(([0], [count]), **header)
    paths = [(str(files),), (os.path.join(str(files), "deps.zip"),)]
    assert worker.run_task(task, udf_frames(paths)).ok().udf_results() == [1, 1]


def test_memoryLimit_isTheSoftLimitOfEachTask_andTheHardLimitStays(workers):
    worker = workers.open()

    def limits(**header):
        task = TaskSpec.udf(([0], [fn_ref("pwfake_task_functions:address_space_limit")]), **header)
        return worker.run_task(task, udf_frames([(0,)])).ok().udf_results()[0]

    start_soft, hard = limits()
    infinity = -1  # resource.RLIM_INFINITY on Linux and macOS

    def bounded(mib):
        limit = mib * 1024 * 1024
        return limit if start_soft == infinity or limit < start_soft else start_soft

    assert limits(memory_limit_mb=3000) == (bounded(3000), hard)
    workers.wait_for_line(worker, r"\[worker\] INFO set the soft RLIMIT_AS to %d bytes \(task memory limit 3000 "
                                  r"MiB\); it was \S+, hard \S+" % bounded(3000))
    assert limits(memory_limit_mb=5000) == (bounded(5000), hard)
    assert limits() == (start_soft, hard)
    assert limits(memory_limit_mb=3000) == (bounded(3000), hard)


FAKE_THREADPOOLCTL = """calls = []


class _Limits:
    def __init__(self, limits, user_api):
        calls.append(("limit", limits, user_api))

    def restore_original_limits(self):
        calls.append(("restore",))


def threadpool_limits(limits=None, user_api=None):
    return _Limits(limits, user_api)
"""


def thread_settings(worker, cpus):
    task = TaskSpec.udf(([0], [fn_ref("pwfake_task_functions:thread_settings")]), cpus=cpus)
    return worker.run_task(task, udf_frames([(0,)])).ok().udf_results()[0]


@pytest.mark.skipif(any(v in os.environ for v in THREAD_VARIABLES), reason="the test's own environment sets them")
def test_cpus_setTheThreadVariablesOfEachTask(workers):
    worker = workers.open()
    assert thread_settings(worker, 3) == (["3", "3", "3"], None)
    assert thread_settings(worker, 1) == (["1", "1", "1"], None)


@pytest.mark.skipif(any(v in os.environ for v in THREAD_VARIABLES), reason="the test's own environment sets them")
def test_cpus_limitThreadpoolctlPerTask_andRestoreItAfter(mode, procs, sock_dir, tmp_path):
    (tmp_path / "threadpoolctl.py").write_text(FAKE_THREADPOOLCTL)
    path = os.pathsep.join([str(SRC_DIR), str(FAKES_DIR), str(tmp_path)])
    worker = WorkerSource(mode, procs, sock_dir, env={"PYTHONPATH": path}).open()
    assert thread_settings(worker, 2) == (["2", "2", "2"], [("limit", 2, None)])
    assert thread_settings(worker, 5) == (["5", "5", "5"], [("limit", 2, None), ("restore",), ("limit", 5, None)])


@pytest.mark.skipif(any(v in os.environ for v in THREAD_VARIABLES), reason="the test's own environment sets them")
def test_cpus_theUsersOwnThreadVariableWins(mode, procs, sock_dir, tmp_path):
    (tmp_path / "threadpoolctl.py").write_text(FAKE_THREADPOOLCTL)
    path = os.pathsep.join([str(SRC_DIR), str(FAKES_DIR), str(tmp_path)])
    worker = WorkerSource(mode, procs, sock_dir, env={"PYTHONPATH": path, "OMP_NUM_THREADS": "7"}).open()
    assert thread_settings(worker, 2) == (["7", "2", "2"], [("limit", 2, "blas")])
    assert thread_settings(worker, 3) == (["7", "3", "3"], [("limit", 2, "blas"), ("restore",), ("limit", 3, "blas")])


def blas_threads(worker, cpus):
    task = TaskSpec.udf(([0], [fn_ref("pwfake_task_functions:blas_threads")]), cpus=cpus)
    return worker.run_task(task, udf_frames([(0,)])).ok().udf_results()[0]


@pytest.mark.skipif(any(v in os.environ for v in THREAD_VARIABLES), reason="the test's own environment sets them")
def test_cpus_limitTheBlasThatAnEarlierTaskLoaded_throughTheRealThreadpoolctl(workers):
    # The first task loads numpy's OpenBLAS, which reads OPENBLAS_NUM_THREADS (the task's cpus) once, at load. Later
    # tasks on the same worker get their cpus only through threadpoolctl's limits, which are undone after each task.
    # numpy and threadpoolctl come from python/requirements-test.txt; without them the task fails with the import error
    worker = workers.open()
    loaded = blas_threads(worker, 2)
    assert loaded and all(n == 2 for _, n in loaded), loaded
    assert [n for _, n in blas_threads(worker, 1)] == [1] * len(loaded)
    assert [n for _, n in blas_threads(worker, 2)] == [2] * len(loaded)
    assert [n for _, n in blas_threads(worker, 1)] == [1] * len(loaded)


def test_faulthandler_fileExistsDuringATask_andIsDeletedAfterANormalOne(mode, procs, sock_dir, tmp_path):
    workers = WorkerSource(mode, procs, sock_dir, env={"PWFAKE_FAULT_DIR": str(tmp_path)})
    worker = workers.open()
    task = TaskSpec.udf(([0], [fn_ref("pwfake_task_functions:faulthandler_file_exists")]),
                        faulthandler_folder=str(tmp_path))
    assert worker.run_task(task, udf_frames([(0,)])).ok().udf_results() == [True]
    assert os.listdir(str(tmp_path)) == []
    failing = TaskSpec.udf(([0], [fn_ref("pwfake_task_functions:raise_value_error")]),
                           faulthandler_folder=str(tmp_path))
    assert worker.run_task(failing, udf_frames([(0,)])).failed()[0] == "ValueError"
    assert os.listdir(str(tmp_path)) == []


def test_faulthandler_isOffWithoutAFolderInTheHeader(mode, procs, sock_dir, tmp_path):
    workers = WorkerSource(mode, procs, sock_dir, env={"PWFAKE_FAULT_DIR": str(tmp_path)})
    worker = workers.open()
    task = TaskSpec.udf(([0], [fn_ref("pwfake_task_functions:faulthandler_file_exists")]))
    assert worker.run_task(task, udf_frames([(0,)])).ok().udf_results() == [False]


def test_faulthandler_fileIsPrivate_0600(mode, procs, sock_dir, tmp_path):
    workers = WorkerSource(mode, procs, sock_dir)
    worker = workers.open()
    source = "import os\ndef mode(x):\n    return oct(os.stat(%r).st_mode & 0o777)\n" % str(tmp_path / str(worker.pid))
    task = TaskSpec.udf(([0], [fn_source("<udf mode>", source, "mode")]), faulthandler_folder=str(tmp_path))
    assert worker.run_task(task, udf_frames([(0,)])).ok().udf_results() == ["0o600"]


@pytest.mark.parametrize("planted", ["symlink", "file"])
def test_faulthandler_plantedLinkOrFileAtThePath_isNeitherFollowedNorTruncated_andTheTaskRunsWithAWarn(
        mode, procs, sock_dir, tmp_path, planted):
    victim = tmp_path / "victim.txt"
    victim.write_text("precious data\n")
    folder = tmp_path / "fault"
    folder.mkdir()
    workers = WorkerSource(mode, procs, sock_dir, env={"PWFAKE_FAULT_DIR": str(folder)})
    worker = workers.open()
    path = folder / str(worker.pid)
    if planted == "symlink":
        path.symlink_to(victim)
    else:
        path.write_text("someone else's file\n")
    task = TaskSpec.udf(([0], [fn_source("<udf inc>", "def inc(x):\n    return x + 1\n", "inc")]),
                        faulthandler_folder=str(folder))
    assert worker.run_task(task, udf_frames([(1,)])).ok().udf_results() == [2]
    workers.wait_for_line(worker, r"\[worker\] WARN cannot create the faulthandler file %s: .*File exists.*; this task "
                                  r"runs without a fatal-error traceback file" % re.escape(str(path)))
    assert victim.read_text() == "precious data\n"
    if planted == "symlink":
        assert path.is_symlink() and os.readlink(str(path)) == str(victim)
    else:
        assert path.read_text() == "someone else's file\n"


def test_faulthandler_hardCrashLeavesATracebackInDirSlashPid(mode, procs, sock_dir, tmp_path):
    workers = WorkerSource(mode, procs, sock_dir)
    worker = workers.open()
    result = worker.run_task(TaskSpec.udf(([0], [fn_ref("pwfake_task_functions:abort")]),
                                          faulthandler_folder=str(tmp_path)), udf_frames([(0,)]))
    assert result.eof and result.exception is None
    if workers.daemon is not None:
        workers.daemon.worker_exit_line(worker.pid, "killed by signal 6 (SIGABRT)")
    else:
        assert workers.exit_code(worker) == -6
    text = (tmp_path / str(worker.pid)).read_text()
    assert text.startswith("Fatal Python error: Aborted")
    assert re.search(r'File ".*pwfake_task_functions\.py", line \d+ in abort', text), text
