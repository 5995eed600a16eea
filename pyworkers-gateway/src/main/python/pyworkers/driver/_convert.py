"""Py4J's ``auto_convert`` without its cost on plain values.

With ``auto_convert=True`` Py4J asks each registered input converter (Set, Map, List) about every argument that is not
a Java object; the Map and List converters use ``inspect.getattr_static``, and for a call such as ``Math.abs(-1)`` the
three questions cost about 35 us of the driver's CPU, more than the rest of the Python side of the call together
(``BENCHMARKS.md``, ``bench gateway``). :class:`ScalarFastConverter` answers at once for the built-in types that none
of Py4J's converters converts, and asks Py4J's live list (``py4j.protocol.INPUT_CONVERTER``) about everything else,
in the list's order, so that lists, sets and dicts convert as before and converters registered later still apply.
When a converter that is not one of Py4J's own is registered, plain values go through the list too.

An ``int`` outside Java's ``long`` range, which Py4J would send as a long that the JVM cannot parse (a
``NumberFormatException`` inside a bare ``Py4JError``), becomes a new ``java.math.BigInteger`` made from its decimal
digits: one more round trip, for such values only.
"""
from typing import Any

import py4j.protocol
from py4j.java_gateway import JavaClass
from py4j.java_collections import ListConverter, MapConverter, SetConverter

# Exact types only: a subclass may add __iter__ or keys, and then goes the long way, as with Py4J.
_PLAIN = frozenset((int, float, bool, str, bytes, bytearray, complex, type(None)))
_PY4J_OWN = frozenset((SetConverter, MapConverter, ListConverter))
_LONG_MIN, _LONG_MAX = -(2 ** 63), 2 ** 63 - 1


def _beyond_long(obj: Any) -> bool:
    return type(obj) is int and not _LONG_MIN <= obj <= _LONG_MAX


class ScalarFastConverter:
    """The one input converter of the driver's gateway client. Thread-safe: its one cache is replaced whole."""

    def __init__(self) -> None:
        # (length of Py4J's list when last looked at, whether all of its converters were Py4J's own). Py4J's
        # register_input_converter only inserts, so a changed list has a new length.
        self._seen = (-1, False)

    def _only_py4j_own(self, converters: list) -> bool:
        length, only_own = self._seen
        if length != len(converters):
            only_own = all(type(c) in _PY4J_OWN for c in converters)
            self._seen = (len(converters), only_own)
        return only_own

    def can_convert(self, obj: Any) -> bool:
        t = type(obj)
        if t is int:
            if not _LONG_MIN <= obj <= _LONG_MAX:
                return True
        converters = py4j.protocol.INPUT_CONVERTER
        if t in _PLAIN and self._only_py4j_own(converters):
            return False
        for c in converters:
            if c.can_convert(obj):
                return True
        return False

    def convert(self, obj: Any, gateway_client) -> Any:
        if _beyond_long(obj):
            return JavaClass("java.math.BigInteger", gateway_client)(str(obj))
        for c in py4j.protocol.INPUT_CONVERTER:
            if c.can_convert(obj):
                return c.convert(obj, gateway_client)
        raise TypeError("no Py4J input converter takes %r" % (obj,))  # can_convert said one did: not reached


def converters() -> list:
    """What a gateway client's ``converters`` should be when ``auto_convert`` is on."""
    return [ScalarFastConverter()]
