"""SQL_GROUPED_AGG_ARROW_UDF (252): aggregate UDFs over each group, one row per group (``docs/protocol.md`` 7.6).

The command is the scalar one (:mod:`pyworkers.arrow.scalar`: n UDFs with their argument offsets and chains, the
result schema ``_0.._{n-1}``); the framing is the grouped one (:mod:`pyworkers.arrow.grouped`), and the answer to
each group is one record batch of one row, column ``_i`` the value of UDF i, then GROUP_END with 1. Each UDF gets its
argument columns of the whole group as ``pyarrow.Array`` s and returns one value: a ``pyarrow.Scalar`` of its
declared type, or a Python value that converts to it. SQL_GROUPED_AGG_PANDAS_UDF (202,
:mod:`pyworkers.arrow.grouped_agg_pandas`) gets ``pandas.Series`` and returns a scalar.
"""
from typing import Any, Callable

from pyworkers import evaltypes, protocol
from pyworkers.evaltypes import TaskIO

from .batched import to_value
from .grouped import group_body
from .scalar import ArrowResultError, ScalarCommand, _compose, _note, pa, read_scalar_command

__all__ = ["GroupedAggHandler", "HANDLER"]


def _arrow_value(result: Any, declared: Any, where: str) -> Any:
    if isinstance(result, pa.Scalar):
        if result.type != declared:
            raise ArrowResultError("%s returned a pyarrow.Scalar of type %s, but its declared result type is %s: "
                                   "cast it or declare %s" % (where, result.type, declared, result.type))
        return pa.array([result.as_py()], type=declared)
    if isinstance(result, (pa.Array, pa.ChunkedArray, pa.Table, pa.RecordBatch)):
        raise ArrowResultError("%s returned a %s; a SQL_GROUPED_AGG_ARROW_UDF function returns one value (a "
                               "pyarrow.Scalar of type %s) per group" % (where, type(result).__name__, declared))
    return to_value(result, declared, where)  # pyarrow alone would make 0.5 declared int64 a 0


class GroupedAggHandler:
    """Stateless; one instance serves every task of its eval type in the worker. ``to_arg`` turns one argument
    column (a ``pyarrow.ChunkedArray`` of the group) into the function's argument; ``to_value`` turns a result into
    a one-value ``pyarrow.Array`` of the declared type or raises :class:`ArrowResultError`."""

    accepts_null_input = False

    def __init__(self, name: str, to_arg: Callable[[Any], Any], to_value: Callable[[Any, Any, str], Any]) -> None:
        self.name = name
        self._to_arg = to_arg
        self._to_value = to_value

    def read_command(self, inp: protocol.Readable) -> ScalarCommand:
        return read_scalar_command(inp, self.name)

    def load(self, command: ScalarCommand, task: TaskIO) -> Callable[[], None]:
        udfs = []
        for i, udf in enumerate(command.udfs):
            count = len(udf.functions)
            functions = [evaltypes.load_function(spec, "function %d of %d of UDF %d of %s" % (
                j + 1, count, i + 1, self.name)) for j, spec in enumerate(udf.functions)]
            label = "UDF %d (%s) of %s" % (i + 1, getattr(functions[-1], "__name__", "?"), self.name)
            udfs.append((udf.offsets, _compose(functions), label))
        schema = command.result_schema
        partition = task.partition_index
        to_arg, to_value = self._to_arg, self._to_value
        columns = tuple(sorted({o for offsets, _, _ in udfs for o in offsets}))

        def run(table: Any, group: int) -> Any:
            arrays = []
            for (offsets, function, label), field in zip(udfs, schema):
                where = "%s on group %d of partition %d" % (label, group, partition)
                try:
                    result = function(*[to_arg(table.column(o)) for o in offsets])
                except Exception as e:
                    _note(e, "while running " + where)
                    raise
                arrays.append(to_value(result, field.type, where))
            return pa.Table.from_arrays(arrays, schema=schema)

        return group_body(self.name, task, schema, columns, 1, run)


HANDLER = GroupedAggHandler("SQL_GROUPED_AGG_ARROW_UDF", lambda column: column.combine_chunks(), _arrow_value)
