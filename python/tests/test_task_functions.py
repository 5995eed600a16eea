"""The three function kinds, and the message of every way loading one can fail (each reported as an exception
frame, after which the worker stays reusable)."""
import os
import pickle
import re

from pyworkers_testing.harness import (FAKES_DIR, SRC_DIR, TaskSpec, WorkerSource, fn_payload, fn_pickled, fn_ref,
                                       fn_source, udf_frames)

ROWS = [(1,), (2,)]


def run_udf(worker, fn):
    return worker.run_task(TaskSpec.udf(([0], [fn])), udf_frames(ROWS))


def load_error(worker, fn):
    kind, message, tb = run_udf(worker, fn).failed()
    assert kind == "FunctionLoadError", (kind, message)
    worker.ping()
    return message, tb


def test_threeKinds_allLoadAndRun(workers):
    worker = workers.open()
    assert run_udf(worker, fn_pickled(lambda x: x - 1)).ok().udf_results() == [0, 1]
    assert run_udf(worker, fn_ref("pwfake_task_functions:plus_one")).ok().udf_results() == [2, 3]
    assert run_udf(worker, fn_ref("pwfake_task_functions:Holder.Inner.triple")).ok().udf_results() == [3, 6]
    assert run_udf(worker, fn_ref("math:factorial")).ok().udf_results() == [1, 2]
    source = "import math\n\ndef f(x):\n    return math.factorial(x + 2)\n"
    assert run_udf(worker, fn_source("mine.py", source, "f")).ok().udf_results() == [6, 24]
    source = "class K:\n    @staticmethod\n    def g(x):\n        return -x\n"
    assert run_udf(worker, fn_source("k.py", source, "K.g")).ok().udf_results() == [-1, -2]


def test_sourceFunction_tracebackShowsItsFileLineAndText(workers):
    worker = workers.open()
    source = "def f(x):\n    y = x * 2\n    raise ValueError('from source %d' % y)\n"
    kind, message, tb = run_udf(worker, fn_source("user_udfs.py", source, "f")).failed()
    assert (kind, message) == ("ValueError", "from source 2")
    assert 'File "user_udfs.py", line 3, in f' in tb and "raise ValueError('from source %d' % y)" in tb


def test_moduleNotFound_namesTheModuleAndTheReference(workers):
    message, _ = load_error(workers.open(), fn_ref("no_such_pkg.sub:f"))
    assert message.startswith(
        "function 1 of 1 of UDF 1 (reference 'no_such_pkg.sub:f'): module 'no_such_pkg' of reference "
        "'no_such_pkg.sub:f' is not found (No module named 'no_such_pkg'); install it in the worker's Python ("
    )
    assert message.endswith(") or ship it with the task's files or includes")


def test_moduleWhoseImportIsMissing_namesTheMissingImport(workers):
    message, tb = load_error(workers.open(), fn_ref("pwfake_broken_import:f"))
    assert "importing module 'pwfake_broken_import' of reference 'pwfake_broken_import:f' failed because a module " \
           "it imports is missing: No module named 'pwfake_no_such_dependency'" in message
    assert "pwfake_broken_import.py" in tb


def test_moduleRaisingOnImport_saysSo(workers):
    message, tb = load_error(workers.open(), fn_ref("pwfake_raises_on_import:f"))
    assert "importing module 'pwfake_raises_on_import' of reference 'pwfake_raises_on_import:f' raised " \
           "RuntimeError: this module refuses to be imported" in message
    assert "RuntimeError: this module refuses to be imported" in tb


def test_missingAttribute_namesItAndListsWhatExists(workers):
    message, _ = load_error(workers.open(), fn_ref("pwfake_task_functions:nope"))
    assert "module 'pwfake_task_functions' has no attribute 'nope'; it has: " in message
    assert "identity" in message and "plus_one" in message
    message, _ = load_error(workers.open(), fn_ref("pwfake_task_functions:Holder.Nope.f"))
    assert "'Holder' of module 'pwfake_task_functions' has no attribute 'Nope'; it has: Inner" in message


def test_notCallable_saysWhatItIsInstead(workers):
    worker = workers.open()
    message, _ = load_error(worker, fn_ref("pwfake_task_functions:NOT_CALLABLE"))
    assert message == (
        "function 1 of 1 of UDF 1 (reference 'pwfake_task_functions:NOT_CALLABLE'): "
        "'pwfake_task_functions:NOT_CALLABLE' is not callable: it is of type int: 42"
    )
    message, _ = load_error(worker, fn_ref("pwfake_task_functions:os"))
    assert re.search(r"'pwfake_task_functions:os' is not callable: it is a module: <module 'os'", message)
    message, _ = load_error(worker, fn_payload(pickle.dumps([1, 2])))
    assert "the unpickled object is not callable: it is of type list: [1, 2]" in message
    message, _ = load_error(worker, fn_source("v.py", "f = 'text'\n", "f"))
    assert "'f' in 'v.py' is not callable: it is of type str: 'text'" in message


def test_badReference_saysWhatItMustLookLike(workers):
    message, _ = load_error(workers.open(), fn_ref("just_a_module"))
    assert "'just_a_module' is not a function reference: it must look like 'module:function'" in message


def test_syntaxError_namesFileAndLine(workers):
    source = "def f(x):\n    return x\n\ndef g(x:\n    pass\n"
    message, _ = load_error(workers.open(), fn_source("broken_udf.py", source, "f"))
    assert re.search(r"syntax error in broken_udf\.py line 4: .+ \('def g\(x:'\)$", message), message


def test_sourceWithoutTheName_listsWhatItDefines(workers):
    message, _ = load_error(workers.open(), fn_source("s.py", "def a(x):\n    return x\nb = 1\n", "f"))
    assert message.endswith("the source s.py defines no name 'f'; it defines: a, b")


def test_sourceRaisingAtTopLevel_saysSo(workers):
    message, tb = load_error(workers.open(), fn_source("t.py", "x = 1\nraise OSError('top level')\n", "f"))
    assert "running the source t.py raised OSError: top level" in message
    assert 'File "t.py", line 2' in tb


def test_cloudpicklePayloadThatFailsToUnpickle_saysWhatItMustBe(workers):
    message, tb = load_error(workers.open(), fn_payload(b"\x80\x04garbage"))
    assert message.startswith("function 1 of 1 of UDF 1 (cloudpickle payload of 9 bytes): cannot unpickle the "
                              "cloudpickle payload: ")
    assert "it must be what cloudpickle.dumps(f) gives" in message and "this worker: Python 3." in message


def test_errorInTheSecondFunctionOfAChain_saysWhichOne(workers):
    worker = workers.open()
    task = TaskSpec.udf(([0], [fn_ref("pwfake_task_functions:identity")]),
                        ([0], [fn_ref("pwfake_task_functions:identity"), fn_ref("nope_mod:f")]))
    kind, message, _ = worker.run_task(task, udf_frames(ROWS)).failed()
    assert kind == "FunctionLoadError" and message.startswith("function 2 of 2 of UDF 2 (reference 'nope_mod:f')")
    task = TaskSpec.non_udf(fn_ref("pwfake_task_functions:echo"), fn_ref("pwfake_task_functions:NOT_CALLABLE"))
    kind, message, _ = worker.run_task(task, []).failed()
    assert message.startswith("function 2 of 2 of the NON_UDF chain (reference 'pwfake_task_functions:NOT_CALLABLE')")


def test_cloudpickleMissingInTheWorker_namesThePackageAndPipInstall(procs, sock_dir, mode, tmp_path):
    (tmp_path / "cloudpickle.py").write_text("raise ImportError('cloudpickle is blocked for this test')\n")
    env = {"PYTHONPATH": os.pathsep.join([str(tmp_path), str(SRC_DIR), str(FAKES_DIR)])}
    worker = WorkerSource(mode, procs, sock_dir, env=env).open()
    kind, message, _ = run_udf(worker, fn_payload(pickle.dumps(len))).failed()
    assert kind == "FunctionLoadError"
    assert "a cloudpickle function needs the package 'cloudpickle', which the worker's Python" in message
    assert "install it there with `pip install cloudpickle`" in message
    assert run_udf(worker, fn_ref("builtins:abs")).ok().udf_results() == [1, 2]


def test_cloudpickleIsNotImported_untilAKindOneFunctionArrives(workers):
    worker = workers.open()
    probe = fn_source("probe.py", "import sys\ndef f(x):\n    return 'cloudpickle' in sys.modules\n", "f")
    assert run_udf(worker, probe).ok().udf_results() == [False, False]
    run_udf(worker, fn_pickled(lambda x: x)).ok()
    assert run_udf(worker, probe).ok().udf_results() == [True, True]
