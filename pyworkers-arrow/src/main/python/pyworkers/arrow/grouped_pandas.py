"""SQL_GROUPED_MAP_PANDAS_UDF (201, applyInPandas): a function over each group whole as a ``pandas.DataFrame``.

The command, the framing and the column matching are those of SQL_GROUPED_MAP_ARROW_UDF
(:mod:`pyworkers.arrow.grouped`). The function gets ``Table.to_pandas()`` (and, with the key argument, a tuple of
the key columns' Python values of the group's first row, ``None`` for null) and returns a ``pandas.DataFrame``;
each declared column comes back with ``pyarrow.Array.from_pandas(column, type=declared, safe=True)``, so pandas'
coercions (docs/protocol.md section 7.3) are cast back when that loses nothing and fail otherwise. A DataFrame
with no columns and no rows is an empty result, as in Spark. With a session time zone (docs/protocol.md section
7.3.1) zoned timestamps, the key's too, arrive as its wall-clock time, and naive results come back as it.

Groups that arrive back to back are converted together (``group_body``'s ``run_many``): one ``to_pandas()`` for
all of them, each group's DataFrame a row slice of it with its own index ``0..n-1``, and one conversion back per
column for all their results. The function sees exactly what a conversion of its group alone gives: groups are
converted together only when their int and bool columns agree on having nulls (which turn them into float64 and
object) and on needing objects to stay exact (:mod:`pyworkers.arrow.exact_pandas`), never with nested or
dictionary columns, and only under pandas' copy-on-write (pandas 3, or the option set), so that a change to one
group's frame reaches no other. Results are converted together only when a column's arrays share one dtype; a
failure is converted again group by group, so that its error names the group.
"""
from typing import Any, Callable, List, Optional, Tuple

from pyworkers.evaltypes import MissingDependency

from .exact_pandas import SessionZoned, needs_objects, python_value, table_to_pandas, zoned_result
from .grouped import GroupedMapHandler, match_columns
from .scalar import ArrowResultError, pa

try:
    import numpy as np
    import pandas as pd
except ImportError as e:  # only this task fails, with the hint (docs/spi.md, step 5)
    raise MissingDependency("pandas", "pip install pandas (pyworkers-arrow's pandas UDFs need it in the workers' "
                                      "Python)") from e

__all__ = ["HANDLER"]


def _to_frame(table: Any) -> Any:
    return table_to_pandas(table)


def _python_key(table: Any, keys: tuple) -> tuple:
    return tuple(python_value(table.column(c)[0]) for c in keys)


def _pandas_result(result: Any, schema: Any, by_name: bool, where: object) -> Any:
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
        values = zoned_result(column, field.type, "%s, column %r," % (where, names[i]))
        try:
            array = pa.Array.from_pandas(values, type=field.type, safe=True)
        except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError, TypeError, ValueError) as e:
            raise ArrowResultError("%s returned column %r of dtype %s, which does not convert to the declared type "
                                   "%s of %r without loss: %s" % (where, names[i], column.dtype, field.type,
                                                                  field.name, e)) from e
        arrays.append(array)
    return pa.Table.from_arrays(arrays, schema=schema)


_CONVERT_ERRORS = (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError, TypeError, ValueError)


def _copy_on_write() -> bool:
    if int(pd.__version__.split(".")[0]) >= 3:
        return True
    try:
        return pd.get_option("mode.copy_on_write") is True
    except (KeyError, ValueError):  # pandas < 1.5 has no such option
        return False


def _batchable(schema: Any) -> bool:
    return not any(pa.types.is_nested(f.type) or pa.types.is_dictionary(f.type) for f in schema)


def _null_columns(schema: Any) -> List[int]:
    """The columns whose pandas dtype depends on whether they hold a null."""
    return [i for i, f in enumerate(schema) if pa.types.is_integer(f.type) or pa.types.is_boolean(f.type)]


def _signature(table: Any, nullable: List[int]) -> List[Any]:
    """What decides the pandas dtypes of a group's int and bool columns: a null, and a value beyond float64."""
    return [(table.column(i).null_count > 0, needs_objects(table.column(i))) for i in nullable]


def _column_array(frame: Any, i: int) -> Any:
    get = getattr(frame, "_get_column_array", None)  # pandas' own accessor: no Series made per column
    return get(i) if get is not None else frame.iloc[:, i].array


class _Done:
    """One group's checked result: its DataFrame, its columns in declared order (None: the empty result)."""
    __slots__ = ("result", "where", "arrays", "rows")

    def __init__(self, result: Any, where: object, arrays: Optional[List[Any]], rows: int) -> None:
        self.result = result
        self.where = where
        self.arrays = arrays
        self.rows = rows


def _checked(result: Any, schema: Any, by_name: bool, where: object) -> _Done:
    if not isinstance(result, pd.DataFrame):
        _pandas_result(result, schema, by_name, where)  # raises its error
    if len(result.columns) == 0 and len(result) == 0:
        return _Done(result, where, None, 0)
    names = [str(c) for c in result.columns]
    columns = match_columns(names, schema, by_name, where, "pandas.DataFrame")
    return _Done(result, where, [_column_array(result, i) for i in columns], len(result))


def _together(arrays: List[Any], field: Any) -> Any:
    """One Arrow array of ``field``'s type for a column of several groups, or None to convert group by group."""
    first = arrays[0]
    kind, dtype = type(first), first.dtype
    if any(type(a) is not kind or a.dtype != dtype for a in arrays):
        return None  # mixed dtypes: concatenating would coerce (an int64 beyond 2**53 next to a float64)
    if len(arrays) == 1:
        whole = first
    elif kind is np.ndarray:
        whole = np.concatenate(arrays)
    else:
        whole = kind._concat_same_type(arrays)
    # an ArrowResultError of the zone (an ambiguous time) is raised again by the group's own conversion, naming it
    array = pa.Array.from_pandas(zoned_result(whole, field.type, "groups"), type=field.type, safe=True)
    return array.combine_chunks() if isinstance(array, pa.ChunkedArray) else array


def _emit_all(done: List[_Done], schema: Any, by_name: bool, emit: Callable[[Any], None]) -> None:
    with_rows = [d for d in done if d.arrays is not None and d.rows]
    combined = None
    if len(with_rows) > 1:
        try:
            columns = []
            for j, field in enumerate(schema):
                array = _together([d.arrays[j] for d in with_rows], field)
                if array is None:
                    array = pa.concat_arrays([_one(d, schema, by_name).column(j).combine_chunks()
                                              for d in with_rows])
                columns.append(array)
            combined = pa.Table.from_arrays(columns, schema=schema)
        except (ArrowResultError,) + _CONVERT_ERRORS:
            combined = None  # convert again group by group: the error then names its group
    if combined is None:
        for d in done:
            emit(_one(d, schema, by_name))
        return
    offset = 0
    empty = schema.empty_table()
    for d in done:
        if d.arrays is None or not d.rows:
            emit(empty)
            continue
        emit(combined.slice(offset, d.rows))
        offset += d.rows


def _one(d: _Done, schema: Any, by_name: bool) -> Any:
    return _pandas_result(d.result, schema, by_name, d.where)


def _batched(call: Callable[[Any, int, Any], Tuple[Any, str]], schema: Any, by_name: bool,
             run: Callable[[Any, int], Any]) -> Optional[Callable[..., None]]:
    if not _copy_on_write():
        return None

    def together(run_of: List[Tuple[Any, int]], emit: Callable[[Any], None]) -> None:
        tables = [t for t, _ in run_of]
        whole = table_to_pandas(pa.concat_tables(tables) if len(tables) > 1 else tables[0])
        done: List[_Done] = []
        offset = 0
        try:
            for table, group in run_of:
                n = table.num_rows
                frame = whole.iloc[offset:offset + n]
                frame.index = pd.RangeIndex(n)
                offset += n
                result, where = call(table, group, frame)
                done.append(_checked(result, schema, by_name, where))
        except BaseException:
            _emit_all(done, schema, by_name, emit)  # the groups finished before the failure are answered
            raise
        _emit_all(done, schema, by_name, emit)

    def run_many(pending: List[Tuple[Any, int]], emit: Callable[[Any], None]) -> None:
        input_schema = pending[0][0].schema
        if len(pending) == 1 or not _batchable(input_schema):
            for table, group in pending:
                emit(run(table, group))
            return
        nullable = _null_columns(input_schema)
        start = 0
        while start < len(pending):
            signature = _signature(pending[start][0], nullable)
            end = start + 1
            while end < len(pending) and _signature(pending[end][0], nullable) == signature:
                end += 1
            together(pending[start:end], emit)
            start = end

    return run_many


HANDLER = SessionZoned(GroupedMapHandler("SQL_GROUPED_MAP_PANDAS_UDF", _to_frame, _python_key, _pandas_result,
                                         _batched))
