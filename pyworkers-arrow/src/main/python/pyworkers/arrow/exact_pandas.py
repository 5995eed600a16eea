"""The conversion of Arrow data to pandas that every pandas handler uses: pyarrow's ``to_pandas()``, except where
that would change a value. pyarrow turns an integer column with nulls into float64 (NaN for null), as Spark does,
which is exact only up to 2**53: a larger int64 or uint64 would arrive rounded. Such a column (with a null and a
value beyond 2**53 in magnitude) arrives as ``object`` instead, Python ints and ``None``, which convert back
exactly. The rest is pyarrow's (docs/protocol.md section 7.3).

The session time zone (docs/protocol.md section 7.3.1) is here too, in one place for every pandas eval type. A
pandas handler is wrapped in :class:`SessionZoned`, which reads ``spark.sql.session.timeZone`` from the runner's
conf when its task starts (an unknown zone fails the task there) and runs the task's body with that zone set. While
it is set, :func:`column_to_pandas` and :func:`table_to_pandas` give a timestamp column with a zone as naive
``datetime64[unit]``, wall-clock time of the session zone, as Spark does; and :func:`zoned_result`, called before each
``pyarrow.Array.from_pandas`` of a result, takes a naive result for a declared zoned timestamp as wall-clock time of
the session zone. Where Spark's ``tz_localize(ambiguous=False)`` silently picks one of the two instants of a
fall-back hour (and fails on a spring-forward time that does not exist with pandas' bare message), this fails naming
the UDF, the batch or group, the value and the zone.
Timestamps nested in lists, structs and maps are converted the same way, value by value. Unset, nothing changes: a
zoned column arrives as ``datetime64[unit, zone]`` and a naive result is taken as UTC, as pyarrow does.
"""
import contextvars
import datetime
import re
from dataclasses import dataclass
from typing import Any, Callable, List, Mapping, Optional

import pyarrow.compute as pc

from pyworkers.evaltypes import MissingDependency

from .scalar import ArrowResultError, pa

try:
    import numpy as np
    import pandas as pd
except ImportError as e:  # only this task fails, with the hint (docs/spi.md, step 5)
    raise MissingDependency("pandas", "pip install pandas (pyworkers-arrow's pandas UDFs need it in the workers' "
                                      "Python)") from e

try:
    import zoneinfo
except ImportError:  # Python 3.8: pandas' own zones (pytz)
    zoneinfo = None  # type: ignore[assignment]

__all__ = ["EXACT_FLOAT_INT", "SESSION_TIME_ZONE", "SessionZone", "SessionZoned", "session_zone", "current_zone",
           "needs_objects", "nested_zone", "column_to_pandas", "table_to_pandas", "object_columns", "zoned_result",
           "python_value"]

#: The runner conf key of the session time zone, as Spark's Python worker reads it.
SESSION_TIME_ZONE = "spark.sql.session.timeZone"

#: The largest integer magnitude float64 holds exactly.
EXACT_FLOAT_INT = 2 ** 53


def needs_objects(column: Any) -> bool:
    """True for an integer column (Array or ChunkedArray) with a null and a value float64 cannot hold exactly, and
    for a list, struct or map column with such integers anywhere inside: pyarrow converts a nested child as it would
    a column (an int child with a null becomes float64), so the whole column then converts to objects."""
    t = column.type
    if pa.types.is_integer(t):
        if t.bit_width < 64 or column.null_count == 0:
            return False
        bounds = pc.min_max(column)
        low, high = bounds["min"].as_py(), bounds["max"].as_py()
        return low is not None and (high > EXACT_FLOAT_INT or low < -EXACT_FLOAT_INT)
    if not _holds_int64(t):
        return False
    if not isinstance(column, pa.ChunkedArray):
        return any(needs_objects(child) for child in _children(column))
    if column.num_chunks == 0:
        return False
    # the column converts as a whole: a null in one chunk and a big value in another count together
    per_chunk = [_children(chunk) for chunk in column.chunks]
    return any(needs_objects(pa.chunked_array([children[k] for children in per_chunk], per_chunk[0][k].type))
               for k in range(len(per_chunk[0])))


def _holds_int64(t: Any) -> bool:
    """Whether a nested type has a 64-bit integer anywhere inside (the cheap test before any data is looked at)."""
    if pa.types.is_list(t) or pa.types.is_large_list(t) or pa.types.is_fixed_size_list(t):
        return _is_int64(t.value_type) or _holds_int64(t.value_type)
    if pa.types.is_map(t):
        return any(_is_int64(c) or _holds_int64(c) for c in (t.key_type, t.item_type))
    if pa.types.is_struct(t):
        return any(_is_int64(t.field(i).type) or _holds_int64(t.field(i).type) for i in range(t.num_fields))
    return False


def _is_int64(t: Any) -> bool:
    return pa.types.is_integer(t) and t.bit_width == 64


def _children(array: Any) -> List[Any]:
    """The child arrays of a list, map or struct array (whole children: enough to find a value, never fewer)."""
    t = array.type
    if pa.types.is_map(t):
        return [array.keys, array.items]
    if pa.types.is_list(t) or pa.types.is_large_list(t) or pa.types.is_fixed_size_list(t):
        return [array.values]
    return [array.field(i) for i in range(t.num_fields)]


def column_to_pandas(column: Any) -> Any:
    """A ``pyarrow.Array`` or ``ChunkedArray`` as pandas, exactly, a zoned timestamp in the session zone (module
    docstring)."""
    if needs_objects(column):
        return column.to_pandas(integer_object_nulls=True)
    series = column.to_pandas()
    zone = _current.get()
    if zone is not None and _zoned(column.type):
        return _wall_clock(series, zone)
    if zone is not None and nested_zone(column.type):
        return _nested_wall_clock(series, column.type, zone)
    return series


def object_columns(table: Any) -> List[int]:
    """The columns of a Table or RecordBatch that :func:`table_to_pandas` converts to ``object``."""
    return [i for i in range(table.num_columns) if needs_objects(table.column(i))]


def table_to_pandas(table: Any) -> Any:
    """A ``pyarrow.Table`` or ``RecordBatch`` as a ``pandas.DataFrame``, exactly (module docstring)."""
    frame = table.to_pandas()
    for i in object_columns(table):
        frame.isetitem(i, table.column(i).to_pandas(integer_object_nulls=True))
    zone = _current.get()
    if zone is not None:
        for i, field in enumerate(table.schema):
            if _zoned(field.type):
                frame.isetitem(i, _wall_clock(frame.iloc[:, i], zone))
            elif nested_zone(field.type):
                frame.isetitem(i, _nested_wall_clock(frame.iloc[:, i], field.type, zone))
    return frame


@dataclass(frozen=True)
class SessionZone:
    """A session time zone: ``name`` as the conf gives it, ``tz`` the ``tzinfo`` pandas converts with."""

    name: str
    tz: Any


#: The session zone of the task whose body runs now (set by :class:`SessionZoned`), None for none.
_current: "contextvars.ContextVar[Optional[SessionZone]]" = contextvars.ContextVar("pyworkers_session_zone",
                                                                                   default=None)

# Java's zone offsets, as Spark accepts them: +h, +hh, +hh:mm, +hhmm, +hh:mm:ss, +hhmmss, optionally after UTC, GMT
# or UT; and Z
_OFFSET = re.compile(r"(?:UTC|GMT|UT)?([+-])(\d{1,2})(?::?(\d{2}))?(?::?(\d{2}))?")


def _offset(name: str) -> Optional[datetime.tzinfo]:
    if name == "Z":
        return datetime.timezone.utc
    match = _OFFSET.fullmatch(name)
    if match is None:
        return None
    sign, hours, minutes, seconds = match.groups()
    delta = datetime.timedelta(hours=int(hours), minutes=int(minutes or 0), seconds=int(seconds or 0))
    if delta > datetime.timedelta(hours=18) or int(minutes or 0) > 59 or int(seconds or 0) > 59:
        return None
    return datetime.timezone(-delta if sign == "-" else delta)


def _region(name: str) -> Any:
    """The zone of an IANA region name, the one pandas will convert with; raises what the zone database raises."""
    tz = zoneinfo.ZoneInfo(name) if zoneinfo is not None else name
    return pd.DatetimeTZDtype(tz=tz).tz


def session_zone(conf: Mapping[str, str]) -> Optional[SessionZone]:
    """The session time zone the runner's conf sets (key :data:`SESSION_TIME_ZONE`), None when it sets none; a
    value that names no zone raises ``ValueError`` naming the key and the value."""
    name = conf.get(SESSION_TIME_ZONE)
    if name is None:
        return None
    tz = _offset(name)
    if tz is None:
        try:
            tz = _region(name)
        except Exception as e:  # zoneinfo, pytz and pandas each raise their own kind for an unknown name
            raise ValueError(
                "the runner conf %s = %r names no time zone (%s: %s); use a region of the IANA time zone database "
                "such as 'America/Los_Angeles' or 'UTC', or an offset such as '+08:00' (a worker's Python without "
                "a zone database needs pip install tzdata)" % (SESSION_TIME_ZONE, name, type(e).__name__, e)) from e
    return SessionZone(name, tz)


def current_zone() -> Optional[SessionZone]:
    """The session time zone of the task running now, None for none."""
    return _current.get()


class SessionZoned:
    """A pandas handler that runs each task's body in the task's session time zone: reads it from ``task.conf``
    when the task starts (an unknown zone fails the task before any data is read) and sets it for the conversions
    of this module while the body runs. Otherwise the wrapped handler's (its ``name``, ``read_command``, ...)."""

    def __init__(self, handler: Any) -> None:
        self._handler = handler

    def __getattr__(self, name: str) -> Any:
        return getattr(self._handler, name)

    def load(self, command: Any, task: Any) -> Callable[[], None]:
        zone = session_zone(task.conf)
        body = self._handler.load(command, task)

        def zoned() -> None:
            token = _current.set(zone)
            try:
                body()
            finally:
                _current.reset(token)

        return zoned


def _zoned(t: Any) -> bool:
    return pa.types.is_timestamp(t) and t.tz is not None


def _wall_clock(series: Any, zone: SessionZone) -> Any:
    """A tz-aware datetime64 Series as naive wall-clock time of ``zone``, its unit and nulls kept."""
    return series.dt.tz_convert(zone.tz).dt.tz_localize(None)


def python_value(scalar: Any) -> Any:
    """A ``pyarrow.Scalar`` as Python (``as_py()``); a zoned timestamp in the session zone as a naive
    ``datetime.datetime`` of its wall-clock time, as its column reaches the function."""
    value = scalar.as_py()
    zone = _current.get()
    if zone is not None and value is not None and _zoned(scalar.type) and isinstance(value, datetime.datetime):
        return value.astimezone(zone.tz).replace(tzinfo=None)
    return value


def _naive_objects(values: Any) -> bool:
    return any(isinstance(v, datetime.datetime) and v.tzinfo is None or isinstance(v, np.datetime64)
               for v in values)


def zoned_result(values: Any, declared: Any, where: str) -> Any:
    """``values`` (a result on its way to ``pyarrow.Array.from_pandas(values, type=declared)``) with naive timestamps
    for a declared zoned timestamp taken as wall-clock time of the session zone, tz-aware; anything else unchanged.
    A wall-clock time that is ambiguous (a fall-back hour) or does not exist (a spring-forward gap) in the session
    zone raises :class:`ArrowResultError` naming ``where``, the value, its row and the zone."""
    zone = _current.get()
    if zone is None:
        return values
    if not _zoned(declared):
        return _nested_result(values, declared, zone, where) if nested_zone(declared) else values
    dtype = getattr(values, "dtype", None)
    if dtype is None or dtype == object:
        if isinstance(values, (pd.DataFrame, pa.Array, pa.ChunkedArray, str, bytes)) or not hasattr(values, "__len__"):
            return values  # the handler's own checks name what is wrong with it
        series = pd.Series(values, dtype=object)
        if not _naive_objects(series):
            return values
        series = pd.Series(list(series))  # infers one dtype: datetime64 when all are naive
        if not (series.dtype.kind == "M" and getattr(series.dtype, "tz", None) is None):
            raise ArrowResultError(
                "%s returned naive and tz-aware datetimes mixed for its declared type %s: a naive one would be "
                "wall-clock time of the session time zone %s (%s), an aware one its instant; return tz-aware "
                "values only" % (where, declared, zone.name, SESSION_TIME_ZONE))
    elif dtype.kind == "M" and getattr(dtype, "tz", None) is None:
        series = values if isinstance(values, pd.Series) else pd.Series(values)
    else:
        return values
    try:
        return series.dt.tz_localize(zone.tz, ambiguous="raise", nonexistent="raise")
    except Exception as e:  # pandas raises pytz's or its own errors, by version
        raise _localize_error(series, zone, declared, where, e) from e


def _localize_error(series: Any, zone: SessionZone, declared: Any, where: str, error: Exception) -> ArrowResultError:
    tail = ("; return tz-aware values (Series.dt.tz_localize(zone, ambiguous=..., nonexistent=...), or "
            "tz_convert) to say which instant is meant")
    lost = series.notna().to_numpy() & series.dt.tz_localize(zone.tz, ambiguous="NaT",
                                                             nonexistent="NaT").isna().to_numpy()
    rows = np.flatnonzero(lost)
    if not len(rows):
        return ArrowResultError("%s returned naive timestamps for its declared type %s that do not localize in the "
                                "session time zone %s (%s): %s%s" % (where, declared, zone.name, SESSION_TIME_ZONE,
                                                                      error, tail))
    row = int(rows[0])
    one = series.iloc[row:row + 1]
    value = one.iloc[0]
    early = one.dt.tz_localize(zone.tz, ambiguous=np.array([True]), nonexistent="NaT").iloc[0]
    if early is pd.NaT:
        what = "does not exist there (a spring-forward gap: clocks skip it)"
    else:
        late = one.dt.tz_localize(zone.tz, ambiguous=np.array([False])).iloc[0]
        what = "is ambiguous there (a fall-back hour: it is both %s and %s)" % (early.isoformat(), late.isoformat())
    at = "" if len(series) == 1 else " (row %d of %d; %d values fail so)" % (row, len(series), len(rows))
    return ArrowResultError(
        "%s returned the naive timestamp %s%s for its declared type %s; a naive result is wall-clock time of the "
        "session time zone %s (%s), and this one %s%s" % (
            where, value, at, declared, zone.name, SESSION_TIME_ZONE, what, tail))


# Timestamps nested in lists, structs and maps (docs/protocol.md section 7.3.1). pyarrow gives a list's items as a
# numpy array (a zoned timestamp child as naive datetime64 of UTC) and a struct's or map's values as Python objects
# (a zoned timestamp as an aware datetime or Timestamp); the walks below follow the declared Arrow type into those
# objects, value by value, so they cost Python time per nested value, but only for such columns and only with a
# session zone.


def _child_types(t: Any) -> List[Any]:
    if pa.types.is_map(t):
        return [t.key_type, t.item_type]
    if pa.types.is_list(t) or pa.types.is_large_list(t) or pa.types.is_fixed_size_list(t):
        return [t.value_type]
    if pa.types.is_struct(t):
        return [t.field(i).type for i in range(t.num_fields)]
    return []


def nested_zone(t: Any) -> bool:
    """Whether a list, struct or map type has a timestamp with a zone anywhere inside."""
    return any(_zoned(c) or nested_zone(c) for c in _child_types(t))


def _nested_wall_clock(series: Any, t: Any, zone: SessionZone) -> Any:
    walked = [_wall(v, t, zone) for v in series]
    return pd.Series(walked, index=series.index, name=series.name, dtype=object)


def _wall(v: Any, t: Any, zone: SessionZone) -> Any:
    """A nested value as it reaches the function: each zoned timestamp inside as naive wall-clock time of ``zone``."""
    if v is None or v is pd.NaT:
        return v
    if _zoned(t):
        if isinstance(v, np.datetime64) and np.isnat(v):
            return v
        if isinstance(v, (np.datetime64, int, np.integer)):  # pyarrow gives a struct's ns timestamps as ints
            stamp = pd.Timestamp(v) if isinstance(v, np.datetime64) else pd.Timestamp(int(v), unit=t.unit)
            return stamp.tz_localize("UTC").tz_convert(zone.tz).tz_localize(None)
        return v.astimezone(zone.tz).replace(tzinfo=None)
    if pa.types.is_map(t):
        return [(_wall(k, t.key_type, zone), _wall(x, t.item_type, zone)) for k, x in v]
    if pa.types.is_struct(t):
        return {k: _wall(x, t.field(k).type, zone) if t.get_field_index(k) >= 0 else x for k, x in v.items()}
    if _child_types(t):  # a list kind
        child = t.value_type
        if _zoned(child) and isinstance(v, np.ndarray) and v.dtype.kind == "M":
            return pd.DatetimeIndex(v).tz_localize("UTC").tz_convert(zone.tz).tz_localize(None).to_numpy()
        out = np.empty(len(v), dtype=object)
        out[:] = [_wall(x, child, zone) for x in v]
        return out
    return v


def _nested_result(values: Any, declared: Any, zone: SessionZone, where: object) -> Any:
    """A result for a declared list, struct or map type with zoned timestamps inside: each naive one taken as
    wall-clock time of ``zone`` (as a top-level column's is), an aware one as its instant."""
    if isinstance(values, (pd.DataFrame, pa.Array, pa.ChunkedArray, str, bytes)) or not hasattr(values, "__len__"):
        return values  # the handler's own checks name what is wrong with it
    series = values if isinstance(values, pd.Series) else pd.Series(list(values), dtype=object)
    walked = []
    for row, v in enumerate(series):
        walked.append(_aware(v, declared, zone, where, row, len(series)))
    return pd.Series(walked, index=series.index, name=series.name, dtype=object)


def _naive(v: Any) -> bool:
    return isinstance(v, np.datetime64) or isinstance(v, datetime.datetime) and v.tzinfo is None


def _aware(v: Any, t: Any, zone: SessionZone, where: object, row: int, rows: int) -> Any:
    if v is None or v is pd.NaT or isinstance(v, float) and v != v:
        return v
    if _zoned(t):
        if not _naive(v):
            return v
        stamp = pd.Timestamp(v)
        if stamp is pd.NaT:
            return None
        try:
            return stamp.tz_localize(zone.tz, ambiguous="raise", nonexistent="raise")
        except Exception as e:  # pandas raises pytz's or its own errors, by version
            raise _nested_localize_error(stamp, zone, t, where, row, rows) from e
    if pa.types.is_map(t):
        pairs = v.items() if isinstance(v, dict) else v
        return [(_aware(k, t.key_type, zone, where, row, rows), _aware(x, t.item_type, zone, where, row, rows))
                for k, x in pairs]
    if pa.types.is_struct(t):
        if not isinstance(v, dict):
            return v  # pyarrow names what is wrong with it
        return {k: _aware(x, t.field(k).type, zone, where, row, rows) if t.get_field_index(k) >= 0 else x
                for k, x in v.items()}
    if _child_types(t) and isinstance(v, (list, tuple, np.ndarray)):
        return [_aware(x, t.value_type, zone, where, row, rows) for x in v]
    return v


def _nested_localize_error(stamp: Any, zone: SessionZone, t: Any, where: object, row: int,
                           rows: int) -> ArrowResultError:
    early = pd.Series([stamp]).dt.tz_localize(zone.tz, ambiguous=np.array([True]), nonexistent="NaT").iloc[0]
    if early is pd.NaT:
        what = "does not exist there (a spring-forward gap: clocks skip it)"
    else:
        late = pd.Series([stamp]).dt.tz_localize(zone.tz, ambiguous=np.array([False])).iloc[0]
        what = "is ambiguous there (a fall-back hour: it is both %s and %s)" % (early.isoformat(), late.isoformat())
    at = "" if rows == 1 else " in row %d of %d" % (row, rows)
    return ArrowResultError(
        "%s returned the naive timestamp %s inside a value%s for its declared type %s; a naive result is wall-clock "
        "time of the session time zone %s (%s), and this one %s; return tz-aware values to say which instant is "
        "meant" % (where, stamp, at, t, zone.name, SESSION_TIME_ZONE, what))
