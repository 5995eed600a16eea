"""Functions the map tests run in workers. This module must not import pyworkers.driver: the workers run the jar's
bundled pyworkers package, which has no driver (see test_map.test_function_from_a_module_importing_the_driver)."""
import os
import time


def _note_pid():
    """Records this worker's pid (and start time) in the folder the tests name, so that they can check it ends."""
    folder = os.environ.get("PYW_TEST_PIDS")
    if folder:
        path = os.path.join(folder, str(os.getpid()))
        if not os.path.exists(path):
            with open("/proc/self/stat") as f:
                text = f.read()
            with open(path + ".tmp", "w") as f:  # written whole, then renamed: a reader never sees it half-made
                f.write(text[text.rindex(")") + 2:].split()[19])
            os.replace(path + ".tmp", path)


def square(x):
    _note_pid()
    return x * x


def fail_on_250(x):
    _note_pid()
    if x == 250:
        with open(os.path.join(os.environ["PYW_TEST_PIDS"], "raiser"), "w") as f:
            f.write(str(os.getpid()))
        raise ValueError("no 250 here")  # the line the traceback must show
    return x


def exit_on_7(x):
    _note_pid()
    if x == 7:
        os._exit(3)
    return x


def slow(x):
    _note_pid()
    time.sleep(0.05)
    return x


def worker_pid(x):
    return os.getpid()


def double_n(record):
    return {"n": record["n"] * 2, "s": record["s"].upper()}


def add_total(frame):
    frame = frame.copy()
    frame["total"] = frame["a"] + frame["b"]
    return frame[frame["a"] % 3 != 0]


def arrow_upper(table):
    import pyarrow.compute as pc
    return table.append_column("u", pc.utf8_upper(table.column("s")))
