"""SQL_GROUPED_AGG_PANDAS_UDF (202): aggregate UDFs that take ``pandas.Series`` of a group and return one scalar.

Command, framing and answer are those of SQL_GROUPED_AGG_ARROW_UDF (:mod:`pyworkers.arrow.grouped_agg`). Each
argument column is ``ChunkedArray.to_pandas()``; the result (a Python or numpy scalar; NaN or None for null) comes
back with ``pyarrow.Array.from_pandas(pandas.Series([result]), type=declared, safe=True)``: a float result declared int64 is
cast back when integral and fails otherwise. Timestamps convert in the session time zone when the runner sets one
(docs/protocol.md section 7.3.1).
"""
from typing import Any

from pyworkers.evaltypes import MissingDependency

from .exact_pandas import SessionZoned, column_to_pandas, zoned_result
from .grouped_agg import GroupedAggHandler
from .scalar import ArrowResultError, pa

try:
    import pandas as pd
except ImportError as e:  # only this task fails, with the hint (docs/spi.md, step 5)
    raise MissingDependency("pandas", "pip install pandas (pyworkers-arrow's pandas UDFs need it in the workers' "
                                      "Python)") from e

__all__ = ["HANDLER"]


def _pandas_value(result: Any, declared: Any, where: str) -> Any:
    if isinstance(result, (pd.Series, pd.DataFrame, pa.Array, pa.ChunkedArray)) or (
            hasattr(result, "__len__") and not isinstance(result, (str, bytes))):
        raise ArrowResultError("%s returned a %s; a SQL_GROUPED_AGG_PANDAS_UDF function returns one scalar of type "
                               "%s per group" % (where, type(result).__name__, declared))
    try:
        # through a Series, as the scalar path converts: pa.array([numpy float]) would truncate 1.5 to an int silently
        array = pa.Array.from_pandas(zoned_result(pd.Series([result]), declared, where), type=declared, safe=True)
        return array.combine_chunks() if isinstance(array, pa.ChunkedArray) else array
    except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError, TypeError, ValueError) as e:
        raise ArrowResultError("%s returned %s (a %s), which does not convert to its declared result type %s "
                               "without loss: %s" % (where, result, type(result).__name__, declared, e)) from e


HANDLER = SessionZoned(GroupedAggHandler("SQL_GROUPED_AGG_PANDAS_UDF", column_to_pandas, _pandas_value))
