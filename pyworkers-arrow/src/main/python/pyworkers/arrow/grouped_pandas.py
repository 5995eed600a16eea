"""SQL_GROUPED_MAP_PANDAS_UDF (201, applyInPandas): a function over each group whole as a ``pandas.DataFrame``.

The command, the framing and the column matching are those of SQL_GROUPED_MAP_ARROW_UDF
(:mod:`pyworkers.arrow.grouped`). The function gets ``Table.to_pandas()`` (and, with the key argument, a tuple of
the key columns' Python values of the group's first row, ``None`` for null) and returns a ``pandas.DataFrame``;
each declared column comes back with ``pyarrow.Array.from_pandas(column, type=declared, safe=True)``, so pandas'
coercions (docs/protocol.md section 7.3) are cast back when that loses nothing and fail otherwise. A DataFrame
with no columns and no rows is an empty result, as in Spark.
"""
from typing import Any

from pyworkers.evaltypes import MissingDependency

from .grouped import GroupedMapHandler, match_columns
from .scalar import ArrowResultError, pa

try:
    import pandas as pd
except ImportError as e:  # only this task fails, with the hint (docs/spi.md, step 5)
    raise MissingDependency("pandas", "pip install pandas (pyworkers-arrow's pandas UDFs need it in the workers' "
                                      "Python)") from e

__all__ = ["HANDLER"]


def _to_frame(table: Any) -> Any:
    return table.to_pandas()


def _python_key(table: Any, keys: tuple) -> tuple:
    return tuple(table.column(c)[0].as_py() for c in keys)


def _pandas_result(result: Any, schema: Any, by_name: bool, where: str) -> Any:
    if not isinstance(result, pd.DataFrame):
        raise ArrowResultError("%s returned a %s; a SQL_GROUPED_MAP_PANDAS_UDF function returns a pandas.DataFrame "
                               "with columns %s" % (where, type(result).__name__, schema.names))
    if len(result.columns) == 0 and len(result) == 0:
        return schema.empty_table()
    names = [str(c) for c in result.columns]
    columns = match_columns(names, schema, by_name, where, "pandas.DataFrame")
    arrays = []
    unique = len(set(names)) == len(names)
    for field, i in zip(schema, columns):
        # by label is about twice as fast as iloc per column; iloc only for duplicate labels (by position)
        column = result[result.columns[i]] if unique else result.iloc[:, i]
        try:
            array = pa.Array.from_pandas(column, type=field.type, safe=True)
        except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError, TypeError, ValueError) as e:
            raise ArrowResultError("%s returned column %r of dtype %s, which does not convert to the declared type "
                                   "%s of %r without loss: %s" % (where, names[i], column.dtype, field.type,
                                                                  field.name, e)) from e
        arrays.append(array)
    return pa.Table.from_arrays(arrays, schema=schema)


HANDLER = GroupedMapHandler("SQL_GROUPED_MAP_PANDAS_UDF", _to_frame, _python_key, _pandas_result)
