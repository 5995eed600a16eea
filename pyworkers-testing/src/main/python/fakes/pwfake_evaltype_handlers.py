"""Eval type handlers for the eval type tests (test_task_evaltypes.py), named by the header as a module's own would be.

``ECHO`` (any number outside the built-in table): its command is an ``int`` n; each data frame comes back reversed,
n times. ``CONF`` answers with the task's runner conf. Standard library and ``pyworkers.evaltypes`` only."""
from pyworkers import evaltypes


class EchoHandler:
    name = "PWFAKE_ECHO"
    accepts_null_input = False

    def read_command(self, inp):
        return evaltypes.read_count(inp, 10, "echo repeat count", low=1)

    def load(self, command, task):
        def body():
            while True:
                frame = task.inp.read_frame()
                if frame is evaltypes.END_OF_DATA:
                    return
                if frame == b"raise":
                    raise ValueError("echo was told to raise")
                for _ in range(command):
                    evaltypes.write_frame(task.write, bytes(frame)[::-1])

        return body


ECHO = EchoHandler()


class ConfHandler:
    """``CONF``: no command; answers its task with one frame per runner conf pair, ``key=value``, sorted by key."""
    name = "PWFAKE_CONF"
    accepts_null_input = False

    def read_command(self, inp):
        return None

    def load(self, command, task):
        def body():
            while task.inp.read_frame() is not evaltypes.END_OF_DATA:
                pass
            for key in sorted(task.conf):
                evaltypes.write_frame(task.write, ("%s=%s" % (key, task.conf[key])).encode("utf-8"))

        return body


CONF = ConfHandler()
