"""Functions the task tests load by reference (kind 2): ``pwfake_task_functions:name``."""
import itertools
import os
import sys

from pyworkers.context import TaskContext, accumulate, broadcast

NOT_CALLABLE = 42


def identity(x):
    return x


def plus_one(x):
    return x + 1


def double(x):
    return x * 2


def add(a, b):
    return a + b


def constant():
    return "c"


def describe(x):
    return "%s:%r" % (type(x).__name__, x)


def echo(index, iterator):
    return iterator


def upper(index, iterator):
    return (None if r is None else r.upper() for r in iterator)


def tag_partition(index, iterator):
    return ("%d:%s" % (index, r) for r in iterator)


def take_five(index, iterator):
    return list(itertools.islice(iterator, 5))


def count(index, iterator):
    return [sum(1 for _ in iterator)]


def fail_after_three(index, iterator):
    for i, record in enumerate(iterator):
        if i == 3:
            raise ValueError("record %d is bad: %r" % (i, record))
        yield record


def raise_value_error(x):
    raise ValueError("bad value %r" % (x,))


def raise_system_exit(x):
    raise SystemExit(3)


def raise_keyboard_interrupt(x):
    raise KeyboardInterrupt("interrupted by the UDF")


def raise_generator_exit(x):
    raise GeneratorExit("generator exit from the UDF")


def raise_stop_iteration(x):
    if x >= 2:
        raise StopIteration("no more %r" % (x,))
    return x


def context_snapshot(index, iterator):
    for _ in iterator:
        pass
    ctx = TaskContext.get()
    return [{
        "stage_id": ctx.stage_id, "partition_id": ctx.partition_id, "attempt_number": ctx.attempt_number,
        "task_attempt_id": ctx.task_attempt_id, "cpus": ctx.cpus, "resources": ctx.resources,
        "local_properties": ctx.local_properties, "user": ctx.get_local_property("user", "nobody"),
    }]


REMEMBERED = []


def remember_context_and_fail(index, iterator):
    REMEMBERED.append(TaskContext.get())
    raise ValueError("after remembering the context")


def compare_with_remembered(index, iterator):
    now = TaskContext.get()
    return [(now is REMEMBERED[-1], now.local_properties, REMEMBERED[-1].local_properties)]


def accumulate_each(index, iterator):
    for record in iterator:
        accumulate(record)
        yield record


def read_broadcasts(index, iterator):
    for broadcast_id in iterator:
        try:
            yield ("ok", broadcast(broadcast_id))
        except KeyError as e:
            yield ("missing", str(e))


def pid(index, iterator):
    for _ in iterator:
        pass
    return [os.getpid()]


def abort(x):
    import resource
    resource.setrlimit(resource.RLIMIT_CORE, (0, resource.getrlimit(resource.RLIMIT_CORE)[1]))  # no core file
    os.abort()


def faulthandler_file_exists(x):
    return os.path.exists(os.path.join(os.environ["PWFAKE_FAULT_DIR"], str(os.getpid())))


def address_space_limit(x):
    import resource
    return resource.getrlimit(resource.RLIMIT_AS)


class Holder:
    class Inner:
        @staticmethod
        def triple(x):
            return x * 3


def thread_settings(x):
    """The task's thread variables, and what the (fake) threadpoolctl was asked, if it was imported."""
    threadpoolctl = sys.modules.get("threadpoolctl")
    variables = [os.environ.get(v) for v in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS")]
    calls = getattr(threadpoolctl, "calls", None)  # only the tests' fake threadpoolctl records its calls
    return (variables, list(calls) if calls is not None else None)


def blas_threads(x):
    """The thread counts that the real threadpoolctl reports for the BLAS libraries loaded so far (numpy's
    OpenBLAS once numpy is imported), as sorted (internal_api, num_threads) pairs."""
    import numpy  # noqa: F401  (loads its BLAS on the first call)
    import threadpoolctl
    return sorted((i["internal_api"], i["num_threads"]) for i in threadpoolctl.threadpool_info()
                  if i["user_api"] == "blas")
