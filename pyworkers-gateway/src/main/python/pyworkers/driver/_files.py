"""``Gateway.run_file``: ``pyworkers run`` in the gateway's JVM, with a Python function or a ``FILE.py:FUNC``.

A function object is cloudpickled into a private folder (``tempfile.mkdtemp``, 0700) beside a two-line module that
loads it, and that module is the run's ``--udf``; the folder is removed when the run ends. The Py4J call that waits
for the run runs on a helper thread, in steps of 200 ms, so that a Ctrl-C in the caller's thread never breaks a Py4J
connection in the middle of an answer: it cancels the run (workers killed, no OUT left) and is raised again.
"""
import os
import shutil
import tempfile
import threading
from typing import Any, Callable, Dict, List, Optional, Union

import cloudpickle

from pyworkers.chunks import PICKLE_PROTOCOL

from .errors import RunFileError

_WAIT_MS = 200


class RunResult:
    """A finished run: the records written to ``output`` and the command's summary line."""

    def __init__(self, records: int, summary: str) -> None:
        self.records = records
        self.summary = summary

    def __repr__(self) -> str:
        return "RunResult(records=%d, summary=%r)" % (self.records, self.summary)


def _option_args(options: Dict[str, Any]) -> List[str]:
    args: List[str] = []
    for key, value in options.items():
        flag = "--" + key.replace("_", "-")
        if value is None:
            continue
        if value is True:
            args.append(flag)
        elif value is False:
            if key == "progress":
                args.append("--no-progress")
            # any other False flag is the command's default: nothing to pass
        else:
            args.extend([flag, str(value)])
    return args


def run(gateway, f: Union[str, Callable[[Any], Any]], input: str, output: str, workers: int, pandas: bool,
        options: Dict[str, Any]) -> RunResult:
    folder: Optional[str] = None
    if isinstance(f, str):
        udf = f
    elif callable(f):
        folder = tempfile.mkdtemp(prefix="pyworkers-runfile-")
        pickled = os.path.join(folder, "func.pkl")
        with open(pickled, "wb") as out:
            cloudpickle.dump(f, out, protocol=PICKLE_PROTOCOL)
        with open(os.path.join(folder, "pyworkers_run_file.py"), "w", encoding="utf-8") as out:
            out.write("import pickle\nwith open(%r, 'rb') as _f:\n    func = pickle.load(_f)\n" % (pickled,))
        udf = os.path.join(folder, "pyworkers_run_file.py") + ":func"
    else:
        raise TypeError("run_file needs a function or 'FILE.py:FUNC', got %r" % (f,))
    try:
        options = dict(options)
        options.setdefault("progress", False)
        options.setdefault("python", gateway.python)
        args = ["--udf", udf, "--input", os.fspath(input), "--output", os.fspath(output), "--workers", str(workers)]
        if pandas:
            args.append("--pandas")
        args.extend(_option_args(options))
        job = gateway.entry_point.runFile(args)
        code = _wait(job)
        message = job.message()
        if code != 0:
            raise RunFileError(message, code)
        return RunResult(job.records(), message)
    finally:
        if folder is not None:
            shutil.rmtree(folder, ignore_errors=True)


def _wait(job) -> int:
    result: List[Any] = []
    finished = threading.Event()

    def waiter() -> None:
        try:
            while True:
                code = job.waitFor(_WAIT_MS)
                if code >= 0:
                    result.append(code)
                    return
        except BaseException as e:  # the JVM went away: report it in the caller's thread
            result.append(e)
        finally:
            finished.set()

    t = threading.Thread(target=waiter, name="pyworkers-run-file-wait", daemon=True)
    t.start()
    try:
        while not finished.wait(0.1):
            pass
    except BaseException:
        job.cancel()
        finished.wait(10)
        raise
    outcome = result[0]
    if isinstance(outcome, BaseException):
        raise outcome
    return outcome
