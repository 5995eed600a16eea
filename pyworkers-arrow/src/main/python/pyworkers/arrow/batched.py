"""SQL_ARROW_BATCHED_UDF (101): plain row functions fed from Arrow record batches (``docs/protocol.md`` 7.9).

The command and the framing are those of SQL_SCALAR_ARROW_UDF (:mod:`pyworkers.arrow.scalar`, sections 7.1 and
7.2): one result batch per input batch, columns ``_0.._{n-1}``. What differs is the call: each UDF is an ordinary
Python function of one row's values, called once per row. Its argument columns become Python values with
``pyarrow.Array.to_pylist()`` (null is ``None``, int64 ``int``, decimal128 ``decimal.Decimal``, date32
``datetime.date``, a timestamp ``datetime.datetime``, tz-aware when its type has a time zone, list ``list``, struct
``dict``, map a ``list`` of ``(key, value)`` tuples), and the values it returns become the result column with
``pyarrow.array(values, type=declared)``. When that refuses them (a float returned for an int64 column), a second try
converts them to the type pyarrow infers and casts that to the declared one with ``safe=True``, so ``2.0`` becomes
``2`` and ``2.5`` is an error; an error names the first value that does not fit, its row and both types. That cast
only changes a width, a unit or a zone: a value of another kind (``5`` or ``1`` for a bool, ``'12'`` for an int64,
``3`` for a string, a ``datetime`` for a date) is an error, though Arrow's casts would convert it. pyarrow only:
pandas is not needed.
"""
import reprlib
from typing import Any, Callable, List

from .scalar import ArrowResultError, ScalarHandler, _note, pa

__all__ = ["HANDLER", "to_value"]

_show = reprlib.Repr()
_show.maxstring = 80
_show.maxother = 80
_show.maxlist = 5


def _to_values(column: Any) -> List[Any]:
    return column.to_pylist()


def _call_rows(function: Callable[..., Any], args: List[List[Any]], rows: int) -> List[Any]:
    """``function`` over each row; an exception gets a note with the row and its arguments."""
    results: List[Any] = []
    try:
        if args:
            results.extend(map(function, *args))
        else:
            results.extend(function() for _ in range(rows))
    except Exception as e:
        row = len(results)
        _note(e, "on row %d of the batch, arguments (%s)" % (row, ", ".join(_show.repr(a[row]) for a in args)))
        raise
    return results


_ARROW_ERRORS = (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError, TypeError, ValueError,
                 OverflowError)


def _to_array(values: List[Any], declared: Any, where: str, rows: bool = True) -> Any:
    """The result column: pyarrow's own inference, then a safe cast to the declared type; when inference fails
    (mixed kinds, dicts for a map), pyarrow's conversion to the declared type, kept only if every value comes back
    as it went in (pyarrow's conversion alone would turn 2.5 into 2 for an int64 column)."""
    try:
        inferred = pa.array(values)
    except _ARROW_ERRORS as e:
        inferred, first = None, e
    if inferred is not None:
        if inferred.type == declared:
            return inferred
        if _one_kind(inferred.type, declared):
            try:
                return inferred.cast(declared, safe=True)
            except _ARROW_ERRORS as e:
                first = e
        else:  # Arrow's casts also change kinds (5 to true, '12' to 12, 3 to '3'): never taken as a result's value
            first = ArrowResultError("a %s is not a %s" % (inferred.type, declared))
    try:
        typed = pa.array(values, type=declared)
    except _ARROW_ERRORS as e:
        raise ArrowResultError(_misfit(values, declared, where, e, rows)) from e
    back = typed.to_pylist()
    for row, (went, came) in enumerate(zip(values, back)):
        if not _same(went, came):
            raise ArrowResultError("%s returned %s (a %s)%s, which its declared result type %s would change "
                                   "into %s (%s): return values of that type" % (
                                       where, _show.repr(went), type(went).__name__, _on_row(row, rows), declared,
                                       _show.repr(came), first))
    return typed


def _kind(t: Any) -> str:
    """The family a safe cast stays within: numbers, text, bytes, each kind of time, and each nested shape."""
    for test, kind in _KINDS:
        if test(t):
            return kind
    return str(t)


_KINDS = [
    (pa.types.is_null, "null"), (pa.types.is_boolean, "bool"), (pa.types.is_integer, "number"),
    (pa.types.is_floating, "number"), (pa.types.is_decimal, "number"), (pa.types.is_string, "text"),
    (pa.types.is_large_string, "text"), (pa.types.is_binary, "bytes"), (pa.types.is_large_binary, "bytes"),
    (pa.types.is_fixed_size_binary, "bytes"), (pa.types.is_timestamp, "timestamp"), (pa.types.is_date, "date"),
    (pa.types.is_time, "time"), (pa.types.is_duration, "duration"), (pa.types.is_map, "map"),
    (pa.types.is_list, "list"), (pa.types.is_large_list, "list"), (pa.types.is_fixed_size_list, "list"),
    (pa.types.is_struct, "struct"),
]


def _one_kind(inferred: Any, declared: Any) -> bool:
    """Whether a safe cast from the inferred type to the declared one only changes a width, a unit or a zone, at
    every level; an inferred null (all values None) casts to anything."""
    kind = _kind(inferred)
    if kind == "null":
        return True
    if kind != _kind(declared):
        return False
    if kind == "list":
        return _one_kind(inferred.value_type, declared.value_type)
    if kind == "map":
        return _one_kind(inferred.key_type, declared.key_type) and _one_kind(inferred.item_type, declared.item_type)
    if kind == "struct":
        names = [inferred.field(i).name for i in range(inferred.num_fields)]
        return all(declared.get_field_index(n) >= 0 and _one_kind(inferred.field(n).type, declared.field(n).type)
                   for n in names)
    return True


def _same(went: Any, came: Any) -> bool:
    if isinstance(went, bool) != isinstance(came, bool):
        return False  # 1 == True in Python, but an int is no bool
    if went == came or went is came:
        return True
    if isinstance(went, float) and isinstance(came, float):
        return went != went and came != came  # NaN
    if isinstance(went, dict) and isinstance(came, list):  # a map's value comes back as (key, value) pairs
        return len(went) == len(came) and all(_same(a, b) for a, b in zip(went.items(), came))
    if isinstance(went, dict) and isinstance(came, dict):  # a struct: missing fields come back null
        return all(_same(went.get(k), v) for k, v in came.items()) and set(went) <= set(came)
    if isinstance(went, (list, tuple)) and isinstance(came, (list, tuple)):
        return len(went) == len(came) and all(_same(a, b) for a, b in zip(went, came))
    return False


def _on_row(row: int, rows: bool) -> str:
    return " on row %d" % row if rows else ""


def to_value(value: Any, declared: Any, where: str) -> Any:
    """One value as a one-element array of the declared type, without loss (the rules of :func:`_to_array`)."""
    return _to_array([value], declared, where, rows=False)


def _misfit(values: List[Any], declared: Any, where: str, error: Exception, rows: bool) -> str:
    """Names the first value that does not convert on its own, or says that the values do not convert together."""
    for row, value in enumerate(values):
        try:
            pa.array([value], type=declared)
        except _ARROW_ERRORS as e:
            return ("%s returned %s (a %s)%s, which does not convert to its declared result type %s: %s" % (
                where, _show.repr(value), type(value).__name__, _on_row(row, rows), declared, e))
    return "%s returned values that do not convert together to its declared result type %s: %s" % (
        where, declared, error)


HANDLER = ScalarHandler("SQL_ARROW_BATCHED_UDF", _to_values, _to_array, call=_call_rows)
