"""Failing tasks: whatever user code raises becomes an exception frame, then timing, end, drain and the -4/-4
handshake, and the same worker process serves the next task on the same socket. Protocol breaks end the worker."""
import pickle
import socket
import sys

import pytest

from pyworkers_testing.harness import TaskSpec, encode_task, fn_pickled, fn_ref, fn_source, pickled_frames, udf_frames

ROWS = [(i,) for i in range(10)]
IDENTITY = TaskSpec.udf(([0], [fn_ref("pwfake_task_functions:identity")]))


def assert_reusable(worker, pid):
    """The next task on the same socket succeeds, in the same process."""
    assert worker.run_task(IDENTITY, udf_frames(ROWS, 3)).ok().udf_results() == list(range(10))
    assert worker.run_task(TaskSpec.non_udf(fn_ref("pwfake_task_functions:pid")), []).ok().records() == [pid]
    worker.ping()


@pytest.mark.parametrize("name, kind, message", [
    ("raise_value_error", "ValueError", "bad value 0"),
    ("raise_system_exit", "SystemExit", "3"),
    ("raise_keyboard_interrupt", "KeyboardInterrupt", "interrupted by the UDF"),
    ("raise_generator_exit", "GeneratorExit", "generator exit from the UDF"),
], ids=["ValueError", "SystemExit", "KeyboardInterrupt", "GeneratorExit"])
def test_udfRaising_isReportedWithTypeMessageTraceback_andTheWorkerIsReused(workers, name, kind, message):
    worker = workers.open()
    result = worker.run_task(TaskSpec.udf(([0], [fn_ref("pwfake_task_functions:" + name)])), udf_frames(ROWS, 2))
    got_kind, got_message, tb = result.failed()
    assert (got_kind, got_message) == (kind, message)
    assert tb.startswith("Traceback (most recent call last):\n") and "pwfake_task_functions.py" in tb
    assert "pyworkers/task.py" not in tb  # the worker's own frames above user code are left out
    assert "pyworkers/evaltypes/" not in tb  # its handlers' too
    assert tb.rstrip().endswith("%s: %s" % (kind, message))
    assert result.frames == []
    assert_reusable(worker, worker.pid)


def test_stopIterationInAUdf_becomesRuntimeErrorNamingIt_insteadOfEndingTheBatchEarly(workers):
    worker = workers.open()
    rows = [(0,), (1,), (2,), (3,)]
    stop, identity = fn_ref("pwfake_task_functions:raise_stop_iteration"), fn_ref("pwfake_task_functions:identity")
    for task, where in (
        (TaskSpec.udf(([0], [stop])), "function 1 of 1 of UDF 1 (raise_stop_iteration(...))"),
        (TaskSpec.udf(([0], [stop, identity])), "function 1 of 2 of UDF 1 (identity(raise_stop_iteration(...)))"),
        (TaskSpec.udf(([0], [identity, stop])), "function 2 of 2 of UDF 1 (raise_stop_iteration(identity(...)))"),
        (TaskSpec.udf(([0], [identity]), ([0], [stop])), "function 1 of 1 of UDF 2 (raise_stop_iteration(...))"),
    ):
        kind, message, tb = worker.run_task(task, udf_frames(rows, 4)).failed()
        assert kind == "RuntimeError"
        assert message.startswith("raise_stop_iteration (%s) on row 2 of its batch raised StopIteration: no more 2; "
                                  "a function must not let StopIteration escape" % where)
        assert "StopIteration: no more 2" in tb and "pwfake_task_functions.py" in tb
    assert_reusable(worker, worker.pid)


def test_stopIterationEscapingANonUdfFunction_becomesRuntimeError(workers):
    worker = workers.open()
    kind, message, tb = worker.run_task(TaskSpec.non_udf(fn_pickled(lambda i, it: next(iter([])))), []).failed()
    assert kind == "RuntimeError" and message.startswith("the task's function raised StopIteration")
    assert "StopIteration" in tb
    assert_reusable(worker, worker.pid)


def test_nonUdfFailingMidStream_jvmStopsFeedingEarly_workerStillReusable(workers):
    worker = workers.open()
    task = TaskSpec.non_udf(fn_ref("pwfake_task_functions:fail_after_three"), output_batch_size=1)
    frames = pickled_frames(range(10_000_000), 1)  # far more than the JVM will send once it sees the exception
    result = worker.run_task(task, frames, stop_on_exception=True)
    kind, message, _ = result.failed()
    assert (kind, message) == ("ValueError", "record 3 is bad: 3")
    assert result.records() == [0, 1, 2]
    assert_reusable(worker, worker.pid)


def test_failingTask_fedToTheEnd_drainsEverything_andIsReusable(workers):
    worker = workers.open()
    task = TaskSpec.udf(([0], [fn_ref("pwfake_task_functions:raise_value_error")]))
    result = worker.run_task(task, udf_frames([(i,) for i in range(200_000)], 100))
    assert result.failed()[0] == "ValueError"
    assert_reusable(worker, worker.pid)


def test_jvmEndingDataRightAfterTheHeader_isAnEmptyPartition(workers):
    worker = workers.open()
    assert worker.run_task(IDENTITY, []).ok().frames == []
    assert_reusable(worker, worker.pid)


def test_userExceptionClass_isNamedWithItsModule_andABrokenStrDoesNotHideIt(workers):
    worker = workers.open()
    source = ("class Boom(Exception):\n    def __str__(self):\n        raise RuntimeError('no str')\n\n"
              "def f(x):\n    raise Boom()\n")
    task = TaskSpec.udf(([0], [fn_source("b.py", source, "f")]))
    kind, message, tb = worker.run_task(task, udf_frames(ROWS)).failed()
    assert kind == "__pyworkers_source__.Boom"
    assert message == "<str() of the Boom failed: RuntimeError: RuntimeError('no str')>"
    assert 'File "b.py", line 6, in f' in tb
    assert_reusable(worker, worker.pid)


def test_hugeExceptionMessage_isCutInTheMiddleTo1MiB(workers):
    worker = workers.open()
    task = TaskSpec.udf(([0], [fn_pickled(lambda x: (_ for _ in ()).throw(ValueError("a" * 2_000_000 + "END")))]))
    kind, message, tb = worker.run_task(task, udf_frames(ROWS)).failed()
    assert kind == "ValueError"
    assert len(message.encode()) <= 1 << 20 and message.startswith("aaaa") and message.endswith("aaaEND")
    assert "... (%d characters cut) ..." % (2_000_003 - len(message) + len("... (NNNNNN characters cut) ...")) \
        in message
    assert len(tb.encode()) <= 1 << 20
    assert_reusable(worker, worker.pid)


def test_pythonVersionMismatch_namesBothVersions_andSaysWhatToDo(workers):
    worker = workers.open()
    mine = "%d.%d" % sys.version_info[:2]
    kind, message, tb = worker.run_task(
        TaskSpec.udf(([0], [fn_ref("nope:never_loaded")]), python_version="2.7"), udf_frames(ROWS)).failed()
    assert kind == "PythonVersionMismatch"
    assert message.startswith("the worker runs Python %s (" % mine)
    assert "but the task expects Python 2.7; point the python executable setting at a Python 2.7 interpreter, or " \
           "expect %s (an empty version skips this check)" % mine in message
    for version in (mine, mine + ".99", ""):
        task = TaskSpec.udf(([0], [fn_ref("pwfake_task_functions:identity")]), python_version=version)
        assert worker.run_task(task, udf_frames(ROWS)).ok().udf_results() == list(range(10))


def test_answerOtherThanEndOfStream_workerAnswersMinus1_andExits4(workers):
    worker = workers.open()
    result = worker.run_task(IDENTITY, udf_frames(ROWS), tail=(-1, 7))
    assert result.ok is not None and result.timing is not None and result.answer == -1
    assert workers.exit_code(worker) == 4
    workers.wait_for_line(worker, r"\[worker\] ERROR protocol error: expected -4 \(END_OF_STREAM\) after task "
                                  r"partition 0 \(stage 1, task attempt 100\) ended, got 7")


def test_connectionClosedInsteadOfEndOfStream_workerExits0(workers):
    worker = workers.open()
    result = worker.run_task(IDENTITY, udf_frames(ROWS), tail=(-1,), read_answer=False)
    assert result.ok is not None and result.timing is not None
    worker.sock.shutdown(socket.SHUT_WR)
    assert worker.read_eof() == b""
    assert workers.exit_code(worker) == 0
    workers.wait_for_line(worker, r"\[worker\] INFO the JVM closed the connection after task partition 0 .* instead "
                                  r"of sending -4; ending the worker")


@pytest.mark.parametrize("frames, marker", [
    ([pickle.dumps([(1,)], 2), None], "NULL frame (-5) in the data of a SQL_BATCHED_UDF task: its frames are pickled "
                                      "lists of rows"),
    ([b"\xff\xff\xff\xf9"], None),
], ids=["null-in-udf-data", "bad-length"])
def test_badDataFrame_isAProtocolErrorFrame_andExit4(workers, frames, marker):
    worker = workers.open()
    if marker is None:  # a raw -7 where a frame length belongs
        header = encode_task(IDENTITY) + b"\xff\xff\xff\xf9"
        result = worker.run_task(header, [])
        expected = "data frame length -7 is invalid: expected a length >= 0, -1 (end of data) or -5 (null)"
    else:
        result = worker.run_task(IDENTITY, frames)
        expected = marker
    assert result.exception is not None and result.exception[0] == "ProtocolError"
    assert result.exception[1] == "protocol error in the data of task partition 0 (stage 1, task attempt 100): " \
                                  + expected
    assert result.timing is None and result.eof
    assert workers.exit_code(worker) == 4
