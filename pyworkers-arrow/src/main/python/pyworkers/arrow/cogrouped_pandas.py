"""SQL_COGROUPED_MAP_PANDAS_UDF (206, cogroup(...).applyInPandas): a function over each cogroup whole, its two sides
as ``pandas.DataFrame``s.

The command and the framing are those of SQL_COGROUPED_MAP_ARROW_UDF (:mod:`pyworkers.arrow.cogrouped`). The
function gets ``Table.to_pandas()`` of each side (an empty side is an empty DataFrame with that side's columns and
dtypes) and, with the key argument, a tuple of the key columns' Python values (``None`` for null), from the left
side's first row or the right side's when the left has none; it returns a ``pandas.DataFrame``, converted as a
grouped map result (:mod:`pyworkers.arrow.grouped_pandas`): matched by name or by position, each declared column
with ``pyarrow.Array.from_pandas(column, type=declared, safe=True)`` (pandas' coercions, docs/protocol.md section
7.3, cast back when that loses nothing, failing otherwise); a DataFrame with no columns and no rows is no row.
Timestamps, the key's too, convert in the session time zone when the runner sets one (section 7.3.1).
"""
from typing import Any

from .cogrouped import CogroupedMapHandler
from .exact_pandas import SessionZoned
from .grouped_pandas import _pandas_result, _python_key, _to_frame, pd
from .scalar import ArrowResultError

__all__ = ["HANDLER"]


def _frame_result(result: Any, schema: Any, by_name: bool, where: str) -> Any:
    """A ``pyarrow.Table`` of the declared schema from a DataFrame (grouped map's checks), else
    :class:`ArrowResultError`."""
    if not isinstance(result, pd.DataFrame):
        raise ArrowResultError("%s returned a %s; a SQL_COGROUPED_MAP_PANDAS_UDF function returns a "
                               "pandas.DataFrame with columns %s" % (where, type(result).__name__, schema.names))
    return _pandas_result(result, schema, by_name, where)


HANDLER = SessionZoned(CogroupedMapHandler("SQL_COGROUPED_MAP_PANDAS_UDF", _to_frame, _python_key, _frame_result))
