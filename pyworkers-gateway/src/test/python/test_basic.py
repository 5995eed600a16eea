"""Connecting, closing, Py4J reflection, Java exceptions and Python callbacks."""
import threading

import pytest
from py4j.protocol import Py4JJavaError

import pyworkers.driver
from pyworkers.driver import DriverError, JavaError, connect

from conftest import Tracked, alive, wait_gone


def test_connect_reflection_close(gw):
    assert gw.pid > 0 and alive(gw.pid)
    assert not gw.closed
    names = gw.jvm.java.util.ArrayList()
    names.add("a")
    names.add("b")
    assert names.size() == 2
    assert names.get(1) == "b"
    assert gw.entry_point.pid() == gw.pid


def test_context_manager_closes_and_close_is_idempotent(leakcheck):
    with connect() as gw:
        pid = gw.pid
        assert gw.jvm.java.lang.Math.max(3, 7) == 7
    assert gw.closed
    wait_gone({pid: None}, 10, "the gateway JVM after the with block")
    gw.close()
    gw.close()


def test_call_after_close_raises(leakcheck):
    t = Tracked()
    t.finish()
    gw = t.gw
    with pytest.raises(DriverError):
        gw.map(abs, [1])
    with pytest.raises(Exception):
        gw.jvm.java.util.ArrayList()


def test_java_exception_is_java_error(shared):
    with pytest.raises(JavaError) as info:
        shared.jvm.java.lang.Integer.parseInt("not a number")
    e = info.value
    assert isinstance(e, Py4JJavaError)
    assert e.java_class == "java.lang.NumberFormatException"
    assert "not a number" in e.java_message
    assert "parseInt" in e.java_stack_trace
    assert "NumberFormatException" in str(e)
    # the gateway still answers
    assert shared.jvm.java.lang.Integer.parseInt("42") == 42


class PyComparator:
    def compare(self, a, b):
        return (a > b) - (a < b)

    def equals(self, other):
        return self is other

    class Java:
        implements = ["java.util.Comparator"]


def test_python_comparator_in_collections_sort(shared):
    items = shared.jvm.java.util.ArrayList()
    for x in [5, 3, 9, 1, 7]:
        items.add(x)
    shared.jvm.java.util.Collections.sort(items, PyComparator())
    assert list(items) == [1, 3, 5, 7, 9]
    shared.jvm.java.util.Collections.sort(items, shared.jvm.java.util.Collections.reverseOrder(PyComparator()))
    assert list(items) == [9, 7, 5, 3, 1]


class PyRunnable:
    def __init__(self):
        self.ran_on = []

    def run(self):
        self.ran_on.append(threading.current_thread().name)

    class Java:
        implements = ["java.lang.Runnable"]


def test_python_runnable_on_a_java_thread(shared):
    r = PyRunnable()
    t = shared.jvm.java.lang.Thread(r)
    t.start()
    t.join(10000)
    assert not t.isAlive()
    assert len(r.ran_on) == 1


def test_ints_beyond_long_go_as_big_integer(shared):
    String = shared.jvm.java.lang.String
    for value in (2 ** 63, -(2 ** 63) - 1, 2 ** 200, -(10 ** 40)):
        assert String.valueOf(value) == str(value)
    # inside a list, and the limits themselves still go as long
    assert str(shared.jvm.java.util.ArrayList([2 ** 70, 1]).toString()) == "[%d, 1]" % 2 ** 70
    assert shared.jvm.java.lang.Long.valueOf(2 ** 63 - 1) == 2 ** 63 - 1
    assert shared.jvm.java.lang.Long.valueOf(-(2 ** 63)) == -(2 ** 63)
    big = shared.jvm.java.math.BigInteger("7").pow(40)
    assert big.toString() == str(7 ** 40)
    assert big.equals(7 ** 40)
