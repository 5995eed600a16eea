"""SQL_SCALAR_PANDAS_UDF (200): scalar UDFs that take and return ``pandas.Series`` (``docs/protocol.md`` section 7).

The command, the framing and the checks are those of SQL_SCALAR_ARROW_UDF (:mod:`pyworkers.arrow.scalar`). Each
argument column is ``pyarrow.Array.to_pandas()`` (exact: :mod:`pyworkers.arrow.exact_pandas`); a result (a ``Series``, or anything array-like of the batch's
length) comes back with ``pyarrow.Array.from_pandas(result, type=declared, safe=True)``: the coercions pandas makes
(an int column with nulls arrives as float64 with NaN) are cast back when that loses nothing, and fail with
:class:`~pyworkers.arrow.scalar.ArrowResultError` otherwise (docs/protocol.md section 7.3 lists them). With a session
time zone (section 7.3.1) zoned timestamps arrive and naive results come back as its wall-clock time.
"""
from typing import Any

from pyworkers.evaltypes import MissingDependency

from .exact_pandas import SessionZoned, column_to_pandas, zoned_result
from .scalar import ArrowResultError, ScalarHandler, pa

try:
    import pandas as pd
except ImportError as e:  # only this task fails, with the hint (docs/spi.md, step 5)
    raise MissingDependency("pandas", "pip install pandas (pyworkers-arrow's pandas UDFs need it in the workers' "
                                      "Python)") from e

__all__ = ["HANDLER"]


def _to_series(column: Any) -> Any:
    return column_to_pandas(column)


def _pandas_result(result: Any, declared: Any, where: str) -> Any:
    if isinstance(result, pd.DataFrame):
        raise ArrowResultError("%s returned a pandas.DataFrame with %d columns; a SQL_SCALAR_PANDAS_UDF function "
                               "returns one pandas.Series of type %s" % (where, len(result.columns), declared))
    if isinstance(result, (pa.Array, pa.ChunkedArray)):
        raise ArrowResultError("%s returned a %s; a SQL_SCALAR_PANDAS_UDF function returns a pandas.Series (use "
                               "SQL_SCALAR_ARROW_UDF for pyarrow arrays)" % (where, type(result).__name__))
    if not hasattr(result, "__len__"):
        raise ArrowResultError("%s returned a %s, which has no length; a SQL_SCALAR_PANDAS_UDF function returns a "
                               "pandas.Series of type %s, one value per row" % (where, type(result).__name__, declared))
    dtype = getattr(result, "dtype", type(result).__name__)
    result = zoned_result(result, declared, where)
    try:
        array = pa.Array.from_pandas(result, type=declared, safe=True)
    except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError, TypeError, ValueError) as e:
        raise ArrowResultError("%s returned values of dtype %s that do not convert to its declared result type %s "
                               "without loss: %s" % (where, dtype, declared, e)) from e
    # a Series backed by a chunked pyarrow array (pandas' "str" dtype) comes back chunked: one array per batch
    return array.combine_chunks() if isinstance(array, pa.ChunkedArray) else array


HANDLER = SessionZoned(ScalarHandler("SQL_SCALAR_PANDAS_UDF", _to_series, _pandas_result))
