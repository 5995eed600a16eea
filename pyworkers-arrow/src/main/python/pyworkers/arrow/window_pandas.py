"""SQL_WINDOW_AGG_PANDAS_UDF (203): window aggregate UDFs that take ``pandas.Series`` and return one scalar per frame.

Command, framing, frames and answer are those of SQL_WINDOW_AGG_ARROW_UDF (:mod:`pyworkers.arrow.window`). Each
argument column is the partition's ``ChunkedArray.to_pandas()``, made once per partition; a bounded frame gets
its rows ``[lower, upper)`` of that Series as a view (positional, the index of the partition kept, as
``Series.iloc[lower:upper]`` gives; no copy). The values of a partition's rows (Python or numpy scalars; NaN or
None for null) come back together with ``pyarrow.Array.from_pandas(pandas.Series(values), type=declared,
safe=True)``: a float result declared int64 is cast back when integral and fails otherwise (docs/protocol.md 7.3).
Timestamps convert in the session time zone when the runner sets one (section 7.3.1).
"""
from typing import Any, Callable, List

from pyworkers.evaltypes import MissingDependency

from .exact_pandas import SessionZoned, column_to_pandas, zoned_result
from .scalar import ArrowResultError, pa
from .window import WindowHandler

try:
    import pandas as pd
except ImportError as e:  # only this task fails, with the hint (docs/spi.md, step 5)
    raise MissingDependency("pandas", "pip install pandas (pyworkers-arrow's pandas UDFs need it in the workers' "
                                      "Python)") from e

import numpy as np  # noqa: E402  (pandas needs it)

__all__ = ["HANDLER", "series_slicer"]

_NON_SCALAR = (pd.Series, pd.DataFrame, pd.Index, np.ndarray, pa.Array, pa.ChunkedArray, pa.Table, pa.RecordBatch)
_CONTAINERS = (list, tuple, dict, set)
_ERRORS = (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError, TypeError, ValueError, OverflowError)


def _iloc(series: Any, lower: int, upper: int) -> Any:
    return series.iloc[lower:upper]


def series_slicer() -> Callable[[Any, int, int], Any]:
    """The fastest way to a positional view of a Series that gives what ``iloc[lower:upper]`` gives: pandas'
    ``Series._slice`` (about half the cost of ``iloc`` per call), when this pandas has it and it does, else
    ``iloc``. Checked once, at import."""
    method = getattr(pd.Series, "_slice", None)
    if method is None:
        return _iloc
    probe = pd.Series([1.0, None, 3.0, 4.0], index=[10, 11, 12, 13])
    try:
        ok = all(method(probe, slice(lo, hi)).equals(probe.iloc[lo:hi])
                 and list(method(probe, slice(lo, hi)).index) == list(probe.index[lo:hi])
                 for lo, hi in ((0, 4), (1, 3), (2, 2), (3, 4)))
    except Exception:  # a pandas whose private method differs: the public way
        ok = False
    if not ok:
        return _iloc

    def fast(series: Any, lower: int, upper: int) -> Any:
        return method(series, slice(lower, upper))

    return fast


def _nested(declared: Any) -> bool:
    return (pa.types.is_list(declared) or pa.types.is_large_list(declared) or pa.types.is_fixed_size_list(declared)
            or pa.types.is_struct(declared) or pa.types.is_map(declared))


def _one(value: Any, declared: Any, where: str) -> Any:
    try:
        array = pa.Array.from_pandas(zoned_result(pd.Series([value]), declared, where), type=declared, safe=True)
    except _ERRORS as e:
        raise ArrowResultError("%s returned %s (a %s), which does not convert to its declared result type %s "
                               "without loss: %s" % (where, value, type(value).__name__, declared, e)) from e
    return array.combine_chunks() if isinstance(array, pa.ChunkedArray) else array


def _big_ints(values: List[Any]) -> bool:
    return any(isinstance(r, (int, np.integer)) and not isinstance(r, bool) and abs(int(r)) > 2 ** 53
               for r in values)


def _pandas_values(values: List[Any], declared: Any, where_row: Callable[[int], str]) -> Any:
    containers_ok = _nested(declared)
    for i, r in enumerate(values):
        if isinstance(r, _NON_SCALAR) and not (isinstance(r, np.ndarray) and r.ndim == 0) or (
                isinstance(r, _CONTAINERS) and not containers_ok):
            raise ArrowResultError("%s returned a %s; a SQL_WINDOW_AGG_PANDAS_UDF function returns one scalar of "
                                   "type %s per frame" % (where_row(i), type(r).__name__, declared))
    series = pd.Series(values)
    if not (series.dtype.kind == "f" and pa.types.is_integer(declared) and _big_ints(values)):
        try:
            array = pa.Array.from_pandas(zoned_result(series, declared, "the frames"), type=declared, safe=True)
            return array.combine_chunks() if isinstance(array, pa.ChunkedArray) else array
        except (ArrowResultError,) + _ERRORS:
            pass
    # the values do not convert together (pandas inferred one dtype for all of them, or ints with None became
    # float64, which would round ints beyond 2**53): each on its own, as 202 does, which also names the row of a
    # value that does not convert at all
    return pa.concat_arrays([_one(r, declared, where_row(i)) for i, r in enumerate(values)])


HANDLER = SessionZoned(WindowHandler("SQL_WINDOW_AGG_PANDAS_UDF", column_to_pandas, series_slicer(), _pandas_values))
