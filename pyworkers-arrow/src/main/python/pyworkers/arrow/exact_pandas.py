"""The conversion of Arrow data to pandas that every pandas handler uses: pyarrow's ``to_pandas()``, except where
that would change a value. pyarrow turns an integer column with nulls into float64 (NaN for null), as Spark does,
which is exact only up to 2**53: a larger int64 or uint64 would arrive rounded. Such a column (with a null and a
value beyond 2**53 in magnitude) arrives as ``object`` instead, Python ints and ``None``, which convert back
exactly. The rest is pyarrow's (docs/protocol.md section 7.3).
"""
from typing import Any, List

import pyarrow.compute as pc

from .scalar import pa

__all__ = ["EXACT_FLOAT_INT", "needs_objects", "column_to_pandas", "table_to_pandas", "object_columns"]

#: The largest integer magnitude float64 holds exactly.
EXACT_FLOAT_INT = 2 ** 53


def needs_objects(column: Any) -> bool:
    """True for an integer column (Array or ChunkedArray) with a null and a value float64 cannot hold exactly."""
    if not pa.types.is_integer(column.type) or column.type.bit_width < 64 or column.null_count == 0:
        return False
    bounds = pc.min_max(column)
    low, high = bounds["min"].as_py(), bounds["max"].as_py()
    return low is not None and (high > EXACT_FLOAT_INT or low < -EXACT_FLOAT_INT)


def column_to_pandas(column: Any) -> Any:
    """A ``pyarrow.Array`` or ``ChunkedArray`` as pandas, exactly (module docstring)."""
    if needs_objects(column):
        return column.to_pandas(integer_object_nulls=True)
    return column.to_pandas()


def object_columns(table: Any) -> List[int]:
    """The columns of a Table or RecordBatch that :func:`table_to_pandas` converts to ``object``."""
    return [i for i in range(table.num_columns) if needs_objects(table.column(i))]


def table_to_pandas(table: Any) -> Any:
    """A ``pyarrow.Table`` or ``RecordBatch`` as a ``pandas.DataFrame``, exactly (module docstring)."""
    frame = table.to_pandas()
    for i in object_columns(table):
        frame.isetitem(i, table.column(i).to_pandas(integer_object_nulls=True))
    return frame
