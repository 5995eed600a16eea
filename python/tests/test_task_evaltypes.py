"""Eval types as plug-ins (section 5.1's eval type block, 5.6): the table from number to handler, handlers imported on
the first task of their type, a handler named by the header for another number, and a handler that cannot be
imported failing only its task (with an install hint) while the worker serves the next."""
import io
import os
import subprocess
import sys

import pytest

from pyworkers_testing.harness import FAKES_DIR, SRC_DIR, TaskSpec, encode_task, fn_ref, task_fields, udf_frames
from pyworkers import protocol
from pyworkers import task as task_module
from pyworkers.protocol import ProtocolError

SRC = str(SRC_DIR)
IDENTITY = TaskSpec.udf(([0], [fn_ref("pwfake_task_functions:identity")]))


def echo(repeat: int = 1, handler: str = "pwfake_evaltype_handlers:ECHO", eval_type: int = 9001) -> TaskSpec:
    return TaskSpec(eval_type=eval_type, handler=handler, command=protocol.pack_int(repeat))


def decode(data: bytes):
    stream = io.BytesIO(data)
    return task_module.read_task_header(stream, protocol.read_int(stream))


def assert_reusable(worker, pid):
    assert worker.run_task(IDENTITY, udf_frames([(i,) for i in range(5)], 2)).ok().udf_results() == list(range(5))
    assert worker.pid == pid
    worker.ping()


def test_builtInHandlers_areImportedOnTheFirstTaskOfTheirType_notAtTheWorkersStart():
    code = "\n".join([
        "import io, sys",
        "sys.path.insert(0, %r)" % str(FAKES_DIR.parent),
        "from pyworkers import worker, task, protocol",
        "from pyworkers_testing.harness import TaskSpec, encode_task, fn_ref",
        "loaded = lambda: sorted(m for m in sys.modules if m.startswith('pyworkers.evaltypes.'))",
        "print(loaded())",
        "s = io.BytesIO(encode_task(TaskSpec.non_udf(fn_ref('a:b'))))",
        "task.read_task_header(s, protocol.read_int(s))",
        "print(loaded())",
    ])
    env = dict(os.environ, PYTHONPATH=SRC)
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.splitlines() == ["[]", "['pyworkers.evaltypes.non_udf']"]


def test_builtInNumberNamingAnotherHandler_isAProtocolError():
    for spec in (TaskSpec.non_udf(fn_ref("a:b"), handler="pwfake_evaltype_handlers:ECHO"),
                 TaskSpec.udf(([0], [fn_ref("a:b")]), handler="pyworkers.evaltypes.non_udf:HANDLER")):
        with pytest.raises(ProtocolError) as info:
            decode(encode_task(spec))
        assert str(info.value).startswith("eval type %d is built in with handler 'pyworkers.evaltypes." % spec.eval_type)
        assert "but the task header names handler %r" % spec.handler in str(info.value)
    assert decode(encode_task(TaskSpec.non_udf(fn_ref("a:b"), handler=""))).command.functions[0].reference == "a:b"


def test_handlerNameThatIsNotModuleColonAttribute_isAProtocolError():
    with pytest.raises(ProtocolError) as info:
        decode(encode_task(echo(handler="no_colon")))
    assert str(info.value) == "handler 'no_colon' of eval type 9001 in task header is not 'module:attribute'"


def test_commandNotReadExactlyByItsHandler_isAProtocolError():
    with pytest.raises(ProtocolError) as info:
        decode(encode_task(TaskSpec(eval_type=9001, handler="pwfake_evaltype_handlers:ECHO", command=b"\x00\x00")))
    assert str(info.value).startswith("the command of eval type 9001 (2 bytes) in task header ends too early")
    with pytest.raises(ProtocolError) as info:
        decode(encode_task(TaskSpec(eval_type=9001, handler="pwfake_evaltype_handlers:ECHO",
                                    command=protocol.pack_int(1) + b"\xff")))
    assert str(info.value) == ("the command of eval type 9001 in task header has 1 of its 5 bytes left over after its "
                               "handler read it")


def test_commandLength_isBounded():
    fields = task_fields(echo())
    names = [n for n, _ in fields]
    data = b"".join(d for _, d in fields[:names.index("command length")]) + protocol.pack_int((1 << 30) + 1)
    with pytest.raises(ProtocolError) as info:
        decode(data)
    assert str(info.value).startswith("command of eval type 9001 length 1073741825 exceeds max 1073741824")


def test_evalTypeOutsideTheTable_runsTheHandlerTheHeaderNames_andTheWorkerIsReused(workers):
    worker = workers.open()
    result = worker.run_task(echo(repeat=2), [b"abc", b"", b"xy"]).ok()
    assert result.frames == [b"cba", b"cba", b"", b"", b"yx", b"yx"]
    kind, message, tb = worker.run_task(echo(), [b"ok", b"raise", b"later"]).failed()
    assert (kind, message) == ("ValueError", "echo was told to raise")
    assert "pwfake_evaltype_handlers.py" in tb
    assert_reusable(worker, worker.pid)


@pytest.mark.parametrize("handler, expected", [
    ("pwfake_evaltype_needs_pyarrow:HANDLER",
     "eval type 9001 (handler 'pwfake_evaltype_needs_pyarrow:HANDLER') cannot be loaded: it needs module 'pyarrow', "
     "which the worker's Python (%s) does not have (No module named 'pyarrow'); pip install pyarrow"),
    ("pwfake_evaltype_hinted:HANDLER",
     "eval type 9001 (handler 'pwfake_evaltype_hinted:HANDLER') cannot be loaded: it needs module "
     "'pwfake_no_such_dependency', which the worker's Python (%s) does not have (No module named "
     "'pwfake_no_such_dependency'); pip install 'pwfake[extra]'"),
    ("pwfake_no_such_handler_module:HANDLER",
     "eval type 9001 (handler 'pwfake_no_such_handler_module:HANDLER') cannot be loaded: its module "
     "pwfake_no_such_handler_module is not on the worker's path (No module named 'pwfake_no_such_handler_module'); "
     "put the jar that bundles it on the class path, or add it with an include"),
    ("pwfake_evaltype_handlers:NO_SUCH",
     "eval type 9001 (handler 'pwfake_evaltype_handlers:NO_SUCH') cannot be loaded: module pwfake_evaltype_handlers "
     "has no attribute 'NO_SUCH'"),
], ids=["known-hint", "declared-hint", "module-missing", "attribute-missing"])
def test_handlerThatCannotBeImported_failsThatTaskWithAHint_andTheWorkerServesTheNextTask(workers, handler, expected):
    worker = workers.open()
    kind, message, _ = worker.run_task(echo(handler=handler), [b"a", b"b", None]).failed()
    assert kind == "HandlerUnavailable"
    if "%s" in expected:  # the worker's sys.executable, as it spells it
        head, _, tail = expected.partition("%s")
        assert message.startswith(head) and message.endswith(tail), message
    else:
        assert message == expected
    assert worker.run_task(echo(), [b"ab"]).ok().frames == [b"ba"]
    assert_reusable(worker, worker.pid)


def test_handlerSeesTheRunnersConf_andATaskWithoutOneSeesAnEmptyMapping(workers):
    worker = workers.open()
    spec = TaskSpec(eval_type=9002, handler="pwfake_evaltype_handlers:CONF", command=b"",
                    conf={"spark.sql.session.timeZone": "Europe/Berlin", "k": "v é"})
    assert worker.run_task(spec, [b"x"]).ok().frames == [b"k=v \xc3\xa9", b"spark.sql.session.timeZone=Europe/Berlin"]
    plain = TaskSpec(eval_type=9002, handler="pwfake_evaltype_handlers:CONF", command=b"")
    assert worker.run_task(plain, [b"x"]).ok().frames == []
    assert_reusable(worker, worker.pid)


def test_taskIO_withoutConf_hasAnEmptyReadOnlyOne():
    from pyworkers import evaltypes
    task = evaltypes.TaskIO(3, None, io.BytesIO())
    assert dict(task.conf) == {}
    with pytest.raises(TypeError):
        task.conf["k"] = "v"  # type: ignore[index]
