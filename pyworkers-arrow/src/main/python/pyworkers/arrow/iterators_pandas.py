"""The pandas iterator eval types (``docs/protocol.md`` section 7.4), on :mod:`pyworkers.arrow.iterators`:

* SQL_MAP_PANDAS_ITER_UDF (205, mapInPandas): ``Iterator[pandas.DataFrame] -> Iterator[pandas.DataFrame]``. Each
  result frame's columns are matched to the declared schema **by name**; a missing or an extra column is an error
  (pyworkers does not drop extra columns as Spark's ``truncate_return_schema`` does: a misspelt name would be lost
  silently). A frame with no columns and no rows stands for an empty batch. Each column is converted with
  ``pyarrow.Array.from_pandas(column, type=declared, safe=True)``: the coercions of section 7.3 are cast back when
  that loses nothing, and fail otherwise.
* SQL_SCALAR_PANDAS_ITER_UDF (204): ``Iterator[pandas.Series]`` (a tuple of Series for several argument columns)
  ``-> Iterator[pandas.Series]``, checked as SQL_SCALAR_ARROW_ITER_UDF, converted as SQL_SCALAR_PANDAS_UDF.

Both convert timestamps in the session time zone when the runner sets one (docs/protocol.md section 7.3.1).
"""
from typing import Any

from pyworkers.evaltypes import MissingDependency

from .exact_pandas import SessionZoned, table_to_pandas, zoned_result
from .iterators import MapHandler, ScalarIterHandler, _fields
from .scalar import ArrowResultError, pa
from .scalar_pandas import _pandas_result, _to_series

try:
    import pandas as pd
except ImportError as e:  # only this task fails, with the hint (docs/spi.md, step 5)
    raise MissingDependency("pandas", "pip install pandas (pyworkers-arrow's pandas UDFs need it in the workers' "
                                      "Python)") from e

__all__ = ["MAP_PANDAS", "SCALAR_PANDAS_ITER"]


def _pandas_batch(frame: Any, schema: Any, where: str) -> Any:
    if not isinstance(frame, pd.DataFrame):
        raise ArrowResultError("%s yielded a %s; a SQL_MAP_PANDAS_ITER_UDF function yields pandas.DataFrame objects "
                               "with the declared columns (%s)" % (where, type(frame).__name__, _fields(schema)))
    if len(frame.columns) == 0 and len(frame) == 0:
        return pa.RecordBatch.from_pylist([], schema=schema)
    labels = list(frame.columns)
    missing = [n for n in schema.names if n not in labels]
    extra = [str(c) for c in labels if c not in schema.names]
    if missing or extra or len(set(labels)) != len(labels):
        raise ArrowResultError("%s yielded a DataFrame with columns %s, but the declared result schema is (%s): "
                               "missing %s, unexpected %s; columns are matched by name, each exactly once" % (
                                   where, [str(c) for c in labels], _fields(schema), missing, extra))
    arrays = []
    for field in schema:
        column = frame[field.name]
        values = zoned_result(column, field.type, "%s, column %r," % (where, field.name))
        try:
            array = pa.Array.from_pandas(values, type=field.type, safe=True)
        except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError, TypeError, ValueError) as e:
            raise ArrowResultError("%s yielded column %r of dtype %s, which does not convert to its declared type %s "
                                   "without loss: %s" % (where, field.name, column.dtype, field.type, e)) from e
        arrays.append(array.combine_chunks() if isinstance(array, pa.ChunkedArray) else array)
    return pa.RecordBatch.from_arrays(arrays, schema=schema)


def _to_frame(batch: Any) -> Any:
    return table_to_pandas(batch)


MAP_PANDAS = SessionZoned(MapHandler("SQL_MAP_PANDAS_ITER_UDF", _to_frame, _pandas_batch, "pandas.DataFrame"))
SCALAR_PANDAS_ITER = SessionZoned(ScalarIterHandler("SQL_SCALAR_PANDAS_ITER_UDF", _to_series, _pandas_result,
                                                   "pandas.Series"))
